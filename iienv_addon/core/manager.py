"""The manager: a directory of environments and the isolation switch.

One manager per process is the intended use (the Blender layer registers one
global manager); several can coexist in tests as long as their owners do not
overlap.
"""

from __future__ import annotations

import builtins
import importlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType

from .environment import (
    STATE_FILE,
    Environment,
    copy_generation,
    is_shared_library,
)
from .errors import (
    EnvironmentExistsError,
    OwnerConflictError,
    SiteDirError,
    UnknownEnvironmentError,
)
from .finder import MARKER, IienvFinder, calling_env
from .import_hook import TransientAliases, make_builtins, make_import
from .installer import InstallJob, ProgressCallback
from .names import check_env_name, check_module_name
from .overlay import Overlay
from .requirements import check_request
from .warmup import WARMERS


class PurgeResult(list[str]):
    """Names of the modules a purge removed (a list), plus what stays in memory.

    ``resident_libraries`` are shared libraries that were loaded from the purged
    generation: no process can unload them, so they stay mapped until Blender
    exits. ``site_dir`` is where the environment loads from next.
    ``hooks_removed`` are entries the environment's packages had added to
    ``sys.meta_path`` or ``sys.path_hooks`` (six does), taken out with them.
    """

    def __init__(
        self,
        names: Iterable[str],
        resident_libraries: list[str],
        site_dir: Path,
        hooks_removed: list[object],
    ) -> None:
        super().__init__(sorted(names))
        self.resident_libraries = resident_libraries
        self.site_dir = site_dir
        self.hooks_removed = hooks_removed


