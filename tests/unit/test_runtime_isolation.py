"""Run-time isolation: what real packages do *after* they are imported (issue 8).

One test per class of failure found with real packages. The host (this
interpreter, standing in for Blender) has numpy 1.24.4 and typing_extensions;
it has no pydantic, scipy or certifi.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, write_package
from tests.versions import NEW_NUMPY

PYDANTIC2 = """
import importlib
import pydantic
from pydantic import BaseModel, TypeAdapter   # PEP 562 lazy attributes

class Point(BaseModel):
    x: int

def run():
    # run time: a lazy attribute first touched now, outside any import
    return pydantic.VERSION, Point(x="3").x, pydantic.TypeAdapter(int).validate_python("5")

def typing_extensions():
    return importlib.import_module("typing_extensions")
"""

PYDANTIC1 = """
import pydantic

def run():
    # Compiled (Cython) pydantic 1 imports pydantic.schema inside ModelField.infer
    class Model(pydantic.BaseModel):
        x: int
        tags: list = []
    return pydantic.VERSION, pydantic.compiled, Model(x="4").x, Model.schema()["title"]
"""

LOOKUPS = """
import importlib, importlib.util, importlib.resources, pkgutil
import certifi

def run():
    return {
        "find_spec": importlib.util.find_spec("certifi"),
        "resources": importlib.resources.files("certifi").joinpath("cacert.pem").read_bytes(),
        "where": certifi.where(),
        "get_data": pkgutil.get_data("certifi", "cacert.pem"),
    }
"""

SCIPY = """
import numpy as np
import scipy
import scipy.sparse, scipy.ndimage, scipy.optimize

def run():
    fft = scipy.fft   # lazy submodule (PEP 562), first touched at run time
    return {
        "version": scipy.__version__,
        "fft": complex(fft.fft(np.ones(4))[0]),
        "distance": float(__import__("scipy.spatial.distance").spatial.distance.cdist(
            np.zeros((1, 2)), np.ones((1, 2)))[0, 0]),
        "sparse": float(scipy.sparse.csr_matrix(np.eye(3)).sum()),
        "label": int(scipy.ndimage.label(np.eye(3))[1]),
        "pocketfft": __import__("scipy.fft._pocketfft.pypocketfft").fft._pocketfft.pypocketfft,
        "numpy": np,
    }
"""

GENERATOR = """
import importlib
import numpy as np

def lookups():
    return importlib.import_module("numpy"), importlib.import_module(".linalg", "numpy"), np

def run():
    # numpy 2's Generator.multivariate_normal does `from numpy.linalg import ...` per call
    rng = np.random.default_rng(1)
    return rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=3).shape
