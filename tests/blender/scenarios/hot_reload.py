"""Issue 5 must-show 1-3: hot reload of one add-on, driven through the watcher's timer callback."""

import sys
import textwrap
from pathlib import Path

import bpy
from common import NEW_NUMPY, UPDATE_NUMPY, enable, install_legacy, run

INIT = """
import bpy
import numpy as np

from . import values

bl_info = {"name": "hot", "blender": (3, 4, 0), "category": "Development"}
RESULT = {}


class HOT_OT_value(bpy.types.Operator):
    bl_idname = "hot_addon.value"
    bl_label = "hot value"

    def execute(self, context):
        RESULT.update(value=values.get(), numpy=np.__version__)
        return {"FINISHED"}


def timer_value():
    return values.get()


def on_depsgraph(*args):
    RESULT["handler"] = values.get()


def register():
    bpy.utils.register_class(HOT_OT_value)
    bpy.app.handlers.depsgraph_update_post.append(on_depsgraph)  # never removed: a leak
    if not bpy.app.timers.is_registered(timer_value):
        bpy.app.timers.register(timer_value, first_interval=3600)  # outlives reloads


def unregister():
    bpy.utils.unregister_class(HOT_OT_value)
"""


def value() -> dict:
    assert bpy.ops.hot_addon.value() == {"FINISHED"}
    return dict(sys.modules["hot_addon"].RESULT)


def tick() -> list:
    from iienv import api, operators

    before = dict(api.runtime().reloads)
    assert operators.watch_files() is not None  # the timer keeps running while watching
    return [r for a, r in api.runtime().reloads.items() if before.get(a) is not r]


def main() -> None:
    addons = install_legacy(names=("iienv_example_older",))
    hot = addons / "hot_addon"
    hot.mkdir()
    (hot / "__init__.py").write_text(textwrap.dedent(INIT))
    (hot / "values.py").write_text("def get():\n    return 1\n")
    (hot / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={NEW_NUMPY}"]\n')
    bpy.utils.refresh_script_paths()
    import numpy as blender_numpy

    for name in ("iienv", "iienv_example_older", "hot_addon"):
        enable(name)
    assert value() == {"value": 1, "numpy": NEW_NUMPY}
    other = sys.modules["iienv_example_older"]
    other_numpy = other.np
    import iienv

    iienv.watch("hot_addon", debounce=0)
    assert tick() == []  # nothing changed yet
    saved_timer = sys.modules["hot_addon"].timer_value  # what Blender's timer holds

    # 1: edit a submodule; the other add-on's modules are the same objects.
    (hot / "values.py").write_text("def get():\n    return 2\n")
    reports = tick()
    assert len(reports) == 1 and reports[0].ok, reports
    assert value() == {"value": 2, "numpy": NEW_NUMPY}
    assert sys.modules["iienv_example_older"] is other and other.np is other_numpy
    print(f"reload after a source edit: {1000 * reports[0].seconds:.0f} ms")
    # The handler the old code left behind was removed and reported, not left running.
    assert any("on_depsgraph" in c for c in reports[0].leftover_callbacks), reports[0]
    assert saved_timer() == 1  # without patching, a saved callback runs the old code
    assert any(
        "timers (unregistered)" in c and "timer_value" in c for c in reports[0].leftover_callbacks
    ), reports[0]
    assert not bpy.app.timers.is_registered(saved_timer)
    handlers = bpy.app.handlers.depsgraph_update_post
    mine = [h for h in handlers if getattr(h, "__module__", "") == "hot_addon"]
    # (Blender calls the handler; its frame makes its lookups the add-on's environment's)
    assert mine == [sys.modules["hot_addon"].on_depsgraph]  # the new code's, as it appended it

    # 2: change the declared numpy version: installed, then the add-on reloads on it.
    (hot / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={UPDATE_NUMPY}"]\n')
    reports = tick()
    assert len(reports) == 1 and reports[0].ok, reports
    assert value() == {"value": 2, "numpy": UPDATE_NUMPY}
    assert sys.modules["iienv_example_older"] is other and other.np is other_numpy
    assert sys.modules["numpy"] is blender_numpy
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}

    # 3: a syntax error disables the add-on with its location; fixing it recovers.
    (hot / "values.py").write_text("def get(:\n    return 3\n")
    reports = tick()
    assert len(reports) == 1 and not reports[0].ok, reports
    message = reports[0].message
    assert "syntax error" in message and "values.py, line 1" in message, message
    assert "hot_addon" not in bpy.context.preferences.addons
    assert not hasattr(bpy.types, "HOT_ADDON_OT_value")  # RNA name from bl_idname
    (hot / "values.py").write_text("def get():\n    return 3\n")
    reports = tick()
    assert len(reports) == 1 and reports[0].ok, reports
    assert "hot_addon" in bpy.context.preferences.addons
    assert value() == {"value": 3, "numpy": UPDATE_NUMPY}

    # 4 (opt-in): functions saved from old modules run the new code after a reload.
    iienv.watch("hot_addon", debounce=0, patch_functions=True)
    saved_timer = sys.modules["hot_addon"].timer_value
    (hot / "values.py").write_text("def get():\n    return 40 + 2\n")
    reports = tick()
    assert len(reports) == 1 and reports[0].ok and "patched" in reports[0].message, reports
    assert value()["value"] == 42
    assert saved_timer() == 42 and saved_timer is not sys.modules["hot_addon"].timer_value
    assert bpy.app.timers.is_registered(saved_timer)  # kept, running the new code
    assert any("kept, patched" in c for c in reports[0].leftover_callbacks), reports[0]
    iienv.watch("hot_addon", enabled=False)
    from iienv import operators

    assert operators.watch_files() is None  # nothing watched: the timer stops
    assert Path(sys.modules["hot_addon"].__file__).parent == hot


run(main)
