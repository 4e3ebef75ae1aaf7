"""The manager: a directory of environments and the isolation switch.

One manager per process is the intended use (the Blender layer registers one
global manager); several can coexist in tests as long as their owners do not
overlap.
"""

from __future__ import annotations

import builtins
import importlib
import importlib._bootstrap as _bootstrap
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType, ModuleType

from .caller import MARKER, calling_env
from .environment import (
    LOADED_LIBRARY_DIRS,
    STATE_FILE,
    BrokenEnvironment,
    Environment,
    is_under,
    unused_generation_dir,
)
from .errors import (
    DamagedStateError,
    EnvironmentExistsError,
    EnvironmentPurgedError,
    OwnerConflictError,
    SiteDirError,
    UnknownEnvironmentError,
)
from .finder import IienvFinder
from .homes import create_aside, create_in_place, delete_home, empty_removed_home
from .import_gate import GATE
from .import_hook import make_builtins, make_import
from .install_tools import InstallerSettings, PipInstaller, check_choice, choose
from .installer import InstallJob, ProgressCallback, commit_generation, installed_versions
from .installer import verify as verify_request
from .integrity import IntegrityReport, check_site
from .interpreter import pip_python
from .layout import REMOVED_MARKER, clear_debris
from .lockfile import Export, export_site
from .locks import BusyError, Locks
from .module_view import VIEWS
from .names import check_env_name, check_module_name, check_owner_name, same_name_folded
from .overlay import Overlay
from .purge import PurgeResult, fresh_generation, purge_environment, resident_in
from .requirements import check_request
from .routing import Routing
from .scope import Scope, Scopes
from .sharing import remove_tree, tree_bytes
from .sonames import own_library_names
from .warmup import WARMERS

__iienv_machinery__ = True

# How long a process waits for another one that creates (seconds) or installs
# (a pip run: minutes with an index) the same environment.
CONCURRENT_WAIT = 30.0
CONCURRENT_INSTALL_WAIT = 1800.0

# How long a purge waits for another process's install or purge to finish.
PURGE_WAIT_SECONDS = 30.0


