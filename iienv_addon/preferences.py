"""The iienv Preferences: the UI panel and the API other add-ons call.

    prefs = bpy.context.preferences.addons["iienv"].preferences
    prefs.ensure_env(__package__, requirements=["numpy==1.26.4"])

(extension install: ``addons["bl_ext.user_default.iienv"]``; ``import iienv``
gives the same functions.) Each method is documented in ``api.py``.
"""

import bpy
from bpy.props import EnumProperty, StringProperty
from bpy.types import AddonPreferences

from . import api, farm
from .ui import draw_bundled, draw_installer, draw_preferences


def _installer_changed(self: "IienvPreferences", _context: bpy.types.Context) -> None:
    try:
        api.configure_installer(self.installer, self.uv_path)
    except api.IienvError as exc:  # (iienv not running, or a value it cannot use)
        print(f"iienv: {exc}")


class IienvPreferences(AddonPreferences):
    bl_idname = __package__

    installer: EnumProperty(  # type: ignore[valid-type]
        name="Installer",
        description="The program that installs add-ons' packages",
        items=[
            ("AUTO", "Automatic", "uv where one is found (bundled, configured or on PATH), "
             "else pip"),
            ("UV", "uv", "Always uv: an install fails with a clear error if none is found"),
            ("PIP", "pip", "Always pip, run by Blender's own Python"),
        ],
        default="AUTO",
        update=_installer_changed,
    )  # fmt: skip
    uv_path: StringProperty(  # type: ignore[valid-type]
        name="uv Executable",
        description="A uv to use before the bundled one and the one on PATH (optional)",
        subtype="FILE_PATH",
        default="",
        update=_installer_changed,
    )

    def draw(self, context: bpy.types.Context) -> None:
        try:
            infos = api.environments()
            problems = api.runtime().declaration_problems
            running = api.installer_description()
        except api.IienvError as exc:
            self.layout.label(text=str(exc), icon="ERROR")
            return
        draw_installer(self.layout, self, running)
        draw_preferences(self.layout, infos, problems)
        draw_bundled(self.layout, api.bundled_wheels())

    # The public API, as methods (see api.py for each one's documentation).
    ensure_env = staticmethod(api.ensure_env)
    install = staticmethod(api.install)
    start_install = staticmethod(api.start_install)
    cancel = staticmethod(api.cancel)
    uninstall = staticmethod(api.uninstall)
    purge = staticmethod(api.purge)
    reload = staticmethod(api.reload)
    repair = staticmethod(api.repair)
    watch = staticmethod(api.watch)
    activated = staticmethod(api.activated)
    environments = staticmethod(api.environments)
    configure_installer = staticmethod(api.configure_installer)
    installer_description = staticmethod(api.installer_description)
    env_of = staticmethod(api.env_of)
    bundled_wheels = staticmethod(api.bundled_wheels)
    isolate_bundled = staticmethod(api.isolate_bundled)
    # render farms (farm.py)
    export = staticmethod(farm.export)
    install_from = staticmethod(farm.install_from)
    verify = staticmethod(farm.verify)


CLASSES = (IienvPreferences,)
