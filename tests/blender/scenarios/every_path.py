"""Issue 16 in bpy: every way add-on code is called runs in the add-on's environment.

Two legacy add-ons declare an older and a newer numpy beside Blender's own.
Each records, wherever its code is called, what a Python-level import gives
(``importlib.import_module("numpy")``, ``sys.modules["numpy"]``) and what a
*compiled* call-time import gives: numpy's ``Generator.multivariate_normal``
does ``from numpy.linalg import svd`` in compiled code at every call, reading
``sys.modules`` itself (Blender's numpy there: RecursionError on 3.11, a
TypeError on 3.13). Nothing is wrapped: the add-on's frame asks, and its
environment answers (core/module_view.py).

Blender itself calls: operators (``bpy.ops``), property ``get``/``update``
callbacks, ``register()``, handlers of every callable kind (function, bound
method, ``functools.partial``, callable object, lambda appended later from an
operator) on ``frame_set``, and driver functions from ``driver_namespace``
(evaluated by Blender on ``frame_set``). The bpy module has no event loop:
timers, draw callbacks, menu functions and msgbus never fire here, so the
scenario calls the very objects Blender holds (``bpy.app.timers.is_registered``
says so; the menu's ``_draw_funcs`` list) from its own, global, frame — which is
what Blender's C code does; the trixie binary test fires them for real. Also:
calls from this script, from another add-on without an environment, from an
executor after the operator returned, and a thread of each add-on alive the
whole time while global code imports Blender's numpy submodules for the first
time and uses Blender's numpy.
"""

import importlib
import importlib.util
import pickle
import sys
import textwrap
import threading
from pathlib import Path

import bpy
from common import BLENDER_NUMPY, NEW_NUMPY, OLD_NUMPY, disable, enable, install_legacy, run

ADDONS = {"iienv_ep_older": OLD_NUMPY, "iienv_ep_newer": NEW_NUMPY}
PLAIN = "iienv_ep_plain"  # another add-on, without an environment

