"""Renames, replacements and deletions that another handle on a file can refuse.

On POSIX a file that someone has open can still be renamed, replaced and
unlinked. On Windows it cannot, unless every opener allowed it
(``FILE_SHARE_DELETE``), which Python's ``open()`` and most programs do not:

* ``state.json`` cannot be replaced while another Blender reads it (the
  Preferences read it at every redraw) — a *sharing violation* that lasts
  milliseconds;
* a fresh tree cannot be renamed while an antivirus scanner or the search
  indexer looks into one of its files — for a moment;
* a directory holding a loaded ``.pyd``/``.dll`` (and every directory above
  it) cannot be renamed or deleted until the process exits — for good.

The remedies here are keyed on the failure, not on the OS name, so they run
(and are tested, tests/simulated_os.py) on Linux too: transient refusals are
retried with a short backoff; what is still refused afterwards raises
``FileHeldError`` with what to do, and deletions report what they could not
delete instead of pretending to have done it.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import FileHeldError

__iienv_machinery__ = True

# Backoff between attempts (seconds): ~1.6 s in all, longer than an indexer or
# a redraw holds a file, short enough to wait for in an operator.
RETRY_DELAYS: Sequence[float] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8)
# Deleting a tree: a loaded library never lets go, so wait less.
DELETE_DELAYS: Sequence[float] = (0.02, 0.1, 0.3)

# Windows error codes of "someone holds it": access denied (a handle without
# FILE_SHARE_DELETE), sharing and lock violations; POSIX's "busy" ones.
_HELD_WINERRORS = frozenset({5, 32, 33})
_HELD_ERRNOS = frozenset({errno.EACCES, errno.EBUSY, errno.ETXTBSY, errno.EPERM})
_DISK_FULL_WINERRORS = frozenset({39, 112})  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL


def is_held(exc: BaseException) -> bool:
    """True if ``exc`` says another handle holds the file (a retry may succeed)."""
    if not isinstance(exc, OSError):
        return False
    winerror = getattr(exc, "winerror", None)
    if winerror is not None:
        return winerror in _HELD_WINERRORS
    return exc.errno in _HELD_ERRNOS


def is_disk_full(exc: BaseException) -> bool:
    """True for "no space left" on POSIX (ENOSPC, EDQUOT) and Windows (WinError 112, 39)."""
    if not isinstance(exc, OSError):
        return False
    if getattr(exc, "winerror", None) in _DISK_FULL_WINERRORS:
        return True
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def describe(exc: BaseException) -> str:
    """An OSError in words a user can act on (disk full and held files named as such)."""
    if is_disk_full(exc):
        return "the disk is full; free some disk space and try again"
    if is_held(exc):
        return (
            "another program holds one of its files (an antivirus scan, the search indexer, "
            "another Blender, or a library loaded in this Blender); close it or try again "
            "in a moment"
        )
    return str(getattr(exc, "strerror", None) or exc)


def retrying(action: Callable[[], None], delays: Sequence[float] = RETRY_DELAYS) -> None:
    """Run ``action``, again after each delay while another handle holds the file."""
    for delay in (*delays, None):
        try:
            action()
            return
        except OSError as exc:
            if delay is None or not is_held(exc):
                raise
        time.sleep(delay)


def replace(source: Path, target: Path, what: str) -> None:
    """``os.replace`` retried; FileHeldError (``source`` deleted if a file) if still refused.

    ``what`` names the target for the error ("the state of environment 'a'").
    """
    try:
        retrying(lambda: os.replace(source, target))
    except OSError as exc:
        if is_held(exc):
            if source.is_file():
                source.unlink(missing_ok=True)
            raise FileHeldError(
                errno.EACCES,
                f"iienv: could not update {what} ({target}): {describe(exc)}. Nothing was changed",
            ) from None
        raise


def rename(source: Path, target: Path, what: str, delays: Sequence[float] = RETRY_DELAYS) -> None:
    """``os.rename`` retried while a file in ``source`` is held; FileHeldError if still refused."""
    try:
        retrying(lambda: os.rename(source, target), delays)
    except OSError as exc:
        if is_held(exc):
            raise FileHeldError(
                errno.EACCES,
                f"iienv: could not move {what} ({source}): {describe(exc)}",
            ) from None
        raise


def remove_tree(path: Path, delays: Sequence[float] = DELETE_DELAYS) -> bool:
    """Delete ``path`` and everything in it that can be deleted; True if it is gone.

    What another handle holds is retried briefly and then left (with the
    directories above it): a loaded library is deleted at the next start.
    Read-only files (Windows marks some so) are made writable first.
    """

    def on_error(function: object, name: str, exc: object) -> None:
        if function is os.unlink or function is os.remove:
            try:
                os.chmod(name, stat.S_IWRITE | stat.S_IREAD)
                os.unlink(name)
            except OSError:
                pass

    for delay in (*delays, None):
        if not os.path.lexists(path):
            return True
        if path.is_symlink() or not path.is_dir():
            try:
                path.unlink()
            except OSError:
                pass
        else:
            _rmtree(path, on_error)
        if not os.path.lexists(path):
            return True
        if delay is not None:
            time.sleep(delay)
    return False


def _rmtree(path: Path, on_error: Callable[[object, str, object], None]) -> None:
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=on_error)
    else:  # pragma: no cover - one of the two runs per interpreter
        shutil.rmtree(path, onerror=on_error)


def tree_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (0 if it is gone)."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total
