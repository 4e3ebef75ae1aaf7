"""Hot-reload latency in real Blender (bpy 4.5): a 20-module add-on with a numpy environment.

Measures, from the watcher seeing a changed file to the add-on registered again,
one timer callback (`iienv.operators.watch_files`). Prints JSON; `make bench`
runs it with .venv-bpy-4.5/bin/python and adds a row to its table.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = Path(tempfile.mkdtemp(prefix="iienv-bench-reload-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER)
os.environ["PIP_FIND_LINKS"] = os.environ.get(
    "IIENV_WHEELHOUSE", str(REPO / "wheelhouse" / "cp311")
)
os.environ["PIP_NO_INDEX"] = "1"

import bpy  # noqa: E402

MODULES = 20
INIT = """import bpy
import numpy as np
from . import {imports}

bl_info = {{"name": "bench reload", "blender": (3, 4, 0), "category": "Development"}}


class BENCH_OT_total(bpy.types.Operator):
    bl_idname = "iienv_bench_addon.total"
    bl_label = "total"

    def execute(self, context):
        return {{"FINISHED"}}


def register():
    bpy.utils.register_class(BENCH_OT_total)


def unregister():
    bpy.utils.unregister_class(BENCH_OT_total)
"""


def main() -> dict[str, float]:
    import addon_utils

    addons = Path(bpy.utils.user_resource("SCRIPTS", path="addons", create=True))
    shutil.copytree(REPO / "iienv_addon", addons / "iienv")
    pkg = addons / "iienv_bench_addon"
    pkg.mkdir()
    names = [f"m{i:02d}" for i in range(MODULES - 1)]
    (pkg / "__init__.py").write_text(INIT.format(imports=", ".join(names)))
    for i, name in enumerate(names):
        (pkg / f"{name}.py").write_text(
            f"import numpy\n\nVALUE = {i}\n\n\ndef f(x):\n    return x + VALUE\n"
        )
    (pkg / "iienv.toml").write_text('[iienv]\nrequirements = ["numpy==1.26.4"]\n')
    bpy.utils.refresh_script_paths()

    def fail(exc: BaseException) -> None:
        raise exc

    for name in ("iienv", "iienv_bench_addon"):
        addon_utils.enable(name, default_set=True, handle_error=fail)
    import iienv
    from iienv import operators

    iienv.watch("iienv_bench_addon", debounce=0)
    times = []
    expected = {name: i for i, name in enumerate(names)}
    for round_ in range(15):
        name = names[round_ % len(names)]
        target = pkg / f"{name}.py"
        target.write_text(target.read_text().replace("VALUE =", "VALUE = 1 +", 1))
        expected[name] += 1
        start = time.perf_counter()
        operators.watch_files()
        times.append(time.perf_counter() - start)
        assert hasattr(bpy.types, "IIENV_BENCH_ADDON_OT_total"), "not registered again"
        assert sys.modules[f"iienv_bench_addon.{name}"].VALUE == expected[name], "stale code"
    for name in ("iienv_bench_addon", "iienv"):
        addon_utils.disable(name, default_set=True)
    return {"median": statistics.median(times), "max": max(times), "modules": MODULES}


if __name__ == "__main__":
    from bpy_bench_run import run_and_exit

    run_and_exit(main, USER)
