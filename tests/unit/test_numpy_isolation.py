"""Must-show 1-4 of issue 2: numpy 1.26.4, numpy 2.4.6 and the host numpy in one process."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, run_python, write_package
from tests.numpy_probe import (
    PROBE_SOURCE,
    check_errors,
    check_exercise,
    modules_loaded_from,
)
from tests.versions import HOST_NUMPY, NEW_NUMPY, OLD_NUMPY

METAPROBE_USER = """
import six
import metaprobe

def versions():
    return metaprobe.report(), six.__version__, six.__file__
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, site_cache: SiteCache):
    """Host numpy in __main__'s sense, plus envs A (numpy 1.26.4) and B (numpy 2.4.6)."""
    import numpy as host_numpy  # the interpreter's own numpy (Blender's, in Blender)

    base = tmp_path_factory.mktemp("world")
    addons = base / "addons"
    write_package(addons, "iso_a", PROBE_SOURCE)
    write_package(addons, "iso_b", PROBE_SOURCE)
    write_package(addons, "meta_a", METAPROBE_USER)
    write_package(addons, "meta_b", METAPROBE_USER)
    write_package(addons, "iso_host", PROBE_SOURCE)  # global code, not owned
    sys.path.insert(0, str(addons))
    manager = Manager(base / "root")
    manager.enable()
    site_a = site_cache.fresh_copy("np-old")
    site_b = site_cache.fresh_copy("np-new")
    env_a = manager.create("a", owners=["iso_a", "meta_a"], site_dir=site_a)
    env_b = manager.create("b", owners=["iso_b", "meta_b"], site_dir=site_b)
    yield manager, env_a, env_b, host_numpy
    manager.disable()
    sys.path.remove(str(addons))
    for name in ("iso_a", "iso_b", "iso_host", "meta_a", "meta_b"):
        sys.modules.pop(name, None)


def test_three_numpys_side_by_side(world) -> None:
    manager, env_a, env_b, host_numpy = world
    import iso_a
    import iso_b
    import iso_host

    assert iso_a.np.__version__ == OLD_NUMPY
    assert iso_b.np.__version__ == NEW_NUMPY
    assert iso_host.np is host_numpy and host_numpy.__version__ == HOST_NUMPY
    assert sys.modules["numpy"] is host_numpy
    # No environment module left in sys.modules, and every one is in its table.
    assert modules_loaded_from(env_a.site_dir, env_b.site_dir) == []
    assert env_a.modules["numpy"] is iso_a.np
    assert env_b.modules["numpy"] is iso_b.np
    assert not set(map(id, env_a.modules.values())) & set(map(id, sys.modules.values()))
    assert not set(map(id, env_b.modules.values())) & set(map(id, sys.modules.values()))
    assert manager.env_of(iso_a.np) is env_a
    assert manager.env_of(iso_b.np.linalg) is env_b
    assert manager.env_of(host_numpy) is None
    assert manager.env_of("iso_a") is env_a and manager.env_of("numpy") in (env_a, env_b)


def test_numpy_features_in_all_three(world) -> None:
    _, env_a, env_b, _ = world
    import iso_a
    import iso_b
    import iso_host

    check_exercise(iso_a.exercise(), OLD_NUMPY, str(env_a.site_dir))
    check_exercise(iso_b.exercise(), NEW_NUMPY, str(env_b.site_dir))
    host_dir = str(Path(iso_host.np.__file__).parent)
    check_exercise(iso_host.exercise(), HOST_NUMPY, host_dir)
    # Lazily imported submodules went to the right table, still nothing global.
    assert "numpy.fft" in env_a.modules and "numpy.fft" in env_b.modules
    assert modules_loaded_from(env_a.site_dir, env_b.site_dir) == []


def test_runtime_errors_from_compiled_numpy_with_host_loaded(world) -> None:
    _, env_a, env_b, _ = world
    import iso_a
    import iso_b
    import iso_host

    check_errors(iso_a.raise_errors(), env_a.modules, OLD_NUMPY)
    check_errors(iso_b.raise_errors(), env_b.modules, NEW_NUMPY)
    check_errors(iso_host.raise_errors(), sys.modules, HOST_NUMPY)
    # Again, after everything is cached: the C code caches the classes it imported.
    check_errors(iso_a.raise_errors(), env_a.modules, OLD_NUMPY)
    check_errors(iso_b.raise_errors(), env_b.modules, NEW_NUMPY)
    check_errors(iso_host.raise_errors(), sys.modules, HOST_NUMPY)
    assert modules_loaded_from(env_a.site_dir, env_b.site_dir) == []
    assert sys.modules["numpy"].__version__ == HOST_NUMPY


