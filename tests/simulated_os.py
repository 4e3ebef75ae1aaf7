"""Windows file-system semantics on Linux, for the tests: Windows cannot run here.

This is a fake, and says so: it replaces functions of ``os`` (and ``open``)
for paths under one directory with versions that refuse what Windows refuses.
Each rule is what a real Windows does with Python's own calls:

* **loaded files** — a shared library mapped into this process (read from
  ``/proc/self/maps``: the libraries really loaded, e.g. numpy's) or a file
  passed to ``hold()``, and *every directory above it*, cannot be renamed or
  deleted: ``PermissionError`` "[WinError 5] Access is denied" (Windows maps
  an image file's section; its folders cannot move under it);
* **open files** — a file this process has open through ``open()`` cannot be
  replaced, renamed or deleted (Python opens without ``FILE_SHARE_DELETE``):
  "[WinError 32] The process cannot access the file because it is being used
  by another process";
* **dead pids** — ``os.kill(pid, 0)`` raises ``OSError(EINVAL)`` for a process
  that does not exist ("[WinError 87] The parameter is incorrect"), not
  ``ProcessLookupError``;
* **mandatory locks** — ``msvcrt.locking`` is faked over real ``fcntl`` byte
  range locks (so it works between processes), and reading a byte that another
  handle (of any process) has locked raises "[WinError 33] The process cannot
  access the file because another process has locked a portion of the file";
* **path length** — ``path_limits.path_limit`` answers 260 (``MAX_PATH``, as
  Windows does without ``LongPathsEnabled``);
* **DLL directories** — ``os.add_dll_directory`` (Windows only) is provided: a
  directory stays in ``dll_directories`` until its handle is closed;
* **case-insensitive names** (``case_insensitive=True``) — a path component
  matches an existing entry that differs only in case (NTFS, APFS defaults).

A process started with ``IIENV_SIMULATE_OS=windows:<root>`` installs the same
rules at start (tests/process_worker.py), so the multi-process tests run
under them too. What only real Windows shows (real DLL locking, long-path
behaviour, antivirus timing) runs on the CI workflow's Windows runners.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import fcntl
import io
import os
import struct
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ENV_VAR = "IIENV_SIMULATE_OS"
_MISSING = object()


def _winerror(code: int, text: str, path: str, cls: type[OSError] = PermissionError) -> OSError:
    exc = cls(errno.EACCES if cls is PermissionError else errno.EINVAL, f"[WinError {code}] {text}")
    exc.filename = path
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


class FakeMsvcrt:
    """``msvcrt.locking`` over fcntl record locks on the same byte range (cross-process)."""

    LK_NBLCK = 2
    LK_UNLCK = 0

    def __init__(self, sim: WindowsSim) -> None:
        self.sim = sim
        self.calls: list[tuple[int, int]] = []  # (mode, offset)

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        self.calls.append((mode, offset))
        key = (os.fstat(fd).st_ino, offset)
        if mode == self.LK_UNLCK:
            if self.sim.locked.get(key) == fd:
                del self.sim.locked[key]
                fcntl.lockf(fd, fcntl.LOCK_UN, nbytes, offset, os.SEEK_SET)
            return
        holder = self.sim.locked.get(key)
        if holder is not None and holder != fd:  # another handle of this process
            raise OSError(errno.EDEADLK, "Resource deadlock avoided")
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, nbytes, offset, os.SEEK_SET)
        except OSError:
            raise OSError(errno.EDEADLK, "Resource deadlock avoided") from None
        self.sim.locked[key] = fd


class _SimFile:
    """A file under the simulated root: reads are checked against mandatory locks."""

    def __init__(self, sim: WindowsSim, path: str, real: Any) -> None:
        self._sim, self._path, self._real = sim, path, real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def read(self, *args: Any) -> Any:
        self._sim.check_read(self._path, self._real.fileno())
        return self._real.read(*args)

    def readline(self, *args: Any) -> Any:
        self._sim.check_read(self._path, self._real.fileno())
        return self._real.readline(*args)

    def __iter__(self) -> Iterator[Any]:
        self._sim.check_read(self._path, self._real.fileno())
        return iter(self._real)

    def __enter__(self) -> _SimFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


class WindowsSim:
    """The rules above, for paths under ``root``; ``install()`` / ``uninstall()``."""

    def __init__(self, root: Path, case_insensitive: bool = False) -> None:
        self.root = str(root.resolve())
        self.case_insensitive = case_insensitive
        self.held: set[str] = set()  # hold(): files "loaded" besides /proc/self/maps
        self.open_files: weakref.WeakSet[Any] = weakref.WeakSet()
        self.locked: dict[tuple[int, int], int] = {}  # (inode, offset) -> fd (this process)
        self.refusals: list[str] = []  # what the layer refused, for the tests' asserts
        self.dll_directories: list[str] = []  # os.add_dll_directory's search list
        self.msvcrt = FakeMsvcrt(self)
        self._saved: dict[tuple[Any, str], Any] = {}

    # ---- what tests call --------------------------------------------------
    def hold(self, path: Path) -> None:
        """Treat ``path`` as a library loaded in this process."""
        self.held.add(str(path.resolve()))

    def release(self, path: Path) -> None:
        self.held.discard(str(path.resolve()))

    @contextlib.contextmanager
    def reading(self, path: Path, seconds: float | None = None) -> Iterator[None]:
        """Keep ``path`` open (as another Blender's redraw would), for ``seconds`` or the block."""
        handle = open(path, encoding="utf-8")
        timer = None
        if seconds is not None:
            timer = threading.Timer(seconds, handle.close)
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
            handle.close()

    def _add_dll_directory(self, path: str) -> Any:
        """``os.add_dll_directory``: the directory is searched until the handle is closed."""
        sim = self
        sim.dll_directories.append(os.fspath(path))

        class AddedDllDirectory:
            def __init__(self) -> None:
                self.path = os.fspath(path)

            def close(self) -> None:
                if self.path in sim.dll_directories:
                    sim.dll_directories.remove(self.path)

        return AddedDllDirectory()

    # ---- rules --------------------------------------------------------------
    def _mine(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root + os.sep)

    def _abs(self, path: Any, dir_fd: int | None = None) -> str:
        text = os.fsdecode(path)
        if dir_fd is not None and not os.path.isabs(text):
            text = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
        text = os.path.abspath(text)
        return self._fold(text) if self.case_insensitive else text

    def _fold(self, path: str) -> str:
        """The existing spelling of ``path`` under root, matching components without case."""
        if not self._mine(path):
            return path
        rest = os.path.relpath(path, self.root)
        current = self.root
        if rest == ".":
            return current
        for part in rest.split(os.sep):
            candidate = os.path.join(current, part)
            if not self._exists(candidate) and self._exists(current):
                for entry in os.listdir(current):
                    if entry.casefold() == part.casefold():
                        candidate = os.path.join(current, entry)
                        break
            current = candidate
        return current

    def _exists(self, path: str) -> bool:
        try:
            self._real_lstat(path)
        except OSError:
            return False
        return True

    def _loaded(self) -> set[str]:
        found = set(self.held)
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(None, 5)
                if len(fields) == 6 and self._mine(fields[5].rstrip("\n")):
                    found.add(fields[5].rstrip("\n"))
        return found

    def _open_now(self) -> set[str]:
        return {os.path.abspath(f.name) for f in list(self.open_files) if not f.closed}

    def check_change(self, path: str, action: str) -> None:
        """Refuse renaming/deleting ``path`` if it, or a file under it, is loaded or open."""
        if not self._mine(path):
            return
        inside = path + os.sep
        for loaded in self._loaded():
            if loaded == path or loaded.startswith(inside):
                self.refusals.append(f"{action} {path}: loaded {loaded}")
                raise _winerror(5, "Access is denied", path)
        for opened in self._open_now():
            if opened == path or opened.startswith(inside):
                self.refusals.append(f"{action} {path}: open {opened}")
                raise _winerror(
                    32,
                    "The process cannot access the file because it is being used by "
                    "another process",
                    path,
                )

    def check_read(self, path: str, fd: int) -> None:
        """Mandatory locks: a locked byte inside the file cannot be read through another handle."""
        size = os.fstat(fd).st_size
        if size == 0:
            return
        inode = os.fstat(fd).st_ino
        for (locked_inode, offset), holder in self.locked.items():
            if locked_inode == inode and offset < size and holder != fd:
                raise _winerror(33, "another process has locked a portion of the file", path)
        # other processes: ask the kernel who would conflict with a read lock on [0, size)
        query = struct.pack("hhxxxxqqixxxx", fcntl.F_WRLCK, os.SEEK_SET, 0, size, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        kind = struct.unpack("hhxxxxqqixxxx", answer)[0]
        if kind != fcntl.F_UNLCK:
            raise _winerror(33, "another process has locked a portion of the file", path)

    # ---- patching -------------------------------------------------------------
    def install(self) -> WindowsSim:
        sim = self
        real_rename, real_replace = os.rename, os.replace
        real_unlink, real_rmdir, real_kill = os.unlink, os.rmdir, os.kill
        real_open = builtins.open
        real_stat, real_lstat, real_mkdir = os.stat, os.lstat, os.mkdir
        self._real_lstat = real_lstat

        def rename(src: Any, dst: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None) -> None:
            a, b = sim._abs(src, src_dir_fd), sim._abs(dst, dst_dir_fd)
            sim.check_change(a, "rename")
            if sim._mine(b) and os.path.lexists(b):  # Windows' rename never replaces
                raise _winerror(
                    183, "Cannot create a file when that file already exists", b, FileExistsError
                )
            real_rename(a, b)

        def replace(src: Any, dst: Any, *, src_dir_fd: Any = None, dst_dir_fd: Any = None) -> None:
            a, b = sim._abs(src, src_dir_fd), sim._abs(dst, dst_dir_fd)
            sim.check_change(a, "rename")
            if os.path.lexists(b):
                sim.check_change(b, "replace")
            real_replace(a, b)

        def unlink(path: Any, *, dir_fd: Any = None) -> None:
            target = sim._abs(path, dir_fd)
            sim.check_change(target, "delete")
            real_unlink(target)

        def rmdir(path: Any, *, dir_fd: Any = None) -> None:
            target = sim._abs(path, dir_fd)
            sim.check_change(target, "delete")
            real_rmdir(target)

        def kill(pid: int, sig: int) -> None:
            if sig == 0:
                try:
                    real_kill(pid, 0)
                except ProcessLookupError:
                    raise _winerror(87, "The parameter is incorrect", "", OSError) from None
                return
            real_kill(pid, sig)

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, int):
                return real_open(file, mode, *args, **kwargs)
            path = sim._abs(file)
            if not sim._mine(path):
                return real_open(file, mode, *args, **kwargs)
            handle = real_open(path, mode, *args, **kwargs)
            sim.open_files.add(handle)
            return _SimFile(sim, path, handle)

        def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, int) or kwargs.get("dir_fd") is not None:
                return real_stat(path, *args, **kwargs)
            return real_stat(sim._abs(path), *args, **kwargs)

        def lstat(path: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("dir_fd") is not None:
                return real_lstat(path, *args, **kwargs)
            return real_lstat(sim._abs(path), *args, **kwargs)

        def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("dir_fd") is not None:
                return real_mkdir(path, *args, **kwargs)
            return real_mkdir(sim._abs(path), *args, **kwargs)

        patches: list[tuple[Any, str, Callable[..., Any]]] = [
            (os, "rename", rename),
            (os, "replace", replace),
            (os, "unlink", unlink),
            (os, "remove", unlink),
            (os, "rmdir", rmdir),
            (os, "kill", kill),
            (builtins, "open", open_),
            (io, "open", open_),
        ]
        if not hasattr(os, "add_dll_directory"):
            patches.append((os, "add_dll_directory", self._add_dll_directory))
        if self.case_insensitive:
            patches += [(os, "stat", stat), (os, "lstat", lstat), (os, "mkdir", mkdir)]
        for owner, name, function in patches:
            self._saved[(owner, name)] = getattr(owner, name, _MISSING)
            setattr(owner, name, function)
        from iienv_addon.core import locks, path_limits

        self._saved[(locks.BACKEND, "windows")] = locks.BACKEND.windows
        locks.BACKEND.windows = self.msvcrt
        # what Windows reports without LongPathsEnabled (the registry cannot be read here)
        self._saved[(path_limits, "path_limit")] = path_limits.path_limit
        path_limits.path_limit = lambda directory: path_limits.WINDOWS_MAX_PATH
        return self

    def uninstall(self) -> None:
        for (owner, name), value in self._saved.items():
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved.clear()


@contextlib.contextmanager
def simulated_windows(directory: Path, monkeypatch: Any) -> Iterator[WindowsSim]:
    """This process, and the worker processes it starts (``ENV_VAR``), under the rules."""
    sim = WindowsSim(directory).install()
    monkeypatch.setenv(ENV_VAR, f"windows:{directory}")
    try:
        yield sim
    finally:
        sim.uninstall()


def install_from_environment() -> WindowsSim | None:
    """In a worker process: ``IIENV_SIMULATE_OS=windows:<root>`` installs the rules."""
    value = os.environ.get(ENV_VAR, "")
    kind, _, root = value.partition(":")
    if kind != "windows" or not root:
        return None
    return WindowsSim(Path(root)).install()


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
