"""The one iienv runtime of a Blender process: its manager, host and bookkeeping.

Kept apart from api.py (the public functions) and reloading.py (hot reload),
which both work on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .bundled import Verdict
from .core import Manager
from .core.installer import InstallJob
from .declarations import Declaration
from .reloading import ReloadReport
from .watcher import AddonWatcher


class Host(Protocol):
    """What the API needs from Blender (or a test double of it)."""

    def is_enabled(self, addon: str) -> bool: ...
    def enable(self, addon: str) -> None: ...
    def disable(self, addon: str) -> None: ...
    def remove_leftover_callbacks(self, addon: str, keep_timers: bool = False) -> list[str]: ...


@dataclass
class Runtime:
    manager: Manager
    host: Host
    declarations: dict[str, Declaration] = field(default_factory=dict)
    declaration_problems: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, InstallJob] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    watchers: dict[str, AddonWatcher] = field(default_factory=dict)
    reloads: dict[str, ReloadReport] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)  # disabled by a failed reload
    patching: set[str] = field(default_factory=set)  # add-ons whose old functions get new code
    bundled: dict[str, Verdict] = field(default_factory=dict)  # extensions bundling wheels
    shared_site: Path | None = None  # Blender's extensions/.local/.../site-packages