def test_pure_python_versions_and_metadata(world) -> None:
    _, env_a, env_b, _ = world
    import meta_a
    import meta_b

    report_a, six_a, file_a = meta_a.versions()
    report_b, six_b, file_b = meta_b.versions()
    assert report_a == {"metaprobe": "1.0", "six (metadata)": "1.16.0", "six (module)": "1.16.0"}
    assert report_b == {"metaprobe": "2.0", "six (metadata)": "1.17.0", "six (module)": "1.17.0"}
    assert (six_a, six_b) == ("1.16.0", "1.17.0")
    assert file_a.startswith(str(env_a.site_dir)) and file_b.startswith(str(env_b.site_dir))
    # Global code sees neither environment's distributions.
    from importlib import metadata

    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("metaprobe")
    assert "six" not in sys.modules or not sys.modules["six"].__file__.startswith(
        (str(env_a.site_dir), str(env_b.site_dir))
    )


def test_owner_imported_by_import_module_uses_its_environment(world) -> None:
    _, env_a, _, _ = world
    sys.modules.pop("iso_a", None)
    mod = importlib.import_module("iso_a")
    assert mod.np.__version__ == OLD_NUMPY
    assert mod.np is env_a.modules["numpy"]
    assert mod.__loader__.__class__.__name__ == "SourceFileLoader"  # real loader restored
    assert mod.__spec__.loader is mod.__loader__


def test_activated_block_sees_the_environment(world) -> None:
    manager, env_b, host_numpy = world[0], world[2], world[3]
    with manager.activated("b"):
        np = importlib.import_module("numpy")
        assert np is env_b.modules["numpy"]
        assert importlib.import_module("numpy.polynomial").__file__.startswith(str(env_b.site_dir))
    assert "numpy.polynomial" in env_b.modules
    assert sys.modules["numpy"] is host_numpy
    assert modules_loaded_from(env_b.site_dir) == []


def test_errors_without_host_numpy_loaded(site_cache: SiteCache, tmp_path: Path) -> None:
    """Must-show 3, second half: no host numpy in the process at all (fresh interpreter)."""
    site_a = site_cache.fresh_copy("np-old")
    site_b = site_cache.fresh_copy("np-new")
    addons = tmp_path / "addons"
    write_package(addons, "iso_a", PROBE_SOURCE)
    write_package(addons, "iso_b", PROBE_SOURCE)
    code = """
        import sys
        sys.path.insert(0, sys.argv[1])
        from iienv_addon.core import Manager
        from tests.numpy_probe import check_errors, check_exercise, modules_loaded_from
        from tests.versions import NEW_NUMPY, OLD_NUMPY
        m = Manager(sys.argv[2]); m.enable()
        a = m.create("a", owners=["iso_a"], site_dir=sys.argv[3])
        b = m.create("b", owners=["iso_b"], site_dir=sys.argv[4])
        import iso_a, iso_b
        for _ in range(2):
            check_errors(iso_a.raise_errors(), a.modules, OLD_NUMPY)
            check_errors(iso_b.raise_errors(), b.modules, NEW_NUMPY)
        check_exercise(iso_b.exercise(), NEW_NUMPY, str(b.site_dir))
        assert "numpy" not in sys.modules, "no host numpy was imported"
        assert modules_loaded_from(a.site_dir, b.site_dir) == []
        m.disable()
        print("ok")
    """
    proc = run_python(code, str(addons), str(tmp_path / "root"), str(site_a), str(site_b))
    assert proc.stdout.strip().endswith("ok")


def test_objects_crossing_environments_after_warmup(world) -> None:
    """numpy caches its lazy imports in C; iienv warms them so crossing objects stay sane.

    Global code formatting and reducing an environment's arrays, and environment
    code doing the same with host arrays, must work and must not poison either
    side. (Known limit, not asserted: repr() of a *dtype* and pickling across
    environments import by name at every call; see README.)
    """
    _, env_a, env_b, host_numpy = world
    import iso_a
    import iso_b

    for np in (iso_a.np, iso_b.np):
        x = np.arange(6.0).reshape(2, 3)
        assert repr(x).startswith("array([[0., 1., 2.],")
        assert str(x).startswith("[[0. 1. 2.]")
        assert float(x.sum()) == 15.0 and float(x.mean()) == 2.5
        assert float(x.std()) > 0 and bool(x.any()) and float(x.max()) == 5.0
    host_array = host_numpy.arange(4.0)
    # environment code handling a host array (Blender hands out its own numpy arrays)
    assert iso_b.np.asarray(host_array).sum() == 6.0
    assert "0., 1., 2., 3." in iso_b.np.array2string(iso_b.np.asarray(host_array), separator=", ")
    # and everybody still works afterwards
    check_errors(iso_a.raise_errors(), env_a.modules, OLD_NUMPY)
    check_errors(iso_b.raise_errors(), env_b.modules, NEW_NUMPY)
    assert repr(host_array) == "array([0., 1., 2., 3.])" and host_array.sum() == 6.0
    assert "numpy" in env_a.warmed and "numpy" in env_b.warmed
