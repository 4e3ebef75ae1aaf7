"""The longest path an install will write, checked against the platform's limit before pip runs.

Windows refuses paths of 260 characters or more unless long paths are enabled
(``LongPathsEnabled`` in the registry, Windows 10 1607+, and an application
that opts in, which Python does). The profile root under ``%APPDATA%`` is
already ~120 characters; an extension's environment name, ``gen-N`` and a
staging dir, and the longest member of a wheel (lxml 274, scikit-learn 298 in
all) pass the limit, and pip then fails half-way with an ``OSError`` whose
hint few users understand. The check here runs first, on every OS (the limit
is what the platform reports: 260 on Windows without long paths,
``PC_PATH_MAX`` elsewhere), for every wheel known before pip resolves: the
wheels given, and the candidates in ``find_links`` folders for the requested
names. What pip downloads from an index is checked by pip itself, and its
failure is recognised (pip_errors.py) with the same advice.

pip ``--target`` also unpacks into a temporary ``pip-target-*/lib/python``
folder first: that path counts too.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from .errors import InstallError
from .requirements import CheckedRequest, canonicalize_name, wheel_fits, wheel_name_and_version

__iienv_machinery__ = True

WINDOWS_MAX_PATH = 260  # MAX_PATH, counting the terminating NUL
# pip --target's temporary tree: <tmp>/pip-target-<8 random>/lib/python/<member>
PIP_TARGET_TEMP = os.path.join("pip-target-xxxxxxxx", "lib", "python")
LONG_PATHS_ADVICE = (
    "enable long paths in Windows (set LongPathsEnabled to 1: "
    "https://learn.microsoft.com/windows/win32/fileio/maximum-file-path-limitation, then "
    "restart Blender), or keep the environments in a shorter folder: set the environment "
    "variable IIENV_ENVIRONMENTS to a short path such as C:\\iienv before starting Blender"
)


def path_limit(directory: Path) -> int:
    """The longest path (in characters, the terminating NUL included) the OS accepts here."""
    if sys.platform == "win32":  # pragma: no cover - Windows runners only
        return sys.maxsize if _windows_long_paths() else WINDOWS_MAX_PATH
    try:
        return os.pathconf(directory, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 4096


def _windows_long_paths() -> bool:  # pragma: no cover - Windows runners only
    if sys.platform != "win32":
        return False
    import winreg

    try:
        with winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem"
        ) as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except OSError:
        return False


def installed_name(member: str) -> str:
    """Where a wheel member ends up under ``--target`` (``x.data/purelib/a`` -> ``a``)."""
    first, _, rest = member.partition("/")
    if first.endswith(".data") and rest:
        scheme, _, inside = rest.partition("/")
        return inside if scheme in ("purelib", "platlib") else os.path.join("bin", inside)
    return member


def longest_member(wheel: Path) -> str:
    """The longest installed path inside ``wheel`` (relative, with the OS's separator)."""
    stat = wheel.stat()
    return _longest_member(str(wheel), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _longest_member(wheel: str, _size: int, _mtime: int) -> str:
    """(Read once per file version: a numpy wheel's directory takes ~5 ms to read.)"""
    with zipfile.ZipFile(wheel) as archive:
        names = [installed_name(n) for n in archive.namelist() if not n.endswith("/")]
    longest = max(names, key=len, default="")
    return longest.replace("/", os.sep)


def candidate_wheels(request: CheckedRequest) -> list[Path]:
    """Wheels the install may unpack that exist before pip runs (see the module docstring)."""
    wheels = [Path(w) for w in request.wheels]
    wanted = [*request.requirements, *request.locked]
    names = {canonicalize_name(r.name) for r in wanted}
    for link in request.find_links:
        folder = Path(link)
        if not folder.is_dir():
            continue
        for wheel in folder.glob("*.whl"):
            try:
                name, version = wheel_name_and_version(wheel)
            except ValueError:
                continue
            name = canonicalize_name(name)
            if name not in names or not wheel_fits(wheel.name):
                continue
            # only versions the request allows (a dependency's are all candidates)
            pins = [r for r in wanted if canonicalize_name(r.name) == name]
            if all(r.specifier.contains(version, prereleases=True) for r in pins):
                wheels.append(wheel)
    return wheels


def check_path_lengths(
    addon: str, target: Path, wheels: Iterable[Path], limit: int | None = None
) -> None:
    """Raise InstallError if a wheel's longest file would not fit under ``target``.

    ``limit`` defaults to the platform's (``path_limit``).
    """
    limit = path_limit(target.parent) if limit is None else limit
    bases = [str(target), os.path.join(tempfile.gettempdir(), PIP_TARGET_TEMP)]
    for wheel in wheels:
        try:
            member = longest_member(wheel)
        except (OSError, zipfile.BadZipFile):
            continue  # pip names an unreadable wheel better
        for base in bases:
            full = os.path.join(base, member)
            if len(full) + 1 > limit:  # + the terminating NUL
                raise InstallError(
                    f"iienv: cannot install the environment of add-on {addon!r}: {wheel.name} "
                    f"holds a file that would be at a path of {len(full)} characters "
                    f"({full}), more than the {limit - 1} this system allows. To fix: "
                    f"{LONG_PATHS_ADVICE}. Nothing was installed."
                )
