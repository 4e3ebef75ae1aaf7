"""Drawing the Preferences panel: every environment, its state and its buttons."""

from __future__ import annotations

from typing import Any

from .api import EnvInfo
from .extension_wheels import BundledInfo

_STATE_ICONS = {
    "installed": "CHECKMARK",
    "empty": "QUESTION",
    "installing": "SORTTIME",
    "failed": "ERROR",
    "broken": "CANCEL",
}


def human_size(num_bytes: int) -> str:
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def draw_installer(layout: Any, prefs: Any, running: str) -> None:
    """The installer setting (uv or pip) and what it gives on this machine now."""
    box = layout.box()
    row = box.row()
    row.prop(prefs, "installer")
    row.prop(prefs, "uv_path")
    for line in _wrap(f"Installs with: {running}", 110)[:3]:
        box.label(text=line)


def draw_preferences(layout: Any, infos: list[EnvInfo], problems: dict[str, str]) -> None:
    """Draw into a Blender UILayout (or anything with the same methods)."""
    col = layout.column()
    if not infos:
        col.label(text="No add-on uses an iienv environment yet.", icon="INFO")
    for info in infos:
        _draw_env(col.box(), info)
    for addon, problem in sorted(problems.items()):
        box = col.box()
        box.label(text=f"{addon}: its [iienv] declaration cannot be read", icon="ERROR")
        for line in _wrap(problem, 90)[:4]:
            box.label(text=line)


def draw_bundled(layout: Any, infos: list[BundledInfo]) -> None:
    """The "Bundled wheels" view: extensions' own wheels against Blender's shared install."""
    if not infos:
        return
    col = layout.column()
    col.label(text="Bundled wheels", icon="PACKAGE")
    for info in infos:
        box = col.box()
        row = box.row()
        row.label(text=info.addon, icon="PLUGIN")
        state = "isolated: runs its own wheels" if info.isolated else "on Blender's shared wheels"
        row.label(text=state, icon="LOCKED" if info.isolated else "UNLOCKED")
        for name, version in sorted(info.bundles.items()):
            given = info.conflicts.get(name, (version, version))[1]
            text = f"{name}: bundles {version}, shared install {info.shared.get(name, 'missing')}"
            if name in info.conflicts:
                text += f", without iienv it gets {given}"
            box.label(text=text, icon="ERROR" if name in info.conflicts else "CHECKMARK")
        if info.skipped:
            box.label(text=f"{len(info.skipped)} wheel(s) for other platforms or Pythons")
        row = box.row(align=True)
        for choice, text in (("auto", "Auto"), ("isolate", "Isolate"), ("never", "Never")):
            props = row.operator(
                "iienv.isolate_bundled",
                text=text,
                icon="RADIOBUT_ON" if info.choice == choice else "RADIOBUT_OFF",
            )
            props.addon = info.addon
            props.choice = choice


def _draw_env(box: Any, info: EnvInfo) -> None:
    row = box.row()
    row.label(text=info.addon, icon="PACKAGE")
    row.label(text=info.state, icon=_STATE_ICONS.get(info.state, "DOT"))
    if info.state == "installing":
        row = box.row()
        if hasattr(row, "progress"):  # Blender 4.0+
            row.progress(factor=info.progress, type="BAR", text=info.message[:80])
        else:
            row.label(text=f"{info.progress:.0%}  {info.message[:80]}")
        _op(row, "iienv.cancel", "Cancel", "CANCEL", info.addon)
        return
    if info.state == "broken":  # damaged state on disk: say why, offer the two ways out
        for line in _wrap(info.message, 90)[:6]:
            box.label(text=line, icon="ERROR")
        row = box.row(align=True)
        _op(row, "iienv.repair", "Repair", "TOOL_SETTINGS", info.addon)
        _op(row, "iienv.uninstall", "Remove", "TRASH", info.addon)
        return
    if info.packages:
        packages = ", ".join(f"{name} {version}" for name, version in sorted(info.packages.items()))
        for line in _wrap(packages, 90):
            box.label(text=line)
    elif info.requirements:
        box.label(text="Declares: " + ", ".join(info.requirements))
    box.label(text=f"{info.modules_loaded} modules loaded, {human_size(info.disk_bytes)} on disk")
    if info.state == "failed":
        for line in _wrap(info.message, 90)[:6]:
            box.label(text=line, icon="ERROR")
    elif info.message:  # e.g. "updated by another Blender"
        box.label(text=info.message[:120], icon="INFO")
    if info.reload_message:
        box.label(text=info.reload_message[:120], icon="FILE_REFRESH")
    row = box.row(align=True)
    _op(row, "iienv.install", "Install / Update", "IMPORT", info.addon)
    _op(row, "iienv.uninstall", "Uninstall", "TRASH", info.addon)
    _op(row, "iienv.purge", "Purge", "X", info.addon)
    _op(row, "iienv.reload", "Reload", "FILE_REFRESH", info.addon)
    watch = row.operator(
        "iienv.watch", text="Auto-reload", icon="CHECKBOX_HLT" if info.watched else "CHECKBOX_DEHLT"
    )
    watch.addon = info.addon
    watch.enable = not info.watched


def _op(row: Any, idname: str, text: str, icon: str, addon: str) -> None:
    props = row.operator(idname, text=text, icon=icon)
    props.addon = addon


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        while len(paragraph) > width:
            cut = paragraph.rfind(" ", 0, width)
            cut = cut if cut > 0 else width
            lines.append(paragraph[:cut])
            paragraph = paragraph[cut:].lstrip()
        lines.append(paragraph)
    return lines
