"""The import hook's mechanics on a pure-Python environment (six), without numpy."""

from __future__ import annotations

import ctypes
import importlib
import sys
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, write_package

OWNER = """
import ctypes
import six
from six import moves
from . import sub
from .sub import helper

def c_api_import(name):
    # What compiled code does: PyImport_ImportModule -> PyImport_Import, which
    # calls this frame's __import__ and then reads sys.modules[name] itself.
    fn = ctypes.pythonapi.PyImport_ImportModule
    fn.restype = ctypes.py_object
    fn.argtypes = [ctypes.c_char_p]
    return fn(name.encode())

def lazy_six():
    import six
    return six

def explicit_dunder_import():
    return __import__("six", fromlist=["moves"])
"""


@pytest.fixture
def env_six(tmp_path: Path, site_cache: SiteCache, owner_dir: Path):
    write_package(owner_dir, "ov_owner", OWNER)
    (owner_dir / "ov_owner" / "sub.py").write_text("def helper():\n    return 42\n")
    manager = Manager(tmp_path / "root")
    manager.enable()
    env = manager.create("six", owners=["ov_owner"], site_dir=site_cache.fresh_copy("six117"))
    yield manager, env
    manager.disable()
    sys.modules.pop("ov_owner", None)


def test_owner_statements_resolve_in_environment(env_six) -> None:
    manager, env = env_six
    owner = importlib.import_module("ov_owner")
    assert owner.six is env.modules["six"]
    assert owner.six.__version__ == "1.17.0"
    assert owner.helper() == 42 and owner.sub is sys.modules["ov_owner.sub"]
    assert manager.env_of(owner.sub) is env  # owner submodules carry the marker too
    assert owner.lazy_six() is env.modules["six"]
    assert owner.explicit_dunder_import() is env.modules["six"]
    assert "six" not in sys.modules or sys.modules["six"] is not owner.six


def test_c_api_import_sees_environment_then_alias_is_gone(env_six) -> None:
    _, env = env_six
    owner = importlib.import_module("ov_owner")
    host_six = sys.modules.get("six")
    got = owner.c_api_import("six")
    assert got is env.modules["six"]
    # The transient alias is removed at the next profiler event in this thread.
    assert sys.modules.get("six") is host_six
    assert sys.getprofile() is None
    # Global code asking through the C API does not get the environment's six.
    fn = ctypes.pythonapi.PyImport_ImportModule
    fn.restype = ctypes.py_object
    fn.argtypes = [ctypes.c_char_p]
    if host_six is None:
        with pytest.raises(ModuleNotFoundError):
            fn(b"six")
    else:
        assert fn(b"six") is host_six


def test_table_follows_modules_removed_during_activation(env_six) -> None:
    manager, env = env_six
    importlib.import_module("ov_owner")
    with manager.activated("six"):
        importlib.import_module("six.moves")
    assert "six.moves" in env.modules and "six.moves" not in sys.modules
    assert env.plain_imports["six.moves"] is env.modules["six"]
    with manager._overlay.activated(env):  # the import-time overlay, laid out in full
        assert sys.modules["six"] is env.modules["six"]
        del sys.modules["six.moves"]
    assert "six.moves" not in env.modules
    assert "six.moves" not in env.plain_imports
    assert "six" in env.modules and "six" in env.plain_imports


def test_purged_environment_code_cannot_import_after_removal(env_six) -> None:
    manager, _ = env_six
    owner = importlib.import_module("ov_owner")
    manager.remove("six")
    from iienv_addon.core import EnvironmentPurgedError

    with pytest.raises(EnvironmentPurgedError, match="'six' was removed"):
        owner.lazy_six()
