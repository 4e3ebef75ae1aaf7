"""Issue 4 in bpy 4.5: the extension form, and the Preferences UI with its install timer."""

from pathlib import Path


def test_extension_form_two_numpys(run_scenario, dist: Path) -> None:
    run_scenario("extension_two_numpys.py", str(dist))


def test_preferences_draw_and_install_timer(run_scenario) -> None:
    run_scenario("ui_and_progress.py")


def test_bundled_wheels_of_two_real_extensions(run_scenario) -> None:
    """Issue 11: Blender's shared wheels vs iienv's per-extension copies (see the scenario)."""
    from tests.blender.conftest import WHEELHOUSE

    out = run_scenario("bundled_extensions.py", str(WHEELHOUSE))
    assert "with iienv:" in out and "its environment is removed" in out