SOURCE = """
bl_info = {"name": "iienv every path", "blender": (3, 4, 0), "category": "Development"}

import functools
import importlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bpy
import numpy as np

NAME = __name__
RESULTS = []
FAILURES = []
EXECUTOR = ThreadPoolExecutor(max_workers=1)
FUTURES = []
STOP = threading.Event()


def sample(where):
    try:
        rng = np.random.default_rng(0)  # compiled: `from numpy.linalg import svd` per call
        shape = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=2).shape
        by_name = importlib.import_module("numpy")
        table = sys.modules["numpy"]
        linalg = sys.modules["numpy.linalg"]
        RESULTS.append((where, by_name.__file__, table.__file__, linalg.__file__, shape))
    except BaseException as exc:
        FAILURES.append((where, repr(exc)[:300]))


class Listener:
    def on_frame(self, scene, *args):
        sample("handler: bound method")

    def on_timer(self):
        sample("timer: bound method")
        return None

    def __call__(self, scene, *args):
        sample("handler: callable object")


LISTENER = Listener()


def on_frame(scene, *args):
    sample("handler: function")


def tagged(tag, *args):
    sample(tag)
    return None


TIMER_PARTIAL = functools.partial(tagged, "timer: partial")
TIMER_METHOD = LISTENER.on_timer  # (a bound method is a new object at each access)


def driver_fn(frame):
    sample("driver")
    return float(frame)


def menu_draw(self, context):
    sample("menu draw function")


def view_draw():
    sample("draw handler")


def get_value(self):
    sample("property get")
    return 7


def on_update(self, context):
    sample("property update")


def long_lived():
    while not STOP.wait(0.002):
        np.random.default_rng(0).multivariate_normal([0.0], [[1.0]])
    sample("thread for the whole session")


class IIENV_EP_OT_probe(bpy.types.Operator):
    bl_idname = NAME.replace("iienv_ep_", "iienv_ep.") + "_probe"
    bl_label = "Probe"

    @classmethod
    def poll(cls, context):
        sample("operator poll")
        return True

    def execute(self, context):
        sample("operator execute")
        # handed over later, from the add-on's running code
        bpy.app.handlers.frame_change_post.append(lambda scene, *a: sample("handler: late lambda"))
        FUTURES.append(EXECUTOR.submit(sample, "executor, after the operator returned"))
        return {"FINISHED"}


HANDLE = []
THREAD = []


def register():
    bpy.utils.register_class(IIENV_EP_OT_probe)
    setattr(bpy.types.Scene, NAME + "_value", bpy.props.IntProperty(get=get_value))
    setattr(bpy.types.Scene, NAME + "_edit", bpy.props.IntProperty(update=on_update))
    handlers = bpy.app.handlers.frame_change_post
    handlers += [on_frame, LISTENER.on_frame, LISTENER]
    handlers.append(functools.partial(tagged, "handler: partial"))
    bpy.app.timers.register(TIMER_PARTIAL, first_interval=100.0)
    bpy.app.timers.register(TIMER_METHOD, first_interval=100.0)
    bpy.app.driver_namespace[NAME + "_fn"] = driver_fn
    bpy.types.VIEW3D_MT_add.append(menu_draw)
    HANDLE.append(bpy.types.SpaceView3D.draw_handler_add(view_draw, (), "WINDOW", "POST_PIXEL"))
    THREAD.append(threading.Thread(target=long_lived, daemon=True))
    THREAD[0].start()
    sample("register")


def unregister():
    STOP.set()
    THREAD[0].join(30)
    bpy.types.SpaceView3D.draw_handler_remove(HANDLE.pop(), "WINDOW")
    bpy.types.VIEW3D_MT_add.remove(menu_draw)
    bpy.app.driver_namespace.pop(NAME + "_fn", None)
    for timer in (TIMER_PARTIAL, TIMER_METHOD):
        if bpy.app.timers.is_registered(timer):
            bpy.app.timers.unregister(timer)
    handlers = bpy.app.handlers.frame_change_post
    for fn in [fn for fn in handlers if getattr(fn, "__module__", None) == NAME or fn is LISTENER
               or getattr(getattr(fn, "func", None), "__module__", None) == NAME
               or getattr(getattr(fn, "__self__", None), "__class__", None) is Listener]:
        handlers.remove(fn)
    delattr(bpy.types.Scene, NAME + "_value")
    delattr(bpy.types.Scene, NAME + "_edit")
    bpy.utils.unregister_class(IIENV_EP_OT_probe)
    EXECUTOR.shutdown(wait=True)
"""

PLAIN_SOURCE = """
bl_info = {"name": "iienv plain", "blender": (3, 4, 0), "category": "Development"}

import numpy


def call(fn, *args):   # another add-on calling into an add-on's function
    return fn(*args)


def blender_numpy():
    return numpy


def register():
    pass


def unregister():
    pass
"""

WHERE = {
    "register", "operator poll", "operator execute", "property get", "property update",
    "handler: function", "handler: bound method", "handler: callable object",
    "handler: partial", "handler: late lambda", "driver", "timer: partial",
    "timer: bound method", "menu draw function", "draw handler",
    "executor, after the operator returned", "called from a script",
    "called from another add-on", "thread for the whole session",
}  # fmt: skip


