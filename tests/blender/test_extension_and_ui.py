"""Issue 4 in bpy 4.5: the extension form, and the Preferences UI with its install timer."""

from pathlib import Path


def test_extension_form_two_numpys(run_scenario, dist: Path) -> None:
    run_scenario("extension_two_numpys.py", str(dist))


def test_preferences_draw_and_install_timer(run_scenario) -> None:
    run_scenario("ui_and_progress.py")
