"""What iienv needs from Blender itself: paths, and enabling/disabling add-ons."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import addon_utils
import bpy

from .code_patch import functions_of


class BlenderHost:
    """Enables and disables add-ons through Blender's own addon_utils."""

    def is_enabled(self, addon: str) -> bool:
        preferences = bpy.context.preferences
        return preferences is not None and addon in preferences.addons

    def enable(self, addon: str) -> None:
        # (fake-bpy-module's stub says enable() returns None; it returns the module)
        mod = addon_utils.enable(addon, default_set=True, handle_error=_raise)  # type: ignore[func-returns-value]
        if mod is None:
            raise RuntimeError(f"iienv: Blender could not enable add-on {addon!r}")

    def disable(self, addon: str) -> None:
        addon_utils.disable(addon, default_set=True, handle_error=_raise)

    def remove_leftover_callbacks(self, addon: str, keep_timers: bool = False) -> list[str]:
        """Handlers and timers the add-on's unregister() left behind (they would run old code).

        Timers are found among the functions of the add-on's loaded modules;
        ``keep_timers`` leaves them registered (their code gets patched instead).
        msgbus subscriptions cannot be listed by Blender's API and are not seen.
        """
        removed = []
        modules = [
            m for n, m in list(sys.modules.items()) if n == addon or n.startswith(addon + ".")
        ]
        for key, fn in functions_of({m.__name__: m for m in modules}).items():
            if bpy.app.timers.is_registered(fn):
                if not keep_timers:
                    bpy.app.timers.unregister(fn)
                state = "kept, patched" if keep_timers else "unregistered"
                removed.append(f"bpy.app.timers ({state}): {key[0]}.{key[1]}")
        for name in dir(bpy.app.handlers):
            handlers = getattr(bpy.app.handlers, name)
            if not isinstance(handlers, list):
                continue
            for fn in list(handlers):
                module = getattr(fn, "__module__", "") or ""
                if module == addon or module.startswith(addon + "."):
                    handlers.remove(fn)
                    removed.append(f"bpy.app.handlers.{name}: {getattr(fn, '__qualname__', fn)}")
        return removed


def _raise(exc: BaseException) -> None:
    raise exc


def environments_root(package: str) -> Path:
    """Where environments live: the extension's user dir, or a user data dir (legacy).

    ``IIENV_ENVIRONMENTS`` puts them elsewhere: a short folder where Windows
    limits paths to 260 characters (path_limits.py), a fast local disk.
    """
    chosen = os.environ.get("IIENV_ENVIRONMENTS")
    if chosen:
        return Path(chosen).expanduser()
    if package.startswith("bl_ext."):
        return Path(bpy.utils.extension_path_user(package, path="environments", create=True))
    return Path(bpy.utils.user_resource("DATAFILES", path="iienv/environments", create=True))


def addon_folders() -> list[tuple[str, Path]]:
    """(module prefix, folder) of every place add-ons and extensions are installed."""
    paths: list[str] = addon_utils.paths()  # type: ignore[func-returns-value,assignment]
    folders = [("", Path(p)) for p in paths]
    extensions = getattr(bpy.context.preferences, "extensions", None)
    for repo in getattr(extensions, "repos", ()):
        if getattr(repo, "enabled", True) and repo.directory:
            folders.append((f"bl_ext.{repo.module}.", Path(repo.directory)))
    return folders


def shared_site_packages() -> Path | None:
    """Where Blender extracts the wheels of all enabled extensions (4.2+), if anywhere."""
    try:
        extensions = Path(bpy.utils.user_resource("EXTENSIONS"))
    except (TypeError, ValueError):  # Blender before 4.2: no extensions
        return None
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return extensions / ".local" / "lib" / version / "site-packages"
