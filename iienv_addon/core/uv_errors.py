"""Turning uv's output into the same errors pip_errors.py gives for pip's.

A user (and an add-on catching ``InstallError``) should not need to know which
installer ran: the cause and what to do read the same, only the quoted tail
says "uv said". uv's wording, read off uv 0.13 (``NO_COLOR``, no terminal):

* ``error: No solution found when resolving dependencies`` then ``cause:
  Because there is no version of six==9.9.9 and you require ...``, ``Because
  numpy==1.26.4 has no wheels with a matching Python ABI tag (e.g., `cp313`)``,
  ``Because you require six==1.16.0 and six==1.17.0, we can conclude that
  your requirements are unsatisfiable``;
* ``Request failed after 3 retries`` / ``Failed to fetch: <url>`` with ``tcp
  connect error``, ``dns error``;
* ``Hash mismatch for `six==1.17.0``` with ``Expected:`` and ``Computed:``;
* ``No space left on device (os error 28)``;
* ``ZIP central directory entry ...``, ``has an invalid package format``: uv
  reads a wheel's zip directory (for its metadata too: any wheel of a version
  may stand for it in the resolution) before the whole file is hashed.

uv does not list the versions that exist; ``versions`` (wheel_listing.py)
looks them up where uv looked, so the message can name them as pip's does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .pip_errors import (
    CONFLICT,
    DAMAGED,
    DISK_FULL,
    HASH_MISMATCH,
    LONG_PATH,
    OTHER_PLATFORM,
    UNHASHED,
    UNREACHABLE,
    message,
)
from .pip_errors import no_version as no_version_cause
from .pip_errors import no_wheel as no_wheel_cause

__iienv_machinery__ = True

# (pattern in uv's output, cause, what to do): the same causes as pip's, uv's words.
_CAUSES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"No space left on device|os error 28|os error 112|os error 39", re.I), *DISK_FULL),
    (re.compile(r"File name too long|os error 36\b|os error 206", re.I), *LONG_PATH),
    (re.compile(r"Hash mismatch for", re.I), *HASH_MISMATCH),
    (re.compile(r"all requirements must have a hash", re.I), *UNHASHED),
    # uv reads a wheel's zip directory before it has hashed the whole file (pip hashes
    # first, so the same damage is a hash mismatch there)
    (
        re.compile(
            r"invalid package format|Failed to read from zip file|ZIP central directory|"
            r"not a valid zip|invalid zip",
            re.I,
        ),
        *DAMAGED,
    ),
    (
        re.compile(r"(is not|in)compatible with the current platform", re.I),
        *OTHER_PLATFORM,
    ),
    (
        UNREACHABLE_INDEX := re.compile(
            r"Failed to fetch|error sending request|tcp connect error|dns error|"
            r"Could not connect|are you offline|Connection refused|Request failed after|"
            r"UnknownIssuer|invalid peer certificate|certificate verify failed",
            re.I,
        ),
        *UNREACHABLE,
    ),
]

# "numpy==1.26.4 has no wheels with a matching Python ABI tag", "... has no usable wheels"
_NO_WHEEL = re.compile(
    r"Because (?:only )?(?P<req>[^\s`]+) has no (?:usable )?wheels"
    r"|(?P<req2>[^\s`]+) has no (?:usable )?wheels"
)
# "there is no version of six==9.9.9", "six was not found in the package registry"
_NO_VERSION = re.compile(
    r"there is no version of (?P<req>[^\s`]+)"
    r"|Because (?P<req2>[^\s`]+) was not found in the (?:package registry|provided package "
    r"locations)"
)
_UNSATISFIABLE = re.compile(r"requirements are unsatisfiable|No solution found", re.I)


def _requirement(match: re.Match[str]) -> str:
    return match.group("req") or match.group("req2") or ""


def diagnose(
    addon: str,
    output: Sequence[str],
    returncode: int,
    offline: bool,
    binary_only: bool,
    versions: Callable[[str], str],
) -> str:
    """A message naming the add-on, the requirement, the cause and what to do.

    ``versions(name)``: the versions of ``name`` that have a wheel for this
    Python where uv looked ('1.16.0, 1.17.0' or 'none').
    """
    text = "\n".join(output)
    tail = "\n".join(line for line in output[-12:] if line.strip())
    for pattern, cause, todo in _CAUSES:
        if pattern.search(text):
            return message(addon, cause, todo, tail, "uv")
    no_wheel = _NO_WHEEL.search(text)
    no_version = _NO_VERSION.search(text)
    match = no_wheel or no_version
    if match:
        req = _requirement(match)
        name = re.split(r"[=<>!~;\[ ]", req, maxsplit=1)[0]
        listed = versions(name)
        if binary_only or no_wheel:
            cause, todo = no_wheel_cause(req, listed, offline)
        else:  # (an index uv could not reach is a cause of its own, above)
            cause, todo = no_version_cause(req, listed, offline)
        return message(addon, cause, todo, tail, "uv")
    if _UNSATISFIABLE.search(text):
        return message(addon, *CONFLICT, tail, "uv")
    if returncode < 0:
        cause = f"uv was stopped by signal {-returncode}"
        return message(addon, cause, "install again", tail, "uv")
    return message(addon, f"uv failed (exit code {returncode})", "see uv's output", tail, "uv")