def write_addons(addons: Path) -> None:
    for name, version in ADDONS.items():
        folder = addons / name
        folder.mkdir()
        (folder / "__init__.py").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
        (folder / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={version}"]\n')
    (addons / PLAIN).mkdir()
    (addons / PLAIN / "__init__.py").write_text(PLAIN_SOURCE, encoding="utf-8")


def first_time_submodules() -> list[str]:
    candidates = (
        "numpy.polynomial.hermite_e", "numpy.polynomial.laguerre", "numpy.ma.mrecords",
        "numpy.lib.recfunctions", "numpy.testing", "numpy.random", "numpy.polynomial.legendre",
    )  # fmt: skip
    return [name for name in candidates if name not in sys.modules]


def main() -> None:
    import numpy as blender_numpy

    before = set(sys.modules)
    addons = install_legacy(names=())
    write_addons(addons)
    enable("iienv")
    import iienv

    plain = enable(PLAIN)
    modules = {name: enable(name) for name in ADDONS}
    scene = bpy.context.scene
    cube = scene.objects["Cube"]
    for index, name in enumerate(ADDONS):
        curve = cube.driver_add("location", index)
        curve.driver.type = "SCRIPTED"
        curve.driver.expression = f"{name}_fn(frame)"

    # global code, with both add-ons' threads alive: Blender's numpy as without iienv
    fresh = first_time_submodules()
    assert fresh, "no Blender numpy submodule left to import for the first time"
    for name in fresh:
        module = importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        assert getattr(sys.modules[parent], child) is module, name
        assert module.__file__.startswith(str(Path(blender_numpy.__file__).parent)), name
    rng = blender_numpy.random.default_rng(1)  # Blender's numpy's own call-time import
    assert rng.multivariate_normal([0.0], [[1.0]], size=2).shape == (2, 1)
    assert pickle.loads(pickle.dumps(blender_numpy.arange(3))).tolist() == [0, 1, 2]

    for name in modules:
        assert getattr(bpy.ops.iienv_ep, name.removeprefix("iienv_ep_") + "_probe")() == {
            "FINISHED"
        }
        assert getattr(scene, name + "_value") == 7
        setattr(scene, name + "_edit", 3)
    scene.frame_set(5)  # handlers (the late lambdas too) and drivers, called by Blender
    assert tuple(cube.location)[:2] == (5.0, 5.0), tuple(cube.location)
    for module in modules.values():
        assert bpy.app.timers.is_registered(module.TIMER_PARTIAL)  # the object Blender holds
        assert bpy.app.timers.is_registered(module.TIMER_METHOD)
        module.TIMER_PARTIAL()
        module.TIMER_METHOD()
        assert module.menu_draw in bpy.types.VIEW3D_MT_add.draw._draw_funcs
        module.menu_draw(None, bpy.context)
        module.view_draw()
        for future in module.FUTURES:
            future.result(60)
        module.tagged("called from a script")
        plain.call(module.tagged, "called from another add-on")

    assert plain.blender_numpy() is blender_numpy  # the other add-on: Blender's numpy
    for name in list(ADDONS):
        disable(name)  # unregister() stops its thread, which samples once more
    for name, module in modules.items():
        site = iienv.environments()
        site_dir = next(info.site_dir for info in site if info.addon == name)
        assert not module.FAILURES, (name, module.FAILURES)
        seen = {where for where, *_ in module.RESULTS}
        assert seen == WHERE, (name, sorted(WHERE - seen))
        for where, by_name, table, linalg, shape in module.RESULTS:
            for path in (by_name, table, linalg):
                assert path.startswith(str(site_dir)), (name, where, path)
            assert shape == (2, 2), (name, where, shape)
        numpy_file = module.RESULTS[0][1]
        assert f"numpy-{ADDONS[name]}.dist-info" in {p.name for p in Path(site_dir).iterdir()}
        assert numpy_file.startswith(str(site_dir))
    # Blender's own numpy is untouched, for Blender and for global code
    assert sys.modules["numpy"] is blender_numpy
    assert sys.modules["numpy.linalg"] is blender_numpy.linalg
    assert blender_numpy.__version__ == BLENDER_NUMPY
    assert threading.active_count() == 1, threading.enumerate()
    # iienv added no third-party module to Blender's process (two installs ran), so a
    # later `import setuptools` by anyone behaves as without iienv (pip's import breaks it)
    third_party = ("pip", "setuptools", "_distutils_hack", "packaging", "pkg_resources")
    assert not {n for n in set(sys.modules) - before if n.partition(".")[0] in third_party}
    if importlib.util.find_spec("setuptools") is not None:
        import setuptools

        assert setuptools.__file__
    disable(PLAIN)
    disable("iienv")
    assert type(sys.modules) is dict


run(main)
