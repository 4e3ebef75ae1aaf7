"""Turning pip's output into an error a Blender user can act on."""

from __future__ import annotations

import re
from collections.abc import Sequence

__iienv_machinery__ = True  # caller.py looks through iienv's frames

# (pattern in pip's output, cause, what to do); first match wins.
_CAUSES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"No space left on device|Errno 28", re.I),
        "the disk is full",
        "free some disk space and install again",
    ),
    (
        re.compile(r"THESE PACKAGES DO NOT MATCH THE HASHES", re.I),
        "a downloaded or bundled file does not match the hash in the lock file (it was "
        "changed or corrupted)",
        "get the original file again, or regenerate the lock file if the change is intended",
    ),
    (
        re.compile(r"Hashes are required in --require-hashes mode", re.I),
        "the lock file has a requirement without a --hash",
        "regenerate the lock file with hashes for every requirement",
    ),
    (
        re.compile(r"is not a supported wheel on this platform", re.I),
        "a wheel was built for another Python version or platform",
        "use a wheel built for this Blender's Python",
    ),
    (
        re.compile(
            r"NewConnectionError|Failed to establish a new connection|Temporary failure in "
            r"name resolution|Network is unreachable|Name or service not known|ConnectTimeout|"
            r"Max retries exceeded|Could not fetch URL",
            re.I,
        ),
        "the package index could not be reached (no network?)",
        "connect to the internet, or give find_links=[a folder with the wheels] and "
        "no_index=True to install offline",
    ),
    (
        re.compile(r"ResolutionImpossible|conflicting dependencies", re.I),
        "the requirements conflict with each other",
        "relax one of the version pins",
    ),
]

_NO_VERSION = re.compile(
    r"Could not find a version that satisfies the requirement (?P<req>\S+)"
    r"(?: \(from versions: (?P<versions>[^)]*)\))?"
)


def diagnose(addon: str, output: Sequence[str], returncode: int, offline: bool) -> str:
    """A message naming the add-on, the requirement, the cause and what to do."""
    text = "\n".join(output)
    tail = "\n".join(line for line in output[-12:] if line.strip())
    for pattern, cause, todo in _CAUSES:
        if pattern.search(text):
            return _message(addon, cause, todo, tail)
    match = _NO_VERSION.search(text)
    if match:
        req = match.group("req")
        versions = (match.group("versions") or "").strip()
        if versions and versions != "none":
            cause = f"no version of {req} matches; available: {versions}"
            todo = "pick one of the available versions"
        elif offline:
            cause = f"{req} is not in the wheel folder(s) given and the index is not used"
            todo = "add the wheel to the folder, or install with the package index"
        else:
            cause = (
                f"no release of {req} was found for this Python and platform (or the "
                f"package index could not be reached)"
            )
            todo = "check the name and version on the package index, and the network"
        return _message(addon, cause, todo, tail)
    if returncode < 0:
        return _message(addon, f"pip was stopped by signal {-returncode}", "install again", tail)
    return _message(addon, f"pip failed (exit code {returncode})", "see pip's output", tail)


def _message(addon: str, cause: str, todo: str, tail: str) -> str:
    return (
        f"iienv: installing the environment of add-on {addon!r} failed: {cause}. "
        f"To fix: {todo}. The environment is unchanged.\n--- pip said ---\n{tail}"
    )
