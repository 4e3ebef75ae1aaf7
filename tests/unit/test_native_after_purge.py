"""Issue 18 item 6 (in part): native code that stays loaded after a purge is named.

* Libraries loaded only through ``ctypes`` (llvmlite's ``libllvmlite.so``, no
  extension module) make the environment hold native code: the purge moves it
  to a fresh copy and names the library, and the re-import maps the fresh
  copy's library.
* Bundled libraries (h5py's ``h5py.libs/libhdf5``, pyarrow's ``libarrow``), which
  the fresh copy's extension modules find by soname, get fresh sonames in the
  fresh copy (Linux): the re-import loads them fresh, with fresh global state —
  pyarrow's extension-type registry in libarrow made the re-import fail with
  "already defined" before. Where the names are not edited (macOS, Windows:
  simulated here) ``PurgeResult.reused_libraries`` names them with why.
* pybind11 2.x modules (their type registry in the builtins dict on Python
  3.11) load in two environments and again after a purge.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    ENV_SETS,
    SiteCache,
    plain_venv,
    run_in_venv,
    run_python,
    write_package,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="/proc/self/maps and glibc's loader: Linux (the non-ELF report is simulated here)",
)

SESSION = """
import json, sys
from pathlib import Path
from iienv_addon.core import Manager

work, site = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(work / "addons"))
if len(sys.argv) > 4:  # simulated: a loader whose names iienv does not edit (Mach-O, PE)
    from iienv_addon.core import sonames
    sonames.EDITS_NAMES = False
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
    "fresh_names": result.fresh_names,
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


def _session(
    site_cache: SiteCache, tmp_path: Path, sets: str, user: str, part: str, *simulated: str
) -> dict:
    write_package(tmp_path / "addons", "native_user", user)
    site = site_cache.fresh_copy(sets)
    proc = run_python(SESSION, str(tmp_path), str(site), part, *simulated)
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


def test_bundled_libraries_load_fresh_after_purge(site_cache: SiteCache, tmp_path: Path) -> None:
    out = _session(site_cache, tmp_path, "h5py-new", H5PY_USER, "libhdf5")
    assert out["before"] == out["after"] == [1, 2, 3]
    assert out["reused"] == [], out["reused"]
    renamed = {old.split("-")[0]: new for old, new in out["fresh_names"].items()}
    assert "libhdf5" in renamed, out["fresh_names"]
    # both generations' libhdf5 are mapped: the re-import runs the fresh one
    mapped = {Path(m).name: m for m in out["mapped"]}
    assert mapped[renamed["libhdf5"]].startswith(out["new_site"]), out["mapped"]
    assert any(m.startswith(out["old_site"]) for m in out["mapped"]), out["mapped"]


