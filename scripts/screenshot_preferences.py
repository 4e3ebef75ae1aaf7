"""Take a screenshot of iienv's Preferences in a real Blender 4.3 window (trixie's binary).

Run by scripts/screenshot.sh under xvfb-run in the trixie chroot, iienv installed
as an extension: enables the two example add-ons (their environments install
offline from the chroot's wheels), runs them, shows Preferences > Add-ons > iienv
expanded (environments, a broken one with Repair, the Bundled wheels view),
copies the X server's framebuffer file to IIENV_SCREENSHOT (XWD; the shell script
converts it) and quits.
"""

import os
import shutil
import sys

import addon_utils
import bpy

OUT = os.environ["IIENV_SCREENSHOT"]
EXAMPLES = ("iienv_example_older", "iienv_example_newer")
IIENV = "bl_ext.user_default.iienv"


def setup() -> None:
    for name in EXAMPLES:
        addon_utils.enable(name, default_set=True)
    bpy.ops.iienv_example_older.compute()
    bpy.ops.iienv_example_newer.compute()
    prefs = bpy.context.preferences
    prefs.view.ui_scale = 0.9
    prefs.active_section = "ADDONS"
    bpy.context.window_manager.addon_search = "iienv"
    for mod in addon_utils.modules():
        if mod.__name__ == IIENV:
            addon_utils.module_bl_info(mod)["show_expanded"] = True
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    area.type = "PREFERENCES"


def shoot() -> None:
    shutil.copy(os.environ["IIENV_FRAMEBUFFER"], OUT)  # what the X screen shows now
    print(f"screenshot: {OUT}", flush=True)
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
