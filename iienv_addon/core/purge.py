"""Purge: forget every module an environment loaded, so the next import loads afresh.

Shared libraries can never be unloaded, and numpy 2 refuses to initialise twice
from one file, so an environment whose current generation had a shared library
loaded moves to a fresh physical copy (a new generation directory) before it
can load again; on Linux the copy's bundled libraries get fresh sonames, so the
re-import loads them fresh too (sonames.py). What a purge cannot take back
(libraries mapped in the process) is reported, not hidden.

Packages also leave things in interpreter-wide places while they load: six
puts an importer on ``sys.meta_path``. Entries whose class lives in the purged
environment are taken out with it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from . import search_paths, sonames
from .environment import (
    LOADED_LIBRARY_DIRS,
    PURGED_MARK,
    STAGING_PREFIX,
    Environment,
    copy_generation,
    is_shared_library,
)
from .errors import DamagedStateError, SiteDirError
from .exclusive import forget_thread_state
from .registries import clear_registries, survivors
from .sharing import describe, remove_tree, rename

__iienv_machinery__ = True


class PurgeResult(list[str]):
    """Names of the modules a purge removed (a list), plus what stays in memory.

    ``resident_libraries`` are shared libraries that were loaded from the purged
    generation: no process can unload them, so they stay mapped until Blender
    exits. ``reused_libraries`` names those of them (with why) that the
    re-import will use again, global state and all, instead of the fresh
    copy's. ``site_dir`` is where the environment loads from next.
    ``hooks_removed`` names the entries the environment's packages had added to
    ``sys.meta_path`` or ``sys.path_hooks`` (six does), taken out with them: by
    name only, since the objects would keep the purged namespace alive for as
    long as the caller keeps the result.
    """

    def __init__(
        self,
        names: Iterable[str],
        resident_libraries: list[str],
        site_dir: Path,
        hooks_removed: list[str],
        registries_cleared: list[str] | None = None,
        survivors: list[tuple[str, str]] | None = None,
        search_paths_removed: list[str] | None = None,
        reused_libraries: list[tuple[str, str]] | None = None,
        fresh_names: dict[str, str] | None = None,
    ) -> None:
        super().__init__(sorted(names))
        self.resident_libraries = resident_libraries
        self.site_dir = site_dir
        self.hooks_removed = hooks_removed
        # entries taken out of copyreg, logging, sys.excepthook ... (registries.py)
        self.registries_cleared = registries_cleared or []
        # (module, what holds it) for purged modules still alive after a collection
        self.survivors = survivors or []
        # library search entries its packages had added ("LD_LIBRARY_PATH=...",
        # "dll directory ..."), taken out (search_paths.py)
        self.search_paths_removed = search_paths_removed or []
        # (library, why) of the resident ones that a re-import binds to again
        # instead of the fresh copy's: see _reused_on_reimport
        self.reused_libraries = reused_libraries or []
        # {soname: new soname} of bundled libraries the fresh copy renamed so
        # that the re-import loads them fresh (Linux; sonames.py)
        self.fresh_names = fresh_names or {}


def _names_a_path_in(key: object, roots: tuple[str, ...]) -> bool:
    """A ``sys.path_importer_cache`` key inside a directory (spelled ``roots``), by its text.

    The keys iienv's finders make are the site dir's own path plus a
    subdirectory: comparing text (also against the directory's real path)
    avoids resolving every key of the cache on every purge, which cost more
    than the rest of a small environment's purge.
    """
    if not isinstance(key, str) or not key:
        return False
    for root in roots:
        if key == root or key.startswith(root + os.sep):
            return True
    return False


def purge_environment(
    env: Environment,
    owners: bool = True,
    in_use: Callable[[str], bool] | None = None,
    report: bool = True,
    fresh_copy: bool = True,
) -> PurgeResult:
    """Forget ``env``'s modules (and its owners' with ``owners``); see the module docstring.

    The caller holds the overlay lock (no activation is laid out meanwhile)
    and the environment lock (no other process changes its files). If another
    process switched the environment to a newer generation, the next import
    loads that one. ``in_use(generation)``: another process leases it.
    ``report``: find the modules still alive afterwards (a collection and a
    scan of the heap; skipped when iienv is disabled as a whole).
    ``fresh_copy``: prepare a fresh generation if a shared library was loaded
    (not when the environment is about to be removed).
    """
    removed = list(env.modules)
    purged_modules = list(env.modules.values())
    _mark_purged(purged_modules, env.name)
    forget_thread_state([*removed, *{name.partition(".")[0] for name in removed}])
    hooks = _remove_import_hooks_defined_in(env.modules)
    cleared = clear_registries(env.modules, [env.home, env.site_dir])
    watched = {name: weakref.ref(module) for name, module in env.modules.items()}
    env.modules.clear()
    env.reindex()
    if owners:
        for mod_name in [n for n in sys.modules if env.owns_name(n)]:
            del sys.modules[mod_name]  # (the add-on's own code may import afresh: not marked)
            removed.append(mod_name)
    resident = _mapped_libraries_under(env.dirty_site_dirs | {env.site_dir}, purged_modules)
    current = str(env.site_dir) + os.sep
    if env.site_dir not in env.dirty_site_dirs and any(r.startswith(current) for r in resident):
        # Loaded without an extension module (ctypes.CDLL, llvmlite): the environment
        # holds native code all the same, and a re-import from the same files would
        # silently reuse the mapped library and its state: a fresh copy, as for any.
        env.dirty_site_dirs.add(env.site_dir)
        LOADED_LIBRARY_DIRS.add(env.site_dir)
    old_site = env.site_dir
    fresh_names: dict[str, str] = {}
    roots = (str(old_site), os.path.realpath(old_site))
    for key in [k for k in sys.path_importer_cache if _names_a_path_in(k, roots)]:
        del sys.path_importer_cache[key]
    try:
        on_disk = Environment.load(env.home)
    except DamagedStateError:
        on_disk = None
    if on_disk is not None and on_disk.site_dir != old_site and on_disk.site_dir.is_dir():
        # "updated by another Blender": take its generation (fresh for this process)
        env.site_dir, env.request = on_disk.site_dir, on_disk.request
    elif fresh_copy and old_site in env.dirty_site_dirs and old_site.is_dir():
        fresh_names = fresh_generation(env, resident, "purged")
    # Nothing iienv holds is loaded from older generations any more. POSIX
    # keeps mapped files alive after unlink; elsewhere the next manager
    # start removes what could not be deleted now.
    if fresh_copy and env.home.is_dir():
        env.remove_stale_generations(staging=False, in_use=in_use)
    env.dirty_site_dirs.clear()
    env.warmed.clear()
    env.extra_tops = frozenset()
    env.module_cache.clear()
    env.state_entries.clear()
    env.builtin_entries.clear()
    env.sys_path = []
    env.sys_attributes = {}
    search_removed = search_paths.forget(env)
    reused = _reused_on_reimport(resident, purged_modules, env.site_dir)
    env.rescan()
    importlib.invalidate_caches()
    del purged_modules
    alive = survivors(watched) if report else []
    return PurgeResult(
        removed, resident, env.site_dir, hooks, cleared, alive, search_removed, reused, fresh_names
    )


def fresh_generation(env: Environment, resident: list[str], done: str) -> dict[str, str]:
    """Move ``env`` to a fresh physical copy of its site dir (a new generation).

    For a site dir this process loaded shared libraries from: they can never be
    loaded again from the same files. ``resident``: those libraries (their names
    get new ones in the copy: sonames.py). ``done``: what happened to ``env``,
    for the errors ("purged"). Returns the renames. On failure the environment
    and its files are as they were (SiteDirError says what to do).
    """
    old_site = env.site_dir
    new_site = env.next_generation_dir()
    staging = env.home / f"{STAGING_PREFIX}{new_site.name}"
    remove_tree(staging)
    fresh_names: dict[str, str] = {}
    try:
        copy_generation(old_site, staging)
        if sonames.EDITS_NAMES:
            loaded, taken = _names_of(resident), sonames.names_in_use(env.home.parent)
            fresh_names = sonames.rename_reused(staging, loaded, taken, in_place=True)
        rename(staging, new_site, f"the fresh copy of {env.name!r}")
    except (OSError, shutil.Error) as exc:
        remove_tree(staging)
        raise SiteDirError(
            f"iienv: {done} {env.name!r}, but could not prepare the fresh copy of its "
            f"packages it needs to load again ({_first_error(exc)}); free disk space and "
            f"purge it again. Its files are as they were."
        ) from None
    env.site_dir = new_site
    try:
        env.save_state()
    except OSError as exc:  # (FileHeldError: another program kept state.json, retried)
        env.site_dir = old_site
        remove_tree(new_site)
        raise SiteDirError(
            f"iienv: {done} {env.name!r}, but could not record the fresh copy of its "
            f"packages ({describe(exc)}); purge it again. Its files are as they were."
        ) from None
    return fresh_names


def resident_in(site: Path) -> list[str]:
    """Shared libraries this process has mapped from ``site``."""
    return _mapped_libraries_under({site}, [])


def _mark_purged(modules: list[ModuleType], env_name: str) -> None:
    """Mark the namespaces: their code imports nothing into the environment any more.

    Only the environment's packages: a purged generation's code loading modules
    of the next generation would mix the two (new modules, old types). The
    add-on's own modules are not marked — its code may go on and import the
    fresh environment, as it does after ``purge(owners=False)``.
    (A function, so that no local of the purge keeps the last module alive.)
    """
    for module in modules:
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            namespace[PURGED_MARK] = env_name


def _first_error(exc: BaseException) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        return str(exc.args[0][0][2])  # copytree collects (src, dst, why) triples
    return describe(exc)


def _remove_import_hooks_defined_in(modules: dict[str, ModuleType]) -> list[str]:
    """Take out of sys.meta_path / sys.path_hooks what classes of ``modules`` put there."""

    def defined_here(obj: object) -> bool:
        cls = obj if isinstance(obj, type) else type(obj)
        home = modules.get(getattr(cls, "__module__", "") or "")
        return home is not None and getattr(home, cls.__name__, None) is cls

    removed: list[str] = []
    for hook_list in (sys.meta_path, sys.path_hooks):
        for hook in [h for h in hook_list if defined_here(h)]:
            hook_list.remove(hook)  # type: ignore[arg-type]
            cls = hook if isinstance(hook, type) else type(hook)
            removed.append(f"{cls.__module__}.{cls.__qualname__}")
    return removed


def _file_of(module: ModuleType) -> str:
    return getattr(module, "__file__", None) or ""


def _reused_on_reimport(
    resident: list[str], purged: list[ModuleType], site: Path
) -> list[tuple[str, str]]:
    """Resident libraries the re-import from ``site`` will bind to again.

    Python loads an extension module by its full path, so the fresh copy's
    modules are new. The libraries *they* need (auditwheel's ``<pkg>.libs``,
    delocate's ``.dylibs``, delvewheel's ``.libs``) are found by name: the
    dynamic loader hands back an already-loaded library of the same soname
    (macOS: install name; Windows: base name). On Linux a fresh copy gives them
    new names (sonames.py), so this names only what still matches: a generation
    another process installed, or a copy that could not be renamed. Elsewhere
    it names every resident library that is not an extension module.
    """
    why = (
        "loaded by name by the package's extension modules: the re-import binds the "
        "fresh copy's modules to this library again, with its global state"
    )
    if sonames.EDITS_NAMES:
        asked = sonames.needed_names(site) if site.is_dir() else set()
        return [(library, why) for library in resident if _names_of([library]) & asked]
    extensions = {_file_of(module) for module in purged}
    return [(library, why) for library in resident if library not in extensions]


def _names_of(libraries: list[str]) -> set[str]:
    """The names the loader matches ``libraries`` by: soname and file name."""
    names: set[str] = set()
    for library in libraries:
        names.add(os.path.basename(library))
        elf = sonames.read_names(Path(library))
        if elf is not None and elf.soname:
            names.add(elf.soname)
    return names


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
                path = fields[5].rstrip("\n") if len(fields) == 6 else ""
                if path.startswith(prefixes) and is_shared_library(path):
                    found.add(path)
    except OSError:
        for module in purged:
            origin = _file_of(module)
            if origin.startswith(prefixes) and is_shared_library(origin):
                found.add(origin)
    return sorted(found)
