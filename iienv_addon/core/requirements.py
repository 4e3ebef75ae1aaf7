"""Checking what users ask to install, before pip sees any of it.

Requirement strings come from add-on manifests and UI text fields; a string
that pip would read as an option (``--index-url evil``) or a URL nobody meant
to allow must be refused with a message that says which add-on and which
string, before anything on disk changes.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidRequirementError

__iienv_machinery__ = True  # caller.py looks through iienv's frames

# A private copy (see _vendor/__init__.py): never pip's, never a global ``packaging``.
from ._vendor.packaging.requirements import InvalidRequirement, Requirement
from ._vendor.packaging.tags import sys_tags
from ._vendor.packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)

__all__ = [
    "CheckedRequest",
    "Requirement",
    "canonicalize_name",
    "check_request",
    "wheel_name_and_version",
]


@dataclass(frozen=True)
class CheckedRequest:
    """An install request that passed every check."""

    requirements: tuple[Requirement, ...]
    wheels: tuple[Path, ...]
    find_links: tuple[str, ...]
    lock_file: Path | None
    # what the lock file pins, each line checked (check_lock_file)
    locked: tuple[Requirement, ...] = ()
    # the installer may build from source (sdists): off unless asked (install_tools)
    allow_source_builds: bool = False


def check_requirement(addon: str, text: object, allow_urls: bool = False) -> Requirement:
    """Parse one PEP 508 requirement string or raise InvalidRequirementError."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: requirement {text!r} is not a requirement string; "
            f"write it like 'numpy==1.26.4' or 'requests>=2.31'"
        )
    stripped = text.strip()
    if stripped.startswith("-"):
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: requirement {text!r} looks like a pip option; "
            f"options are not accepted in requirements (use find_links / no_index / a lock file)"
        )
    if any(c in stripped for c in "\r\n\0"):
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: requirement {text!r} contains a line break or NUL; "
            f"give one requirement per list item"
        )
    try:
        req = Requirement(stripped)
    except InvalidRequirement as exc:
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: requirement {text!r} is not valid PEP 508 ({exc}); "
            f"write it like 'numpy==1.26.4'"
        ) from None
    if req.url and not allow_urls:
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: requirement {text!r} installs from a URL, which is "
            f"not allowed unless the caller passes allow_urls=True; prefer a version from the "
            f"package index or a wheel file"
        )
    return req


def wheel_name_and_version(path: Path) -> tuple[str, str]:
    name, version, _build, _tags = parse_wheel_filename(path.name)
    return str(name), str(version)


@functools.cache
def interpreter_tags() -> frozenset[object]:
    """Every wheel tag this interpreter accepts, computed once.

    ``sys_tags()`` rebuilds the list on each call, and on Linux tries to import
    ``_manylinux`` once per glibc version: ~10 ms a call, which made the checks
    before an install cost more than uv's whole install (measured: 60 ms of 180).
    """
    return frozenset(sys_tags())


def _fits(tags: Iterable[object]) -> bool:
    return not interpreter_tags().isdisjoint(tags)


def wheel_fits(filename: str) -> bool:
    """True if a wheel of this file name installs on this interpreter (pip judges by name)."""
    try:
        _name, _version, _build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return _fits(tags)


def check_wheel(addon: str, wheel: object) -> Path:
    """A wheel file that exists and that this interpreter can install."""
    if not isinstance(wheel, (str, os.PathLike)):
        raise InvalidRequirementError(f"iienv: add-on {addon!r}: wheel {wheel!r} is not a path")
    path = Path(wheel).expanduser()
    if not path.is_file():
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: wheel file {str(path)!r} does not exist; check the path "
            f"(relative paths are relative to {os.getcwd()!r})"
        )
    try:
        _name, _version, _build, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: {path.name!r} is not a wheel file name ({exc})"
        ) from None
    if not _fits(tags):
        best = next(iter(sys_tags()))
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: wheel {path.name!r} does not fit this Blender's Python "
            f"(needs one of {sorted(str(t) for t in tags)[:3]}; this interpreter is e.g. "
            f"{best}); get the wheel built for it"
        )
    return path.resolve()


