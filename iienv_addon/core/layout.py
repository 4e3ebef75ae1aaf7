"""The environments root's own bookkeeping names, and clearing what killed processes left.

``<root>/<env>/``     an environment (state.json, gen-N/, .staging-*/)
``<root>/.locks/``    lock and lease files (locks.py)
``<root>/.new-*``     an environment being created, renamed into place when complete
``<root>/.trash-*``   an environment being removed, renamed aside before deletion

A process killed in the middle leaves a ``.new-*`` or ``.trash-*`` dir, or a
``state.json.tmp-<pid>`` file; the next manager start clears them. A
``.new-*`` dir younger than a minute may belong to a create in progress in
another process and is left alone.
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
IN_PROGRESS_SECONDS = 60.0


def clear_debris(root: Path) -> list[Path]:
    """Delete what killed creates, removals and state writes left under ``root``."""
    cleared = []
    now = time.time()
    for path in root.iterdir():
        name = path.name
        young = _age(path, now) < IN_PROGRESS_SECONDS
        if name.startswith(TRASH_PREFIX) or (name.startswith(NEW_PREFIX) and not young):
            shutil.rmtree(path, ignore_errors=True)
            cleared.append(path)
        elif path.is_dir() and not name.startswith("."):
            for tmp in path.glob(f"{STATE_FILE}.tmp-*"):
                pid = tmp.name.rsplit("-", 1)[-1]
                if not (pid.isdigit() and _alive(int(pid))) or _age(tmp, now) > 3600:
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
