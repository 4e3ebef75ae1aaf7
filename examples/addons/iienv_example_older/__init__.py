"""iienv example add-on: computes with its own, older numpy, whatever Blender has.

numpy 1.26.4 on Python 3.11 (Blender 4.2-5.0), 2.2.6 on Python 3.13 (Blender 5.1+):
see iienv.toml.
"""

import bpy
import numpy as np

bl_info = {
    "name": "iienv example: an older numpy",
    "author": "iienv developers",
    "version": (1, 0, 0),
    "blender": (3, 4, 0),
    "location": "F3 > iienv example older",
    "description": "Shows an add-on running an older numpy in its own iienv environment",
    "category": "Development",
}

LAST_RESULT: dict = {}


class IIENV_EXAMPLE_OT_older_compute(bpy.types.Operator):
    """Solve a small linear system with this add-on's numpy"""

    bl_idname = "iienv_example_older.compute"
    bl_label = "iienv example older: compute"

    def execute(self, context):
        a = np.array([[4.0, 1.0], [2.0, 3.0]])
        x = np.linalg.solve(a, np.array([1.0, 2.0]))
        LAST_RESULT.clear()
        LAST_RESULT.update(version=np.__version__, solve=x.round(6).tolist(), file=np.__file__)
        self.report({"INFO"}, f"numpy {np.__version__}: solve -> {x.round(3).tolist()}")
        return {"FINISHED"}


def register():
    bpy.utils.register_class(IIENV_EXAMPLE_OT_older_compute)


def unregister():
    bpy.utils.unregister_class(IIENV_EXAMPLE_OT_older_compute)
