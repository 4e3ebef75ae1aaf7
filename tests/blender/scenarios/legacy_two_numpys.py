"""Issue 4 must-show 1, 2, 5 (legacy form in bpy 4.5), and 6 in the same process."""

import builtins
import sys
from pathlib import Path

import bpy
from common import (
    EXAMPLES,
    NEW_NUMPY,
    OLD_NUMPY,
    disable,
    enable,
    install_legacy,
    run,
    tree,
)


def main() -> None:
    original_import = builtins.__import__
    meta_path_before = list(sys.meta_path)
    import numpy as blender_numpy  # Blender's own numpy

    install_legacy()
    enable("iienv")
    prefs = bpy.context.preferences.addons["iienv"].preferences
    assert [e.addon for e in prefs.environments()] == sorted(EXAMPLES)  # by name
    for name in EXAMPLES:
        enable(name)
    older, newer = (sys.modules[n] for n in EXAMPLES)
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    assert bpy.ops.iienv_example_newer.compute() == {"FINISHED"}
    assert older.LAST_RESULT["version"] == OLD_NUMPY
    assert newer.LAST_RESULT["version"] == NEW_NUMPY
    for mod in (older, newer):
        assert mod.LAST_RESULT["solve"] == [0.1, 0.6]
    root = Path(prefs.environments()[0].site_dir).parents[1]
    assert older.LAST_RESULT["file"].startswith(str(root))
    import numpy

    assert numpy is blender_numpy and sys.modules["numpy"] is blender_numpy
    assert not blender_numpy.__file__.startswith(str(root))

    # 2: purge one add-on: only its modules go; the other keeps working.
    numpy_older = older.np
    result = bpy.ops.iienv.purge(addon="iienv_example_newer")
    assert result == {"FINISHED"}
    assert "iienv_example_newer" not in sys.modules
    assert "iienv_example_newer" not in bpy.context.preferences.addons
    info = {e.addon: e for e in prefs.environments()}
    assert info["iienv_example_newer"].modules_loaded == 0
    assert info["iienv_example_older"].modules_loaded > 50
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    assert sys.modules["iienv_example_older"].np is numpy_older
    old_newer_np = newer.np
    enable("iienv_example_newer")  # re-enable: fresh modules, no restart
    again = sys.modules["iienv_example_newer"]
    assert bpy.ops.iienv_example_newer.compute() == {"FINISHED"}
    assert again.LAST_RESULT["version"] == NEW_NUMPY and again.np is not old_newer_np
    disable("iienv_example_newer")
    enable("iienv_example_newer")
    assert bpy.ops.iienv_example_newer.compute() == {"FINISHED"}

    site_246 = Path(info["iienv_example_newer"].site_dir).parent
    assert bpy.ops.iienv.uninstall(addon="iienv_example_newer") == {"FINISHED"}
    assert not site_246.exists()
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    assert sys.modules["iienv_example_older"].LAST_RESULT["version"] == OLD_NUMPY

    # 5: bad input through the API and operators: the cause, and nothing changes.
    before = tree(root)
    for call, expected in (
        (lambda: bpy.ops.iienv.purge(addon="no_such_addon"), "no environment named"),
        (lambda: bpy.ops.iienv.reload(addon="not a module"), "not a valid Python module"),
        (lambda: bpy.ops.iienv.install(addon="iienv_example_olderx"), "declares no"),
        (lambda: prefs.ensure_env("iienv_example_older", ["--index-url=x"]), "pip option"),
        (lambda: prefs.ensure_env("iienv_example_older", ["numpy==9.9.9"]), "no wheel of numpy"),
    ):
        try:
            call()
        except (RuntimeError, Exception) as exc:  # operators: RuntimeError from ERROR reports
            assert expected in str(exc), (expected, str(exc))
        else:
            raise AssertionError(f"no error for {expected!r}")
    assert tree(root) == before
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}

    # 6: disabling iienv restores the interpreter and unregisters everything.
    disable("iienv_example_older")
    disable("iienv")
    assert builtins.__import__ is original_import
    assert sys.meta_path == meta_path_before
    assert not hasattr(bpy.types, "IIENV_OT_install")
    assert "iienv" not in bpy.context.preferences.addons
    assert not [
        n
        for n, m in sys.modules.items()
        if (getattr(m, "__file__", "") or "").startswith(str(root))
    ]


run(main)
