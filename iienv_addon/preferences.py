"""The iienv Preferences: the UI panel and the API other add-ons call.

    prefs = bpy.context.preferences.addons["iienv"].preferences
    prefs.ensure_env(__package__, requirements=["numpy==1.26.4"])

(extension install: ``addons["bl_ext.user_default.iienv"]``; ``import iienv``
gives the same functions.) Each method is documented in ``api.py``.
"""

import bpy
from bpy.types import AddonPreferences

from . import api, farm
from .ui import draw_bundled, draw_preferences


class IienvPreferences(AddonPreferences):
    bl_idname = __package__

    def draw(self, context: bpy.types.Context) -> None:
        try:
            infos = api.environments()
            problems = api.runtime().declaration_problems
        except api.IienvError as exc:
            self.layout.label(text=str(exc), icon="ERROR")
            return
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
    env_of = staticmethod(api.env_of)
    bundled_wheels = staticmethod(api.bundled_wheels)
    isolate_bundled = staticmethod(api.isolate_bundled)
    # render farms (farm.py)
    export = staticmethod(farm.export)
    install_from = staticmethod(farm.install_from)
    verify = staticmethod(farm.verify)


CLASSES = (IienvPreferences,)
