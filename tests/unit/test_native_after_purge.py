"""Issue 18 item 6 (in part): native code that stays loaded after a purge is named.

* Libraries loaded only through ``ctypes`` (llvmlite's ``libllvmlite.so``, no
  extension module) make the environment hold native code: the purge moves it
  to a fresh copy and names the library, and the re-import maps the fresh
  copy's library.
* Bundled libraries (h5py's ``h5py.libs/libhdf5``) that the fresh copy's
  extension modules will bind to again by soname are named in
  ``PurgeResult.reused_libraries`` with why; the re-import works.
* pybind11 2.x modules (their type registry in the builtins dict on Python
  3.11) load in two environments and again after a purge.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.helpers import SiteCache, plain_venv, run_in_venv, run_python, write_package

SESSION = """
import json, sys
from pathlib import Path
from iienv_addon.core import Manager

work, site = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
env = manager.create("native", owners=["native_user"], site_dir=site)
import native_user

def mapped(part):
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if part in line.split()[-1]})

before = native_user.use()
old_site = str(env.site_dir)
result = manager.purge("native")
sys.modules.pop("native_user", None)
import native_user

print(json.dumps({
    "before": before, "after": native_user.use(), "moved": str(result.site_dir) != old_site,
    "resident": result.resident_libraries, "reused": result.reused_libraries,
    "old_site": old_site, "new_site": str(result.site_dir), "mapped": mapped(sys.argv[3]),
}))
"""

LLVMLITE_USER = """
import llvmlite.binding as llvm

def use():
    return llvm.get_default_triple().split("-")[0]
"""

H5PY_USER = """
import io
import h5py

def use():
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f["x"] = [1, 2, 3]
    with h5py.File(buffer, "r") as f:
        return f["x"][()].tolist()
"""


def _session(site_cache: SiteCache, tmp_path: Path, sets: str, user: str, part: str) -> dict:
    write_package(tmp_path / "addons", "native_user", user)
    site = site_cache.fresh_copy(sets)
    proc = run_python(SESSION, str(tmp_path), str(site), part)
    out: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_a_library_loaded_only_through_ctypes_gets_a_fresh_copy(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    out = _session(site_cache, tmp_path, "numba-old", LLVMLITE_USER, "libllvmlite")
    assert out["before"] and out["before"] == out["after"]
    assert out["moved"], "no fresh copy: a re-import would reuse the mapped library"
    assert any(r.endswith("libllvmlite.so") for r in out["resident"]), out["resident"]
    # the re-import mapped the fresh copy's library, beside the purged one's
    assert any(m.startswith(out["new_site"]) for m in out["mapped"]), out["mapped"]
    assert any(m.startswith(out["old_site"]) for m in out["mapped"]), out["mapped"]


def test_bundled_libraries_bound_again_by_soname_are_named(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    out = _session(site_cache, tmp_path, "h5py-new", H5PY_USER, "libhdf5")
    assert out["before"] == out["after"] == [1, 2, 3]
    reused = {Path(library).name.split("-")[0]: why for library, why in out["reused"]}
    assert "libhdf5" in reused and "by name" in reused["libhdf5"], out["reused"]
    # extension modules load fresh (by full path): only the bundled folders' libraries
    assert all(Path(r).parent.name.endswith(".libs") for r, _ in out["reused"]), out["reused"]
    # what the report says is what happened: only the purged copy's libhdf5 is mapped
    assert all(m.startswith(out["old_site"]) for m in out["mapped"]), out["mapped"]


PYBIND2_USER = """
import numpy as np
import matplotlib
import matplotlib.tri as mtri  # matplotlib._tri: pybind11 2.x, py::class_<Triangulation>

def run():
    t = mtri.Triangulation([0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0])
    interp = mtri.LinearTriInterpolator(t, np.array([0.0, 1.0, 2.0, 3.0]))
    return {
        "version": matplotlib.__version__,
        "triangles": sorted(sorted(map(int, tri)) for tri in t.triangles),
        "value": float(interp(0.25, 0.25)),
        "edges": int(len(t.edges)),
    }
"""

PYBIND2_SESSION = """
import builtins, importlib, json, sys
from pathlib import Path
from iienv_addon.core import Manager

work, site_a, site_b = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
env_a = manager.create("pb_a", owners=["pb_a"], site_dir=site_a)
env_b = manager.create("pb_b", owners=["pb_b"], site_dir=site_b)

def internals():  # pybind11 <= 2.13 on Python < 3.12 keeps them in the builtins dict
    return sorted(k for k in builtins.__dict__ if k.startswith("__pybind11_"))

def run(name):
    module = importlib.import_module(name)
    with manager.activated(name):
        return module.run()

out = {"a": run("pb_a"), "b": run("pb_b"), "global_internals": internals()}
manager.purge("pb_a")
sys.modules.pop("pb_a", None)
out["a_again"] = run("pb_a")
out["b_again"] = run("pb_b")
out["global_internals_after"] = internals()
print(json.dumps(out))
"""


def test_pybind11_2_modules_load_twice_and_after_purge_as_in_a_plain_venv(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """pybind11 2.x keeps its type registry where 3.x does not (the builtins dict on 3.11).

    Two copies of matplotlib 3.8 (3.9 on Python 3.13) whose ``_tri`` registers
    ``Triangulation``: without per-environment internals the second copy, and
    the first after a purge, fail with ``generic_type: type "Triangulation" is
    already registered!``.
    """
    addons = tmp_path / "addons"
    for name in ("pb_a", "pb_b"):
        write_package(addons, name, PYBIND2_USER)
    sites = [site_cache.fresh_copy("matplotlib-old") for _ in range(2)]
    tri = next(sites[0].glob("matplotlib/_tri.*.so"))
    assert b"__pybind11_internals_v4_" in tri.read_bytes() or sys.version_info >= (3, 12)
    proc = run_python(PYBIND2_SESSION, str(tmp_path), *map(str, sites))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    venv = run_in_venv(plain_venv(tmp_path / "venv", [sites[1]]), addons, "pb_b")
    assert out["a"] == out["b"] == out["a_again"] == out["b_again"] == venv
    # the process's own builtins never hold an environment's internals
    assert out["global_internals"] == out["global_internals_after"] == []
