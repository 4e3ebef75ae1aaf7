"""Issue 18 item 2: environment code that reads ``sys.modules`` by name sees its modules.

numba (two versions, each with its own numpy, beside the host's numpy) compiles
functions that return arrays, fills arrays with ``prange`` and caches compiled
code on disk (``cache=True``: numba pickles with its vendored cloudpickle, which
looks objects' modules up in ``sys.modules``); the C pickler walks
``sys.modules`` for numpy 1.x's ufuncs (no ``__module__``). Each add-on runs in a
fresh process twice — compiling, then loading from its cache — and must return
what the same code returns in a plain venv holding only its environment's
packages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import SiteCache, plain_venv, run_in_venv, run_python, write_package

PROBE = """
import importlib
import inspect
import pickle
import sys

import numba
import numpy as np
from numba import njit, prange


@njit
def make(n):
    return np.arange(n) * 2.0


@njit(parallel=True)
def fill(n):
    out = np.empty(n)
    for i in prange(n):
        out[i] = i * 3.0
    return out


@njit(cache=True)
def cached(a):
    return a.sum() + 1


def run():
    total = float(cached(np.ones(3)))
    walked = [name for name in sys.modules if name == "numpy"]
    return {
        "numba": numba.__version__,
        "numpy": np.__version__,
        "make": make(4).tolist(),
        "make is ndarray": type(make(2)) is np.ndarray,
        "fill": fill(4).tolist(),
        "cached": total,
        "from cache": sum(cached.stats.cache_hits.values()) > 0,
        "ufunc pickle": pickle.loads(pickle.dumps(np.add)) is np.add,
        "dispatcher pickle": pickle.loads(pickle.dumps(make))(3).tolist(),
        "walk": walked == ["numpy"] and sys.modules.copy()["numpy"] is np,
        "items": dict(sys.modules.items())["numpy.linalg"] is np.linalg,
        "getmodule": inspect.getmodule(np.linalg.norm) is importlib.import_module("numpy.linalg"),
    }
"""

IN_IIENV = """
import json, sys
from pathlib import Path
import numpy as host_numpy
from iienv_addon.core import Manager

work = Path(sys.argv[1])
sites = {"old": sys.argv[2], "new": sys.argv[3]}
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
for side, site in sites.items():  # (the second process finds them on disk)
    if manager.find(side) is None:
        manager.create(side, owners=[f"nb_{side}"], site_dir=site)
import nb_new, nb_old

out = {"old": nb_old.run(), "new": nb_new.run()}
out["host untouched"] = sys.modules["numpy"] is host_numpy
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def sites(site_cache: SiteCache) -> dict[str, Path]:
    return {side: site_cache.fresh_copy(f"numba-{side}") for side in ("old", "new")}


def test_numba_compiles_caches_and_pickles_as_in_a_plain_venv(
    sites: dict[str, Path], tmp_path: Path
) -> None:
    expected: dict[str, list[dict[str, object]]] = {}
    for side in ("old", "new"):
        addons = tmp_path / f"venv-addons-{side}"  # (its own cache, apart from iienv's)
        write_package(addons, f"nb_{side}", PROBE)
        python = plain_venv(tmp_path / f"venv-{side}", [sites[side]])
        expected[side] = [run_in_venv(python, addons, f"nb_{side}") for _ in range(2)]
    assert [run["from cache"] for run in expected["old"]] == [False, True]

    for side in ("old", "new"):
        write_package(tmp_path / "addons", f"nb_{side}", PROBE)
    args = (str(tmp_path), str(sites["old"]), str(sites["new"]))
    for attempt in range(2):  # compiles and writes the cache, then loads from it
        out = json.loads(run_python(IN_IIENV, *args).stdout.strip().splitlines()[-1])
        assert out["host untouched"]
        assert out["old"] == expected["old"][attempt]
        assert out["new"] == expected["new"][attempt]
    assert expected["old"][0]["numpy"] != expected["new"][0]["numpy"]
    assert sys.modules.get("numba") is None
