"""The lock backend on Windows (msvcrt.locking), with msvcrt faked: it cannot run here.

The fake keeps Windows' semantics that matter: a byte range locked through one
handle cannot be locked through another until it is unlocked, and a
non-blocking request that cannot be granted raises OSError.
"""

from __future__ import annotations

import os
from pathlib import Path

from iienv_addon.core.locks import LOCK_OFFSET, _Backend


class FakeMsvcrt:
    LK_NBLCK = 2
    LK_UNLCK = 0

    def __init__(self) -> None:
        self.held: dict[int, int] = {}  # inode -> fd holding byte 0

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        # one byte past any holder text: Windows locks are mandatory (locks.LOCK_OFFSET)
        assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == LOCK_OFFSET
        inode = os.fstat(fd).st_ino
        if mode == self.LK_UNLCK:
            if self.held.get(inode) == fd:
                del self.held[inode]
            return
        holder = self.held.get(inode)
        if holder is not None and holder != fd:
            raise OSError(36, "Resource deadlock avoided")  # what msvcrt raises for LK_NBLCK
        self.held[inode] = fd


def test_windows_backend_excludes_a_second_holder(tmp_path: Path) -> None:
    backend = _Backend(windows=FakeMsvcrt())
    path = tmp_path / "env.lock"
    first = open(path, "a+", encoding="utf-8")
    second = open(path, "a+", encoding="utf-8")
    try:
        assert backend.try_lock(first)
        assert not backend.try_lock(second)  # busy: another Blender holds it
        backend.unlock(first)
        assert backend.try_lock(second)
        backend.unlock(second)
    finally:
        first.close()
        second.close()
