"""Issue 11: two real extensions that bundle different wheels, built by Blender's own
``blender_ext.py build`` and installed with ``bpy.ops.extensions.package_install_files``.

``bw_older`` bundles the older numpy and six 1.16.0, ``bw_newer`` the newer numpy
and six 1.17.0. Each records in register() what it imported. Run as a script
(the test) or imported by scripts/demo_extensions.py (``story(print)``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import bpy
from common import (
    BLENDER_NUMPY,
    NEW_NUMPY,
    OLD_NUMPY,
    UPDATE_NUMPY,
    Recorder,
    check_drawn,
    disable,
    enable,
    install_legacy,
    run,
)

PREFIX = "bl_ext.user_default."
OLDER, NEWER = PREFIX + "bw_older", PREFIX + "bw_newer"

INIT = '''
"""A test extension: records which numpy and six it runs."""
RESULT = {}


def register():
    import numpy
    import six

    RESULT.clear()
    RESULT.update(numpy=numpy.__version__, six=six.__version__, numpy_file=numpy.__file__)


def unregister():
    pass
'''


def build(wheelhouse: Path, out: Path, ext_id: str, version: str, numpy: str, six: str) -> Path:
    """An extension zip bundling numpy ``numpy`` and six ``six``, by Blender's own tool."""
    source = out / f"src-{ext_id}-{version}"
    (source / "wheels").mkdir(parents=True)
    wheels = [next(wheelhouse.glob(f"numpy-{numpy}-*.whl")), next(wheelhouse.glob(f"six-{six}-*"))]
    for wheel in wheels:
        shutil.copy(wheel, source / "wheels")
    (source / "__init__.py").write_text(INIT)
    listed = ", ".join(f'"./wheels/{w.name}"' for w in wheels)
    (source / "blender_manifest.toml").write_text(
        f'schema_version = "1.0.0"\nid = "{ext_id}"\nversion = "{version}"\n'
        f'name = "{ext_id}"\ntagline = "Bundles numpy {numpy} and six {six}"\n'
        f'maintainer = "iienv tests"\ntype = "add-on"\nblender_version_min = "4.2.0"\n'
        f'license = ["SPDX:GPL-3.0-or-later"]\nwheels = [{listed}]\n'
    )
    tool = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core/bl_pkg/cli/blender_ext.py"
    proc = subprocess.run(
        [sys.executable, str(tool), "build", "--source-dir", str(source), "--output-dir", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / f"{ext_id}-{version}.zip"


def install(zip_path: Path) -> None:
    result = bpy.ops.extensions.package_install_files(
        filepath=str(zip_path), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result


def got(addon: str) -> tuple[str, str]:
    result = sys.modules[addon].RESULT
    return result["numpy"], result["six"]


def story(say: Callable[[str], None], wheelhouse: Path, out: Path) -> None:
    """Blender's behaviour, then iienv's: the same steps for the test and the demo."""
    older = build(wheelhouse, out, "bw_older", "1.0.0", OLD_NUMPY, "1.16.0")
    newer = build(wheelhouse, out, "bw_newer", "1.0.0", NEW_NUMPY, "1.17.0")
    updated = build(wheelhouse, out, "bw_older", "1.1.0", UPDATE_NUMPY, "1.16.0")
    say(f"Blender {bpy.app.version_string}, numpy {BLENDER_NUMPY} in its own site-packages")
    say(f"bw_older bundles numpy {OLD_NUMPY} + six 1.16.0; bw_newer numpy {NEW_NUMPY} + six 1.17.0")

    install(newer)
    install(older)
    say(f"without iienv: bw_older gets {got(OLDER)}, bw_newer gets {got(NEWER)}")
    # Blender's behaviour: one shared copy of each package (the highest version), and a
    # module already loaded wins over every bundled one (bpy 4.5 and 5.3 load their own
    # numpy at start; bpy 4.2 does not, so there the shared numpy wins).
    global_numpy = sys.modules["numpy"]
    shared = (global_numpy.__version__, "1.17.0")
    assert got(OLDER) == got(NEWER) == shared, (got(OLDER), got(NEWER))

    install_legacy(names=())
    enable("iienv")
    prefs = bpy.context.preferences.addons["iienv"].preferences
    say(f"with iienv:    bw_older gets {got(OLDER)}, bw_newer gets {got(NEWER)}")
    assert got(OLDER) == (OLD_NUMPY, "1.16.0"), got(OLDER)
    assert got(NEWER) == (NEW_NUMPY, "1.17.0"), got(NEWER)
    infos = {info.addon: info for info in prefs.bundled_wheels()}
    assert infos[OLDER].isolated and infos[OLDER].conflicts["six"] == ("1.16.0", "1.17.0")
    assert infos[NEWER].isolated == bool(infos[NEWER].conflicts), infos[NEWER]
    assert infos[OLDER].shared == {"numpy": NEW_NUMPY, "six": "1.17.0"}, infos[OLDER].shared
    for info in infos.values():
        say(f"  {info.addon}: isolated {info.isolated}, conflicts {info.conflicts}")
    assert sys.modules["numpy"] is global_numpy, "global code keeps its numpy"

    calls: list = []  # the Bundled wheels view, drawn against a recording layout
    type(prefs).draw(type("Self", (), {"layout": Recorder(calls)})(), bpy.context)
    assert "iienv.isolate_bundled" in check_drawn(calls)
    labels = [kw.get("text", "") for name, _a, kw in calls if name == "label"]
    assert "Bundled wheels" in labels and OLDER in labels, labels
    assert any("six: bundles 1.16.0, shared install 1.17.0" in t for t in labels), labels

    install(updated)  # an update that bundles another numpy: the environment follows
    say(f"bw_older updated to 1.1.0 (numpy {UPDATE_NUMPY}): it gets {got(OLDER)}")
    assert got(OLDER) == (UPDATE_NUMPY, "1.16.0"), got(OLDER)

    assert bpy.ops.iienv.isolate_bundled(addon=NEWER, choice="never") == {"FINISHED"}
    say(f"bw_newer set to 'never': it gets {got(NEWER)} (Blender's shared wheels)")
    assert got(NEWER) == (global_numpy.__version__, sys.modules["six"].__version__)
    assert NEWER not in [e.addon for e in prefs.environments()]
    assert bpy.ops.iienv.isolate_bundled(addon=NEWER, choice="isolate") == {"FINISHED"}
    say(f"bw_newer set to 'isolate': it gets {got(NEWER)}")
    assert got(NEWER) == (NEW_NUMPY, "1.17.0"), got(NEWER)
    own_file = sys.modules[NEWER].RESULT["numpy_file"]
    assert own_file != global_numpy.__file__, "its own copy, not the global one"

    repo_index = [r.module for r in bpy.context.preferences.extensions.repos].index("user_default")
    home = Path(next(e.site_dir for e in prefs.environments() if e.addon == NEWER)).parent
    result = bpy.ops.extensions.package_uninstall(repo_index=repo_index, pkg_id="bw_newer")
    assert result == {"FINISHED"}, result
    assert NEWER not in [e.addon for e in prefs.environments()], "environment not removed"
    assert not home.exists(), "environment files left behind"
    say("bw_newer uninstalled: its environment is removed")
    # Blender re-synced its shared wheels: the view reads them again (not a stale copy)
    shared_now = {i.addon: i for i in prefs.bundled_wheels()}[OLDER].shared
    assert shared_now == {"numpy": UPDATE_NUMPY, "six": "1.16.0"}, shared_now

    disable("iienv")
    say(f"iienv disabled: bw_older gets {got(OLDER)} again (Blender's behaviour)")
    assert got(OLDER) == (global_numpy.__version__, sys.modules["six"].__version__), got(OLDER)


def main() -> None:
    user = Path(bpy.utils.user_resource("SCRIPTS")).parent
    out = user / "zips"
    out.mkdir(parents=True, exist_ok=True)
    story(print, Path(sys.argv[1]), out)


if __name__ == "__main__":
    run(main)
