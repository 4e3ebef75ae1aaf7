"""Declared add-ons enabled before iienv are attached late; then the process exits cleanly.

Ends with a normal interpreter exit (no os._exit): once iienv and the add-on are
disabled, nothing of iienv may survive into finalization. A reference cycle
that did (manager -> owner discovery -> runtime -> manager) made the bpy module
hang in its static destructors at exit.
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


run(main, clean_exit=True)
