"""Issue 8 in bpy 4.5: an add-on's code *runs* in its environment, through Blender's doors.

The add-on declares numpy 2.4.6 beside Blender's own numpy. numpy 2's
``Generator.multivariate_normal`` imports ``numpy.linalg`` inside the compiled
method, by name, on every call: without a scope it gets Blender's
``numpy.linalg`` (RecursionError). Called through an operator, a property's
update callback, a handler and a timer registered in ``register()``, and
from a thread the operator starts and joins, it must get the add-on's.
"""

import sys
import textwrap
import threading
from pathlib import Path

import bpy
from common import (
    BLENDER_NUMPY,
    NEW_NUMPY,
    disable,
    enable,
    install_legacy,
    run,
)

ADDON = "iienv_rt_doors"

SOURCE = """
bl_info = {"name": "iienv run-time doors", "blender": (3, 4, 0), "category": "Development"}

import importlib
import threading

import bpy
import numpy as np

RESULTS = []


def sample(where):
    rng = np.random.default_rng(0)
    shape = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=2).shape
    RESULTS.append((where, importlib.import_module("numpy").__version__, shape))


def on_depsgraph(scene, depsgraph):
    sample("handler")


def on_timer():
    sample("timer")
    return None


def on_update(self, context):
    sample("update")


def on_direct_update(self, context):
    sample("direct update")


class IIENV_RT_OT_probe(bpy.types.Operator):
    bl_idname = "iienv_rt.probe"
    bl_label = "Probe"

    def execute(self, context):
        sample("operator")
        seen = []

        def worker():
            import numpy.polynomial  # a first import from a thread while the operator runs
            seen.append(importlib.import_module("numpy").__version__)
            seen.append(numpy.polynomial.Polynomial([1, 2])(1))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=60)
        RESULTS.append(("thread", *seen, thread.is_alive()))
        return {"FINISHED"}


class IIENV_RT_PG_settings(bpy.types.PropertyGroup):
    value: bpy.props.FloatProperty(update=on_update)


def register():
    bpy.utils.register_class(IIENV_RT_OT_probe)
    bpy.utils.register_class(IIENV_RT_PG_settings)
    bpy.types.Scene.iienv_rt = bpy.props.PointerProperty(type=IIENV_RT_PG_settings)
    bpy.types.Scene.iienv_rt_direct = bpy.props.IntProperty(update=on_direct_update)
    bpy.app.handlers.depsgraph_update_post.append(on_depsgraph)
    bpy.app.timers.register(on_timer, first_interval=100.0)
    sample("register")


def unregister():
    bpy.app.handlers.depsgraph_update_post.remove(on_depsgraph)
    if bpy.app.timers.is_registered(on_timer):
        bpy.app.timers.unregister(on_timer)
    del bpy.types.Scene.iienv_rt
    del bpy.types.Scene.iienv_rt_direct
    bpy.utils.unregister_class(IIENV_RT_PG_settings)
    bpy.utils.unregister_class(IIENV_RT_OT_probe)
"""


def write_addon(addons: Path) -> None:
    folder = addons / ADDON
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
    (folder / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={NEW_NUMPY}"]\n')


def main() -> None:
    import numpy as blender_numpy

    addons = install_legacy(names=())
    write_addon(addons)
    enable("iienv")
    enable(ADDON)
    module = sys.modules[ADDON]
    expected = (NEW_NUMPY, (2, 2))
    assert module.RESULTS == [("register", *expected)], module.RESULTS

    assert bpy.ops.iienv_rt.probe() == {"FINISHED"}
    assert module.RESULTS[1] == ("operator", *expected), module.RESULTS
    assert module.RESULTS[2] == ("thread", NEW_NUMPY, 3.0, False), module.RESULTS

    bpy.context.scene.iienv_rt.value = 2.0  # property update callback
    assert module.RESULTS[3] == ("update", *expected), module.RESULTS
    bpy.context.scene.iienv_rt_direct = 3  # a property defined outside a class
    assert module.RESULTS.pop(4) == ("direct update", *expected), module.RESULTS

    # Blender calls what is in the handler list; timers never fire headless, so
    # the scenario calls what Blender would (the registered door functions).
    handler = next(
        fn
        for fn in bpy.app.handlers.depsgraph_update_post
        if getattr(fn, "__name__", "") == "on_depsgraph"
    )
    handler(bpy.context.scene, None)
    assert module.RESULTS[4] == ("handler", *expected), module.RESULTS
    assert bpy.app.timers.is_registered(module.on_timer)
    import iienv

    with iienv.activated(ADDON):  # what an add-on does where no door covers it
        module.on_timer()
    assert module.RESULTS[5] == ("timer", *expected), module.RESULTS

    # Blender's own numpy is untouched, for Blender and for global code
    assert sys.modules["numpy"] is blender_numpy
    assert sys.modules["numpy.linalg"] is blender_numpy.linalg
    assert blender_numpy.__version__ == BLENDER_NUMPY
    assert threading.active_count() == 1

    # unregister() removes its own handler and timer (doors swapped back first)
    disable(ADDON)
    assert not [
        fn
        for fn in bpy.app.handlers.depsgraph_update_post
        if getattr(fn, "__name__", "") == "on_depsgraph"
    ]
    assert not bpy.app.timers.is_registered(module.on_timer)
    disable("iienv")
    assert bpy.utils.register_class.__module__ != "iienv.doors"
    assert type(bpy.props.FloatProperty).__name__ == "builtin_function_or_method"
    assert type(bpy.app.timers.register).__name__ == "builtin_function_or_method"


run(main)
