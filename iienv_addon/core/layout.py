"""The environments root's own bookkeeping names, and clearing what killed processes left.

``<root>/<env>/``          an environment (state.json, gen-N/, .st-* staging dirs)
``<root>/<env>/.removed``  an environment uninstalled while a loaded library kept
                           some of its files: deleted at the next start
``<root>/.locks/``         lock and lease files (locks.py)
``<root>/.new-*``          an environment being created, renamed into place when complete
``<root>/.trash-*``        an environment being removed, renamed aside before deletion

A process killed in the middle leaves a ``.new-<name>-<pid>-*`` or
``.trash-*`` dir, or a ``state.json.tmp-<pid>`` file; the next manager start
clears them. Whether the writer is still at work is asked of the kernel, not
of the pid: creating an environment and writing its state happen under the
environment lock (locks.py), which the kernel drops when a process dies. A
pid says nothing reliable (it may have been reused; on Windows ``os.kill(pid,
0)`` raises ``OSError`` for a dead pid, and on some versions can terminate a
live one), so it is only part of the name.
"""

from __future__ import annotations

import os
from pathlib import Path

from .environment import STATE_FILE
from .locks import BusyError, Locks
from .sharing import remove_tree

__iienv_machinery__ = True

NEW_PREFIX = ".new-"
TRASH_PREFIX = ".trash-"
REMOVED_MARKER = ".removed"


def new_dir_name(env_name: str, token: str) -> str:
    return f"{NEW_PREFIX}{env_name}-{os.getpid()}-{token}"


def _env_of_new_dir(name: str) -> str:
    """``.new-<env>-<pid>-<token>`` -> ``<env>`` (environment names may contain '-')."""
    parts = name[len(NEW_PREFIX) :].rsplit("-", 2)
    return parts[0] if len(parts) == 3 else ""


def clear_debris(root: Path, locks: Locks) -> list[Path]:
    """Delete what killed creates, removals and state writes left under ``root``.

    A ``.new-*`` dir or a tmp state file is debris only if its environment's
    lock is free: a process creating or switching that environment holds it.
    """
    cleared = []
    for path in root.iterdir():
        name = path.name
        if name.startswith(TRASH_PREFIX):
            if remove_tree(path, delays=()):
                cleared.append(path)
        elif name.startswith(NEW_PREFIX):
            env_name = _env_of_new_dir(name)
            if env_name and _take(locks, env_name):
                try:
                    if remove_tree(path, delays=()):
                        cleared.append(path)
                finally:
                    locks.release(env_name)
        elif path.is_dir() and not name.startswith("."):
            tmps = list(path.glob(f"{STATE_FILE}.tmp-*"))
            if tmps and _take(locks, name):
                try:
                    for tmp in tmps:
                        tmp.unlink(missing_ok=True)
                        cleared.append(tmp)
                finally:
                    locks.release(name)
    return cleared


def _take(locks: Locks, env_name: str) -> bool:
    """The environment lock, if no process (this one included) holds it."""
    try:
        return locks.try_exclusive(env_name, "cleaned up at start")
    except BusyError:  # held by another operation of this process
        return False
