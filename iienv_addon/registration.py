"""register()/unregister() of the add-on: one global manager for the whole process."""

from __future__ import annotations

import sys
from pathlib import Path

import addon_utils
import bpy

from . import api, cli, installer_choice, operators, preferences
from .core import Environment, IienvError, Manager
from .core.caller import MARKER
from .declarations import read_declaration, scan
from .extension_wheels import discover, follow_repos, judge_all, let_go_all, take_back
from .host import BlenderHost, addon_folders, environments_root, shared_site_packages
from .runtime import Runtime

_manager: Manager | None = None
_CLASSES = (*operators.CLASSES, *preferences.CLASSES)


def register(package: str, package_module: object) -> None:
    global _manager
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    root = environments_root(package)
    _manager = Manager(root, installer=_installer_settings(package, root))
    _manager.enable()
    runtime = api.start(_manager, BlenderHost())
    if package != "iienv":
        sys.modules.setdefault("iienv", package_module)  # type: ignore[arg-type]
    folders = addon_folders()
    runtime.declarations, runtime.declaration_problems = scan(folders)
    runtime.shared_site = shared_site_packages()
    judge_all(runtime, folders)  # extensions whose bundled wheels Blender overrides
    for addon in runtime.declarations:
        known = _manager.find(addon) or _manager.owner_env(addon) or _manager.broken_owner(addon)
        if known is None:
            _manager.create(addon, owners=[addon])
    _manager.discover_owner = OwnerDiscovery(runtime, folders)
    _attach_late(runtime)
    _repos_handler().append(_on_repos_changed)
    _follow_extensions_refresh()
    _register_cli()


def _installer_settings(package: str, root: Path) -> installer_choice.InstallerSettings:
    """The saved Preferences' installer choice (Automatic when there is none yet)."""
    preferences = bpy.context.preferences
    addon = preferences.addons.get(package) if preferences is not None else None
    prefs = getattr(addon, "preferences", None)
    choice = getattr(prefs, "installer", "AUTO")
    uv_path = getattr(prefs, "uv_path", "")
    return installer_choice.settings(str(choice), str(uv_path), root)


_cli_handle: object = None


def _register_cli() -> None:
    """``blender -c iienv ...`` (cli.py): Blender 4.2+ runs registered commands after
    add-ons are enabled; older Blenders have no command line for add-ons."""
    global _cli_handle
    register_cli = getattr(bpy.utils, "register_cli_command", None)
    if register_cli is not None and _cli_handle is None:
        _cli_handle = register_cli("iienv", cli.main)


def _unregister_cli() -> None:
    global _cli_handle
    unregister_cli = getattr(bpy.utils, "unregister_cli_command", None)
    if unregister_cli is not None and _cli_handle is not None:
        unregister_cli(_cli_handle)
    _cli_handle = None


def _repos_handler() -> list[object]:
    """Blender's handler list run after extension repositories changed (repositories
    added, removed, toggled); private in Blender 4.2-5.3, so looked up defensively."""
    handlers = getattr(bpy.app.handlers, "_extension_repos_update_post", None)
    return handlers if isinstance(handlers, list) else []


def _on_repos_changed(*_args: object) -> None:
    if api._runtime is not None:
        follow_repos(api._runtime)


def _follow_extensions_refresh() -> None:
    """Installing, updating and uninstalling one extension fires no handler: the
    Extensions operators end by calling ``addon_utils.extensions_refresh`` (after the
    files changed), so iienv follows from there, as bl_pkg hooks Blender's handlers.
    Put back by unregister()."""
    original = getattr(addon_utils, "extensions_refresh", None)
    if original is None or getattr(original, "__iienv_follows__", False):
        return

    def extensions_refresh(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        _on_repos_changed()
        return result

    extensions_refresh.__iienv_follows__ = True  # type: ignore[attr-defined]
    extensions_refresh.__wrapped__ = original  # type: ignore[attr-defined]
    addon_utils.extensions_refresh = extensions_refresh  # type: ignore[assignment]


def _stop_following_extensions_refresh() -> None:
    current = getattr(addon_utils, "extensions_refresh", None)
    if getattr(current, "__iienv_follows__", False):
        addon_utils.extensions_refresh = current.__wrapped__  # type: ignore[union-attr]


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
                if declaration is None and prefix.startswith("bl_ext."):
                    verdict = discover(self.runtime, fullname, directory)
                    if verdict is not None and verdict.isolated:
                        declaration = self.runtime.declarations[fullname]
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
    global _manager
    operators.stop_timer()
    _unregister_cli()
    while _on_repos_changed in _repos_handler():
        _repos_handler().remove(_on_repos_changed)
    _stop_following_extensions_refresh()
    # Isolated extensions go back to Blender's shared wheels: off now, on again below.
    handed_back = let_go_all(api._runtime) if api._runtime is not None else []
    host = api._runtime.host if api._runtime is not None else None
    api.stop()
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
    if host is not None:
        take_back(host, handed_back)
