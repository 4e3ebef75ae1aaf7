"""Demo of iienv's engine in plain Python: two add-ons with conflicting numpy in one process.

Add-on A needs numpy 1.26.4, add-on B numpy 2.4.6, and the host (Blender, here
the plain interpreter) keeps its own numpy. Then B is updated while it runs,
purged, re-imported, reinstalled and purged again, all without a restart.
Installs come from the local wheelhouse (`make wheels`): no network needed.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from iienv_addon.core import Manager  # noqa: E402
from iienv_addon.core.installer import Progress  # noqa: E402

ADDON_SOURCE = """
import numpy as np

def compute():
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    x = np.linalg.solve(a, np.array([1.0, 2.0]))
    scalar = repr(np.float64(0.1))
    return f"numpy {np.__version__:7} solve -> {x.round(3).tolist()}  repr(float64(0.1)) = {scalar}"
"""


def _show(progress: Progress) -> None:
    print(f"  [{progress.fraction:4.0%}] {progress.phase:11} {progress.message[:70]}")


def main() -> None:
    wheelhouse = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / "cp311"))
    work = Path(tempfile.mkdtemp(prefix="iienv-demo-"))
    addons = work / "addons"
    for name in ("addon_a", "addon_b"):
        (addons / name).mkdir(parents=True)
        (addons / name / "__init__.py").write_text(textwrap.dedent(ADDON_SOURCE))
    sys.path.insert(0, str(addons))

    import numpy as host_numpy

    manager = Manager(work / "environments")
    manager.enable()
    offline = {"find_links": [wheelhouse], "no_index": True}
    t = time.perf_counter()
    manager.create("addon_a", owners=["addon_a"])
    manager.install("addon_a", ["numpy==1.26.4"], **offline)
    manager.create("addon_b", owners=["addon_b"])
    manager.install("addon_b", ["numpy==2.4.6"], **offline)
    print(f"installed two environments in {time.perf_counter() - t:.1f} s under {work}")

    import addon_a
    import addon_b

    print("add-on A :", addon_a.compute())
    print("add-on B :", addon_b.compute())
    print(
        f"host     : numpy {host_numpy.__version__} (sys.modules['numpy'] is the host's: "
        f"{sys.modules['numpy'] is host_numpy})"
    )

    t = time.perf_counter()
    manager.install("addon_b", ["numpy==2.2.6"], progress=_show, **offline)
    print(
        f"\nupdated add-on B's environment to numpy 2.2.6 in {time.perf_counter() - t:.1f} s "
        f"while B keeps running:"
    )
    print("add-on B :", addon_b.compute())

    for step in ("update", "reinstall"):
        t = time.perf_counter()
        purged = manager.purge("addon_b")
        print(
            f"\npurged add-on B in {1000 * (time.perf_counter() - t):.0f} ms: {len(purged)} "
            f"modules removed, {len(purged.resident_libraries)} shared libraries stay mapped"
        )
        addon_b = importlib.import_module("addon_b")
        print("add-on B :", addon_b.compute(), f" <- after the {step}, same process")
        print("add-on A :", addon_a.compute(), " <- untouched")
        if step == "update":
            t = time.perf_counter()
            manager.install("addon_b", ["numpy==2.4.6"], **offline)
            print(f"\nreinstalled numpy 2.4.6 for add-on B in {time.perf_counter() - t:.1f} s")
    manager.disable()
    print("\niienv disabled; builtins.__import__ untouched, no environment module in sys.modules")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
