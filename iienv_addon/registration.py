"""register()/unregister() of the add-on: one global manager for the whole process."""

from __future__ import annotations

import sys

import bpy

from . import api, operators, preferences
from .core import Manager
from .core.finder import MARKER
from .declarations import scan
from .host import BlenderHost, addon_folders, environments_root

_manager: Manager | None = None
_CLASSES = (*operators.CLASSES, *preferences.CLASSES)


def register(package: str, package_module: object) -> None:
    global _manager
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    _manager = Manager(environments_root(package))
    _manager.enable()
    runtime = api.start(_manager, BlenderHost())
    if package != "iienv":
        sys.modules.setdefault("iienv", package_module)  # type: ignore[arg-type]
    runtime.declarations, runtime.declaration_problems = scan(addon_folders())
    for addon in runtime.declarations:
        if addon not in _manager._envs and _manager._owner_env(addon) is None:
            _manager.create(addon, owners=[addon])
    _attach_late(runtime)


def _attach_late(runtime: api.Runtime) -> None:
    """Add-ons enabled before iienv run without their environment: enable them again."""
    for addon in runtime.declarations:
        module = sys.modules.get(addon)
        if module is None or MARKER in module.__dict__ or not runtime.host.is_enabled(addon):
            continue
        print(f"iienv: re-enabling {addon!r} under its environment")
        runtime.host.disable(addon)
        runtime.manager.purge(addon)
        try:
            runtime.host.enable(addon)
        except Exception as exc:  # keep iienv itself working; the add-on reports its error
            runtime.failures[addon] = str(exc)


def unregister(package: str) -> None:
    global _manager
    operators.stop_timer()
    api.stop()
    if _manager is not None:
        _manager.disable()
        _manager = None
    if package != "iienv" and sys.modules.get("iienv") is sys.modules.get(package):
        del sys.modules["iienv"]
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
