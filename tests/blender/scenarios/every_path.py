"""Issue 16 in bpy: every way add-on code is called runs in the add-on's environment.

Two legacy add-ons declare an older and a newer numpy beside Blender's own.
Each records, wherever its code is called, what a Python-level import gives
(``importlib.import_module("numpy")``, ``sys.modules["numpy"]``) and what a
*compiled* call-time import gives: numpy's ``Generator.multivariate_normal``
does ``from numpy.linalg import svd`` in compiled code at every call, reading
``sys.modules`` itself (Blender's numpy there: RecursionError on 3.11, a
TypeError on 3.13). Nothing is wrapped: the add-on's frame asks, and its
environment answers (core/module_view.py).

The add-on (tests/every_path_addon.py) is the one the trixie binary's event
loop runs too. Blender itself calls here: operators (``bpy.ops``: ``poll``,
``execute``), property ``get``/``update`` callbacks, ``register()``, handlers
of every callable kind (function, bound method, ``functools.partial``,
callable object, lambda appended later from an operator) on ``frame_set`` and
depsgraph updates, and driver functions from ``driver_namespace``. The bpy
module has no event loop: timers, draw callbacks, header and menu functions
never fire here, so the scenario calls the very objects Blender holds
(``bpy.app.timers.is_registered`` says so; the ``_draw_funcs`` lists) from its
own, global, frame — which is what Blender's C code does; modal operators on
timer events and msgbus only exist in the binary test, which fires all of it
for real. Also:
calls from this script, from another add-on without an environment, from an
executor after the operator returned, and a thread of each add-on alive the
whole time while global code imports Blender's numpy submodules for the first
time and uses Blender's numpy.
"""

import importlib
import importlib.util
import pickle
import sys
import threading
from pathlib import Path

import bpy
from common import (
    BLENDER_NUMPY,
    NEW_NUMPY,
    OLD_NUMPY,
    REPO,
    disable,
    enable,
    install_legacy,
    run,
)

sys.path.insert(0, str(REPO))
from tests.every_path_addon import EVENT_LOOP_ONLY, PLAIN, SOURCE, WHERE

ADDONS = {"iienv_path_older": OLD_NUMPY, "iienv_path_newer": NEW_NUMPY}
PLAIN_NAME = "iienv_path_plain"  # another add-on, without an environment
EXPECTED = set(WHERE) - set(EVENT_LOOP_ONLY)


def write_addons(addons: Path) -> None:
    for name, version in ADDONS.items():
        folder = addons / name
        folder.mkdir()
        (folder / "__init__.py").write_text(SOURCE, encoding="utf-8")
        (folder / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={version}"]\n')
    (addons / PLAIN_NAME).mkdir()
    (addons / PLAIN_NAME / "__init__.py").write_text(PLAIN, encoding="utf-8")


class Layout:
    def prop(self, *args: object) -> None:
        pass


class Drawn:
    layout = Layout()


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

    plain = enable(PLAIN_NAME)
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
        short = name.removeprefix("iienv_path_")
        assert getattr(bpy.ops.iienv_path, short + "_probe")() == {"FINISHED"}  # poll, execute
        assert getattr(scene, name + "_value") == 7  # a property's get callback
        setattr(scene, name + "_edit", 3)  # and an update callback
    scene.frame_set(5)  # frame-change handlers and drivers, called by Blender
    cube.location.z += 1.0
    bpy.context.view_layer.update()  # depsgraph handlers (the late lambdas too)
    assert tuple(cube.location)[:2] == (5.0, 5.0), tuple(cube.location)
    for module in modules.values():
        assert bpy.app.timers.is_registered(module.TIMER_PARTIAL)  # the object Blender holds
        assert bpy.app.timers.is_registered(module.TIMER_METHOD)
        module.TIMER_PARTIAL()
        module.TIMER_METHOD()
        assert module.header_draw in bpy.types.VIEW3D_HT_header.draw._draw_funcs
        module.header_draw(None, bpy.context)
        assert module.menu_draw in bpy.types.VIEW3D_MT_add.draw._draw_funcs
        module.menu_draw(None, bpy.context)
        module.IIENV_PATH_PT_panel.draw(Drawn(), bpy.context)
        module.view_draw()
        module.EXECUTOR.submit(lambda: None).result(60)  # (one worker: after the probe's)
        module.tagged("called from a script")
        plain.call(module.tagged, "called from another add-on")

    assert plain.blender_numpy() is blender_numpy  # the other add-on: Blender's numpy
    sites = {info.addon: info.site_dir for info in iienv.environments()}
    for name in list(ADDONS):
        disable(name)  # unregister() stops its thread, which samples once more
    for name, module in modules.items():
        site_dir = str(sites[name])
        assert not module.FAILURES, (name, module.FAILURES)
        assert set(module.RESULTS) == EXPECTED, (name, sorted(EXPECTED - set(module.RESULTS)))
        for where, (by_name, table, linalg, shape, version) in module.RESULTS.items():
            for path in (by_name, table, linalg):
                assert path.startswith(site_dir), (name, where, path)
            assert shape == [2, 2] and version == ADDONS[name], (name, where, shape, version)
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
    disable(PLAIN_NAME)
    disable("iienv")
    assert type(sys.modules) is dict


run(main)
