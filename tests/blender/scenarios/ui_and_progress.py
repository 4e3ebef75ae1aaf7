"""Issue 4 must-show 4: Preferences draw against a recording layout; the install timer."""

import sys
import time

import bpy
from common import (
    NEW_NUMPY,
    OLD_NUMPY,
    Recorder,
    check_drawn,
    disable,
    enable,
    install_legacy,
    run,
)


def main() -> None:
    install_legacy(names=("iienv_example_older",))
    enable("iienv")
    addon = bpy.context.preferences.addons["iienv"]
    prefs = addon.preferences
    # the legacy add-on carries no uv (and the tests' PATH has none): pip, and it says why
    described = prefs.installer_description()
    assert described.startswith("pip (no uv: ") and "no uv on PATH" in described, described
    calls: list = []
    type(prefs).draw(type("Self", (), {"layout": Recorder(calls)})(), bpy.context)
    drawn = check_drawn(calls)
    assert drawn == {
        "iienv.install",
        "iienv.uninstall",
        "iienv.purge",
        "iienv.reload",
        "iienv.watch",
    }, drawn
    labels = [kw.get("text", "") for name, _a, kw in calls if name == "label"]
    assert "iienv_example_older" in labels and "empty" in labels
    assert any(f"numpy=={OLD_NUMPY}" in text for text in labels)

    # An install driven by the timer callback, as the UI does it (timers do not fire
    # headless, so the test calls the callback itself).
    from iienv import operators

    seen = []
    job = prefs.start_install("iienv_example_older", progress=lambda p: seen.append(p.phase))
    calls.clear()
    type(prefs).draw(type("Self", (), {"layout": Recorder(calls)})(), bpy.context)
    assert "iienv.cancel" in check_drawn(calls)
    steps = 0
    while (interval := operators.poll_installs()) is not None:
        time.sleep(interval)  # what Blender's timer would wait before the next call
        steps += 1
        assert steps < 2_000
    assert job.error is None and seen[-1] == "done", (job.error, seen)
    info = {e.addon: e for e in prefs.environments()}["iienv_example_older"]
    assert info.state == "installed" and info.packages == {"numpy": OLD_NUMPY}
    calls.clear()
    type(prefs).draw(type("Self", (), {"layout": Recorder(calls)})(), bpy.context)
    labels = [kw.get("text", "") for name, _a, kw in calls if name == "label"]
    assert any(f"numpy {OLD_NUMPY}" in text for text in labels), labels
    assert any("MB on disk" in text for text in labels), labels

    # Cancel through the operator while pip runs: the environment stays as it was.
    site = info.site_dir
    prefs.start_install("iienv_example_older", requirements=[f"numpy=={NEW_NUMPY}"])
    operators.poll_installs()
    assert bpy.ops.iienv.cancel(addon="iienv_example_older") == {"FINISHED"}
    while (interval := operators.poll_installs()) is not None:
        time.sleep(interval)
    info = {e.addon: e for e in prefs.environments()}["iienv_example_older"]
    assert info.site_dir == site and info.packages == {"numpy": OLD_NUMPY}
    assert info.state == "failed" and "cancelled" in info.message
    # A blocking install is not shown as running once it returned.
    assert prefs.install("iienv_example_older").state == "installed"
    # Disabling iienv while pip runs cancels the install and still unregisters everything.
    prefs.start_install("iienv_example_older", requirements=[f"numpy=={NEW_NUMPY}"])
    operators.poll_installs()
    disable("iienv")
    assert not hasattr(bpy.types, "IIENV_OT_install")
    enable("iienv")
    enable("iienv_example_older")
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    assert sys.modules["iienv_example_older"].LAST_RESULT["version"] == OLD_NUMPY


run(main)
