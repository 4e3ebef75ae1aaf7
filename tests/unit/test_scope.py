"""Scoped activation (core/scope.py): what a door does to sys.modules, threads, nesting.

The host (this interpreter) has numpy 1.24.4; environments have 2.4.6 and 1.26.4.
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, write_package
from tests.versions import NEW_NUMPY, OLD_NUMPY

OWNER = """
import importlib, threading
import numpy as np

def version_by_name():
    return importlib.import_module("numpy").__version__

def sample():
    rng = np.random.default_rng(0)   # numpy 2: multivariate_normal imports numpy.linalg per call
    return rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]).shape

def in_thread(fn):
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join(timeout=60)
    return out, worker.is_alive()
"""

GLOBAL_CODE = """
import importlib

def version_by_name():   # global code (another add-on) called from inside a door
    return importlib.import_module("numpy").__version__

def fresh_import():
    import json.decoder   # a module nobody has imported yet in this test
    return json.decoder.__name__
"""


@pytest.fixture
def world(tmp_path: Path, site_cache: SiteCache):
    import numpy as host_numpy

    addons = tmp_path / "addons"
    write_package(addons, "sc_a", OWNER)
    write_package(addons, "sc_b", OWNER)
    write_package(addons, "sc_global", GLOBAL_CODE)
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    manager.create("a", owners=["sc_a"], site_dir=site_cache.fresh_copy("numpy-new"))
    manager.create("b", owners=["sc_b"], site_dir=site_cache.fresh_copy("numpy-old"))
    a, b = importlib.import_module("sc_a"), importlib.import_module("sc_b")
    yield manager, a, b, importlib.import_module("sc_global"), host_numpy
    manager.disable()
    sys.path.remove(str(addons))
    for name in ("sc_a", "sc_b", "sc_global"):
        sys.modules.pop(name, None)


def snapshot() -> dict[str, int]:
    return {name: id(module) for name, module in sys.modules.items()}


def test_scope_takes_host_modules_out_and_puts_the_same_ones_back(world) -> None:
    manager, a, _, _, host_numpy = world
    before = snapshot()
    host_names = [n for n in sys.modules if n == "numpy" or n.startswith("numpy.")]
    with manager.scope("a"):
        assert not [n for n in sys.modules if n == "numpy" or n.startswith("numpy.")]
        assert a.sample() == (2,)
    assert snapshot() == before
    assert all(sys.modules[n] is not None for n in host_names)
    assert sys.modules["numpy"] is host_numpy


def test_nested_scopes_of_two_environments(world) -> None:
    manager, a, b, _, host_numpy = world
    before = snapshot()
    with manager.scope("a"):
        assert a.version_by_name() == NEW_NUMPY
        with manager.scope("b"):
            assert b.version_by_name() == OLD_NUMPY
            assert a.sample() == (2,)  # a's code inside b's scope: still a's numpy by frame
            assert "numpy" not in sys.modules
        assert "numpy" not in sys.modules  # still a's scope
        assert a.sample() == (2,)
    assert snapshot() == before and sys.modules["numpy"] is host_numpy


def test_global_code_called_from_a_door_keeps_its_own_modules(world) -> None:
    manager, a, _, global_code, host_numpy = world
    with manager.scope("a"):
        assert a.version_by_name() == NEW_NUMPY
        assert global_code.version_by_name() == host_numpy.__version__  # served from the stash
    with manager.activated("a"):  # an explicit block: unmarked code runs as the environment
        assert global_code.version_by_name() == NEW_NUMPY
    assert sys.modules["numpy"] is host_numpy


def test_thread_started_and_joined_inside_a_door_does_not_deadlock(world) -> None:
    manager, a, _, global_code, host_numpy = world
    with manager.scope("a"):
        out, alive = a.in_thread(a.sample)  # the environment's code in the thread
        assert not alive and out == [(2,)]
        out, alive = a.in_thread(global_code.fresh_import)  # a global first import
        assert not alive and out == ["json.decoder"]
        out, alive = a.in_thread(global_code.version_by_name)  # global code: host numpy
        assert not alive and out == [host_numpy.__version__]
    assert sys.modules["numpy"] is host_numpy


def test_thread_started_by_environment_code_runs_in_its_scope(world) -> None:
    """No door around it: the thread's own start enters the environment's scope."""
    _, a, _, _, host_numpy = world
    out, alive = a.in_thread(a.sample)  # numpy 2's call-time import of numpy.linalg
    assert not alive and out == [(2,)]
    assert sys.modules["numpy"] is host_numpy


def test_scopes_on_two_threads_share_the_stash(world) -> None:
    manager, a, b, _, host_numpy = world
    before = snapshot()
    inside, release = threading.Event(), threading.Event()
    results: list[object] = []

    def other() -> None:
        with manager.scope("b"):
            inside.set()
            release.wait(30)
            results.append(b.version_by_name())

    worker = threading.Thread(target=other)
    worker.start()
    assert inside.wait(30)
    with manager.scope("a"):
        assert a.sample() == (2,)
    assert "numpy" not in sys.modules  # b's scope on the other thread still holds it
    release.set()
    worker.join(30)
    assert results == [OLD_NUMPY]
    assert snapshot() == before and sys.modules["numpy"] is host_numpy
