"""Declared add-ons enabled before iienv are attached late; disabling leaves no timer.

Ends with os._exit like every scenario: a normal exit of this process hangs in
bpy's own static destructors (GlobalState / delayed_close_thread) once an add-on
with a numpy 2.4.6 environment was enabled beside Blender's numpy 1.26.4 (seen
here; not seen with the engine alone or with a six-only environment).
"""

import sys

import bpy
from common import disable, enable, install_legacy, run


def main() -> None:
    install_legacy(names=("iienv_example_np246",))
    enable("iienv_example_np246")  # before iienv: runs with Blender's numpy
    bpy.ops.iienv_example_np246.compute()
    before = sys.modules["iienv_example_np246"].LAST_RESULT["version"]
    assert before == "1.26.4", before  # Blender's own numpy, not what it declared
    enable("iienv")  # attaches late: re-enables the add-on under its environment
    assert "iienv_example_np246" in bpy.context.preferences.addons
    bpy.ops.iienv_example_np246.compute()
    after = sys.modules["iienv_example_np246"].LAST_RESULT
    assert after["version"] == "2.4.6", after
    disable("iienv_example_np246")
    disable("iienv")
    assert not bpy.app.timers.is_registered(sys.modules["iienv.operators"].poll_installs)


run(main)
