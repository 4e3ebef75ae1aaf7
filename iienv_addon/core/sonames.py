"""Fresh sonames for a fresh copy, so a re-import after purge gets fresh libraries.

Python loads an extension module by its full path, so a purge's fresh copy
(``copy_generation``: every shared library a new file) gives the re-import new
extension modules. The libraries *they* need are found by name: glibc's loader
first compares each ``DT_NEEDED`` name with the sonames (and requested names)
of the objects already loaded, and hands back a match before it searches any
directory. The purged generation's bundled libraries stay mapped (nothing can
unload them safely), so without this the fresh copy binds to them again —
with their global state: pyarrow 17's re-import fails with ``ArrowKeyError: A
type extension with name arrow.py_extension_type already defined`` (its
extension-type registry lives in ``libarrow.so.1700``), h5py's fresh copy runs
the purged copy's ``libhdf5``.

So in the fresh copy every such library gets a new name of the *same length*:
its ``DT_SONAME``, the ``DT_NEEDED`` and version-requirement (``vn_file``)
entries naming it in every ELF file of the copy, and the file name the
``$ORIGIN`` run path search looks for. Same length, because the names live in
``.dynstr`` among symbol names: an edit in place moves no offset, and nothing
hashes these strings (the GNU hash tables hash symbol names only). The old
file name stays as a second link to the same file: code that loads it by path
(``ctypes``) gets the same object.

Only ELF (Linux) is edited. A Mach-O install name or a Windows DLL base name is
reported as reused (``PurgeResult.reused_libraries``) instead.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

from .environment import is_loadable_image
from .errors import SiteDirError

__iienv_machinery__ = True

# glibc's loader matches DT_NEEDED names against loaded sonames, and its files are
# ELF: names are edited there. Mach-O and PE are not edited (reported instead).
EDITS_NAMES = sys.platform.startswith("linux")

# Written into a site dir (``Record``): what was renamed, so the next fresh copy
# renames from the current names and drops the older links, and so the files can
# be checked against pip's RECORD.
RENAMES_FILE = ".iienv-sonames.json"

_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME = 0, 1, 5, 10, 14
_DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
_TAG_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"


class ElfNames:
    """The names an ELF shared object's dynamic section gives and asks for.

    ``versioned``: the libraries its symbol-version requirements name
    (``vn_file``). ``places`` maps each name to the file offsets of its bytes in
    ``.dynstr`` (references that share a string share an offset).
    """

    def __init__(self, path: Path, soname: str | None, needed: list[str]) -> None:
        self.path = path
        self.soname = soname
        self.needed = needed
        self.versioned: list[str] = []
        self.places: dict[str, set[int]] = {}


def read_names(path: Path) -> ElfNames | None:
    """The dynamic names of ``path``, or None if it is not a little-endian ELF with any."""
    try:
        with open(path, "rb") as handle:
            if handle.read(6)[:4] != b"\x7fELF":
                return None
            # mapped, not read: only the pages of the headers and names are touched
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if len(data) < 64 or data[5] != 1:
                    return None
                return _parse(path, data, data[4] == 2)
    except (OSError, ValueError, struct.error, IndexError):
        return None  # unreadable, truncated or unusual: left as it is


def _parse(path: Path, data: mmap.mmap, wide: bool) -> ElfNames | None:
    if wide:
        (phoff,) = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        phdr, dyn = "<IIQQQQQQ", "<qQ"
    else:
        (phoff,) = struct.unpack_from("<I", data, 0x1C)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
        phdr, dyn = "<IIIIIIII", "<iI"
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        fields = struct.unpack_from(phdr, data, phoff + i * phentsize)
        if wide:
            p_type, _, p_offset, p_vaddr, _, p_filesz = fields[:6]
        else:
            p_type, p_offset, p_vaddr, _, p_filesz = fields[:5]
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return None

    def offset_of(address: int) -> int:
        for vaddr, offset, size in loads:
            if vaddr <= address < vaddr + size:
                return address - vaddr + offset
        raise ValueError("address outside the file")

    entries: list[tuple[int, int]] = []
    step = struct.calcsize(dyn)
    for at in range(dynamic[0], dynamic[0] + dynamic[1], step):
        tag, value = struct.unpack_from(dyn, data, at)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    values = dict(entries)
    if _DT_STRTAB not in values:
        return None
    strtab = offset_of(values[_DT_STRTAB])
    limit = strtab + values.get(_DT_STRSZ, len(data) - strtab)

    def string_at(index: int) -> tuple[str, int]:
        start = strtab + index
        end = data.find(b"\0", start, limit)
        if end < 0:
            raise ValueError("a name runs past the string table")
        return data[start:end].decode("utf-8", "surrogateescape"), start

    names = ElfNames(path, None, [])
    places = names.places
    for tag, value in entries:
        if tag in (_DT_NEEDED, _DT_SONAME):
            name, start = string_at(value)
            places.setdefault(name, set()).add(start)
            if tag == _DT_NEEDED:
                names.needed.append(name)
            else:
                names.soname = name
    if _DT_VERNEED in values:
        at = offset_of(values[_DT_VERNEED])
        for _ in range(values.get(_DT_VERNEEDNUM, 0)):
            _, _, vn_file, _, vn_next = struct.unpack_from("<HHIII", data, at)
            name, start = string_at(vn_file)
            places.setdefault(name, set()).add(start)
            names.versioned.append(name)
            if not vn_next:
                break
            at += vn_next
    return names


def needed_names(site: Path) -> set[str]:
    """Every name some ELF file under ``site`` asks the loader for."""
    return _asked(_distinct_images(site)[0])


def _asked(images: list[ElfNames]) -> set[str]:
    return {name for names in images for name in names.needed}


def rename_reused(
    site: Path, loaded: set[str] | None, taken: set[str], in_place: bool = False
) -> dict[str, str]:
    """Give libraries of ``site`` fresh same-length sonames; {old name: new name}.

    A library of ``site`` goes by a new name if some ELF file of ``site`` asks
    for it by name (one loaded by path is a fresh file anyway) and, with
    ``loaded`` (the sonames and file names of libraries this process loaded
    from the environment's earlier generations), its soname is one of those.
    ``loaded=None``: every such library (a new install, an adopted directory).
    ``taken``: names in use (``names_in_use``), never handed out; the new ones
    are added. Edits files of ``site`` only: in place with ``in_place`` (a
    staging dir no process has loaded), else each replaced by a new file.

    One soname may sit in two folders (scipy.libs and numpy.libs both bundle
    ``libgfortran-040039e1-0352e75f.so.5.0.0``): each folder gets the new name,
    so whichever loads first serves both, as in a plain venv.
    """
    images, aliases = _distinct_images(site)
    askers = _asked(images)
    renames: dict[str, str] = {}
    holders: dict[str, dict[Path, Path]] = {}  # old name -> {folder: its file of that name}
    for names in images:
        library = names.path
        old = names.soname or library.name
        if (loaded is not None and old not in loaded) or old not in askers:
            continue
        if old not in renames:
            renames[old] = _fresh_name(old, taken | set(renames.values()), str(site))
        in_folder = holders.setdefault(old, {})
        if library.parent not in in_folder or library.name == old:
            in_folder[library.parent] = library
    if not renames:
        return {}
    for names in images:
        if any(old in names.places for old in renames):
            places = names.places
            others = aliases.get(names.path, [])
            writes = {at: renames[old] for old in renames for at in places.get(old, ())}
            if not _edit(names.path, writes, links=1 + len(others) if in_place else 0):
                for other in others:  # a new file: its other names in the site follow it
                    other.unlink()
                    os.link(names.path, other)
    record = Record.read(site)
    for old, new in renames.items():
        record.sonames[new] = record.sonames.pop(old, old)
        for folder, library in holders[old].items():
            target = folder / new
            if not target.exists():
                os.link(library, target)
            rel = _relative(site, folder / old)
            original = record.files.pop(rel, None) or _relative(site, library)
            record.files[_relative(site, target)] = original
            if rel != original:  # a name an earlier fresh copy made: drop it
                (folder / old).unlink(missing_ok=True)
            first = site / original
            if first != target:  # the wheel's name: the same file, for loads by path
                first.unlink(missing_ok=True)
                os.link(target, first)
    record.write(site)
    taken.update(renames.values())
    return renames


def _distinct_images(site: Path) -> tuple[list[ElfNames], dict[Path, list[Path]]]:
    """The ELF files of ``site``, one path per file, and the other names of each."""
    first: dict[tuple[int, int], Path] = {}
    aliases: dict[Path, list[Path]] = {}
    images: list[ElfNames] = []
    for path in _images(site):
        status = path.stat()
        key = (status.st_dev, status.st_ino)
        if key in first:
            aliases.setdefault(first[key], []).append(path)
            continue
        first[key] = path
        names = read_names(path)
        if names is not None:
            images.append(names)
    return images, aliases


def _relative(site: Path, path: Path) -> str:
    return path.relative_to(site).as_posix()


def own_library_names(name: str, site: Path, root: Path) -> dict[str, str]:
    """Give the bundled libraries of a directory an environment adopts names of their own.

    In place: the directory is the environment's from now on (``Manager.create``
    with ``site_dir``). A directory iienv cannot write gets a clear error.
    """
    if not EDITS_NAMES:
        return {}
    try:
        return rename_reused(site, None, names_in_use(root))
    except OSError as exc:
        raise SiteDirError(
            f"iienv: cannot adopt {str(site)!r} for environment {name!r}: its bundled shared "
            f"libraries need names of their own, so that no other environment's copy is used "
            f"for them, and renaming failed ({exc.strerror or exc}); adopt a copy you can write"
        ) from None


def names_in_use(root: Path) -> set[str]:
    """Sonames iienv gave in the environments under ``root`` and libraries mapped here.

    Two environments never get one name: one would bind to the other's library.
    """
    taken: set[str] = set()
    for path in root.glob(f"*/*/{RENAMES_FILE}"):
        taken.update(Record.read(path.parent).sonames)
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            taken.update(line.rsplit("/", 1)[-1].rstrip("\n") for line in maps if "/" in line)
    except OSError:
        pass
    return taken


class Record:
    """What iienv renamed in a site dir (``RENAMES_FILE``), back to the wheel's names.

    ``files``: {new file: the wheel's file}, relative to the site dir (the
    wheel's file is the same file under its own name). ``sonames``: {the name a
    library goes by now: its soname in the wheel}. Enough to read any edited
    file as the wheel had it (its names put back), which is what pip's
    ``RECORD`` hashes.
    """

    def __init__(self, files: dict[str, str], sonames: dict[str, str]) -> None:
        self.files = files
        self.sonames = sonames

    @classmethod
    def read(cls, site: Path) -> Record:
        try:
            data = json.loads((site / RENAMES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls({}, {})
        if not isinstance(data, dict):
            return cls({}, {})
        files, names = data.get("files"), data.get("sonames")
        return cls(
            dict(files) if isinstance(files, dict) else {},
            dict(names) if isinstance(names, dict) else {},
        )

    def as_in_wheel(self, path: Path) -> bytes:
        """The bytes of ``path`` with every name iienv gave put back (what RECORD hashes)."""
        data = bytearray(path.read_bytes())
        names = read_names(path) if self.sonames else None
        for name, places in names.places.items() if names else ():
            wheel_name = self.sonames.get(name)
            if wheel_name is not None and len(wheel_name) == len(name):
                for start in places:
                    data[start : start + len(name)] = wheel_name.encode("utf-8", "surrogateescape")
        return bytes(data)

    def write(self, site: Path) -> None:
        # a new file: the copy's pure files are hard links into the generation it came from
        data = {"files": self.files, "sonames": self.sonames}
        tmp = site / (RENAMES_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, site / RENAMES_FILE)


def _images(site: Path) -> Iterable[Path]:
    for folder, _dirs, files in os.walk(site):
        for name in files:
            path = os.path.join(folder, name)
            if is_loadable_image(path) and not os.path.islink(path):
                yield Path(path)


def _fresh_name(old: str, taken: set[str], salt: str) -> str:
    """``old`` with a few characters changed: same length, not in ``taken``.

    auditwheel's names carry an 8-digit hash (``libhdf5-a6e30693.so.310.4.0``):
    that is what changes. Otherwise the first three characters (``lib``) do:
    a change at the very start cannot touch another string that shares the
    name's tail in ``.dynstr``.
    """
    stem, dot, rest = old.partition(".so")
    head, dash, digest = stem.rpartition("-")
    hashed = bool(dash) and len(digest) == 8 and all(c in "0123456789abcdef" for c in digest)
    for attempt in range(1000):
        seed = hashlib.sha256(f"{salt}\0{old}\0{attempt}".encode()).digest()
        if hashed:
            candidate = f"{head}-{seed.hex()[:8]}{dot}{rest}"
        else:
            width = min(3, len(old) - 1)
            tag = "".join(_TAG_CHARS[b % len(_TAG_CHARS)] for b in seed[:width])
            candidate = tag + old[width:]
        if candidate != old and candidate not in taken and "/" not in candidate:
            return candidate
    raise RuntimeError(f"no fresh name for {old!r}")  # 1000 collisions: not reachable


def _edit(path: Path, writes: dict[int, str], links: int = 0) -> bool:
    """Overwrite the strings at the given offsets (same lengths); True if done in place.

    In place (``links``: the file's names in a staging dir, which no process has
    loaded) only if it has no other name: a purge's fresh copy and pip's staging
    hold files of their own, but a hard link into a cache (uv links from its
    cache by default) or another generation must never change. Otherwise, and
    in an adopted directory (another process may have the library mapped, and
    the loader reads its soname from the mapping), a new file.
    """
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        checks = {}
        for start, text in writes.items():
            handle.seek(start)
            checks[start] = handle.read(len(text.encode("utf-8", "surrogateescape")) + 1)
    for start in writes:
        if not checks[start].endswith(b"\0") or b"\0" in checks[start][:-1]:
            raise ValueError(f"{path}: a name of another length at {start}")
    if status.st_nlink <= links:
        with open(path, "r+b") as handle:
            for start, text in writes.items():
                os.pwrite(handle.fileno(), text.encode("utf-8", "surrogateescape"), start)
        return True
    data = bytearray(path.read_bytes())
    for start, text in writes.items():
        encoded = text.encode("utf-8", "surrogateescape")
        data[start : start + len(encoded)] = encoded
    tmp = path.with_name(path.name + ".iienv-tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, status.st_mode & 0o7777)
    os.replace(tmp, path)
    return False