class Manager:
    """Environments rooted at one directory, and the import isolation for them."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        prepare_owner: Callable[[Environment], None] | None = None,
    ) -> None:
        """Environments under ``root``.

        ``prepare_owner(env)`` runs when an owner's top-level package is about
        to be imported (before its code runs), e.g. to install a declared but
        missing environment first.
        """
        self.root = Path(root).resolve()
        self.prepare_owner = prepare_owner
        # discover_owner(name) may create an environment for a package imported
        # for the first time that is not owned yet (a host finding declarations).
        self.discover_owner: Callable[[str], Environment | None] | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self._envs: dict[str, Environment] = {}
        self._by_id: dict[int, Environment] = {}
        self._overlay = Overlay(before_lay=self._warm_global, before_collect=self._warm_env)
        self._warmed_global: set[str] = set()
        self._aliases = TransientAliases()
        self._finder = IienvFinder(self)
        self._original_import = builtins.__import__
        self._enabled = False
        for state in sorted(self.root.glob(f"*/{STATE_FILE}")):
            env = Environment.load(state.parent)
            env.remove_stale_generations()
            self._register(env)

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
        sys.meta_path.insert(0, self._finder)
        self._enabled = True
        self._warm_global(None)

    def disable(self) -> dict[str, PurgeResult]:
        """Purge every environment and remove every trace of iienv from the interpreter."""
        if not self._enabled:
            return {}
        results = {name: self.purge(name) for name in list(self._envs)}
        self._aliases.flush()
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
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
        manager's root). Without it the environment starts empty.
        """
        check_env_name(name)
        if isinstance(owners, str):
            owners = [owners]
        owner_set = frozenset(check_module_name(o, "owner package name") for o in owners)
        if name in self._envs:
            raise EnvironmentExistsError(
                f"iienv: environment {name!r} exists already (site dir "
                f"{self._envs[name].site_dir}); use it, or remove it first"
            )
        self._check_owner_conflicts(name, owner_set)
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
        else:
            site = home / "gen-1"
        if home.exists() and any(home.iterdir()):
            raise EnvironmentExistsError(
                f"iienv: directory {str(home)!r} exists and is not an environment of this "
                f"manager; remove it or choose another environment name"
            )
        if site_dir is None:
            site.mkdir(parents=True)
        env = Environment(name, home, owner_set, site)
        env.save_state()
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
            raise UnknownEnvironmentError(str(name), list(self._envs))
        return env

    def find(self, name: str) -> Environment | None:
        """The environment called ``name``, or None (get() raises instead)."""
        return self._envs.get(name)

    def owner_env(self, module_name: str) -> Environment | None:
        """The environment whose owners include ``module_name`` (or a parent package)."""
        return self._owner_env(module_name)

    def environments(self) -> list[Environment]:
        return [self._envs[name] for name in sorted(self._envs)]

    def add_owner(self, name: str | Environment, owner: str) -> None:
        """Let the add-on package ``owner`` use environment ``name``."""
        env = self.get(name)
        check_module_name(owner, "owner package name")
        self._check_owner_conflicts(env.name, frozenset([owner]))
        env.owners = env.owners | {owner}
        env.save_state()

    def env_of(self, module_or_name: ModuleType | str) -> Environment | None:
        """The environment a module (or module name) belongs to, if any.

        A name is looked up in the environments' tables first and then among
        owners' packages; a module object by the marker its loader left.
        """
        if isinstance(module_or_name, str):
            for env in self._envs.values():
                if module_or_name in env.modules:
                    return env
            return self._owner_env(module_or_name)
        marked = getattr(module_or_name, "__dict__", {}).get(MARKER)
        if marked is not None and self._by_id.get(id(marked)) is marked:
            return marked
        return None

    def remove(self, name: str | Environment) -> PurgeResult:
        """Purge an environment and delete its files. Other environments are untouched."""
        env = self.get(name)
        result = self.purge(env)
        env.removed = True
        del self._envs[env.name]
        del self._by_id[id(env)]
        shutil.rmtree(env.home, ignore_errors=True)
        return result

    # ---- isolation operations ------------------------------------------
    @contextmanager
    def activated(self, name: str | Environment) -> Iterator[Environment]:
        """Make ``name``'s modules the ones every import in this block sees.

        For code that bypasses ``__import__`` (``importlib.import_module``,
        Cython's imports) or that handles an environment's objects from global
        code (pickling an environment's array). Other threads' imports wait
        while the block runs, so keep it short.
        """
        env = self.get(name)
        self._aliases.flush()
        with self._overlay.activated(env):
            yield env

    def import_module(self, name: str | Environment, module: str) -> ModuleType:
        """Import ``module`` as code of environment ``name`` would."""
        env = self.get(name)
        check_module_name(module)
        env.builtins["__import__"](module)
        return env.modules.get(module) or importlib.import_module(module)

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
    ) -> InstallJob:
        """Validate the request and start pip without waiting (poll the returned job).

        Everything is checked before pip runs; a bad request raises
        InvalidRequirementError and touches nothing.
        """
        env = self.get(name)
        request = check_request(env.name, requirements, wheels, find_links, lock_file, allow_urls)
        record = {
            "requirements": [str(r) for r in request.requirements],
            "wheels": [str(w) for w in request.wheels],
            "find_links": list(request.find_links),
            "no_index": no_index,
            "lock_file": str(request.lock_file) if request.lock_file else None,
        }
        job = InstallJob(
            env,
            request,
            commit=lambda staging: self._commit_generation(env, staging, record),
            no_index=no_index,
            progress=progress,
        )
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
    ) -> Path:
        """Install into a new generation of ``name`` and make it current; return its site dir.

        Modules already loaded keep running from the old generation until the
        environment is purged; the next import after the purge loads the new one.
        Raises InstallError (with pip's cause and what to do) and then the
        environment is exactly as before.
        """
        job = self.start_install(
            name, requirements, wheels, find_links, no_index, lock_file, allow_urls, progress
        )
        return job.wait()

    def _commit_generation(
        self, env: Environment, staging: Path, record: dict[str, object]
    ) -> Path:
        """Rename a verified staging dir into place and switch to it (the state file rename)."""
        with self._overlay.lock:
            new_site = env.next_generation_dir()
            os.replace(staging, new_site)
            old_site, old_record = env.site_dir, env.request
            env.site_dir, env.request = new_site, record
            try:
                env.save_state()
            except OSError:
                env.site_dir, env.request = old_site, old_record
                shutil.rmtree(new_site, ignore_errors=True)
                raise
            env.rescan()
            retire = old_site.parent == env.home and old_site not in env.dirty_site_dirs
            if retire and not any(_is_under(_file_of(m), old_site) for m in env.modules.values()):
                shutil.rmtree(old_site, ignore_errors=True)
        return new_site

    def forget_owners(self, name: str | Environment) -> list[str]:
        """Take only the owners' own modules out of ``sys.modules``.

        For a hot reload of an add-on's code: its environment's packages stay
        loaded (no new generation, no re-import of numpy).
        """
        env = self.get(name)
        with self._overlay.lock:
            removed = [n for n in sys.modules if env.owns_name(n)]
            for mod_name in removed:
                del sys.modules[mod_name]
            importlib.invalidate_caches()
        return sorted(removed)

    def purge(self, name: str | Environment, owners: bool = True) -> PurgeResult:
        """Forget every module environment ``name`` loaded; the next import loads afresh.

        With ``owners`` the owners' own modules leave ``sys.modules`` too (they
        hold references to the environment's modules). If a shared library was
        loaded from the current site dir, the environment moves to a fresh
        physical copy (a new generation): a library cannot be loaded twice from
        one file.
        """
        env = self.get(name)
        with self._overlay.lock:
            self._aliases.flush()
            removed = list(env.modules)
            purged_modules = list(env.modules.values())
            hooks = _remove_import_hooks_defined_in(env.modules)
            env.modules.clear()
            env.reindex()
            if owners:
                for mod_name in [n for n in sys.modules if env.owns_name(n)]:
                    del sys.modules[mod_name]
                    removed.append(mod_name)
            resident = _mapped_libraries_under(env.dirty_site_dirs, purged_modules)
            old_site = env.site_dir
            for key in [k for k in sys.path_importer_cache if _is_under(k, old_site)]:
                del sys.path_importer_cache[key]
            if old_site in env.dirty_site_dirs:
                new_site = env.next_generation_dir()
                staging = env.home / f".staging-{new_site.name}"
                shutil.rmtree(staging, ignore_errors=True)
                copy_generation(old_site, staging)
                os.replace(staging, new_site)
                env.site_dir = new_site
                env.save_state()
            # Nothing iienv holds is loaded from older generations any more. POSIX
            # keeps mapped files alive after unlink; elsewhere the next manager
            # start removes what could not be deleted now.
            env.remove_stale_generations(staging=False)
            env.dirty_site_dirs.clear()
            env.warmed.clear()
            env.rescan()
            importlib.invalidate_caches()
        return PurgeResult(removed, resident, env.site_dir, hooks)

    # ---- internals ------------------------------------------------------
    def _register(self, env: Environment) -> None:
        hook = make_import(env, self._overlay, self._aliases, self._original_import)
        env.builtins = make_builtins(hook)
        self._envs[env.name] = env
        self._by_id[id(env)] = env

    def _check_owner_conflicts(self, name: str, owners: frozenset[str]) -> None:
        for other in self._envs.values():
            if other.name == name:
                continue
            for owner in owners:
                for theirs in other.owners:
                    if (
                        owner == theirs
                        or owner.startswith(theirs + ".")
                        or theirs.startswith(owner + ".")
                    ):
                        raise OwnerConflictError(
                            f"iienv: add-on package {owner!r} cannot use environment {name!r}: "
                            f"{theirs!r} already uses environment {other.name!r}. An add-on has "
                            f"one environment; remove it from {other.name!r} first"
                        )

    def _warm_global(self, env: Environment | None) -> None:
        """Warm the host's copies of packages an environment also provides (warmup.py)."""
        for name, warmer in WARMERS.items():
            if name in self._warmed_global or (env is not None and name not in env.top_names):
                continue
            module = sys.modules.get(name)
            if module is not None:
                self._warmed_global.add(name)
                warmer(module)

    def _warm_env(self, env: Environment) -> None:
        """Warm an environment's newly loaded packages while it is still laid out."""
        for name, warmer in WARMERS.items():
            if name in env.warmed or name not in env.top_names:
                continue
            module = sys.modules.get(name)
            if module is not None and module.__dict__.get(MARKER) is env:
                env.warmed.add(name)
                warmer(module)

    def _owner_env(self, module_name: str) -> Environment | None:
        for env in self._envs.values():
            if env.owners and env.owns_name(module_name):
                return env
        return None

    def _calling_env(self, frame: FrameType | None) -> Environment | None:
        active = self._overlay.active_env()
        if active is not None:
            return active
        return calling_env(frame, self._by_id)


