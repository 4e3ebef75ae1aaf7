"""The iienv demo in a real Blender (bpy module): two add-ons, two numpys, one process.

The example add-ons in examples/addons declare an older numpy (1.26.4 on Python
3.11, 2.2.6 on Python 3.13, by environment markers) and numpy 2.4.6 in their
iienv.toml; Blender keeps its own numpy. iienv installs each environment before
the add-on's first import, then one add-on is purged and reinstalled without a
restart. Offline, from the local wheelhouse of this Python, with uv: iienv is
installed as the per-platform extension zip would install it, with uv's wheel
for this machine in its ``uv/`` folder (make wheels fetches it); the reinstall
is timed with uv and again with pip.

    make demo               (Blender 4.5, Python 3.11)
    make demo BLENDER=5.3   (Blender 5.3, Python 3.13; also 4.2 and 5.0)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = Path(tempfile.mkdtemp(prefix="iienv-blender-demo-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER)  # before bpy starts: a throwaway profile
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
wheelhouse = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / TAG))
os.environ["PIP_FIND_LINKS"] = str(wheelhouse)  # pip reads its options from PIP_* too
os.environ["PIP_NO_INDEX"] = "1"

import bpy  # noqa: E402

EXAMPLES = ("iienv_example_older", "iienv_example_newer")


def enable(name: str) -> None:
    import addon_utils  # Blender's own module, importable once bpy is

    addon_utils.enable(name, default_set=True, handle_error=_raise)


def _raise(exc: BaseException) -> None:
    raise exc


def uv_wheel_here() -> Path:
    """uv's wheel for this machine, as scripts/build.py puts it into its platform's zip."""
    import platform

    sys.path.insert(0, str(REPO / "scripts"))
    from build import UV_PLATFORMS, uv_wheels

    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}[platform.system()]
    machine = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}
    here = f"{system}-{machine[platform.machine()]}"
    assert here in UV_PLATFORMS, here
    return uv_wheels(REPO / "wheelhouse" / "uv")[here]


def compute_all() -> None:
    bpy.ops.iienv_example_older.compute()
    bpy.ops.iienv_example_newer.compute()
    for name in EXAMPLES:
        result = sys.modules[name].LAST_RESULT
        print(f"  {name}: numpy {result['version']} solve -> {result['solve']}")
        print(f"      from {result['file']}")


def main() -> None:
    addons = Path(bpy.utils.user_resource("SCRIPTS", path="addons", create=True))
    shutil.copytree(REPO / "iienv_addon", addons / "iienv")
    (addons / "iienv" / "uv").mkdir()
    shutil.copy(uv_wheel_here(), addons / "iienv" / "uv")
    for name in EXAMPLES:
        shutil.copytree(REPO / "examples" / "addons" / name, addons / name)
    bpy.utils.refresh_script_paths()
    print(f"Blender {bpy.app.version_string}, Python {sys.version.split()[0]}, profile in {USER}")

    t = time.perf_counter()
    enable("iienv")
    for name in EXAMPLES:
        enable(name)
    print(
        f"enabled iienv and two add-ons in {time.perf_counter() - t:.1f} s "
        f"(environments installed on first enable)"
    )
    compute_all()
    import numpy

    print(f"Blender's own numpy for everybody else: {numpy.__version__}")

    prefs = bpy.context.preferences.addons["iienv"].preferences
    print(f"installs with: {prefs.installer_description()}")
    for info in prefs.environments():
        print(
            f"  {info.addon}: {info.state}, {info.packages}, "
            f"{info.modules_loaded} modules loaded, {info.disk_bytes / 1e6:.0f} MB"
        )

    print("\npurge and reinstall iienv_example_newer, no restart:")
    bpy.ops.iienv.purge(addon="iienv_example_newer")
    t = time.perf_counter()
    bpy.ops.iienv.install(addon="iienv_example_newer")
    print(f"reinstalled with uv in {time.perf_counter() - t:.2f} s")
    enable("iienv_example_newer")
    compute_all()
    prefs.installer = "PIP"  # the Preferences' Installer setting
    bpy.ops.iienv.purge(addon="iienv_example_newer")
    t = time.perf_counter()
    bpy.ops.iienv.install(addon="iienv_example_newer")
    print(f"the same with pip: {time.perf_counter() - t:.2f} s")
    prefs.installer = "AUTO"
    enable("iienv_example_newer")
    compute_all()
    import addon_utils

    for name in (*EXAMPLES, "iienv"):
        addon_utils.disable(name, default_set=True)


if __name__ == "__main__":
    status = 0
    try:
        main()
    except Exception:
        import traceback

        traceback.print_exc()
        status = 1
    shutil.rmtree(USER, ignore_errors=True)
    sys.stdout.flush()
    os._exit(status)  # bpy can hang at exit otherwise (DESIGN.md)
