"""Must-show 5 of issue 2: purge one environment, the others keep working, re-import is fresh."""

from __future__ import annotations

import gc
import importlib
import sys
import weakref
from pathlib import Path
from types import ModuleType

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, write_package
from tests.numpy_probe import PROBE_SOURCE, check_errors, check_exercise, modules_loaded_from
from tests.versions import NEW_NUMPY, OLD_NUMPY


def _reachable_modules() -> set[int]:
    """ids of modules reachable from sys.modules: the modules and module attributes of theirs."""
    seen: set[int] = set()
    for mod in list(sys.modules.values()):
        seen.add(id(mod))
        for value in list(getattr(mod, "__dict__", {}).values()):
            if isinstance(value, ModuleType):
                seen.add(id(value))
    return seen


@pytest.fixture
def two_envs(tmp_path: Path, site_cache: SiteCache, owner_dir: Path):
    write_package(owner_dir, "purge_a", PROBE_SOURCE + "\nimport six\n")
    write_package(owner_dir, "purge_b", PROBE_SOURCE)
    manager = Manager(tmp_path / "root")
    manager.enable()
    a = manager.create("a", owners=["purge_a"], site_dir=site_cache.fresh_copy("np-old"))
    b = manager.create("b", owners=["purge_b"], site_dir=site_cache.fresh_copy("np-new"))
    yield manager, a, b
    manager.disable()


def test_purge_one_env_then_reimport_fresh(two_envs) -> None:
    manager, a, b = two_envs
    import numpy as host

    mod_a = importlib.import_module("purge_a")
    mod_b = importlib.import_module("purge_b")
    old_numpy_a = mod_a.np
    old_site_a = a.site_dir
    a_ids = {id(m) for m in a.modules.values()} | {id(mod_a)}
    six_ref = weakref.ref(a.modules["six"])
    b_numpy = mod_b.np
    check_errors(mod_a.raise_errors(), a.modules, OLD_NUMPY)
    del mod_a

    result = manager.purge("a")

    assert "numpy" in result and "numpy.linalg" in result and "six" in result
    assert "purge_a" in result  # the owner's own module left sys.modules too
    assert a.modules == {}
    assert "purge_a" not in sys.modules
    assert not a_ids & _reachable_modules()
    assert modules_loaded_from(old_site_a) == []
    gc.collect()
    assert six_ref() is None, "a purged pure-Python module is still referenced somewhere"
    # Shared libraries stay mapped; the purge says so and moves to a fresh copy.
    assert any("_multiarray_umath" in lib for lib in result.resident_libraries)
    assert result.site_dir != old_site_a and a.site_dir == result.site_dir
    assert Path(result.site_dir, "numpy", "__init__.py").is_file()

    # B and the host are untouched and still work.
    assert b.modules["numpy"] is b_numpy
    check_errors(mod_b.raise_errors(), b.modules, NEW_NUMPY)
    assert host.linalg.inv(host.eye(2)).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert sys.modules["numpy"] is host

    # Re-import: fresh module objects from the new generation, fully working.
    new_a = importlib.import_module("purge_a")
    assert new_a.np is not old_numpy_a
    assert new_a.np.__file__.startswith(str(a.site_dir))
    check_exercise(new_a.exercise(), OLD_NUMPY, str(a.site_dir))
    check_errors(new_a.raise_errors(), a.modules, OLD_NUMPY)


def test_purge_and_reimport_numpy2(two_envs) -> None:
    """numpy 2.x refuses a second init from the same file; the new generation avoids it."""
    manager, _a, b = two_envs
    mod_b = importlib.import_module("purge_b")
    old = mod_b.np
    check_exercise(mod_b.exercise(), NEW_NUMPY, str(b.site_dir))
    del mod_b
    first = manager.purge(b)
    again = importlib.import_module("purge_b")
    assert again.np is not old and again.np.__file__.startswith(str(first.site_dir))
    check_exercise(again.exercise(), NEW_NUMPY, str(b.site_dir))
    check_errors(again.raise_errors(), b.modules, NEW_NUMPY)
    # And a second round, from a third generation.
    del again
    second = manager.purge(b)
    assert second.site_dir != first.site_dir
    third = importlib.import_module("purge_b")
    check_errors(third.raise_errors(), b.modules, NEW_NUMPY)
    assert modules_loaded_from(first.site_dir, second.site_dir) == []


def test_purge_pure_python_env_keeps_site_dir(
    tmp_path: Path, site_cache: SiteCache, owner_dir: Path
) -> None:
    write_package(owner_dir, "pure_owner", "import six\nVERSION = six.__version__\n")
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        env = manager.create(
            "pure", owners=["pure_owner"], site_dir=site_cache.fresh_copy("six116")
        )
        site = env.site_dir
        first = importlib.import_module("pure_owner")
        assert first.VERSION == "1.16.0"
        result = manager.purge("pure")
        assert sorted(result) == ["pure_owner", "six"]
        assert result.resident_libraries == []
        assert env.site_dir == site  # no shared library loaded: no copy needed
        second = importlib.import_module("pure_owner")
        assert second is not first and second.VERSION == "1.16.0"
    finally:
        manager.disable()
