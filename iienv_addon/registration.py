"""register()/unregister() of the add-on: one global manager for the whole process."""

from __future__ import annotations

import sys
from pathlib import Path

import bpy

from . import api, operators, preferences
from .core import Environment, IienvError, Manager
from .core.caller import MARKER
from .declarations import read_declaration, scan
from .doors import Doors
from .host import BlenderHost, addon_folders, environments_root
from .runtime import Runtime

_manager: Manager | None = None
_doors: Doors | None = None
_CLASSES = (*operators.CLASSES, *preferences.CLASSES)


def register(package: str, package_module: object) -> None:
    global _manager, _doors
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    _manager = Manager(environments_root(package))
    _manager.enable()
    _doors = Doors(_manager)
    _doors.install()
    runtime = api.start(_manager, BlenderHost())
    if package != "iienv":
        sys.modules.setdefault("iienv", package_module)  # type: ignore[arg-type]
    folders = addon_folders()
    runtime.declarations, runtime.declaration_problems = scan(folders)
    for addon in runtime.declarations:
        known = _manager.find(addon) or _manager.owner_env(addon) or _manager.broken_owner(addon)
        if known is None:
            _manager.create(addon, owners=[addon])
    _manager.discover_owner = OwnerDiscovery(runtime, folders)
    _attach_late(runtime)


class OwnerDiscovery:
    """Finds the declaration of an add-on installed after iienv started, at its first import."""

    def __init__(self, runtime: Runtime, folders: list[tuple[str, Path]]) -> None:
        self.runtime = runtime
        self.folders = folders
        self.checked: set[str] = set()

    def __call__(self, fullname: str) -> Environment | None:
        if fullname in self.checked:
            return None
        parts = fullname.split(".")
        if not (len(parts) == 1 or (len(parts) == 3 and parts[0] == "bl_ext")):
            return None
        self.checked.add(fullname)
        prefix, name = fullname[: -len(parts[-1])], parts[-1]
        for folder_prefix, folder in self.folders:
            directory = folder / name
            if folder_prefix != prefix or not (directory / "__init__.py").is_file():
                continue
            try:
                declaration = read_declaration(fullname, directory)
            except IienvError as exc:
                self.runtime.declaration_problems[fullname] = str(exc)
                return None
            if declaration is None:
                return None
            manager = self.runtime.manager
            self.runtime.declarations[fullname] = declaration
            if manager.broken_owner(fullname) is not None:
                return None  # the finder refuses it with the reason
            return manager.find(fullname) or manager.create(fullname, owners=[fullname])
        return None


def _attach_late(runtime: Runtime) -> None:
    """Add-ons enabled before iienv run without their environment: enable them again."""
    for addon in runtime.declarations:
        module = sys.modules.get(addon)
        if module is None or MARKER in module.__dict__ or not runtime.host.is_enabled(addon):
            continue
        print(f"iienv: re-enabling {addon!r} under its environment")
        runtime.host.disable(addon)
        broken = runtime.manager.broken_owner(addon)
        if broken is not None:  # never leave it running on Blender's modules
            runtime.failures[addon] = broken.reason
            print(f"iienv: {addon!r} stays disabled: its environment is damaged ({broken.reason})")
            continue
        runtime.manager.purge(addon)
        try:
            runtime.host.enable(addon)
        except Exception as exc:  # keep iienv itself working; the add-on reports its error
            runtime.failures[addon] = str(exc)


def unregister(package: str) -> None:
    global _manager, _doors
    operators.stop_timer()
    api.stop()
    if _doors is not None:
        _doors.uninstall()
        _doors = None
    if _manager is not None:
        # Break manager -> discovery -> runtime -> manager: objects of iienv that
        # live on until interpreter finalization hang the bpy module at exit.
        _manager.discover_owner = None
        _manager.disable()
        _manager = None
    if package != "iienv" and sys.modules.get("iienv") is sys.modules.get(package):
        del sys.modules["iienv"]
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
