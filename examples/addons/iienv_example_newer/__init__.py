"""iienv example add-on: computes with its own numpy 2.4.6, whatever Blender has."""

import bpy
import numpy as np

bl_info = {
    "name": "iienv example: numpy 2.4.6",
    "author": "iienv developers",
    "version": (1, 0, 0),
    "blender": (3, 4, 0),
    "location": "F3 > iienv example newer",
    "description": "Shows an add-on running numpy 2.4.6 in its own iienv environment",
    "category": "Development",
}

LAST_RESULT: dict = {}


class IIENV_EXAMPLE_OT_newer_compute(bpy.types.Operator):
    """Solve a small linear system with this add-on's numpy"""

    bl_idname = "iienv_example_newer.compute"
    bl_label = "iienv example newer: compute"

    def execute(self, context):
        a = np.array([[4.0, 1.0], [2.0, 3.0]])
        x = np.linalg.solve(a, np.array([1.0, 2.0]))
        LAST_RESULT.clear()
        LAST_RESULT.update(version=np.__version__, solve=x.round(6).tolist(), file=np.__file__)
        self.report({"INFO"}, f"numpy {np.__version__}: solve -> {x.round(3).tolist()}")
        return {"FINISHED"}


def register():
    bpy.utils.register_class(IIENV_EXAMPLE_OT_newer_compute)


def unregister():
    bpy.utils.unregister_class(IIENV_EXAMPLE_OT_newer_compute)
