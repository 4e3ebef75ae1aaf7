"""The environments root's own bookkeeping names, and clearing what killed processes left.

``<root>/<env>/``     an environment (state.json, gen-N/, .staging-*/)
``<root>/.locks/``    lock and lease files (locks.py)
``<root>/.new-*``     an environment being created, renamed into place when complete
``<root>/.trash-*``   an environment being removed, renamed aside before deletion

A process killed in the middle leaves a ``.new-<name>-<pid>-*`` or
``.trash-*`` dir, or a ``state.json.tmp-<pid>`` file; the next manager start
clears them. A ``.new-*`` dir or a tmp file whose process is alive belongs to
a create or a state write in progress and is left alone.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .environment import STATE_FILE

__iienv_machinery__ = True

NEW_PREFIX = ".new-"
TRASH_PREFIX = ".trash-"
STALE_SECONDS = 3600.0  # older than this, a pid is not trusted (it may have been reused)


def new_dir_name(env_name: str, token: str) -> str:
    return f"{NEW_PREFIX}{env_name}-{os.getpid()}-{token}"


def clear_debris(root: Path) -> list[Path]:
    """Delete what killed creates, removals and state writes left under ``root``."""
    cleared = []
    now = time.time()
    for path in root.iterdir():
        name = path.name
        if name.startswith(NEW_PREFIX):
            pid = name.rsplit("-", 2)[-2] if name.count("-") >= 3 else ""
            in_progress = pid.isdigit() and _alive(int(pid))
            if in_progress and _age(path, now) < STALE_SECONDS:
                continue
        if name.startswith((TRASH_PREFIX, NEW_PREFIX)):
            shutil.rmtree(path, ignore_errors=True)
            cleared.append(path)
        elif path.is_dir() and not name.startswith("."):
            for tmp in path.glob(f"{STATE_FILE}.tmp-*"):
                pid = tmp.name.rsplit("-", 1)[-1]
                if not (pid.isdigit() and _alive(int(pid))) or _age(tmp, now) > STALE_SECONDS:
                    tmp.unlink(missing_ok=True)
                    cleared.append(tmp)
    return cleared


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
