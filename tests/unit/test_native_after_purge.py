"""Issue 18 item 6 (in part): native code that stays loaded after a purge is named.

* Libraries loaded only through ``ctypes`` (llvmlite's ``libllvmlite.so``, no
  extension module) make the environment hold native code: the purge moves it
  to a fresh copy and names the library, and the re-import maps the fresh
  copy's library.
* Bundled libraries (h5py's ``h5py.libs/libhdf5``) that the fresh copy's
  extension modules will bind to again by soname are named in
  ``PurgeResult.reused_libraries`` with why; the re-import works.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import SiteCache, run_python, write_package

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
