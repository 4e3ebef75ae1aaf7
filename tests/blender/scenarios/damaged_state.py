"""Issue 9 in bpy 4.5: a damaged state.json of one add-on's environment.

iienv still registers, the other add-on keeps *its* numpy, the damaged add-on
fails to enable with the reason (it never runs on Blender's numpy), the
Preferences list it as broken, and Repair reinstalls it.
"""

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

NP126, NP246 = EXAMPLES


def main() -> None:
    import numpy as blender_numpy

    install_legacy()
    enable("iienv")
    for name in EXAMPLES:
        enable(name)
    prefs = bpy.context.preferences.addons["iienv"].preferences
    root = Path(prefs.environments()[0].site_dir).parents[1]
    for name in EXAMPLES:
        disable(name)
    disable("iienv")  # as if Blender were closed; then the file gets damaged
    (root / NP126 / "state.json").write_text('{"format": 1, "name": "iienv_exa')
    other_before = tree(root / NP246)

    enable("iienv")  # a fresh start: register() must not fail half-way
    prefs = bpy.context.preferences.addons["iienv"].preferences
    infos = {e.addon: e for e in prefs.environments()}
    assert infos[NP126].state == "broken", infos[NP126]
    assert "not valid JSON" in infos[NP126].message, infos[NP126].message
    assert infos[NP246].state == "installed"
    assert tree(root / NP246) == other_before  # the start touched nothing of it

    enable(NP246)
    assert bpy.ops.iienv_example_newer.compute() == {"FINISHED"}
    assert sys.modules[NP246].LAST_RESULT["version"] == NEW_NUMPY
    # This process loaded NP246's numpy before iienv was disabled: loading it again took a
    # fresh copy (a new generation; quitting makes none). What follows must not touch it.
    other_before = tree(root / NP246)

    try:
        enable(NP126)
    except Exception as exc:  # the reason, never Blender's numpy
        assert "damaged" in str(exc) and "Repair" in str(exc), exc
    else:
        raise AssertionError("the add-on with a damaged environment was enabled")
    assert NP126 not in sys.modules  # its code never ran
    disable(NP126)  # (the test helper's enable() raises before Blender's own clean-up)
    assert sys.modules["numpy"] is blender_numpy
    assert tree(root / NP246) == other_before

    class Layout:  # the Preferences panel offers Repair and Remove for it
        def __init__(self) -> None:
            self.ops: list[str] = []

        def __getattr__(self, name):  # column, row, box, label, progress ...
            return lambda *args, **kwargs: self

        def operator(self, idname, **kwargs):
            self.ops.append(idname)
            return type("Props", (), {})()

    layout = Layout()
    prefs.layout = layout  # type: ignore[attr-defined]
    from iienv.ui import draw_preferences

    draw_preferences(layout, prefs.environments(), {})
    assert "iienv.repair" in layout.ops

    assert bpy.ops.iienv.repair(addon=NP126) == {"FINISHED"}
    assert {e.addon: e for e in prefs.environments()}[NP126].state == "installed"
    enable(NP126)
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    result = sys.modules[NP126].LAST_RESULT
    assert result["version"] == OLD_NUMPY and result["file"].startswith(str(root)), result
    assert sys.modules[NP246].LAST_RESULT["version"] == NEW_NUMPY
    for name in EXAMPLES:
        disable(name)
    disable("iienv")


run(main)