def check_request(
    addon: str,
    requirements: object = (),
    wheels: object = (),
    find_links: object = (),
    lock_file: object = None,
    allow_urls: bool = False,
    allow_source_builds: bool = False,
) -> CheckedRequest:
    """Validate everything in an install request; raise on the first problem."""
    reqs = tuple(check_requirement(addon, r, allow_urls) for r in _as_list(addon, requirements))
    paths = tuple(check_wheel(addon, w) for w in _as_list(addon, wheels))
    links: list[str] = []
    for link in _as_list(addon, find_links):
        if not isinstance(link, (str, os.PathLike)) or str(link).startswith("-"):
            raise InvalidRequirementError(
                f"iienv: add-on {addon!r}: find_links entry {link!r} must be a directory or URL"
            )
        text = str(link)
        if "://" not in text and not Path(text).is_dir():
            raise InvalidRequirementError(
                f"iienv: add-on {addon!r}: find_links directory {text!r} does not exist"
            )
        links.append(text)
    lock: Path | None = None
    locked: tuple[Requirement, ...] = ()
    if lock_file is not None:
        if not isinstance(lock_file, (str, os.PathLike)) or not Path(lock_file).is_file():
            raise InvalidRequirementError(
                f"iienv: add-on {addon!r}: lock file {lock_file!r} does not exist"
            )
        lock = Path(lock_file).resolve()
        locked = check_lock_file(addon, lock, allow_urls)
    if not reqs and not paths and lock is None:
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: nothing to install; give requirements, wheel files or "
            f"a lock file"
        )
    return CheckedRequest(reqs, paths, tuple(links), lock, locked, bool(allow_source_builds))


_HASH = re.compile(r"^--hash=(sha256|sha384|sha512):[0-9a-fA-F]{32,128}$")


def check_lock_file(addon: str, path: Path, allow_urls: bool = False) -> tuple[Requirement, ...]:
    """Every line of a lock file: one pinned requirement with its hashes, nothing else.

    pip reads a requirements file as a list of command-line options too
    (``--index-url``, ``-r /etc/passwd``, ``-e .``); a lock file that iienv
    installs may only pin distributions (``name==version``, optional marker)
    and give their ``--hash=`` values, as ``pip-compile --generate-hashes``
    writes them. Checked like requirements, before pip runs.
    """
    where = f"iienv: add-on {addon!r}: lock file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequirementError(f"{where} cannot be read as UTF-8 text ({exc})") from None
    if "\0" in text:
        raise InvalidRequirementError(f"{where} contains a NUL byte; it is not a text file")
    pinned = []
    number = 0
    for logical in re.split(r"(?<!\\)\n", text):
        first_line = number + 1
        number += logical.count("\n") + 1
        line = re.sub(r"(^|\s)#.*$", "", logical.replace("\\\n", " ")).strip()
        if not line:
            continue
        at = f"{where}, line {first_line}"
        if line.startswith("-"):
            raise InvalidRequirementError(
                f"{at}: {line.split()[0]!r} is a pip option; a lock file may only pin "
                f"requirements with --hash values"
            )
        requirement_text, _, options = line.partition(" --")
        hashes = (
            [f"--{o}" if i == 0 else o for i, o in enumerate(options.split())] if options else []
        )
        if not hashes:
            raise InvalidRequirementError(
                f"{at}: {requirement_text.strip()!r} has no --hash; generate the lock file "
                f"with hashes (pip-compile --generate-hashes)"
            )
        for option in hashes:
            if not _HASH.match(option):
                raise InvalidRequirementError(
                    f"{at}: {option!r} is not allowed; only --hash=sha256:<hex> may follow a "
                    f"requirement"
                )
        requirement = check_requirement(addon, requirement_text, allow_urls)
        specifiers = list(requirement.specifier)
        if requirement.url is None and not (
            len(specifiers) == 1 and specifiers[0].operator in ("==", "===")
        ):
            raise InvalidRequirementError(
                f"{at}: {requirement_text.strip()!r} is not pinned to one version; a lock file "
                f"pins every distribution with ==",
            )
        pinned.append(requirement)
    if not pinned:
        raise InvalidRequirementError(f"{where} pins nothing")
    return tuple(pinned)


def _as_list(addon: str, value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: expected a list, got the single value {value!r}; "
            f"wrap it in a list"
        )
    try:
        return list(value)  # type: ignore[call-overload]
    except TypeError:
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: expected a list, got {value!r}"
        ) from None