"""


@pytest.fixture
def world(tmp_path: Path, site_cache: SiteCache):
    import numpy as host_numpy

    addons = tmp_path / "addons"
    for name, source in {
        "rt_pd2": PYDANTIC2,
        "rt_pd1": PYDANTIC1,
        "rt_lookups": LOOKUPS,
        "rt_scipy_a": SCIPY,
        "rt_scipy_b": SCIPY,
        "rt_gen": GENERATOR,
    }.items():
        write_package(addons, name, source)
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    sets = {
        "rt_pd2": "pydantic-new",
        "rt_pd1": "pydantic-old",
        "rt_lookups": "requests-new",
        "rt_scipy_a": "scipy-new",
        "rt_scipy_b": "scipy-new",
        "rt_gen": "numpy-new",
    }
    created = {}

    def env(name: str):
        if name not in created:
            site = site_cache.fresh_copy(sets[name])
            created[name] = manager.create(name, owners=[name], site_dir=site)
        return created[name]

    yield manager, env, host_numpy
    manager.disable()
    sys.path.remove(str(addons))
    for name in sets:
        sys.modules.pop(name, None)


def test_lazy_module_attributes_pep562(world) -> None:
    """Class 1: `from pydantic import BaseModel` and later `pydantic.TypeAdapter`."""
    _, env, _ = world
    env("rt_pd2")
    module = importlib.import_module("rt_pd2")
    assert module.run() == ("2.12.5", 3, 5)
    assert "pydantic" not in sys.modules and "pydantic.main" not in sys.modules
    assert "pydantic.type_adapter" in env("rt_pd2").modules


def test_importlib_lookups_at_run_time_are_the_environments(world) -> None:
    """Class 2: import_module, find_spec, importlib.resources, certifi.where, pkgutil."""
    _, env, host_numpy = world
    gen_env = env("rt_gen")
    by_name, relative, numpy = importlib.import_module("rt_gen").lookups()
    assert by_name is numpy is gen_env.modules["numpy"]
    assert numpy is not host_numpy and numpy.__version__ == NEW_NUMPY
    assert relative is gen_env.modules["numpy.linalg"]

    lookups_env = env("rt_lookups")
    site = str(lookups_env.site_dir)
    had_typing_extensions = sys.modules.get("typing_extensions")
    got = importlib.import_module("rt_lookups").run()
    assert got["find_spec"].origin.startswith(site)
    cacert = (lookups_env.site_dir / "certifi" / "cacert.pem").read_bytes()
    assert got["resources"] == cacert and got["get_data"] == cacert
    assert got["where"].startswith(site)
    pd_env = env("rt_pd2")
    typing_extensions = importlib.import_module("rt_pd2").typing_extensions()
    assert typing_extensions is pd_env.modules["typing_extensions"]
    # global code still gets the global answers, and nothing leaked into sys.modules
    assert importlib.import_module("numpy") is host_numpy
    assert sys.modules.get("typing_extensions") is had_typing_extensions
    assert importlib.util.find_spec("certifi") is None


def test_cython_call_time_imports(world) -> None:
    """Class 3: PyImport_ImportModuleLevelObject at call time (never calls __import__)."""
    manager, env, host_numpy = world
    env("rt_pd1")
    version, compiled, x, title = importlib.import_module("rt_pd1").run()
    assert (version, compiled, x, title) == ("1.10.22", True, 4, "Model")
    assert "pydantic" not in sys.modules

    # The host has numpy.linalg too. Called from global code (this test), with no
    # door and no block: the compiled lookup is the add-on's because its frame asks.
    env("rt_gen")
    module = importlib.import_module("rt_gen")
    assert module.run() == (3, 2)
    assert sys.modules["numpy"] is host_numpy  # nothing was taken out for the call
    assert sys.modules["numpy.linalg"] is host_numpy.linalg
    # and global code's own compiled call-time imports get the host's modules
    rng = host_numpy.random.default_rng(1)
    assert rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=2).shape == (2, 2)
    with manager.activated("rt_gen"):
        assert module.run() == (3, 2)
        assert sys.modules["numpy"] is not host_numpy  # the block reads the add-on's
    assert sys.modules["numpy"] is host_numpy


def test_pybind11_module_cache_is_per_environment(world) -> None:
    """Class 4: two scipy 1.16 (pybind11 3) side by side, then purge + re-import."""
    manager, env, _ = world
    env_a, env_b = env("rt_scipy_a"), env("rt_scipy_b")
    a = importlib.import_module("rt_scipy_a")
    b = importlib.import_module("rt_scipy_b")
    with manager.activated(env_a):
        got_a = a.run()
    with manager.activated(env_b):
        got_b = b.run()
    expected = {"version": "1.16.3", "fft": 4 + 0j, "distance": 2**0.5, "sparse": 3.0, "label": 3}
    for got in (got_a, got_b):
        assert {k: got[k] for k in expected} == pytest.approx(expected)
    assert got_a["pocketfft"] is not got_b["pocketfft"]
    assert got_a["pocketfft"].__file__.startswith(str(env_a.site_dir))
    assert got_b["pocketfft"].__file__.startswith(str(env_b.site_dir))
    assert got_a["numpy"] is not got_b["numpy"]

    old = got_a["pocketfft"]
    manager.purge(env_a)
    a = importlib.import_module("rt_scipy_a")
    with manager.activated(env_a):
        again = a.run()
    assert again["fft"] == 4 + 0j and again["pocketfft"] is not old


def test_short_name_extension_modules_belong_to_the_environment(world) -> None:
    """Class 5: scipy's _csparsetools & co. and Cython's _cython_3_x_y are accounted."""
    manager, env, _ = world
    scipy_env = env("rt_scipy_a")
    cython_before = {name for name in sys.modules if name.startswith("_cython_")}  # the host's
    importlib.import_module("rt_scipy_a")
    strays = {"_csparsetools", "_cyutility", "_ni_label", "_moduleTNC"}
    assert not strays & set(sys.modules)
    assert {name for name in sys.modules if name.startswith("_cython_")} == cython_before
    assert strays <= set(scipy_env.modules)
    assert any(name.startswith("_cython_") for name in scipy_env.modules)
    removed = manager.purge(scipy_env)
    assert strays <= set(removed)
    assert not strays & set(scipy_env.modules)
