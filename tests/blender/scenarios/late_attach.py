"""Declared add-ons enabled before iienv are attached late; then the process exits cleanly.

Ends with a normal interpreter exit (no os._exit): once iienv and the add-on are
disabled, nothing of iienv may survive into finalization. A reference cycle
that did (manager -> owner discovery -> runtime -> manager) made the bpy module
hang in its static destructors at exit.
"""

import sys

import bpy
from common import (
    BLENDER_NUMPY,
    NEW_NUMPY,
    disable,
    enable,
    install_legacy,
    run,
)


def main() -> None:
    install_legacy(names=("iienv_example_newer",))
    enable("iienv_example_newer")  # before iienv: runs with Blender's numpy
    bpy.ops.iienv_example_newer.compute()
    before = sys.modules["iienv_example_newer"].LAST_RESULT["version"]
    assert before == BLENDER_NUMPY, before  # Blender's own numpy, not what it declared
    enable("iienv")  # attaches late: re-enables the add-on under its environment
    assert "iienv_example_newer" in bpy.context.preferences.addons
    bpy.ops.iienv_example_newer.compute()
    after = sys.modules["iienv_example_newer"].LAST_RESULT
    assert after["version"] == NEW_NUMPY, after
    disable("iienv_example_newer")
    disable("iienv")
    assert not bpy.app.timers.is_registered(sys.modules["iienv.operators"].poll_installs)


run(main, clean_exit=True)
