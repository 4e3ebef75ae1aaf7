"""Run by Debian trixie's blender 4.3.2 under Xvfb (``--python``): the real event loop.

iienv is installed and enabled as an extension (``blender --command extension
install-file -e``) before this starts. This script enables two legacy add-ons
whose environments hold an older and a newer numpy beside Blender's (Debian's
python3-numpy) and an add-on without an environment, then drives Blender's own
event loop with a timer of its own: operators (also ``INVOKE_DEFAULT`` of a
modal one), an edit (msgbus, depsgraph), a frame change (handlers, drivers), a
menu opened in the 3D view, redraws of a sidebar panel, the header and the
viewport. Global code checks Blender's numpy while the add-ons' threads live.
Writes a JSON report (argv after ``--``: report path, add-on names) and quits.
"""

import importlib
import json
import pickle
import sys
import time
import traceback

import addon_utils
import bpy

REPORT = sys.argv[sys.argv.index("--") + 1]
ADDONS = sys.argv[sys.argv.index("--") + 2].split(",")
PLAIN = "iienv_path_plain"
STARTED = time.monotonic()
STATE = {"step": 0}
report = {"global": {}, "addons": {}, "errors": []}


def fail(exc):
    raise exc


def view3d():
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                region = next(r for r in area.regions if r.type == "WINDOW")
                return window, area, region
    raise RuntimeError("no 3D view in the startup file")


def global_checks():
    import numpy as blender_numpy

    out = report["global"]
    enabled = bpy.context.preferences.addons.keys()
    out["iienv_enabled"] = any(name.endswith("iienv") for name in enabled)
    out["blender_numpy"] = blender_numpy.__version__
    candidates = ("numpy.polynomial.hermite_e", "numpy.ma.mrecords", "numpy.lib.recfunctions",
                  "numpy.polynomial.laguerre", "numpy.testing")  # fmt: skip
    fresh = [n for n in candidates if n not in sys.modules]
    out["first_imports"] = []
    for name in fresh:  # first imports of Blender's numpy submodules, add-on threads alive
        module = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        ok = getattr(sys.modules[parent], child) is module and module.__file__.startswith(
            blender_numpy.__file__.rpartition("/")[0]
        )
        out["first_imports"].append([name, ok])
    rng = blender_numpy.random.default_rng(1)
    out["blender_call_time_import"] = list(rng.multivariate_normal([0.0], [[1.0]], size=2).shape)
    out["pickle"] = pickle.loads(pickle.dumps(blender_numpy.arange(3))).tolist()
    out["sys_modules_numpy_is_blenders"] = sys.modules["numpy"] is blender_numpy


def step():
    try:
        return _step()
    except BaseException:
        report["errors"].append(traceback.format_exc())
        finish()
        return None


def _step():
    n = STATE["step"]
    STATE["step"] += 1
    modules = [sys.modules[name] for name in ADDONS]
    window, area, region = view3d()
    scene = bpy.context.scene
    if n == 0:
        area.spaces.active.show_region_ui = True  # the sidebar, where the panels draw
        cube = scene.objects["Cube"]
        for index, name in enumerate(ADDONS):
            curve = cube.driver_add("rotation_euler", index)
            curve.driver.type = "SCRIPTED"
            curve.driver.expression = f"{name}_fn(frame)"
        with bpy.context.temp_override(window=window, area=area, region=region):
            for name in ADDONS:
                short = name.removeprefix("iienv_path_")
                getattr(bpy.ops.iienv_path, short + "_modal")("INVOKE_DEFAULT")
                getattr(bpy.ops.iienv_path, short + "_probe")()
        global_checks()
        return 0.2
    if n == 1:
        scene.objects["Cube"].location.x += 1.0  # msgbus, depsgraph update
        for name in ADDONS:
            setattr(scene, name + "_edit", 3)  # a property's update callback
        scene.frame_set(scene.frame_current + 1)  # frame change handlers, drivers
        area.tag_redraw()
        return 0.3
    if n == 2:
        with bpy.context.temp_override(window=window, area=area, region=region):
            bpy.ops.wm.call_menu(name="VIEW3D_MT_add")
        return 0.5
    missing = {m.__name__: [w for w in EXPECTED if w not in m.RESULTS] for m in modules}
    if any(missing.values()) and time.monotonic() - STARTED < 90:
        area.tag_redraw()
        scene.objects["Cube"].location.x += 0.01  # depsgraph updates (the late handlers)
        if n % 5 == 0:
            scene.frame_set(scene.frame_current + 1)
        return 0.3
    plain = sys.modules[PLAIN]
    for module in modules:
        module.tagged("called from a script")
        plain.call(module.tagged, "called from another add-on")
    report["global"]["waited_seconds"] = round(time.monotonic() - STARTED, 1)
    report["global"]["plain_gets_blenders_numpy"] = plain.blender_numpy() is sys.modules["numpy"]
    finish()
    return None


def finish():
    import iienv

    sites = {info.addon: str(info.site_dir) for info in iienv.environments()}
    for name in ADDONS:
        module = sys.modules.get(name)
        if module is None:
            continue
        try:
            addon_utils.disable(name, default_set=False, handle_error=fail)  # its thread samples
        except BaseException:
            report["errors"].append(traceback.format_exc())
        report["addons"][name] = {
            "results": module.RESULTS,
            "failures": module.FAILURES,
            "site_dir": sites.get(name),
        }
    report["global"]["third_party_modules"] = sorted(
        n for n in sys.modules if n.partition(".")[0] in ("pip", "_distutils_hack", "packaging")
    )
    with open(REPORT, "w") as f:
        json.dump(report, f)
    bpy.ops.wm.quit_blender()


sys.path.insert(0, __file__.rpartition("/")[0])
from every_path_addon import WHERE  # noqa: E402

EXPECTED = [w for w in WHERE if not w.startswith(("called from", "thread alive"))]
try:
    for name in (PLAIN, *ADDONS):
        addon_utils.enable(name, default_set=False, handle_error=fail)
    bpy.app.timers.register(step, first_interval=1.0)
except BaseException:
    report["errors"].append(traceback.format_exc())
    with open(REPORT, "w") as f:
        json.dump(report, f)
    bpy.ops.wm.quit_blender()
