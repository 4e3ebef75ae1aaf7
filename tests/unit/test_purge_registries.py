"""Purge leaves nothing of the environment alive in interpreter-wide registries (issue 9)."""

from __future__ import annotations

import copyreg
import gc
import importlib
import logging
import sys
import threading
import typing
import warnings
import weakref
from pathlib import Path

from iienv_addon.core import Manager
from tests.helpers import SiteCache, write_package

REGISTERING = """
import atexit, copyreg, logging, sys, threading, typing, warnings

@typing.overload
def parse(value: int) -> int: ...
@typing.overload
def parse(value: str) -> str: ...
def parse(value):                               # typing (3.11+) keeps every @overload
    return value

class Thing:
    pass

class ThingWarning(UserWarning):
    pass

class Handler(logging.Handler):
    def emit(self, record):
        pass

def reduce_thing(thing):
    return Thing, ()

def at_exit():
    pass

def hook(*args):
    pass

@typing._tp_cache                               # as typing_extensions does for its own
def cached(value):
    return value

_original_hints = typing.get_type_hints
def get_type_hints(*args, **kwargs):             # typing_extensions patches typing itself
    return _original_hints(*args, **kwargs)
typing.get_type_hints = get_type_hints
typing._iienv_test_added = get_type_hints

class Finder:                                    # six puts an importer on sys.meta_path
    def find_spec(self, *args):
        return None

sys.meta_path.append(Finder())

copyreg.pickle(Thing, reduce_thing)             # as soupsieve does
logging.getLogger("registering").addHandler(Handler())
warnings.simplefilter("always", ThingWarning)   # as urllib3 and requests do
atexit.register(at_exit)
threading.excepthook = hook
"""


def test_purge_clears_registries_and_frees_the_modules(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_package(site, "registering", REGISTERING)
    addons = tmp_path / "addons"
    write_package(addons, "reg_owner", "import registering\n")
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    hints_before = typing.get_type_hints
    try:
        manager.create("reg", owners=["reg_owner"], site_dir=site)
        importlib.import_module("reg_owner")
        module = manager.get("reg").modules["registering"]
        assert module.Thing in copyreg.dispatch_table
        ref = weakref.ref(module)
        # a module object can die while its namespace lives on: watch a function too
        function_ref = weakref.ref(module.cached.__wrapped__)
        del module
        result = manager.purge("reg")
        cleared = " ".join(result.registries_cleared)
        for place in ("copyreg.dispatch_table[Thing]", "logging logger 'registering'",
                      "warnings filter", "threading.excepthook",
                      "typing overloads of registering", "1 typing cache cleanup"):  # fmt: skip
            assert place in cleared, result.registries_cleared
        assert threading.excepthook is threading.__excepthook__
        assert typing.get_type_hints is hints_before, "typing keeps the purged module's function"
        assert not hasattr(typing, "_iienv_test_added")
        assert result.hooks_removed == ["registering.Finder"]  # by name: `result` is kept
        assert not [f for f in warnings.filters if getattr(f[2], "__module__", "") == "registering"]
        assert "registering" not in logging.Logger.manager.loggerDict
        assert "registering" not in getattr(typing, "_overload_registry", {})
        gc.collect()
        assert ref() is None, "the purged module is still alive"
        assert function_ref() is None, "the purged module's namespace is still alive"
        assert result.survivors == []
    finally:
        manager.disable()
        sys.path.remove(str(addons))
        sys.modules.pop("reg_owner", None)


def test_what_cannot_be_freed_is_reported(tmp_path: Path, site_cache: SiteCache) -> None:
    """PyYAML's compiled _yaml keeps its namespace (yaml's modules) for the process's life."""
    addons = tmp_path / "addons"
    write_package(addons, "yaml_owner", "import yaml\nassert yaml.__with_libyaml__\n")
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        manager.create("y", owners=["yaml_owner"], site_dir=site_cache.fresh_copy("pyyaml-new"))
        importlib.import_module("yaml_owner")
        result = manager.purge("y")
        survivors = dict(result.survivors)
        assert "yaml" in survivors and "_yaml" in survivors["yaml"], result.survivors
    finally:
        manager.disable()
        sys.path.remove(str(addons))
        sys.modules.pop("yaml_owner", None)


FINALIZING = """
class Holder:
    def __del__(self):
        from finalizing import lazy   # a lazy import in a finalizer


holder = Holder()
holder.itself = holder                 # a cycle: the purge's own collection frees it
"""


def test_purge_leaves_the_table_empty_when_finalizers_import(tmp_path: Path) -> None:
    """The collection a purge runs calls finalizers of the purged code; an import there
    used to load the package again into the environment it had just emptied."""
    site = tmp_path / "site"
    write_package(site, "finalizing", FINALIZING)
    (site / "finalizing" / "lazy.py").write_text("X = 1\n", encoding="utf-8")
    write_package(tmp_path / "addons", "finalizing_user", "import finalizing\n")
    sys.path.insert(0, str(tmp_path / "addons"))
    manager = Manager(tmp_path / "root")
    manager.enable()
    refused: list[BaseException | None] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: refused.append(unraisable.exc_value)
    try:
        env = manager.create("fin", owners=["finalizing_user"], site_dir=site)
        importlib.import_module("finalizing_user")
        assert "finalizing" in env.modules
        result = manager.purge(env)
        assert dict(env.modules) == {}, sorted(env.modules)
        assert result.survivors == []
        (error,) = refused
        assert isinstance(error, ImportError) and "was purged" in str(error), error
        assert "finalizing" in str(error) and "'fin'" in str(error)
        # the next import loads the package afresh, as after any purge
        importlib.import_module("finalizing_user")
        assert "finalizing" in env.modules and "finalizing.lazy" not in env.modules
        manager.purge(env)
        assert dict(env.modules) == {} and len(refused) == 2
    finally:
        sys.unraisablehook = previous_hook
        manager.disable()
        sys.path.remove(str(tmp_path / "addons"))
        sys.modules.pop("finalizing_user", None)
