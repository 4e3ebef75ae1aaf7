"""The add-on the every-path tests install twice (an older and a newer numpy).

The bpy scenario (tests/blender/scenarios/every_path.py) and the real event
loop of trixie's Blender 4.3 (tests/trixie) write this same source into
Blender's user add-ons folder as ``iienv_path_older`` and ``iienv_path_newer``.
Every place Blender can call into an add-on records, once, what a Python-level
import and a compiled call-time import (numpy's ``multivariate_normal`` does
``from numpy.linalg import svd`` in compiled code) gave there.
"""

ADDON_PREFIX = "iienv_path_"

SOURCE = """
bl_info = {"name": "iienv event loop", "blender": (4, 2, 0), "category": "Development"}

import functools
import importlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import bpy
import numpy as np

NAME = __name__
SHORT = NAME.removeprefix("iienv_path_")
RESULTS = {}
FAILURES = []
EXECUTOR = ThreadPoolExecutor(max_workers=1)
STOP = threading.Event()
OWNER = object()


def sample(where):
    if where in RESULTS:
        return
    try:
        rng = np.random.default_rng(0)  # compiled: `from numpy.linalg import svd` per call
        shape = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=2).shape
        by_name = importlib.import_module("numpy")
        RESULTS[where] = [
            by_name.__file__, sys.modules["numpy"].__file__,
            sys.modules["numpy.linalg"].__file__, list(shape), by_name.__version__,
        ]
    except BaseException as exc:
        FAILURES.append([where, repr(exc)[:300]])


class Listener:
    def on_depsgraph(self, scene, depsgraph):
        sample("handler: bound method, depsgraph update after an edit")

    def on_timer(self):
        sample("timer: bound method")
        return None

    def __call__(self, scene, *args):
        sample("handler: callable object, frame change")


LISTENER = Listener()
TIMER_METHOD = LISTENER.on_timer


def on_frame(scene, *args):
    sample("handler: function, frame change")


def tagged(tag, *args):
    sample(tag)
    return None


TIMER_PARTIAL = functools.partial(tagged, "timer: functools.partial")


def driver_fn(frame):
    sample("driver, frame change")
    return float(frame)


def header_draw(self, context):
    sample("header draw function (append)")


def menu_draw(self, context):
    sample("menu draw function (prepend)")


def view_draw():
    sample("SpaceView3D draw handler")


def on_msgbus(*args):
    sample("msgbus notification after a property change")


def get_value(self):
    sample("property get, drawn by a panel")
    return 7


def on_update(self, context):
    sample("property update")


def long_lived():
    try:
        while not STOP.wait(0.002):
            np.random.default_rng(0).multivariate_normal([0.0], [[1.0]])
    except BaseException as exc:
        FAILURES.append(["thread loop", repr(exc)[:300]])
    sample("thread alive for the whole session")


class IIENV_PATH_PT_panel(bpy.types.Panel):
    bl_idname = "IIENV_PATH_PT_" + SHORT  # (both add-ons run this source: distinct names)
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Item"  # the sidebar's tab shown at start
    bl_label = NAME

    def draw(self, context):
        sample("panel draw")
        self.layout.prop(context.scene, NAME + "_value")


class IIENV_PATH_OT_modal(bpy.types.Operator):
    bl_idname = "iienv_path." + SHORT + "_modal"
    bl_label = "Modal"

    def invoke(self, context, event):
        self.events = 0
        self.timer = context.window_manager.event_timer_add(0.05, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        self.events += 1
        sample("modal operator, timer events")
        if self.events < 3:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self.timer)
        return {"FINISHED"}


class IIENV_PATH_OT_probe(bpy.types.Operator):
    bl_idname = "iienv_path." + SHORT + "_probe"
    bl_label = "Probe"

    @classmethod
    def poll(cls, context):
        sample("operator poll")
        return True

    def execute(self, context):
        sample("operator execute")
        late = lambda scene, depsgraph: sample("handler: lambda appended later, at run time")
        bpy.app.handlers.depsgraph_update_post.append(late)
        EXECUTOR.submit(sample, "executor, after the operator returned")
        return {"FINISHED"}


CLASSES = (IIENV_PATH_PT_panel, IIENV_PATH_OT_modal, IIENV_PATH_OT_probe)
THREAD = []


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    setattr(bpy.types.Scene, NAME + "_value", bpy.props.IntProperty(get=get_value))
    setattr(bpy.types.Scene, NAME + "_edit", bpy.props.IntProperty(update=on_update))
    bpy.app.handlers.frame_change_post.extend([on_frame, LISTENER])
    bpy.app.handlers.depsgraph_update_post.append(LISTENER.on_depsgraph)
    bpy.app.timers.register(TIMER_PARTIAL, first_interval=0.5)
    bpy.app.timers.register(TIMER_METHOD, first_interval=0.5)
    bpy.app.driver_namespace[NAME + "_fn"] = driver_fn
    bpy.types.VIEW3D_HT_header.append(header_draw)
    bpy.types.VIEW3D_MT_add.prepend(menu_draw)
    THREAD.append(bpy.types.SpaceView3D.draw_handler_add(view_draw, (), "WINDOW", "POST_PIXEL"))
    bpy.msgbus.subscribe_rna(
        key=(bpy.types.Object, "location"), owner=OWNER, args=(), notify=on_msgbus
    )
    worker = threading.Thread(target=long_lived, daemon=True)
    worker.start()
    THREAD.append(worker)
    sample("register")


def unregister():
    STOP.set()
    THREAD[1].join(30)
    bpy.types.SpaceView3D.draw_handler_remove(THREAD[0], "WINDOW")
    bpy.msgbus.clear_by_owner(OWNER)
    bpy.types.VIEW3D_HT_header.remove(header_draw)
    bpy.types.VIEW3D_MT_add.remove(menu_draw)
    bpy.app.driver_namespace.pop(NAME + "_fn", None)
    for timer in (TIMER_PARTIAL, TIMER_METHOD):
        if bpy.app.timers.is_registered(timer):
            bpy.app.timers.unregister(timer)
    for handlers in (bpy.app.handlers.frame_change_post, bpy.app.handlers.depsgraph_update_post):
        for fn in list(handlers):
            if getattr(fn, "__module__", None) == NAME or fn is LISTENER or (
                getattr(fn, "__self__", None) is LISTENER
            ):
                handlers.remove(fn)
    delattr(bpy.types.Scene, NAME + "_value")
    delattr(bpy.types.Scene, NAME + "_edit")
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    EXECUTOR.shutdown(wait=True)
"""

PLAIN = """
bl_info = {"name": "iienv plain", "blender": (4, 2, 0), "category": "Development"}

import numpy


def call(fn, *args):   # another add-on, without an environment, calling into one
    return fn(*args)


def blender_numpy():
    return numpy


def register():
    pass


def unregister():
    pass
"""

WHERE = (
    "register", "operator poll", "property update", "operator execute",
    "modal operator, timer events", "panel draw",
    "property get, drawn by a panel", "header draw function (append)",
    "menu draw function (prepend)", "SpaceView3D draw handler",
    "handler: function, frame change", "handler: callable object, frame change",
    "handler: bound method, depsgraph update after an edit",
    "handler: lambda appended later, at run time", "driver, frame change",
    "timer: functools.partial", "timer: bound method",
    "msgbus notification after a property change", "executor, after the operator returned",
    "called from a script", "called from another add-on",
    "thread alive for the whole session",
)  # fmt: skip

# Only a real Blender's event loop fires these (the bpy module has none).
EVENT_LOOP_ONLY = ("modal operator, timer events", "msgbus notification after a property change")