def _remove_import_hooks_defined_in(modules: dict[str, ModuleType]) -> list[object]:
    """Take out of sys.meta_path / sys.path_hooks what classes of ``modules`` put there."""

    def defined_here(obj: object) -> bool:
        cls = obj if isinstance(obj, type) else type(obj)
        home = modules.get(getattr(cls, "__module__", "") or "")
        return home is not None and getattr(home, cls.__name__, None) is cls

    removed: list[object] = []
    for hook_list in (sys.meta_path, sys.path_hooks):
        for hook in [h for h in hook_list if defined_here(h)]:
            hook_list.remove(hook)  # type: ignore[arg-type]
            removed.append(hook)
    return removed


def _file_of(module: ModuleType) -> str:
    return getattr(module, "__file__", None) or ""


def _is_under(path: str, directory: Path) -> bool:
    if not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(directory)
    except (OSError, ValueError):
        return False


def _mapped_libraries_under(directories: set[Path], purged: list[ModuleType]) -> list[str]:
    """Shared libraries from ``directories`` that stay loaded in this process.

    Read from /proc/self/maps where there is one (it also shows libraries that
    extension modules pulled in, such as OpenBLAS); elsewhere the purged
    extension modules' files.
    """
    if not directories:
        return []
    prefixes = tuple(str(d) + os.sep for d in directories)
    found: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) == 6 and fields[5].rstrip("\n").startswith(prefixes):
                    found.add(fields[5].rstrip("\n"))
    except OSError:
        for module in purged:
            origin = getattr(module, "__file__", None) or ""
            if origin.startswith(prefixes) and is_shared_library(origin):
                found.add(origin)
    return sorted(found)
