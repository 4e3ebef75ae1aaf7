"""Noticing that an add-on's source files or its declared requirements changed.

Polling, not OS notifications: no dependencies, the same on every platform, and
cheap for an add-on folder (a stat per file). A change is reported once the
folder has stayed the same for ``debounce`` seconds, so a save that writes
several files (or an editor's temp-file dance) gives one reload.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .declarations import DECLARATION_FILES

Stamp = tuple[int, int]  # (mtime_ns, size)


@dataclass(frozen=True)
class Change:
    """What changed since the last reported state."""

    files: tuple[Path, ...]
    declaration_changed: bool


@dataclass
class AddonWatcher:
    addon: str
    directory: Path
    debounce: float = 0.3
    clock: Callable[[], float] = time.monotonic
    _base: dict[Path, Stamp] = field(default_factory=dict)
    _pending: dict[Path, Stamp] | None = None
    _pending_since: float = 0.0

    def __post_init__(self) -> None:
        self._base = self.scan()

    def scan(self) -> dict[Path, Stamp]:
        stamps: dict[Path, Stamp] = {}
        for dirpath, dirnames, filenames in os.walk(self.directory):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            for name in filenames:
                if name.endswith(".py") or name in DECLARATION_FILES:
                    path = Path(dirpath, name)
                    try:
                        st = path.stat()
                    except OSError:
                        continue
                    stamps[path] = (st.st_mtime_ns, st.st_size)
        return stamps

    def poll(self) -> Change | None:
        """The change to act on now, or None (nothing changed, or still settling)."""
        now_stamps = self.scan()
        if now_stamps == self._base:
            self._pending = None
            return None
        if now_stamps != self._pending:
            self._pending, self._pending_since = now_stamps, self.clock()
            if self.debounce > 0:
                return None
        if self.clock() - self._pending_since < self.debounce:
            return None
        changed = {p for p in now_stamps.keys() | self._base.keys()
                   if now_stamps.get(p) != self._base.get(p)}  # fmt: skip
        self._base, self._pending = now_stamps, None
        return Change(
            files=tuple(sorted(changed)),
            declaration_changed=any(p.name in DECLARATION_FILES for p in changed),
        )
