"""Issue 20 in bpy: the per-platform extension zip installs with its bundled uv.

argv: the dist folder (scripts/build.py output), this machine's platform zip name.
"""

import importlib.util
import sys
import time
from pathlib import Path

import bpy
from common import OLD_NUMPY, Recorder, disable, run

DIST = Path(sys.argv[1])
ZIP = sys.argv[2]
PREFIX = "bl_ext.user_default."
ADDON = PREFIX + "iienv_example_older"


def install(zip_name: str) -> None:
    result = bpy.ops.extensions.package_install_files(
        filepath=str(DIST / zip_name), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result


def installed_by(site_dir: str) -> set[str]:
    return {p.read_text().strip() for p in Path(site_dir).glob("*.dist-info/INSTALLER")}


def main() -> None:
    install(ZIP)
    prefs = bpy.context.preferences.addons[PREFIX + "iienv"].preferences
    assert prefs.installer == "AUTO"
    described = prefs.installer_description()
    assert described.startswith("uv 0.13.9 (the bundled uv (uv-0.13.9-py3-none-"), described
    # installed at the example's first import, by the bundled uv
    install("iienv_example_older-1.0.0.zip")
    info = {e.addon: e for e in prefs.environments()}[ADDON]
    assert info.packages == {"numpy": OLD_NUMPY}, info
    assert installed_by(info.site_dir) == {"uv"}
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    # the binary went to iienv's user dir; nothing importable was added to Blender
    api = sys.modules[PREFIX + "iienv.api"]
    unpacked = api.runtime().manager.installer_settings.unpack_to
    assert "/extensions/.user/user_default/iienv/environments/.uv" in str(unpacked), unpacked
    assert list(Path(unpacked).glob("*/uv")), list(Path(unpacked).iterdir())
    extension_dir = Path(sys.modules[PREFIX + "iienv"].__file__).parent
    assert [p.name for p in (extension_dir / "uv").iterdir()] == [ZIP_WHEEL]
    assert importlib.util.find_spec("uv") is None
    shared = [Path(p) for p in sys.path if "/extensions/.local/" in p]
    assert not any((p / "uv").exists() for p in shared), shared
    # the Preferences show it and switch it
    calls: list = []
    type(prefs).draw(type("Self", (), {"layout": Recorder(calls)})(), bpy.context)
    props = [args[1] for name, args, _kw in calls if name == "prop"]
    assert "installer" in props and "uv_path" in props, props
    labels = [kw.get("text", "") for name, _a, kw in calls if name == "label"]
    assert any(text.startswith("Installs with: uv 0.13.9") for text in labels), labels
    t = time.perf_counter()
    assert installed_by(prefs.install(ADDON).site_dir) == {"uv"}
    uv_seconds = time.perf_counter() - t
    prefs.installer = "PIP"  # (the update callback reconfigures the running manager)
    assert prefs.installer_description() == "pip (chosen)"
    t = time.perf_counter()
    assert installed_by(prefs.install(ADDON).site_dir) == {"pip"}
    pip_seconds = time.perf_counter() - t
    print(f"reinstall of numpy {OLD_NUMPY}: uv {uv_seconds:.2f} s, pip {pip_seconds:.2f} s")
    # one call may choose for itself
    assert installed_by(prefs.install(ADDON, installer="uv").site_dir) == {"uv"}
    prefs.installer = "UV"
    prefs.uv_path = str(DIST / "no-such-uv")  # passed over: the bundled one still serves
    assert prefs.installer_description().startswith("uv 0.13.9 (the bundled uv"), (
        prefs.installer_description()
    )
    prefs.uv_path = ""
    prefs.installer = "AUTO"
    for name in ("iienv_example_older", "iienv"):
        disable(PREFIX + name)


ZIP_WHEEL = sys.argv[3]
run(main)
