"""One environment: its files on disk and the modules it has loaded.

An environment keeps its own module table under the modules' real names (never
renamed: compiled code imports by literal name, see DESIGN.md) and a site
directory, which is one *generation* directory under the environment's home.
Shared libraries can never be unloaded, so loading an environment again after a
purge needs a fresh physical copy of the site directory: a new generation.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import DamagedStateError
from .sharing import remove_tree, replace, tree_bytes
from .workers import PRIVATE_STDLIB

__iienv_machinery__ = True  # caller.py looks through iienv's frames

STATE_FILE = "state.json"
GENERATION_PREFIX = "gen-"

# Generation dirs (of any environment, removed ones included) that this process
# loaded a shared library from. dlopen() hands back the library already loaded
# for a path, whatever file is there now, so a generation made later at the
# same path (an environment removed and created again under its name) would
# run the old library: numpy 2 then refuses with "cannot load module more than
# once per process". Such paths are never used again in this process.
LOADED_LIBRARY_DIRS: set[Path] = set()
STAGING_PREFIX = ".st-"  # (short: see path_limits.py)
_OLD_STAGING_PREFIX = ".staging-"  # what iienv before 0.x named them; still cleared

# Names a site dir may hold that a venv would never let shadow the interpreter.
_NEVER_SHADOW = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
_METADATA_SUFFIXES = (".dist-info", ".egg-info", ".data")
_SHARED_LIBRARY_SUFFIXES = (*EXTENSION_SUFFIXES, ".so", ".dylib", ".dll", ".pyd")


@functools.lru_cache(maxsize=64)
def _tree_bytes_of(path: str, mtime_ns: int) -> int:
    return tree_bytes(Path(path))


def scan_top_names(site_dir: Path) -> frozenset[str]:
    """Top-level importable names a site directory provides.

    Like a venv, the standard library wins over a same-named distribution
    (e.g. a ``dataclasses`` backport), so those names are left out.
    """
    names: set[str] = set()
    try:
        entries = list(os.scandir(site_dir))
    except FileNotFoundError:
        return frozenset()
    for entry in entries:
        name = entry.name
        if entry.is_dir():
            if name.endswith(_METADATA_SUFFIXES) or name == "__pycache__":
                continue
            if name.isidentifier():
                names.add(name)
        elif name.endswith(".py"):
            stem = name[:-3]
            if stem.isidentifier():
                names.add(stem)
        else:
            for suffix in EXTENSION_SUFFIXES:
                if name.endswith(suffix):
                    stem = name[: -len(suffix)]
                    if stem.isidentifier():
                        names.add(stem)
                    break
    return frozenset(names - _NEVER_SHADOW)


def is_shared_library(path: str) -> bool:
    """True for files the dynamic loader maps (``x.so``, ``libfoo.so.5.0``, ``x.pyd``)."""
    base = os.path.basename(path)
    return base.endswith(_SHARED_LIBRARY_SUFFIXES) or ".so." in base


# First bytes of files the dynamic loader maps: ELF, Mach-O (32/64-bit, both byte
# orders), universal ("fat") Mach-O, and PE (MZ).
_IMAGE_MAGICS = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe", b"MZ",
)  # fmt: skip
# Suffixes of files that are never a loadable image: not opened to check.
_NOT_IMAGE_SUFFIXES = frozenset(
    {".py", ".pyi", ".pyc", ".pyx", ".pxd", ".txt", ".md", ".rst", ".json", ".toml", ".cfg",
     ".ini", ".typed", ".h", ".hpp", ".c", ".cpp", ".csv", ".html", ".css", ".js", ".svg",
     ".png", ".jpg", ".xml", ".yaml", ".yml", ".pem", ".npy", ".npz", ".mo", ".po"}
)  # fmt: skip


def is_loadable_image(path: str) -> bool:
    """True for a shared library by name, or a file without such a name that is one by
    content: macOS framework binaries (``Qt.framework/Versions/A/Qt``) and helper
    executables have no suffix at all."""
    if is_shared_library(path):
        return True
    if os.path.splitext(path)[1].lower() in _NOT_IMAGE_SUFFIXES:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head.startswith(_IMAGE_MAGICS)


def is_under(path: str, directory: Path) -> bool:
    """True if ``path`` (resolved) lies inside ``directory``."""
    if not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(directory)
    except (OSError, ValueError):
        return False


def unused_generation_dir(home: Path, number: int = 1) -> Path:
    """``home/gen-<number>``, or the first after it that does not exist and never held a
    library this process loaded (an uninstall may have left such a directory behind)."""
    candidate = home / f"{GENERATION_PREFIX}{number}"
    while candidate in LOADED_LIBRARY_DIRS or os.path.lexists(candidate):
        number += 1
        candidate = home / f"{GENERATION_PREFIX}{number}"
    return candidate


# Put into the namespace of every module a purge takes away: code of the purged
# generation that still runs (finalizers during the purge's own collection,
# threads, objects kept from before) must not load modules into the next one.
PURGED_MARK = "__iienv_purged__"


def copy_generation(source: Path, target: Path) -> None:
    """Copy a site dir so that every shared library is a new physical file.

    The dynamic loader matches an already-loaded library by device and inode, so
    a symlink or hard link to a loaded ``.so`` would hand back the old, purged
    library (numpy segfaults). Pure files are hard-linked where possible: fast,
    and safe because the loader never sees them. Libraries are recognised by
    content too (``is_loadable_image``): a macOS framework binary has no suffix.
    Two names of one library in ``source`` (a renamed library keeps the wheel's
    name as a second link: sonames.py) stay two names of one new file.
    """
    copied: dict[tuple[int, int], str] = {}

    def copy(src: str, dst: str) -> Any:
        if not is_loadable_image(src):
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
            return shutil.copy2(src, dst)
        status = os.stat(src)
        first = copied.get((status.st_dev, status.st_ino)) if status.st_nlink > 1 else None
        if first is not None:
            try:
                os.link(first, dst)
                return dst
            except OSError:
                pass
        copied[(status.st_dev, status.st_ino)] = dst
        return shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=False, copy_function=copy)


def _is_module_name(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def generation_number(path: Path) -> int:
    name = path.name
    if name.startswith(GENERATION_PREFIX) and name[len(GENERATION_PREFIX) :].isdigit():
        return int(name[len(GENERATION_PREFIX) :])
    return 0


@dataclass(frozen=True)
class BrokenEnvironment:
    """An environment whose state on disk is damaged: listed with the reason, never used.

    ``owners`` is what the state file said, if that much could be read, and
    the directory's name (an add-on's environment is named after it): their
    imports fail with the reason instead of falling back to the host's modules.
    """

    name: str
    home: Path
    reason: str
    owners: frozenset[str]

    @classmethod
    def from_error(cls, home: Path, reason: str) -> BrokenEnvironment:
        owners: set[str] = set()
        try:
            data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
            listed = data.get("owners") if isinstance(data, dict) else None
            if isinstance(listed, list):
                owners = {o for o in listed if isinstance(o, str) and _is_module_name(o)}
        except (OSError, ValueError):
            pass
        if _is_module_name(home.name):
            owners.add(home.name)
        return cls(home.name, home, reason, frozenset(owners))

    def owns_name(self, module_name: str) -> bool:
        return any(module_name == o or module_name.startswith(o + ".") for o in self.owners)


class Environment:
    """A named dependency environment and the modules it has loaded.

    ``modules`` is the environment's module table; it is the same dict object
    for the environment's whole life because the import hook closes over it.
    """

    def __init__(self, name: str, home: Path, owners: frozenset[str], site_dir: Path) -> None:
        self.name = name
        self.home = home
        self.owners = owners
        self.site_dir = site_dir
        self.modules: dict[str, ModuleType] = {}
        # What a plain ``import a.b`` returns (the top-level package), by name:
        # the import hook's fast path is one lookup here. Rebuilt by reindex().
        self.plain_imports: dict[str, ModuleType] = {}
        # (with the standard library's packages it gets its own instance of: workers.py)
        self.top_names: frozenset[str] = scan_top_names(site_dir) | PRIVATE_STDLIB
        # Top-level names outside the site dir's own that the environment's
        # compiled code registered while loading (scipy's ``_csparsetools``,
        # Cython's shared ``_cython_3_x_y``): laid out and collected with it.
        self.extra_tops: frozenset[str] = frozenset()
        # pybind11's module cache entries and internals of this environment
        # (state_dicts.py).
        self.module_cache: dict[str, Any] = {}
        self.state_entries: dict[str, Any] = {}
        # pybind11 2.x internals on Python < 3.12 are kept in the builtins dict.
        self.builtin_entries: dict[str, Any] = {}
        # sys.path entries and sys attributes its packages left while loading
        # (sys_state.py), put back while it is laid out.
        self.sys_path: list[str] = []
        self.sys_attributes: dict[str, Any] = {}
        # Library search entries its packages added to the process (search_paths.py):
        # (variable, entry, whether the variable was created), DLL directory handles.
        self.search_entries: list[tuple[str, str, bool]] = []
        self.dll_directories: list[Any] = []
        # The generation this process holds a "use" lease on (locks.py), if any.
        self.in_use: Path | None = None
        # Filled in by the manager: the builtins dict whose __import__ is this
        # environment's hook, given to every module the environment loads.
        self.builtins: dict[str, Any] = {}
        # Site dirs from which a shared library was loaded into this process.
        self.dirty_site_dirs: set[Path] = set()
        # Packages whose lazy imports were warmed in this environment (warmup.py).
        self.warmed: set[str] = set()
        self.removed = False
        # What the current generation was installed from (requirements, wheels,
        # find_links, no_index, lock_file), so "Update" can run it again.
        self.request: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"<iienv.Environment {self.name!r} owners={sorted(self.owners)} "
            f"site_dir={str(self.site_dir)!r} modules={len(self.modules)}>"
        )

    def reindex(self) -> None:
        """Rebuild ``plain_imports`` after the module table changed (same dict object)."""
        table = self.modules
        fresh = {}
        for name in table:
            top = table.get(name.partition(".")[0])
            if top is not None:
                fresh[name] = top
        plain = self.plain_imports
        for name in [n for n in plain if n not in fresh]:
            del plain[name]
        plain.update(fresh)

    # ---- ownership -----------------------------------------------------
    def owns_name(self, module_name: str) -> bool:
        """True if ``module_name`` is one of the owners' packages or inside one."""
        for owner in self.owners:
            if module_name == owner or module_name.startswith(owner + "."):
                return True
        return False

    def provides(self, module_name: str) -> bool:
        """True if ``module_name`` resolves to this environment's site dir."""
        top = module_name.partition(".")[0]
        return top in self.top_names and top not in PRIVATE_STDLIB

    # ---- disk ----------------------------------------------------------
    def rescan(self) -> None:
        self.top_names = scan_top_names(self.site_dir) | PRIVATE_STDLIB

    def generations(self) -> list[Path]:
        if not self.home.is_dir():
            return []
        gens = [p for p in self.home.iterdir() if generation_number(p) > 0 and p.is_dir()]
        return sorted(gens, key=generation_number)

    def next_generation_dir(self) -> Path:
        numbers = [generation_number(p) for p in self.generations()]
        numbers.append(generation_number(self.site_dir))
        return unused_generation_dir(self.home, max(numbers) + 1)

    def state(self) -> dict[str, Any]:
        site: str
        try:
            site = str(self.site_dir.relative_to(self.home))
        except ValueError:
            site = str(self.site_dir)
        state: dict[str, Any] = {
            "format": 1,
            "name": self.name,
            "owners": sorted(self.owners),
            "site_dir": site,
            "request": self.request,
        }
        if self.site_dir.parent != self.home:
            state["adopted"] = True  # a directory of installed packages used in place
        return state

    def save_state(self) -> None:
        """Write the state file atomically: a killed process leaves the old or the new one."""
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.home / f"{STATE_FILE}.tmp-{os.getpid()}"
        try:
            tmp.write_text(json.dumps(self.state(), indent=2) + "\n", encoding="utf-8")
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        # (retried while another Blender reads it: Windows refuses the replacement then)
        replace(tmp, self.home / STATE_FILE, f"the state of environment {self.name!r}")

    @classmethod
    def load(cls, home: Path) -> Environment:
        """Read ``home/state.json``, checking every field (DamagedStateError says which).

        A damaged file is never guessed at: a ``site_dir`` naming anything but
        an existing generation of this environment (``/etc``, another
        environment's generation, a missing ``gen-9``) would make the start-up
        clean-up delete the real generation.
        """
        name = home.name
        path = home / STATE_FILE

        def damaged(reason: str) -> DamagedStateError:
            return DamagedStateError(name, f"{path}: {reason}")

        try:
            raw = path.read_bytes()
        except IsADirectoryError:
            raise damaged("it is a directory, not a file") from None
        except OSError as exc:
            raise damaged(f"cannot be read ({exc.strerror or exc})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise damaged("not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise damaged(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise damaged(f"expected a JSON object, found {type(data).__name__}")
        for key, kind in (("name", str), ("owners", list), ("site_dir", str)):
            if key not in data:
                raise damaged(f"the field {key!r} is missing")
            if not isinstance(data[key], kind):
                raise damaged(f"{key!r} must be a {kind.__name__}, found {data[key]!r}")
        if data.get("format", 1) != 1:
            raise damaged(f"format {data.get('format')!r} is newer than this iienv")
        if data["name"] != name:
            raise damaged(f"it names {data['name']!r}, but lies in the directory {name!r}")
        owners = data["owners"]
        for owner in owners:
            if not isinstance(owner, str) or not _is_module_name(owner):
                raise damaged(f"owner {owner!r} is not an add-on module name")
        request = data.get("request") or {}
        if not isinstance(request, dict):
            raise damaged(f"'request' must be an object, found {request!r}")
        site = Path(data["site_dir"])
        if data.get("adopted") is True and site.is_absolute():
            if not site.is_dir():
                raise damaged(f"its adopted site dir {str(site)!r} does not exist")
        else:
            if site.is_absolute() or len(site.parts) != 1 or generation_number(site) == 0:
                raise damaged(
                    f"site_dir {data['site_dir']!r} is not a generation (gen-N) of this environment"
                )
            site = home / site
            if not site.is_dir():
                raise damaged(f"its current generation {site.name} is missing")
        env = cls(name, home, frozenset(owners), site)
        env.request = dict(request)
        return env

    def remove_stale_generations(
        self, staging: bool = True, in_use: Callable[[str], bool] | None = None
    ) -> list[Path]:
        """Delete generation dirs nobody uses (and staging dirs, at start-up).

        Kept: the current generation (a purge first adopts the one another
        process switched ``state.json`` to) and every generation ``in_use`` says
        another process holds a lease on. A purge passes ``staging=False``: an
        install may be writing into one. The caller holds the environment lock.
        """
        removed: list[Path] = []
        if not self.home.is_dir():
            return removed
        for path in self.home.iterdir():
            stale_gen = generation_number(path) > 0 and path != self.site_dir
            is_staging = staging and path.name.startswith((STAGING_PREFIX, _OLD_STAGING_PREFIX))
            if not (stale_gen or is_staging) or not path.is_dir():
                continue
            if stale_gen and in_use is not None and in_use(path.name):
                continue
            if remove_tree(path, delays=()):
                removed.append(path)
        return removed

    def leftover_bytes(self) -> int:
        """Bytes under ``home`` outside the current generation: old generations a
        loaded library kept from being deleted (Windows), deleted at the next start."""
        total = 0
        if not self.home.is_dir():
            return 0
        for path in self.home.iterdir():
            if generation_number(path) > 0 and path != self.site_dir and path.is_dir():
                # (read at every Preferences redraw: walked again only when it changed)
                total += _tree_bytes_of(str(path), path.stat().st_mtime_ns)
        return total
