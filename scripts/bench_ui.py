"""UI load in real Blender (bpy): a panel's UI list of 1,000 rows, redrawn 100 times.

Each row reads a property whose ``get`` callback calls the add-on's numpy. The
add-on declares the same numpy version Blender ships, as a copy of its own (its
names collide with Blender's), so the only difference between the two runs is
iienv: ``python bench_ui.py plain`` (no iienv; the add-on imports Blender's
numpy) and ``python bench_ui.py iienv``. The bpy module has no event loop: the
script calls what Blender's redraw calls (the panel's ``draw``, then the list's
``draw_item`` per row; the property read goes through RNA to the callback).
Prints JSON; ``make bench`` runs both, alternating, and prints the ratio.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = Path(tempfile.mkdtemp(prefix="iienv-bench-ui-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER)
os.environ["PIP_FIND_LINKS"] = os.environ.get("IIENV_WHEELHOUSE", str(REPO / "wheelhouse"))
os.environ["PIP_NO_INDEX"] = "1"

import bpy  # noqa: E402

ROWS, REDRAWS = 1000, 100
ADDON = """
import bpy
import numpy as np

bl_info = {"name": "bench ui", "blender": (3, 4, 0), "category": "Development"}


def get_value(self):
    return int(np.int64(self.index) % 7)


class IIENV_BENCH_Item(bpy.types.PropertyGroup):
    index: bpy.props.IntProperty()
    value: bpy.props.IntProperty(get=get_value)


class IIENV_BENCH_UL_items(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_prop, index):
        from . import labels  # function-level imports, as add-ons write them
        import numpy

        layout.label(text=labels.text(item.value, numpy.int64(index)))


class IIENV_BENCH_PT_panel(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_label = "bench"

    def draw(self, context):
        scene = context.scene
        self.layout.template_list(
            "IIENV_BENCH_UL_items", "", scene, "iienv_bench_items", scene, "iienv_bench_index"
        )


CLASSES = (IIENV_BENCH_Item, IIENV_BENCH_UL_items, IIENV_BENCH_PT_panel)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.iienv_bench_items = bpy.props.CollectionProperty(type=IIENV_BENCH_Item)
    bpy.types.Scene.iienv_bench_index = bpy.props.IntProperty()


def unregister():
    del bpy.types.Scene.iienv_bench_items
    del bpy.types.Scene.iienv_bench_index
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
"""
LABELS = "def text(value, index):\n    return f'{int(index)}: {value}'\n"


class Layout:
    """What the draw code is handed: records nothing, costs next to nothing."""

    def label(self, text: str = "") -> None:
        pass

    def template_list(self, *args: object) -> None:
        pass


class Drawn:
    layout = Layout()


def main(mode: str) -> dict[str, float]:
    import addon_utils

    addons = Path(bpy.utils.user_resource("SCRIPTS", path="addons", create=True))
    pkg = addons / "iienv_bench_ui"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(ADDON)
    (pkg / "labels.py").write_text(LABELS)
    blender_numpy = importlib.metadata.version("numpy")
    names = ["iienv_bench_ui"]
    if mode == "iienv":
        shutil.copytree(REPO / "iienv_addon", addons / "iienv")
        (pkg / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={blender_numpy}"]\n')
        names.insert(0, "iienv")
    bpy.utils.refresh_script_paths()

    def fail(exc: BaseException) -> None:
        raise exc

    for name in names:
        addon_utils.enable(name, default_set=True, handle_error=fail)
    module = sys.modules["iienv_bench_ui"]
    import numpy

    own = module.np is not numpy
    assert own == (mode == "iienv"), "the add-on's numpy is not what the mode says"
    scene = bpy.context.scene
    for index in range(ROWS):
        scene.iienv_bench_items.add().index = index
    panel, ui_list = module.IIENV_BENCH_PT_panel, module.IIENV_BENCH_UL_items
    items = list(scene.iienv_bench_items)
    layout = Layout()
    context = bpy.context

    def redraw() -> None:  # what Blender's redraw of the region calls
        panel.draw(Drawn(), context)
        draw_item = ui_list.draw_item
        for index, item in enumerate(items):
            draw_item(None, context, layout, scene, item, 0, scene, "iienv_bench_index", index)

    for _ in range(5):
        redraw()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(REDRAWS):
            redraw()
        times.append(time.perf_counter() - start)
    for name in reversed(names):
        addon_utils.disable(name, default_set=True)
    return {"seconds": min(times), "rows": ROWS, "redraws": REDRAWS}


if __name__ == "__main__":
    from bpy_bench_run import run_and_exit

    run_and_exit(lambda: main(sys.argv[1]), USER)
