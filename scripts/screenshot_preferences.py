"""Take a screenshot of iienv's Preferences in a real Blender window (Debian's binary).

Run by `make screenshot` under xvfb-run with a throwaway profile: installs iienv and
the two example add-ons (legacy form), enables them (which installs their
environments offline), shows Preferences > Add-ons > iienv expanded, saves
docs/preferences.png and quits.
"""

import os
import shutil
import sys
from pathlib import Path

import addon_utils
import bpy

REPO = Path(os.environ["IIENV_REPO"])
OUT = Path(os.environ.get("IIENV_SCREENSHOT", REPO / "docs" / "preferences.png"))
EXAMPLES = ("iienv_example_older", "iienv_example_newer")


def setup() -> None:
    bpy.context.preferences.view.show_splash = False
    addons = Path(bpy.utils.user_resource("SCRIPTS", path="addons", create=True))
    shutil.copytree(REPO / "iienv_addon", addons / "iienv", dirs_exist_ok=True)
    for name in EXAMPLES:
        shutil.copytree(REPO / "examples" / "addons" / name, addons / name, dirs_exist_ok=True)
    bpy.utils.refresh_script_paths()
    for name in ("iienv", *EXAMPLES):
        addon_utils.enable(name, default_set=True)
    bpy.ops.iienv_example_older.compute()
    bpy.ops.iienv_example_newer.compute()
    prefs = bpy.context.preferences
    prefs.active_section = "ADDONS"
    bpy.context.window_manager.addon_search = "iienv"
    for mod in addon_utils.modules():
        if mod.__name__ == "iienv":
            addon_utils.module_bl_info(mod)["show_expanded"] = True
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    area.type = "PREFERENCES"


def shoot() -> None:
    window = bpy.context.window_manager.windows[0]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with bpy.context.temp_override(window=window, screen=window.screen):
        bpy.ops.screen.screenshot(filepath=str(OUT))
    print(f"screenshot: {OUT}", flush=True)
    for name in (*EXAMPLES, "iienv"):
        addon_utils.disable(name, default_set=True)
    sys.stdout.flush()
    os._exit(0)


def step(state={"n": 0}):  # noqa: B006  (timer state)
    state["n"] += 1
    if state["n"] == 1:
        setup()
        return 2.0
    shoot()
    return None


bpy.app.timers.register(step, first_interval=1.0)
