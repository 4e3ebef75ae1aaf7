"""Which installer iienv runs in Blender: the Preferences setting, the bundled uv.

The engine takes an ``InstallerSettings`` (core/install_tools.py); this module
makes one from what Blender knows. The per-platform extension zip carries
uv's wheel for its platform in ``uv/`` (scripts/build.py); the legacy add-on
and the platform-neutral zip carry none and find uv on ``PATH`` or at the
configured path, or install with pip. The binary is unpacked into ``.uv/`` of
the environments root (the extension's user dir, or ``IIENV_ENVIRONMENTS``):
never into the extension's own folder, which Blender replaces on update and
which may be a read-only system repository.
"""

from __future__ import annotations

from pathlib import Path

from .core.install_tools import InstallerSettings, check_choice, search_uv
from .core.requirements import wheel_fits

# Preferences enum identifiers -> the engine's choice
CHOICES = {"AUTO": "auto", "UV": "uv", "PIP": "pip"}
BUNDLED_DIR = Path(__file__).resolve().parent / "uv"


def bundled_uv() -> tuple[Path, ...]:
    """uv wheels shipped inside this add-on that fit this machine (none in the legacy zip)."""
    if not BUNDLED_DIR.is_dir():
        return ()
    return tuple(sorted(w for w in BUNDLED_DIR.glob("uv-*.whl") if wheel_fits(w.name)))


def settings(choice: str, uv_path: str, environments_root: Path) -> InstallerSettings:
    """The engine's settings for the Preferences' ``installer`` and ``uv_path``."""
    return InstallerSettings(
        choice=check_choice(CHOICES.get(choice, choice)),
        uv_path=uv_path.strip() or None,
        bundled_uv=bundled_uv(),
        unpack_to=environments_root / ".uv",
    )


def describe(current: InstallerSettings) -> str:
    """What installs with ``current``, for the Preferences: 'uv 0.13.9 (the bundled uv ...)'."""
    if current.choice == "pip":
        return "pip (chosen)"
    search = search_uv(current)
    if search.found is not None:
        return f"uv {search.found.version_text} ({search.found.origin})"
    if current.choice == "uv":
        return f"none: uv was chosen but {search.reasons()}"
    return f"pip (no uv: {search.reasons()})"
