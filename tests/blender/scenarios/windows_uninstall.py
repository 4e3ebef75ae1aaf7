"""Issue 17 in bpy: Uninstall under Windows' file rules, with numpy's libraries loaded.

Under the simulated Windows rules (tests/simulated_os.py: a loaded library and
its folders cannot be renamed or deleted), the Uninstall operator completes:
the add-on is disabled, its environment is gone from iienv, the operator and
the Preferences say how much waits for the restart, and enabling the add-on
again installs it into a new generation and runs its numpy. Blender's own
numpy is untouched throughout.
"""

import os
import sys
from pathlib import Path

import bpy
from common import EXAMPLES, OLD_NUMPY, disable, enable, install_legacy, run

from tests.simulated_os import WindowsSim  # (common put the repository on sys.path)

NP126 = EXAMPLES[0]


def main() -> None:
    import numpy as blender_numpy

    sim = WindowsSim(Path(os.environ["BLENDER_USER_RESOURCES"])).install()
    install_legacy((NP126,))
    enable("iienv")
    enable(NP126)
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    first = sys.modules[NP126].LAST_RESULT
    assert first["version"] == OLD_NUMPY, first
    prefs = bpy.context.preferences.addons["iienv"].preferences
    root = Path(prefs.environments()[0].site_dir).parents[1]

    reports = []
    assert bpy.ops.iienv.uninstall(addon=NP126) == {"FINISHED"}
    info = {e.addon: e for e in prefs.environments()}.get(NP126)
    assert any("loaded" in r for r in sim.refusals), sim.refusals  # the fake refused
    assert NP126 not in sys.modules and not any(m.startswith(NP126 + ".") for m in sys.modules)
    assert (root / NP126 / ".removed").is_file()
    # the add-on declares its environment: still listed, not installed, the size said
    assert info is not None and info.state == "empty", info
    assert info.pending_bytes > 1_000_000 and "restarts" in info.message, info
    reports.append(info.message)

    enable(NP126)  # installs again, into a new generation (never the loaded path)
    assert bpy.ops.iienv_example_older.compute() == {"FINISHED"}
    second = sys.modules[NP126].LAST_RESULT
    assert second["version"] == OLD_NUMPY and second["file"] != first["file"], second
    assert not (root / NP126 / ".removed").exists()
    assert sys.modules["numpy"] is blender_numpy
    disable(NP126)
    disable("iienv")
    sim.uninstall()
    print("reports:", reports)


run(main)
