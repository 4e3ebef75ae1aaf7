"""Turning pip's output into an error a Blender user can act on."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from .path_limits import LONG_PATHS_ADVICE
from .requirements import InvalidRequirement, Requirement, sys_tags

__iienv_machinery__ = True  # caller.py looks through iienv's frames

# (cause, what to do): shared by pip's and uv's messages (uv_errors.py).
DISK_FULL = ("the disk is full", "free some disk space and install again")
LONG_PATH = ("a file's path is longer than this system allows", LONG_PATHS_ADVICE)
HASH_MISMATCH = (
    "a downloaded or bundled file does not match the hash in the lock file (it was "
    "changed or corrupted)",
    "get the original file again, or regenerate the lock file if the change is intended",
)
UNHASHED = (
    "the lock file has a requirement without a --hash",
    "regenerate the lock file with hashes for every requirement",
)
OTHER_PLATFORM = (
    "a wheel was built for another Python version or platform",
    "use a wheel built for this Blender's Python",
)
UNREACHABLE = (
    "the package index could not be reached (no network?)",
    "connect to the internet, or give find_links=[a folder with the wheels] and "
    "no_index=True to install offline",
)
DAMAGED = (
    "a package file is damaged (not a valid wheel or archive)",
    "get the original file again, or remove the damaged file from the wheel folder",
)
CONFLICT = ("the requirements conflict with each other", "relax one of the version pins")

# (pattern in pip's output, cause, what to do); first match wins.
_CAUSES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(
            r"No space left on device|Errno 28|WinError 112|WinError 39|"
            r"There is not enough space on the disk",
            re.I,
        ),
        *DISK_FULL,
    ),
    (
        re.compile(
            r"Windows Long Path support|WinError 206|File name too long|Errno 36\b|"
            r"filename or extension is too long",
            re.I,
        ),
        *LONG_PATH,
    ),
    (re.compile(r"THESE PACKAGES DO NOT MATCH THE HASHES", re.I), *HASH_MISMATCH),
    (re.compile(r"Hashes are required in --require-hashes mode", re.I), *UNHASHED),
    (re.compile(r"is not a supported wheel on this platform", re.I), *OTHER_PLATFORM),
    (
        re.compile(
            r"NewConnectionError|Failed to establish a new connection|Temporary failure in "
            r"name resolution|Network is unreachable|Name or service not known|ConnectTimeout|"
            r"Max retries exceeded|Could not fetch URL",
            re.I,
        ),
        *UNREACHABLE,
    ),
    (re.compile(r"ResolutionImpossible|conflicting dependencies", re.I), *CONFLICT),
]

_NO_VERSION = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>\S+)"
    r"(?: \(from versions: (?P<versions>[^)]*)\))?"
)


def this_python() -> str:
    """'Python 3.13 (cp313, manylinux x86_64)': what a wheel must fit, in words."""
    tags = list(sys_tags())
    tag = tags[0]
    # On Linux the plain linux_* tag may come first; wheels on the index are manylinux.
    platform = next((t.platform for t in tags if t.platform.startswith("manylinux")), tag.platform)
    match = re.match(r"(manylinux|musllinux|macosx)_\d+_\d+_(.+)$", platform)
    if match:  # manylinux_2_36_x86_64 -> manylinux x86_64
        platform = f"{match[1]} {match[2]}"
    elif platform.startswith(("win_", "linux_")):
        system, _, arch = platform.partition("_")
        platform = f"{'Windows' if system == 'win' else system} {arch}"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"Python {version} ({tag.interpreter}, {platform})"


def in_words(requirement: str) -> str:
    """'numpy==1.26.4' -> 'numpy 1.26.4'; other specifiers stay as written."""
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return requirement
    pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
    if len(pins) == 1 and "*" not in pins[0]:
        return f"{req.name} {pins[0]}"
    return requirement


def diagnose(
    addon: str, output: Sequence[str], returncode: int, offline: bool, binary_only: bool = False
) -> str:
    """A message naming the add-on, the requirement, the cause and what to do.

    ``binary_only``: pip ran with ``--only-binary=:all:``, so "no version
    satisfies" means no *wheel* fits this Python; pip's "from versions" list
    then holds exactly the versions that have one.
    """
    text = "\n".join(output)
    tail = "\n".join(line for line in output[-12:] if line.strip())
    for pattern, cause, todo in _CAUSES:
        if pattern.search(text):
            return message(addon, cause, todo, tail)
    match = _NO_VERSION.search(text)
    if match:
        req = match.group("req")
        versions = (match.group("versions") or "").strip()
        if binary_only:
            listed = versions if versions and versions != "none" else "none"
            cause, todo = no_wheel(req, listed, offline)
        else:
            # (pip may say nothing of an index it could not reach: PIP_RETRIES=0)
            cause, todo = no_version(req, versions or "none", offline, network_unknown=True)
        return message(addon, cause, todo, tail)
    if returncode < 0:
        return message(addon, f"pip was stopped by signal {-returncode}", "install again", tail)
    return message(addon, f"pip failed (exit code {returncode})", "see pip's output", tail)


def no_wheel(req: str, listed: str, offline: bool) -> tuple[str, str]:
    """(cause, what to do) for a requirement with no wheel for this Python; ``listed``: the
    versions that have one ('1.16.0, 1.17.0' or 'none')."""
    cause = f"no wheel of {in_words(req)} for {this_python()}; versions with wheels: {listed}"
    todo = (
        "pin a version that has a wheel for this Python (one add-on can pin per "
        "Python with a marker: 'numpy==1.26.4; python_version < \"3.13\"'), or, with "
        "a compiler set up, allow source builds explicitly (allow_source_builds=True)"
    )
    if offline:
        todo = "add a fitting wheel to the wheel folder(s) given, or " + todo
    return cause, todo


def no_version(
    req: str, listed: str, offline: bool, network_unknown: bool = False
) -> tuple[str, str]:
    """(cause, what to do) for a requirement no available version satisfies; ``listed``:
    the versions found ('1.16.0, 1.17.0' or 'none'). ``network_unknown``: the installer
    may not have said whether the index was reached."""
    if listed != "none":
        return f"no version of {req} matches; available: {listed}", (
            "pick one of the available versions"
        )
    if offline:
        return f"{req} is not in the wheel folder(s) given and the index is not used", (
            "add the wheel to the folder, or install with the package index"
        )
    if network_unknown:
        return (
            f"no release of {req} was found for this Python and platform (or the "
            f"package index could not be reached)",
            "check the name and version on the package index, and the network",
        )
    return f"no release of {req} was found for this Python and platform", (
        "check the name and version on the package index"
    )


def message(addon: str, cause: str, todo: str, tail: str, tool: str = "pip") -> str:
    """The one shape of every install error: add-on, cause, what to do, the installer's tail."""
    return (
        f"iienv: installing the environment of add-on {addon!r} failed: {cause}. "
        f"To fix: {todo}. The environment is unchanged.\n--- {tool} said ---\n{tail}"
    )
