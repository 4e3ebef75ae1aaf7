"""Operators ``bpy.ops.iienv.install / cancel / uninstall / purge / reload``.

Each takes ``addon`` (the add-on's module name) and reports like Blender's own
operators: INFO on success, ERROR with the cause (headless, an ERROR report
raises RuntimeError). In the UI an install runs in a pip subprocess polled by
a timer, so Blender stays responsive; headless it blocks.
"""

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty
from bpy.types import Operator

from . import api
from .core import IienvError

POLL_SECONDS = 0.25
WATCH_SECONDS = 0.5


def poll_installs() -> float | None:
    """Timer callback: advance installs, redraw Preferences; None stops the timer."""
    try:
        running = api.poll_jobs()
    except IienvError:
        return None
    for window in getattr(bpy.context.window_manager, "windows", ()):
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()
    return POLL_SECONDS if running else None


def _start_timer() -> None:
    if not bpy.app.timers.is_registered(poll_installs):
        bpy.app.timers.register(poll_installs, first_interval=POLL_SECONDS)


def watch_files() -> float | None:
    """Timer callback: reload watched add-ons that changed; None stops the timer."""
    try:
        api.poll_watchers()
        return WATCH_SECONDS if api.watched() else None
    except IienvError:
        return None


def stop_timer() -> None:
    for timer in (poll_installs, watch_files):
        if bpy.app.timers.is_registered(timer):
            bpy.app.timers.unregister(timer)


class _AddonOperator(Operator):
    addon: StringProperty(  # type: ignore[valid-type]
        name="Add-on",
        description="Module name of the add-on whose environment this acts on",
    )

    def run(self) -> str:
        raise NotImplementedError

    def execute(self, context: bpy.types.Context) -> set[str]:  # type: ignore[override]
        try:
            message = self.run()
        except (IienvError, ImportError, RuntimeError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, message)
        return {"FINISHED"}


class IIENV_OT_install(_AddonOperator):
    """Install or update the add-on's environment from what it declares"""

    bl_idname = "iienv.install"
    bl_label = "Install / Update"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        if bpy.app.background:
            result = api.install(self.addon)
            packages = ", ".join(f"{k} {v}" for k, v in sorted(result.packages.items()))
            return f"iienv: installed {self.addon!r}: {packages}"
        api.start_install(self.addon)
        _start_timer()
        return f"iienv: installing {self.addon!r} in the background"


class IIENV_OT_cancel(_AddonOperator):
    """Stop the running install of this add-on's environment and roll it back"""

    bl_idname = "iienv.cancel"
    bl_label = "Cancel"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        if not api.cancel(self.addon):
            raise IienvError(f"iienv: no install of {self.addon!r} is running")
        return f"iienv: cancelling the install of {self.addon!r}"


class IIENV_OT_uninstall(_AddonOperator):
    """Disable the add-on, forget its modules and delete its environment's files"""

    bl_idname = "iienv.uninstall"
    bl_label = "Uninstall"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        removed = api.uninstall(self.addon)
        pending = api.info(self.addon).pending_bytes
        later = (
            f"; {pending / 1e6:.1f} MB held by a loaded library are deleted when Blender restarts"
            if pending
            else ""
        )
        return f"iienv: uninstalled {self.addon!r} ({len(removed)} modules removed{later})"


class IIENV_OT_repair(_AddonOperator):
    """Reinstall the add-on's environment (a damaged one is deleted and made anew)"""

    bl_idname = "iienv.repair"
    bl_label = "Repair"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        info = api.repair(self.addon)
        return f"iienv: repaired {self.addon!r} ({info.state})"


class IIENV_OT_purge(_AddonOperator):
    """Forget every module of the add-on and its environment (they load afresh next time)"""

    bl_idname = "iienv.purge"
    bl_label = "Purge"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        removed = api.purge(self.addon)
        return (
            f"iienv: purged {self.addon!r} ({len(removed)} modules removed); "
            f"enable it again to load it afresh"
        )


class IIENV_OT_reload(_AddonOperator):
    """Disable the add-on, purge it and its environment, and enable it again"""

    bl_idname = "iienv.reload"
    bl_label = "Reload"
    bl_options = {"INTERNAL"}

    def run(self) -> str:
        report = api.reload(self.addon)
        if not report.ok:
            raise IienvError(report.message)
        return f"{report.message} in {1000 * report.seconds:.0f} ms"


class IIENV_OT_watch(_AddonOperator):
    """Reload the add-on whenever its files or declared requirements change"""

    bl_idname = "iienv.watch"
    bl_label = "Auto-reload"
    bl_options = {"INTERNAL"}

    enable: BoolProperty(  # type: ignore[valid-type]
        name="Enable", description="Start (on) or stop (off) watching", default=True
    )

    def run(self) -> str:
        api.watch(self.addon, self.enable)
        if self.enable:
            if not bpy.app.timers.is_registered(watch_files):
                bpy.app.timers.register(watch_files, first_interval=WATCH_SECONDS, persistent=True)
            return f"iienv: reloading {self.addon!r} when its files change"
        return f"iienv: stopped watching {self.addon!r}"


class IIENV_OT_isolate_bundled(_AddonOperator):
    """Run this extension on its own bundled wheels, on Blender's shared ones, or by conflicts"""

    bl_idname = "iienv.isolate_bundled"
    bl_label = "Isolate bundled wheels"
    bl_options = {"INTERNAL"}

    choice: EnumProperty(  # type: ignore[valid-type]
        name="Choice",
        items=(
            ("auto", "Auto", "Isolate when its bundled versions differ from what it would get"),
            ("isolate", "Isolate", "Always run on its own bundled wheels"),
            ("never", "Never", "Always run on Blender's shared wheels"),
        ),
        default="isolate",
    )

    def run(self) -> str:
        info = api.isolate_bundled(self.addon, self.choice)
        where = "its own bundled wheels" if info.isolated else "Blender's shared wheels"
        return f"iienv: {self.addon!r} runs on {where} ({self.choice})"


CLASSES = (
    IIENV_OT_install,
    IIENV_OT_cancel,
    IIENV_OT_uninstall,
    IIENV_OT_repair,
    IIENV_OT_purge,
    IIENV_OT_reload,
    IIENV_OT_watch,
    IIENV_OT_isolate_bundled,
)
