"""Issue 4 must-show 1 for the extension form: package_install_files in bpy 4.5."""

import sys
import tempfile
from pathlib import Path

import bpy
from common import BLENDER_NUMPY, NEW_NUMPY, OLD_NUMPY, REPO, disable, run

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
    install_fails_offline()
    for name in ("iienv_example_older", "iienv_example_newer", "iienv"):
        disable(PREFIX + name)
    assert "iienv" not in sys.modules


def install_fails_offline() -> None:
    """An extension whose environment cannot be installed before its first import (no
    wheel offline): Blender's enable reports iienv's message (it reads the error's
    ``name`` and ``msg``; a missing ``name`` was a TypeError in addon_utils) and the
    extension stays disabled."""
    import addon_utils  # (importable only after bpy)

    sys.path.insert(0, str(REPO / "scripts"))
    from build import blender_ext, build_extension

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        code = "def register():\n    pass\n\n\ndef unregister():\n    pass\n"
        (source / "__init__.py").write_text(code)
        manifest = Path(tmp) / "blender_manifest.toml"
        manifest.write_text(
            'schema_version = "1.0.0"\nid = "iienv_no_wheel"\nversion = "1.0.0"\n'
            'name = "no wheel"\ntagline = "Needs a numpy nobody has"\nmaintainer = "iienv"\n'
            'type = "add-on"\nblender_version_min = "4.2.0"\n'
            'license = ["SPDX:GPL-3.0-or-later"]\n\n[iienv]\nrequirements = ["numpy==0.0.1"]\n'
        )
        built = build_extension(source, manifest, Path(tmp), blender_ext())
        errors: list[BaseException] = []
        bpy.ops.extensions.package_install_files(
            filepath=str(built), repo="user_default", enable_on_install=False
        )
    name = PREFIX + "iienv_no_wheel"
    addon_utils.enable(name, default_set=True, handle_error=errors.append)
    assert len(errors) == 1, errors
    error = errors[0]
    assert isinstance(error, ImportError) and error.name == name, (type(error), error.name)
    assert "iienv" in str(error) and "numpy==0.0.1" in str(error), str(error)
    assert error.msg.startswith(f'Add-on not loaded: "{name}", cause: iienv'), error.msg
    assert addon_utils.check(name) == (False, False)
    assert name not in bpy.context.preferences.addons


run(main)