def test_where_sonames_are_not_edited_the_reused_libraries_are_named(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """Simulated loader of another OS (this runs on Linux): the report, not the rename."""
    out = _session(site_cache, tmp_path, "h5py-new", H5PY_USER, "libhdf5", "not-elf")
    assert out["before"] == out["after"] == [1, 2, 3]
    assert out["fresh_names"] == {}
    reused = {Path(library).name.split("-")[0]: why for library, why in out["reused"]}
    assert "libhdf5" in reused and "by name" in reused["libhdf5"], out["reused"]
    # extension modules load fresh (by full path): only the bundled folders' libraries
    assert all(Path(r).parent.name.endswith(".libs") for r, _ in out["reused"]), out["reused"]
    # what the report says is what happened: only the purged copy's libhdf5 is mapped
    assert all(m.startswith(out["old_site"]) for m in out["mapped"]), out["mapped"]


ARROW_USER = """
import io
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

def run():
    frame = pd.DataFrame({
        "p": pd.period_range("2020-01", periods=3, freq="M"),  # pandas' extension types,
        "i": pd.interval_range(0, 3),                           # registered in libarrow
        "x": [1.5, 2.5, 3.5],
    })
    table = pa.Table.from_pandas(frame)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    back = pq.read_table(io.BytesIO(sink.getvalue())).to_pandas()
    return {
        "version": pa.__version__,
        "types": [str(table.schema.field(n).type) for n in ("p", "i", "x")],
        "back": [str(back["p"].dtype), str(back["i"].dtype), back["x"].sum()],
        "roundtrip": back.astype(str).values.tolist() == frame.astype(str).values.tolist(),
    }
"""

LIBARROW = re.compile(r".{3}arrow\.so\.\d+")  # libarrow.so.1801 and its fresh names

ARROW_SESSION = """
import importlib, json, sys
from pathlib import Path
from iienv_addon.core import Manager

work, site_a, site_b, site_c = Path(sys.argv[1]), *sys.argv[2:5]
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
manager.create("arrow_a", owners=["arrow_a"], site_dir=site_a)
manager.create("arrow_b", owners=["arrow_b"], site_dir=site_b)
manager.create("arrow_c", owners=["arrow_c"], site_dir=site_c)  # b's pyarrow version

def run(name):
    module = importlib.import_module(name)
    with manager.activated(name):
        return module.run()

def mapped():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "arrow.so" in line})

out = {"a": run("arrow_a"), "b": run("arrow_b"), "c": run("arrow_c"), "purges": []}
out["mapped"] = mapped()
for _ in range(2):  # twice: the second fresh copy renames from the first one's names
    result = manager.purge("arrow_a")
    sys.modules.pop("arrow_a", None)
    out["purges"].append({"again": run("arrow_a"), "fresh_names": result.fresh_names,
                          "reused": result.reused_libraries, "site": str(result.site_dir),
                          "mapped": mapped()})
out["b_again"] = run("arrow_b")
print(json.dumps(out), flush=True)
import os; os._exit(0)  # (pyarrow's threads can abort the exit, as in a plain venv)
"""


def test_a_registry_in_a_bundled_library_is_fresh_after_purge(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """pyarrow + pandas: two versions, and one of them twice, as in plain venvs.

    Before: the second environment with the same pyarrow failed with ``ArrowKeyError:
    A type extension with name pandas.period already defined`` (it bound to the
    first one's ``libarrow`` by soname), and the re-import after purge with
    ``... arrow.py_extension_type already defined`` (bound to the purged one's).
    """
    addons = tmp_path / "addons"
    for name in ("arrow_a", "arrow_b", "arrow_c"):
        write_package(addons, name, ARROW_USER)
    sites = [site_cache.fresh_copy(key) for key in ("arrow-old", "arrow-new", "arrow-new")]
    proc = run_python(ARROW_SESSION, str(tmp_path), *map(str, sites))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    venvs = [
        run_in_venv(
            plain_venv(tmp_path / f"venv{i}", [site]), addons, "arrow_a", abort_at_exit=True
        )
        for i, site in enumerate(sites[:2])
    ]
    assert out["a"] == venvs[0] and out["b"] == out["b_again"] == out["c"] == venvs[1]
    assert out["a"]["version"] != out["b"]["version"]
    # each environment runs the libarrow of its own directory, under a name of its own
    adopted = []
    for site in sites:
        files = json.loads((site / ".iienv-sonames.json").read_text())["files"]
        (name,) = [n for n, wheel in files.items() if LIBARROW.fullmatch(Path(wheel).name)]
        assert f"{site}/{name}" in out["mapped"], out["mapped"]
        name = Path(name).name
        adopted.append(name)
    assert len(set(adopted)) == 3, adopted
    previous = adopted[0]
    for purge in out["purges"]:
        assert purge["again"] == venvs[0]
        assert purge["reused"] == []
        # the name the purged libarrow went by got a new one in the fresh copy ...
        ((old, new),) = [(o, n) for o, n in purge["fresh_names"].items() if LIBARROW.fullmatch(o)]
        assert old == previous and LIBARROW.fullmatch(new) and new != old
        previous = new
        # ... and the fresh copy's libarrow is what runs now
        assert f"{purge['site']}/pyarrow/{new}" in purge["mapped"], purge["mapped"]
    # the wheel's file name is kept (a load by path gets the same file), no older fresh one
    last = Path(out["purges"][-1]["site"]) / "pyarrow"
    wheel_name = f"libarrow{previous[8:]}"
    assert sorted(p.name for p in last.iterdir() if LIBARROW.fullmatch(p.name)) == sorted(
        [wheel_name, previous]
    )
    assert (last / wheel_name).samefile(last / previous)


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


INSTALLED_SESSION = """
import importlib, json, sys
from pathlib import Path
from iienv_addon.core import Manager

work, wheelhouse, requirement = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
out = {"phases": [], "sites": {}, "use": {}}
for name in ("inst_a", "inst_b"):
    manager.create(name, owners=[name])
    site = manager.install(name, [requirement], find_links=[wheelhouse], no_index=True,
                           progress=lambda p: out["phases"].append(p.phase))
    out["sites"][name] = str(site)
for name in ("inst_a", "inst_b"):
    out["use"][name] = importlib.import_module(name).use()
with open("/proc/self/maps") as maps:
    out["mapped"] = sorted({line.split()[-1] for line in maps if "libhdf5-" in line})
print(json.dumps(out))
"""


def test_two_installs_of_one_h5py_run_libraries_of_their_own(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """What pip installs gets names of its own before it becomes current.

    Before, the second environment's h5py bound to the first one's libhdf5 (same
    soname): one HDF5 library, its global state shared by two add-ons.
    """
    for name in ("inst_a", "inst_b"):
        write_package(tmp_path / "addons", name, H5PY_USER)
    requirement = next(r for r in ENV_SETS["h5py-new"] if r.startswith("h5py=="))
    proc = run_python(INSTALLED_SESSION, str(tmp_path), str(wheelhouse), requirement)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["use"] == {"inst_a": [1, 2, 3], "inst_b": [1, 2, 3]}
    mapped = {Path(m).parent.parent: Path(m).name for m in out["mapped"]}
    sites = [Path(out["sites"][name]) for name in ("inst_a", "inst_b")]
    assert set(mapped) == set(sites), out["mapped"]  # each its own libhdf5 ...
    assert mapped[sites[0]] != mapped[sites[1]]  # ... under a name of its own
    for site in sites:  # pip's RECORD still names the wheel's files, which are all there
        record = json.loads((site / ".iienv-sonames.json").read_text())
        assert record["files"] and all((site / w).is_file() for w in record["files"].values())
        assert set(record["sonames"]) == {Path(new).name for new in record["files"]}
    assert "naming" in out["phases"]
