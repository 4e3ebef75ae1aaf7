"""Ending pip together with the processes it started, and starting it without a window.

Cancelling an install must stop everything pip runs: a source build's
backend, a compiler. Signalling pip alone leaves them running (writing into a
staging dir that is about to be deleted). pip stays in Blender's process group
on purpose: a terminal's Ctrl-C or a crash that takes the group down takes pip
with it. So the tree is found when it is cancelled: ``/proc`` on Linux, ``ps``
on macOS (both list every process with its parent), and ``taskkill /T`` on
Windows, which walks the tree itself. The tree is remembered, because once pip
is gone its children are re-parented and can no longer be found from it.

On Windows a console program started from a GUI program opens a console
window: pip is started with ``CREATE_NO_WINDOW`` (``creation_flags``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

__iienv_machinery__ = True


def creation_flags() -> int:
    """``Popen(creationflags=...)`` for a helper process: no console window on Windows."""
    return getattr(subprocess, "CREATE_NO_WINDOW", 0)


def descendants(pid: int) -> list[int]:
    """Pids of every process below ``pid`` (children first), as far as they can be listed."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        child = queue.pop(0)
        if child in found or child == pid:
            continue
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def _parents() -> list[tuple[int, int]]:
    proc = Path("/proc")
    if proc.is_dir():
        pairs = []
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # gone meanwhile
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses
            fields = stat.rpartition(")")[2].split()
            if len(fields) > 1 and fields[1].isdigit():
                pairs.append((int(entry.name), int(fields[1])))
        return pairs
    try:
        listing = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid="],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    pairs = []
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            pairs.append((int(parts[0]), int(parts[1])))
    return pairs


class ProcessTree:
    """A started process and the processes it starts, to be ended together."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.known: set[int] = set()

    def end(self, force: bool = False) -> None:
        """Ask the whole tree to stop (SIGTERM); ``force``: kill it (SIGKILL, taskkill /F)."""
        if os.name == "nt":  # pragma: no cover - Windows runners only
            command = ["taskkill", "/PID", str(self.process.pid), "/T"] + (["/F"] if force else [])
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    command,
                    capture_output=True,
                    timeout=30,
                    check=False,
                    creationflags=creation_flags(),
                )
            if force:
                self.process.kill()
            return
        if self.process.poll() is None:
            self.known.update(descendants(self.process.pid))
        sig = signal.SIGKILL if force else signal.SIGTERM
        if self.process.poll() is None:
            self.process.send_signal(sig)
        for pid in sorted(self.known):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
