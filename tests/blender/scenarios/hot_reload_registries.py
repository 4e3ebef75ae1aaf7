"""Issue 8, class 6: hot reload of an add-on whose package keeps a registry by name.

pydantic 1 (compiled) records every validator by module and qualified name;
a reload that keeps pydantic loaded re-runs the add-on's model definition and
pydantic refuses it ("duplicate validator function"). The reload notices that
the environment's own package refused the code and reloads the packages too.
"""

import sys
import textwrap

import bpy
from common import enable, install_legacy, run

INIT = """
import bpy
import pydantic

bl_info = {"name": "registry", "blender": (3, 4, 0), "category": "Development"}
RESULT = {}
SCALE = 1


class Item(pydantic.BaseModel):
    size: int

    @pydantic.validator("size")
    def scaled(cls, value):
        return value * SCALE


class REGISTRY_OT_value(bpy.types.Operator):
    bl_idname = "registry_addon.value"
    bl_label = "registry value"

    def execute(self, context):
        RESULT.update(size=Item(size="2").size, compiled=pydantic.compiled)
        return {"FINISHED"}


def register():
    bpy.utils.register_class(REGISTRY_OT_value)


def unregister():
    bpy.utils.unregister_class(REGISTRY_OT_value)
"""


def value() -> dict:
    assert bpy.ops.registry_addon.value() == {"FINISHED"}
    return dict(sys.modules["registry_addon"].RESULT)


def main() -> None:
    addons = install_legacy(names=())
    folder = addons / "registry_addon"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(INIT))
    (folder / "iienv.toml").write_text('[iienv]\nrequirements = ["pydantic==1.10.22"]\n')
    enable("iienv")
    enable("registry_addon")
    assert value() == {"size": 2, "compiled": True}
    import iienv
    from iienv import api, operators

    iienv.watch("registry_addon", debounce=0)
    (folder / "__init__.py").write_text(textwrap.dedent(INIT).replace("SCALE = 1", "SCALE = 10"))
    before = dict(api.runtime().reloads)
    operators.watch_files()
    report = api.runtime().reloads["registry_addon"]
    assert report is not before.get("registry_addon")
    assert report.ok, report.message
    assert "reloaded with its packages" in report.message, report.message
    assert "duplicate validator" in report.message, report.message
    assert value() == {"size": 20, "compiled": True}
    iienv.watch("registry_addon", enabled=False)


run(main)
