"""Locks between Blender processes that share one environments root.

Two Blender windows on one profile, or a render farm's processes on a shared
one, see the same environments on disk. Two kinds of lock keep them from
taking packages away from each other:

* the **environment lock** (exclusive, ``<root>/.locks/<env>.lock``) is held
  while an environment's files change: an install from pip's start to the
  switch, a purge's copy to a fresh generation, a removal, the start-up
  clean-up. A second process asking for it gets ``BusyError`` naming the pid
  and what it is doing ("being installed by another Blender (pid 4242)"), or
  waits a bounded time where that is the better answer;
* a **generation lease** (``<root>/.locks/<env>.<gen-N>.<pid>.pin|use``,
  locked by its process) is held by every process that knows the generation
  as current ("pin", from the moment it reads it) or has loaded modules from
  it ("use"), until it purges them. Nobody deletes a generation for which
  another process's lease is locked. A process that dies releases its locks
  with it — the kernel drops them — so a dead process's lease is seen as free
  (and deleted) without trusting pids and start times, which can be reused.

POSIX record locks (``fcntl.lockf``) work across NFS, unlike ``flock`` on some
systems; they belong to the process and are dropped when *any* descriptor of
the file is closed, so each lock file is opened once per process and kept
open (``_OPEN``). Every lock here is exclusive, so ``msvcrt.locking`` plays
the same part on Windows (tests/simulated_os.py fakes the module). Windows
locks are *mandatory*: nobody can read a locked byte, so the lock is taken on
one byte far past the text (``LOCK_OFFSET``), and the holder's pid and
purpose at the start of the file stay readable for the "busy" message.

A lock file is deleted when its environment is uninstalled, while it is
held; a process that opened the file before the deletion and gets the lock
after it checks that the path still names the file it locked, and otherwise
opens the new one (``_still_at_path``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import IienvError

__iienv_machinery__ = True

LOCK_DIR = ".locks"
LOCK_OFFSET = 1 << 30  # the byte Windows locks: never inside the holder text
LEASE_KINDS = ("pin", "use")
WAIT_STEP = 0.05


class BusyError(IienvError, RuntimeError):
    """Another process holds the lock an operation needs."""


class _Backend:
    """fcntl.lockf, or msvcrt.locking on Windows."""

    def __init__(self, windows: Any = None) -> None:
        self.windows = windows
        if windows is None and sys.platform == "win32":  # pragma: no cover - not run here
            import msvcrt

            self.windows = msvcrt

    def try_lock(self, handle: IO[str]) -> bool:
        """Lock the file exclusively now if no other process holds it."""
        if self.windows is not None:
            handle.flush()
            os.lseek(handle.fileno(), LOCK_OFFSET, os.SEEK_SET)
            try:
                self.windows.locking(handle.fileno(), self.windows.LK_NBLCK, 1)
            except OSError:
                return False
            finally:
                handle.seek(0)
            return True
        import fcntl

        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(self, handle: IO[str]) -> None:
        if self.windows is not None:
            handle.flush()
            os.lseek(handle.fileno(), LOCK_OFFSET, os.SEEK_SET)
            with contextlib.suppress(OSError):
                self.windows.locking(handle.fileno(), self.windows.LK_UNLCK, 1)
            handle.seek(0)
            return
        import fcntl

        fcntl.lockf(handle, fcntl.LOCK_UN)


BACKEND = _Backend()
_OPEN: dict[str, tuple[IO[str], str | None]] = {}  # path -> (handle, "exclusive"/"pin"/"use"/None)
_GUARD = threading.RLock()


class Locks:
    """The locks of one environments root."""

    def __init__(self, root: Path) -> None:
        self.dir = root / LOCK_DIR

    # ---- environment lock ----------------------------------------------
    def env_lock_path(self, env_name: str) -> Path:
        return self.dir / f"{env_name}.lock"

    def try_exclusive(self, env_name: str, purpose: str) -> bool:
        """Take ``env_name``'s lock now if free (writing who holds it and why)."""
        path = self.env_lock_path(env_name)
        with _GUARD:
            handle = _handle(path)
            state = _OPEN[str(path)][1]
            if state == "exclusive":
                raise BusyError(
                    f"iienv: environment {env_name!r} is already being changed in this "
                    f"Blender ({_read(path) or 'another operation'}); wait for it to finish"
                )
            if not BACKEND.try_lock(handle):
                return False
            if not _still_at_path(handle, path):  # deleted by an uninstall meanwhile
                BACKEND.unlock(handle)
                handle.close()
                del _OPEN[str(path)]
                return self.try_exclusive(env_name, purpose)
            _OPEN[str(path)] = (handle, "exclusive")
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {purpose}\n")
            handle.flush()
            return True

    def exclusive(self, env_name: str, purpose: str, wait: float = 0.0) -> None:
        """Take ``env_name``'s lock, waiting up to ``wait`` seconds; BusyError if not."""
        deadline = time.monotonic() + wait
        while not self.try_exclusive(env_name, purpose):
            if time.monotonic() >= deadline:
                raise BusyError(self.busy_message(env_name))
            time.sleep(WAIT_STEP)

    def release(self, env_name: str) -> None:
        path = self.env_lock_path(env_name)
        with _GUARD:
            entry = _OPEN.get(str(path))
            if entry is None or entry[1] != "exclusive":
                return
            handle = entry[0]
            handle.seek(0)
            handle.truncate()
            handle.flush()
            BACKEND.unlock(handle)
            _OPEN[str(path)] = (handle, None)

    @contextlib.contextmanager
    def holding(self, env_name: str, purpose: str, wait: float = 0.0) -> Iterator[None]:
        self.exclusive(env_name, purpose, wait)
        try:
            yield
        finally:
            self.release(env_name)

    def busy_message(self, env_name: str) -> str:
        holder = _read(self.env_lock_path(env_name))
        pid, _, purpose = holder.partition(" ")
        doing = f"being {purpose}" if purpose else "being changed"
        who = f"another Blender (pid {pid})" if pid.isdigit() else "another Blender"
        return (
            f"iienv: busy: environment {env_name!r} is {doing} by {who}; try again when it "
            f"has finished"
        )

    def forget(self, env_name: str) -> None:
        """Delete ``env_name``'s lock file (held by this process): it was uninstalled.

        Called while holding the lock, after the environment is gone; the
        leases were let go before. Where another process has the file open
        (Windows refuses to delete it then) it stays, harmlessly.
        """
        path = self.env_lock_path(env_name)
        with _GUARD:
            try:
                path.unlink()  # while held: see _still_at_path
                deleted = True
            except OSError:  # Windows: not while a handle (even ours) is open
                deleted = False
            entry = _OPEN.pop(str(path), None)
            if entry is not None:
                if entry[1] == "exclusive":
                    BACKEND.unlock(entry[0])
                entry[0].close()
            if not deleted:
                with contextlib.suppress(OSError):
                    path.unlink()

    # ---- generation leases ---------------------------------------------
    # Two kinds: a "pin" on the generation a process knows as current (so nobody
    # retires it before the first import) and a "use" once modules are loaded
    # from it (an uninstall elsewhere waits for those, not for pins).
    def _lease_path(self, env_name: str, generation: str, pid: int, kind: str) -> Path:
        return self.dir / f"{env_name}.{generation}.{pid}.{kind}"

    def lease(self, env_name: str, generation: str, kind: str = "pin") -> None:
        """Hold this process's lease on a generation."""
        path = self._lease_path(env_name, generation, os.getpid(), kind)
        with _GUARD:
            handle = _handle(path)
            if _OPEN[str(path)][1] is not None:
                return
            if not BACKEND.try_lock(handle):  # pragma: no cover - own file
                raise BusyError(f"iienv: cannot take the lease {path}")
            _OPEN[str(path)] = (handle, kind)

    def release_lease(self, env_name: str, generation: str) -> None:
        """Let go of both kinds of this process's lease on a generation."""
        for kind in LEASE_KINDS:
            path = self._lease_path(env_name, generation, os.getpid(), kind)
            with _GUARD:
                entry = _OPEN.pop(str(path), None)
                if entry is not None:
                    BACKEND.unlock(entry[0])
                    entry[0].close()
                    with contextlib.suppress(OSError):
                        path.unlink()

    def held_leases(self, env_name: str) -> list[str]:
        """Generations of ``env_name`` this process holds a lease on."""
        prefix = str(self.dir / f"{env_name}.")
        found = set()
        for path, (_, state) in list(_OPEN.items()):
            if state in LEASE_KINDS and path.startswith(prefix):
                generation, pid, _kind = path[len(prefix) :].rsplit(".", 2)
                if pid == str(os.getpid()):
                    found.add(generation)
        return sorted(found)

    def users_elsewhere(
        self, env_name: str, generation: str, kinds: tuple[str, ...] = LEASE_KINDS
    ) -> list[int]:
        """Pids of other live processes holding a lease (of ``kinds``) on the generation.

        A lease file whose lock is free belongs to a process that died: it is
        deleted on the way.
        """
        users = set()
        mine = os.getpid()
        for kind in kinds:
            for path in self.dir.glob(f"{env_name}.{generation}.*.{kind}"):
                pid_text = path.name[len(f"{env_name}.{generation}.") : -len(f".{kind}")]
                if not pid_text.isdigit() or int(pid_text) == mine:
                    continue
                with _GUARD:
                    try:
                        handle = open(path, "a+", encoding="utf-8")
                    except OSError:
                        continue
                    dead = False
                    try:
                        dead = BACKEND.try_lock(handle)
                        if dead:
                            BACKEND.unlock(handle)
                        else:
                            users.add(int(pid_text))
                    finally:
                        # (closing drops only locks this process holds on the file: none)
                        handle.close()
                    if dead:  # after closing: Windows deletes no file a handle has open
                        with contextlib.suppress(OSError):
                            path.unlink()
        return sorted(users)


def _handle(path: Path) -> IO[str]:
    entry = _OPEN.get(str(path))
    if entry is not None and not entry[0].closed:
        return entry[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    _OPEN[str(path)] = (handle, None)
    return handle


def _still_at_path(handle: IO[str], path: Path) -> bool:
    try:
        mine, now = os.fstat(handle.fileno()), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def _read(path: Path) -> str:
    """The holder text, through this process's own handle if it has one.

    (Opening and closing another descriptor of the file would drop this
    process's POSIX record locks on it.)
    """
    entry = _OPEN.get(str(path))
    try:
        if entry is not None and not entry[0].closed:
            entry[0].seek(0)
            return entry[0].read(4096).strip()
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
