"""Issue 4 in bpy 4.5: the extension form, and the Preferences UI with its install timer."""

from pathlib import Path


def test_extension_form_two_numpys(run_scenario, dist: Path) -> None:
    run_scenario("extension_two_numpys.py", str(dist))


def test_platform_zip_installs_with_its_bundled_uv(run_scenario, dist: Path) -> None:
    """Issue 20: this machine's per-platform zip carries uv; Preferences choose the installer."""
    import platform

    from tests.helpers import uv_wheel

    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}[platform.system()]
    machine = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}
    zip_name = f"iienv-0.1.0-{system}_{machine[platform.machine()]}.zip"
    out = run_scenario("installer_choice.py", str(dist), zip_name, uv_wheel().name)
    print(next(line for line in out.splitlines() if line.startswith("reinstall of numpy")))


def test_preferences_draw_and_install_timer(run_scenario) -> None:
    run_scenario("ui_and_progress.py")


def test_bundled_wheels_of_two_real_extensions(run_scenario) -> None:
    """Issue 11: Blender's shared wheels vs iienv's per-extension copies (see the scenario)."""
    from tests.blender.conftest import WHEELHOUSE

    out = run_scenario("bundled_extensions.py", str(WHEELHOUSE))
    assert "with iienv:" in out and "its environment is removed" in out