class Manager:
    """Environments rooted at one directory, and the import isolation for them."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        prepare_owner: Callable[[Environment], None] | None = None,
        installer: InstallerSettings | None = None,
    ) -> None:
        """Environments under ``root``.

        ``installer``: which program installs (install_tools.py; default: uv
        where one is found on PATH, else pip). ``installer_settings`` may be
        replaced at any time (the Blender layer does when preferences change).

        ``prepare_owner(env)`` runs when an owner's top-level package is about
        to be imported (before its code runs), e.g. to install a declared but
        missing environment first.
        """
        self.root = Path(root).resolve()
        self.prepare_owner = prepare_owner
        self.installer_settings = installer or InstallerSettings()
        # discover_owner(name) may create an environment for a package imported
        # for the first time that is not owned yet (a host finding declarations).
        self.discover_owner: Callable[[str], Environment | None] | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self._envs: dict[str, Environment] = {}
        self._by_id: dict[int, Environment] = {}
        self._overlay = Overlay(before_lay=self._before_lay, before_collect=self._warm_env)
        self._warmed_global: set[str] = set()
        self._scopes = Scopes()
        self._finder = IienvFinder(self, self._overlay)
        self._routing = Routing(self.caller, self.import_in, self._overlay.activated)
        self._original_import = builtins.__import__
        self._enabled = False
        self._locks = Locks(self.root)
        self._broken: dict[str, BrokenEnvironment] = {}
        # Homes of uninstalled environments that a loaded library kept from being
        # deleted (Windows): removed at the next start (layout.py).
        self._pending: dict[str, Path] = {}
        clear_debris(self.root, self._locks)
        for home in sorted(p for p in self.root.iterdir() if not p.name.startswith(".")):
            self._load(home)

    def __repr__(self) -> str:
        state = "enabled" if self._enabled else "disabled"
        return f"<iienv.Manager {str(self.root)!r} {state} envs={sorted(self._envs)}>"

    # ---- isolation switch -----------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    def enable(self) -> None:
        """Start routing owners' imports to their environments."""
        if self._enabled:
            return
        VIEWS.register(self)  # first: refuses an interpreter it cannot route in
        sys.meta_path.insert(0, self._finder)
        self._routing.install()
        GATE.install()
        self._enabled = True
        self._warm_global(None)

    def disable(self) -> dict[str, PurgeResult]:
        """Purge every environment and remove every trace of iienv from the interpreter."""
        if not self._enabled:
            return {}
        # No fresh copies: nothing loads again through this manager. On a shared
        # profile every Blender that quits would otherwise copy the environments it
        # used and switch everyone to the copy. A later manager in this process makes
        # the copy when it loads such a generation again (_before_lay).
        results = {
            name: self.purge(name, report=False, fresh_copy=False) for name in list(self._envs)
        }
        for env in list(self._envs.values()):  # nothing of them is loaded: let go
            self._let_go(env)
        self._routing.uninstall()
        GATE.uninstall()
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        VIEWS.unregister(self)
        self._enabled = False
        return results

    def __enter__(self) -> Manager:
        self.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disable()

    # ---- environments ---------------------------------------------------
    def create(
        self,
        name: str,
        owners: Iterable[str] = (),
        site_dir: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """Create an environment for the add-on packages ``owners``.

        ``site_dir`` adopts an existing directory of installed packages (it is
        used in place; a purge that needs a fresh copy copies it under the
        manager's root). On Linux its bundled shared libraries get names of their
        own, in place (sonames.py). Without it the environment starts empty.
        """
        check_env_name(name)
        if isinstance(owners, str):
            owners = [owners]
        owner_set = frozenset(check_owner_name(o) for o in owners)
        if name in self._broken:
            raise EnvironmentExistsError(
                f"iienv: environment {name!r} exists but is damaged "
                f"({self._broken[name].reason}); remove it first"
            )
        if name in self._envs:
            raise EnvironmentExistsError(
                f"iienv: environment {name!r} exists already (site dir "
                f"{self._envs[name].site_dir}); use it, or remove it first"
            )
        self._check_owner_conflicts(name, owner_set)
        on_disk = [p.name for p in self.root.iterdir() if not p.name.startswith(".")]
        twin = same_name_folded(name, [*self._envs, *self._broken, *on_disk])
        if twin is not None:
            raise EnvironmentExistsError(
                f"iienv: environment {name!r} differs from the existing {twin!r} only in "
                f"case; on Windows and macOS they would share one folder. Use {twin!r} or "
                f"another name"
            )
        home = self.root / name
        if site_dir is not None:
            site = Path(site_dir)
            if not site.is_dir():
                raise SiteDirError(
                    f"iienv: site dir {str(site)!r} for environment {name!r} does not exist "
                    f"or is not a directory; install the packages first or pass an existing "
                    f"directory"
                )
            site = site.resolve()
            own_library_names(name, site, self.root)
        else:
            site = unused_generation_dir(home)
        with self._locks.holding(name, "created", wait=CONCURRENT_WAIT):
            joined = self._created_elsewhere(name, home, owner_set)
            if joined is not None:
                return joined
            if (home / REMOVED_MARKER).exists():
                empty_removed_home(home)  # uninstalled earlier: what a library let go of
            if home.exists() and (home / REMOVED_MARKER).exists():
                create_in_place(name, home, owner_set, site_dir is not None, site)
            else:
                if home.exists() and any(home.iterdir()):
                    raise EnvironmentExistsError(
                        f"iienv: directory {str(home)!r} exists and is not an environment of "
                        f"this manager; remove it or choose another environment name"
                    )
                create_aside(self.root, name, home, owner_set, site_dir is not None, site)
        self._pending.pop(name, None)
        env = Environment(name, home, owner_set, site)
        self._register(env)
        return env

    def _created_elsewhere(
        self, name: str, home: Path, owners: frozenset[str]
    ) -> Environment | None:
        """The environment another process created since this manager started, if so.

        Many Blenders starting at once on one profile (a farm's workers) each
        create the environments their add-ons declare: the first creates it,
        the others take it as it is on disk (same owners, or an error).
        """
        if not (home / STATE_FILE).is_file() or (home / REMOVED_MARKER).exists():
            return None
        try:
            env = Environment.load(home)
        except DamagedStateError:
            return None  # (create refuses a home that is not an environment)
        if env.owners != owners:
            raise EnvironmentExistsError(
                f"iienv: environment {name!r} was created by another process for the add-on "
                f"packages {sorted(env.owners)}, not {sorted(owners)}; use those owners, or "
                f"remove it first"
            )
        self._pending.pop(name, None)
        self._register(env)
        return env

    def get(self, name: str | Environment) -> Environment:
        """The environment called ``name`` (UnknownEnvironmentError if none)."""
        if isinstance(name, Environment):
            if self._by_id.get(id(name)) is not name:
                raise UnknownEnvironmentError(name.name, list(self._envs))
            return name
        env = self._envs.get(name)
        if env is None:
            broken = self._broken.get(str(name))
            if broken is not None:
                raise DamagedStateError(broken.name, broken.reason)
            raise UnknownEnvironmentError(str(name), list(self._envs))
        return env

    def find(self, name: str) -> Environment | None:
        """The environment called ``name``, or None (get() raises instead)."""
        return self._envs.get(name)

    def owner_env(self, module_name: str) -> Environment | None:
        """The environment whose owners include ``module_name`` (or a parent package)."""
        for env in self._envs.values():
            if env.owners and env.owns_name(module_name):
                return env
        return None

    def environments(self) -> list[Environment]:
        return [self._envs[name] for name in sorted(self._envs)]

    def add_owner(self, name: str | Environment, owner: str) -> None:
        """Let the add-on package ``owner`` use environment ``name``."""
        env = self.get(name)
        check_owner_name(owner)
        self._check_owner_conflicts(env.name, frozenset([owner]))
        before = env.owners
        env.owners = before | {owner}
        try:
            with self._locks.holding(env.name, "changed", wait=PURGE_WAIT_SECONDS):
                env.save_state()
        except OSError as exc:
            env.owners = before  # memory and disk agree: neither changed
            raise SiteDirError(
                f"iienv: could not record {owner!r} as an owner of {env.name!r} "
                f"({exc.strerror or exc}); nothing changed. Check free space and permissions"
            ) from None

    def env_of(self, module_or_name: ModuleType | str) -> Environment | None:
        """The environment a module (or module name) belongs to, if any.

        A name is looked up in the environments' tables first and then among
        owners' packages; a module object by the marker its loader left.
        """
        if isinstance(module_or_name, str):
            for env in self._envs.values():
                if module_or_name in env.modules:
                    return env
            return self.owner_env(module_or_name)
        marked = getattr(module_or_name, "__dict__", {}).get(MARKER)
        if marked is not None and self._by_id.get(id(marked)) is marked:
            return marked
        return None

    def remove(self, name: str | Environment) -> PurgeResult:
        """Purge an environment and delete its files. Other environments are untouched.

        A broken environment (``broken()``) has nothing loaded: its directory is deleted.
        """
        if isinstance(name, str) and name in self._broken:
            broken = self._broken[name]
            if not remove_tree(broken.home):
                raise SiteDirError(
                    f"iienv: could not delete {str(broken.home)!r} (permissions?); delete it "
                    f"by hand, then start Blender again"
                )
            del self._broken[name]
            return PurgeResult([], [], broken.home, [])
        env = self.get(name)
        with self._locks.holding(env.name, "removed"):
            users = sorted(
                {
                    pid
                    for gen in env.generations()
                    for pid in self._locks.users_elsewhere(env.name, gen.name, ("use",))
                }
            )
            if users:
                raise BusyError(
                    f"iienv: environment {env.name!r} is in use by another Blender "
                    f"(pid {', '.join(map(str, users))}); disable the add-on there (or close "
                    f"it) first. Nothing was removed"
                )
        result = self.purge(env, report=False, fresh_copy=False)
        with self._locks.holding(env.name, "removed"):
            self._unregister(env)
            self._let_go(env)
            if not delete_home(self.root, env):
                self._pending[env.name] = env.home
            self._locks.forget(env.name)
        return result

    def pending_deletion(self) -> dict[str, int]:
        """Uninstalled environments whose files wait for the next start: name -> bytes."""
        return {
            name: tree_bytes(home) for name, home in sorted(self._pending.items()) if home.exists()
        }

    # ---- isolation operations ------------------------------------------
    @property
    def known(self) -> dict[int, Environment]:
        """The live environments by ``id()`` (markers of removed ones do not count)."""
        return self._by_id

    def activated(self, name: str | Environment) -> Scope:
        """Run the block as environment ``name``'s code: ``with manager.activated("a"): ...``.

        The environment's own code needs no block: whoever calls it, its
        lookups are its environment's (module_view.py). The block is for code
        that is *not* the environment's but should run as if it were (a
        script, a callback handed to a library): every by-name lookup made in
        it — ``import`` statements, ``importlib.import_module``, compiled code
        importing at call time, unpickling, reading ``sys.modules`` — gets the
        environment's modules for the names it provides, while another
        environment's code called from the block still gets its own. Other
        threads see nothing of it and no lock is held while the block runs
        (it may start threads, wait for them, run for minutes); see scope.py.
        """
        env = self.get(name)
        return Scope(self._scopes, env)

    def import_module(self, name: str | Environment, module: str) -> ModuleType:
        """Import ``module`` as code of environment ``name`` would."""
        env = self.get(name)
        check_module_name(module)
        if env.provides(module):
            return self.import_in(env, module)
        env.builtins["__import__"](module)
        return importlib.import_module(module)

    def import_in(self, env: Environment, module: str) -> ModuleType:
        """``module`` (a name ``env`` provides) from ``env``'s table, importing it if needed."""
        table = env.modules
        found = table.get(module)
        if found is not None:
            return found
        env.builtins["__import__"](module)
        found = table.get(module)
        if found is None and self._overlay.active_env() is env:
            found = sys.modules.get(module)  # laid out: collected when the activation ends
        if found is None:
            raise ModuleNotFoundError(
                f"iienv: environment {env.name!r} imported {module!r} but did not keep it "
                f"(the package removed itself from sys.modules while loading)",
                name=module,
            )
        return found

    def start_install(
        self,
        name: str | Environment,
        requirements: Iterable[str] = (),
        wheels: Iterable[str | os.PathLike[str]] = (),
        find_links: Iterable[str | os.PathLike[str]] = (),
        no_index: bool = False,
        lock_file: str | os.PathLike[str] | None = None,
        allow_urls: bool = False,
        progress: ProgressCallback | None = None,
        allow_source_builds: bool = False,
        installer: str | None = None,
    ) -> InstallJob:
        """Validate the request and start the installer without waiting (poll the returned job).

        Everything is checked before the installer runs; a bad request raises
        InvalidRequirementError and touches nothing. Wheels only unless
        ``allow_source_builds``: a requirement with no wheel for this Python
        fails with the versions that have one. ``installer``: "auto", "uv" or
        "pip" for this install (default: ``installer_settings.choice``); "uv"
        with no usable uv raises InstallError and touches nothing.
        """
        env = self.get(name)
        request = check_request(
            env.name, requirements, wheels, find_links, lock_file, allow_urls, allow_source_builds
        )
        wanted = check_choice(self.installer_settings.choice if installer is None else installer)
        tool = choose(self.installer_settings, wanted)
        fallback = PipInstaller if wanted == "auto" and tool.name == "uv" else None
        self._locks.exclusive(env.name, "installed")  # BusyError: another process installs
        record = {
            "requirements": [str(r) for r in request.requirements],
            "wheels": [str(w) for w in request.wheels],
            "find_links": list(request.find_links),
            "no_index": no_index,
            "lock_file": str(request.lock_file) if request.lock_file else None,
            "allow_source_builds": request.allow_source_builds,
        }
        used = self._used_elsewhere(env)
        try:
            job = InstallJob(
                env,
                request,
                commit=lambda staging: self._committed(
                    env, commit_generation(env, staging, record, self._overlay.lock, used)
                ),
                no_index=no_index,
                progress=progress,
                on_done=lambda: self._locks.release(env.name),
                tool=tool,
                fallback=fallback,
            )
        except BaseException:
            self._locks.release(env.name)
            raise
        return job.start()

    def install(
        self,
        name: str | Environment,
        requirements: Iterable[str] = (),
        wheels: Iterable[str | os.PathLike[str]] = (),
        find_links: Iterable[str | os.PathLike[str]] = (),
        no_index: bool = False,
        lock_file: str | os.PathLike[str] | None = None,
        allow_urls: bool = False,
        progress: ProgressCallback | None = None,
        allow_source_builds: bool = False,
        installer: str | None = None,
    ) -> Path:
        """Install into a new generation of ``name`` and make it current; return its site dir.

        Modules already loaded keep running from the old generation until the
        environment is purged; the next import after the purge loads the new one.
        Raises InstallError (with pip's cause and what to do) and then the
        environment is exactly as before.
        """
        job = self.start_install(
            name,
            requirements,
            wheels,
            find_links,
            no_index,
            lock_file,
            allow_urls,
            progress,
            allow_source_builds,
            installer,
        )
        with GATE.stepped_out():  # (another thread's environment may load meanwhile)
            return job.wait()

    def ensure(
        self,
        name: str | Environment,
        requirements: Iterable[str] = (),
        wheels: Iterable[str | os.PathLike[str]] = (),
        find_links: Iterable[str | os.PathLike[str]] = (),
        no_index: bool = False,
        lock_file: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        wait: float = CONCURRENT_INSTALL_WAIT,
        installer: str | None = None,
    ) -> Path | None:
        """Install the request unless the environment satisfies it already; the new site dir,
        or None if nothing was installed.

        If another process installs this environment right now (another Blender,
        N farm workers starting at once on one profile), wait up to ``wait``
        seconds for it and use its install when it satisfies the request: one
        pip run for all of them. Nothing of the environment may be loaded here
        yet to take another process's generation (else the purge does).
        """
        env = self.get(name)
        request = check_request(env.name, requirements, wheels, find_links, lock_file)
        deadline = time.monotonic() + wait
        while True:
            self._follow(env)
            if installed_versions(env.site_dir) and verify_request(env.site_dir, request) is None:
                return None
            try:
                return self.install(
                    env,
                    requirements,
                    wheels,
                    find_links,
                    no_index,
                    lock_file,
                    progress=progress,
                    installer=installer,
                )
            except BusyError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                with GATE.stepped_out(), self._locks.holding(env.name, "waited", wait=remaining):
                    pass  # the other process's install is over: look at what it left

    def _follow(self, env: Environment) -> None:
        """Take the generation another process made current, if nothing is loaded from ours."""
        on_disk = None if env.modules else self._switched_elsewhere(env)
        if on_disk is None:
            return
        env.site_dir, env.request = on_disk.site_dir, on_disk.request
        env.rescan()

    def forget_owners(self, name: str | Environment) -> list[str]:
        """Take only the owners' own modules out of ``sys.modules``.

        For a hot reload of an add-on's code: its environment's packages stay
        loaded (no new generation, no re-import of numpy).
        """
        env = self.get(name)
        with self._overlay.quiet(f"reload {env.name!r}", lambda: self._imports_of(env)):
            removed = [n for n in sys.modules if env.owns_name(n)]
            for mod_name in removed:
                del sys.modules[mod_name]
            importlib.invalidate_caches()
        return sorted(removed)

    def export(
        self,
        name: str | Environment,
        to: str | os.PathLike[str],
        find_links: Iterable[str | os.PathLike[str]] = (),
        no_index: bool = False,
    ) -> Export:
        """Write ``to/<name>.lock`` (every installed distribution, pinned, with the hash of
        its wheel) and the wheels to ``to/wheels/`` (lockfile.py). ``install(name,
        lock_file=..., find_links=[to/wheels], no_index=True)`` reproduces it offline.
        pip looks where it is configured to, in ``find_links``, and where the
        environment's own install found its wheels (local files, find-links)."""
        env = self.get(name)
        links = [str(link) for link in find_links]
        # where its own install found packages: local wheel files' folders, find-links
        recorded = env.request.get("wheels") or []
        links += [str(Path(w).parent) for w in recorded if isinstance(w, str)]
        links += [link for link in env.request.get("find_links") or [] if isinstance(link, str)]
        links = list(dict.fromkeys(links))
        with self._locks.holding(env.name, "exported"):
            return export_site(env.name, env.site_dir, Path(to), pip_python(), links, no_index)

    def verify(
        self, name: str | Environment, lock_file: str | os.PathLike[str] | None = None
    ) -> IntegrityReport:
        """Check the environment's files against pip's RECORD, and its distributions
        against ``lock_file``'s pins if given (integrity.py); nothing is changed."""
        env = self.get(name)
        locked = None
        if lock_file is not None:
            locked = check_request(env.name, lock_file=lock_file).locked
        return check_site(env.site_dir, locked)

    def purge(
        self,
        name: str | Environment,
        owners: bool = True,
        report: bool = True,
        fresh_copy: bool = True,
    ) -> PurgeResult:
        """Forget every module environment ``name`` loaded; the next import loads afresh.

        With ``owners`` the owners' own modules leave ``sys.modules`` too (they
        hold references to the environment's modules). If a shared library was
        loaded from the current site dir, the environment moves to a fresh
        physical copy (a new generation): a library cannot be loaded twice from
        one file. ``report``: list the modules still alive afterwards
        (``PurgeResult.survivors``, one collection and heap scan); ``fresh_copy``:
        prepare the fresh generation now (not for an environment being removed).
        See purge.py.
        """
        env = self.get(name)
        # (no other thread mid-load, none of the environment's loads waiting: overlay.py)
        quiet = self._overlay.quiet(f"purge {env.name!r}", lambda: self._imports_of(env))
        with self._locks.holding(env.name, "purged", wait=PURGE_WAIT_SECONDS), quiet:
            used = self._used_elsewhere(env)
            result = purge_environment(env, owners, used, report, fresh_copy)
            VIEWS.refresh()
            if not (env.home / STATE_FILE).is_file():  # another Blender removed it meanwhile
                self._unregister(env)
            self._let_go(env)  # nothing of it is loaded now
            if not env.removed:
                self._hold_current(env)  # pin the generation it moved to (or adopted)
        return result

    # ---- internals ------------------------------------------------------
    def _load(self, home: Path) -> None:
        """Register the environment in ``home``, or list it as broken (touching nothing)."""
        if not home.is_dir():
            return
        if (home / REMOVED_MARKER).exists():  # uninstalled while a library was loaded
            if self._locks.try_exclusive(home.name, "cleaned up at start"):
                try:
                    if empty_removed_home(home):
                        self._locks.forget(home.name)
                        return
                finally:
                    self._locks.release(home.name)
            self._pending[home.name] = home
            return
        state = home / STATE_FILE
        if not state.exists() and not state.is_symlink():
            if any(home.iterdir()) and self._locks.try_exclusive(home.name, "checked at start"):
                # (held by another process: it is being installed right now)
                self._locks.release(home.name)
                reason = "there is no state.json: an install or a removal was interrupted"
                self._broken[home.name] = BrokenEnvironment.from_error(home, reason)
            return
        try:
            env = Environment.load(home)
        except DamagedStateError as exc:
            self._broken[home.name] = BrokenEnvironment.from_error(home, exc.reason)
            return
        for other in list(self._envs.values()):
            contested = sorted(o for o in env.owners if _overlapping(o, other.owners))
            if not contested:
                continue
            # Two state files claim one add-on: the environment named after it keeps it.
            loser = other if env.name in contested and other.name not in contested else env
            reason = (
                f"owner {contested[0]!r} is also claimed by "
                f"{(env if loser is other else other).name!r}"
            )
            self._broken[loser.name] = BrokenEnvironment.from_error(loser.home, reason)
            if loser is env:
                return
            self._unregister(other)
            self._let_go(other)
        # Start-up clean-up, only while no other process is changing the environment
        # (its staging dir is in use) and sparing generations other processes lease.
        if self._locks.try_exclusive(env.name, "cleaned up at start"):
            try:
                env.remove_stale_generations(in_use=self._used_elsewhere(env))
            finally:
                self._locks.release(env.name)
        self._register(env)

    def updated_elsewhere(self, name: str | Environment) -> bool:
        """True if another process switched ``name`` to a generation this one does not use.

        A purge (or the add-on's reload) takes the new generation.
        """
        env = self.get(name)
        return self._switched_elsewhere(env) is not None

    def _switched_elsewhere(self, env: Environment) -> Environment | None:
        """The state on disk, if another process made another generation current."""
        try:
            on_disk = Environment.load(env.home)
        except DamagedStateError:
            return None
        return on_disk if on_disk.site_dir != env.site_dir else None

    def broken(self) -> list[BrokenEnvironment]:
        """Environments whose state on disk is damaged, with the reason (see ``remove``)."""
        return [self._broken[name] for name in sorted(self._broken)]

    def broken_owner(self, module_name: str) -> BrokenEnvironment | None:
        """The broken environment ``module_name`` (an add-on) belongs to, if any."""
        for broken in self._broken.values():
            if broken.owns_name(module_name):
                return broken
        return None

    def _register(self, env: Environment) -> None:
        hook = make_import(env, self._overlay, self._original_import)
        env.builtins = make_builtins(hook)
        self._envs[env.name] = env
        self._by_id[id(env)] = env
        self._hold_current(env)
        VIEWS.refresh()

    def _unregister(self, env: Environment) -> None:
        """Forget ``env`` in this process; code it loaded can no longer import."""
        env.removed = True
        del self._envs[env.name]
        del self._by_id[id(env)]
        VIEWS.refresh()

    def _let_go(self, env: Environment) -> None:
        """Release every lease this process holds on ``env``'s generations."""
        for generation in self._locks.held_leases(env.name):
            self._locks.release_lease(env.name, generation)
        env.in_use = None

    def _hold_current(self, env: Environment) -> None:
        """Lease the generation this process will load ``env`` from, and only that one.

        Taken as soon as the process knows the generation (not at its first
        import), so another process's install cannot retire it in between;
        leases of generations this process has no module from are let go.
        """
        if env.site_dir.parent != env.home:
            return
        self._locks.lease(env.name, env.site_dir.name)
        for generation in self._locks.held_leases(env.name):
            if (
                generation != env.site_dir.name
                and generation not in {d.name for d in env.dirty_site_dirs}
                and not any(
                    is_under(getattr(m, "__file__", None) or "", env.home / generation)
                    for m in list(env.modules.values())
                )
            ):
                self._locks.release_lease(env.name, generation)

    def _check_owner_conflicts(self, name: str, owners: frozenset[str]) -> None:
        for other in self._envs.values():
            if other.name == name:
                continue
            for owner in owners:
                theirs = _overlapping(owner, other.owners)
                if theirs is not None:
                    raise OwnerConflictError(
                        f"iienv: add-on package {owner!r} cannot use environment {name!r}: "
                        f"{theirs!r} already uses environment {other.name!r}. An add-on has "
                        f"one environment; remove it from {other.name!r} first"
                    )

    def _imports_of(self, env: Environment) -> list[str]:
        """Modules of ``env`` or its add-on other threads are loading right now.

        Taking them out of ``sys.modules`` under a thread that is executing one
        makes importlib fail in that thread with a raw KeyError (overlay.quiet).
        """
        me = threading.get_ident()
        return [
            name
            for name, ref in list(_bootstrap._module_locks.items())  # type: ignore[attr-defined]
            if (lock := ref()) is not None
            and lock.owner not in (None, me)
            and (env.owns_name(name) or env.provides(name))
        ]

    def _committed(self, env: Environment, site_dir: Path) -> Path:
        self._hold_current(env)
        VIEWS.refresh()  # the new generation may provide more top-level names
        return site_dir

    def _before_lay(self, env: Environment) -> None:
        """An environment is about to load modules: hold its generation, warm the host's."""
        if not env.modules and env.site_dir in env.dirty_site_dirs:
            raise SiteDirError(  # a purge could not copy it (disk full): loading again fails
                f"iienv: {env.name!r} was purged, but its packages could not be copied for a "
                f"fresh load (see the purge's error: a full disk, or a file another program "
                f"holds); free disk space or close that program, and purge it again"
            )
        if not env.modules and env.site_dir in LOADED_LIBRARY_DIRS and env.site_dir.is_dir():
            # this process loaded libraries from it before (iienv disabled and enabled
            # again): a library cannot load twice from one file
            with self._locks.holding(env.name, "copied for a fresh load", wait=CONCURRENT_WAIT):
                if env.site_dir in LOADED_LIBRARY_DIRS:
                    fresh_generation(env, resident_in(env.site_dir), "re-enabled")
        if env.site_dir.parent == env.home and env.in_use is not env.site_dir:
            if not (env.home / STATE_FILE).is_file():
                raise EnvironmentPurgedError(
                    f"iienv: the environment of {env.name!r} was removed by another Blender; "
                    f"install it again (Preferences > Add-ons > iienv) to use the add-on"
                )
            self._hold_current(env)
            self._locks.lease(env.name, env.site_dir.name, "use")
            env.in_use = env.site_dir  # (once per generation: activations are frequent)
        self._warm_global(env)

    def _used_elsewhere(self, env: Environment) -> Callable[[str], bool]:
        """Whether another live process holds a lease on a generation of ``env``."""
        return lambda generation: bool(self._locks.users_elsewhere(env.name, generation))

    def _warm_global(self, env: Environment | None) -> None:
        """Warm the host's copies of packages an environment also provides (warmup.py)."""
        for name, warmer in WARMERS.items():
            if name in self._warmed_global or (env is not None and name not in env.top_names):
                continue
            module = sys.modules.get(name)
            if module is not None:
                self._warmed_global.add(name)
                warmer(module, True)

    def _warm_env(self, env: Environment) -> None:
        """Warm an environment's newly loaded packages while it is still laid out."""
        for name, warmer in WARMERS.items():
            if name in env.warmed or name not in env.top_names:
                continue
            module = sys.modules.get(name)
            if module is not None and module.__dict__.get(MARKER) is env:
                env.warmed.add(name)
                warmer(module, False)

    def caller(self, frame: FrameType | None) -> Environment | None:
        """The environment on whose behalf code at ``frame`` runs, if any (caller.py)."""
        active = self._overlay.active_env()
        if active is not None:
            return active
        return calling_env(frame, self._by_id, self._scopes.explicit())

    def top_names(self) -> frozenset[str]:
        """Every top-level name an environment here provides (module_view.py)."""
        names: set[str] = set()
        for env in list(self._envs.values()):
            names |= env.top_names
            names |= env.extra_tops
        return frozenset(names)


def _overlapping(owner: str, others: frozenset[str]) -> str | None:
    """The one of ``others`` that ``owner`` is, contains or lies inside, if any."""
    for theirs in others:
        if owner == theirs or owner.startswith(theirs + ".") or theirs.startswith(owner + "."):
            return theirs
    return None
