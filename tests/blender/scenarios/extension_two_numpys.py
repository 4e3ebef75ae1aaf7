"""Issue 4 must-show 1 for the extension form: package_install_files in bpy 4.5."""

import sys
from pathlib import Path

import bpy
from common import BLENDER_NUMPY, NEW_NUMPY, OLD_NUMPY, disable, run

DIST = Path(sys.argv[1])
PREFIX = "bl_ext.user_default."


def install(zip_name: str) -> None:
    result = bpy.ops.extensions.package_install_files(
        filepath=str(DIST / zip_name), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result


def main() -> None:
    import numpy as blender_numpy

    install("iienv-0.1.0.zip")
    # Installed after iienv: found at their first import, installed before it runs.
    install("iienv_example_older-1.0.0.zip")
    install("iienv_example_newer-1.0.0.zip")
    prefs = bpy.context.preferences.addons[PREFIX + "iienv"].preferences
    infos = {e.addon: e for e in prefs.environments()}
    assert infos[PREFIX + "iienv_example_older"].packages == {"numpy": OLD_NUMPY}
    assert infos[PREFIX + "iienv_example_newer"].packages == {"numpy": NEW_NUMPY}
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    assert bpy.ops.iienv_example_newer.compute() == {"FINISHED"}
    a = sys.modules[PREFIX + "iienv_example_older"].LAST_RESULT
    b = sys.modules[PREFIX + "iienv_example_newer"].LAST_RESULT
    assert (a["version"], b["version"]) == (OLD_NUMPY, NEW_NUMPY)
    assert a["solve"] == b["solve"] == [0.1, 0.6]
    # Environments live in the extension's user dir, not in the extension folder.
    assert "/extensions/.user/user_default/iienv/environments/" in a["file"]
    import iienv  # the API module, once iienv is enabled

    assert iienv is sys.modules[PREFIX + "iienv"]
    assert iienv.env_of(sys.modules[PREFIX + "iienv_example_newer"].np).addon.endswith("newer")
    import numpy

    assert numpy is blender_numpy and numpy.__version__ == BLENDER_NUMPY
    assert iienv.env_of(numpy) is None
    for name in ("iienv_example_older", "iienv_example_newer", "iienv"):
        disable(PREFIX + name)
    assert "iienv" not in sys.modules


run(main)
