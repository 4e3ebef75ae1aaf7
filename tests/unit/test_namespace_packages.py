"""Issue 18 item 3: namespace packages belong to their environment.

Two environments (protobuf + googleapis-common-protos, whose ``google`` is a
PEP 420 namespace package, and backports.tarfile, whose ``backports`` is
pkgutil-style) beside the host's own portions of both namespaces, one of them
(``google.type``) colliding with the environments'. Each add-on's checks must
equal what the same code returns in a plain venv holding only its
environment's packages — before and after everything that makes CPython
recompute a namespace path: ``importlib.invalidate_caches()``, a ``sys.path``
change, another environment's purge, ``importlib.resources`` on a namespace
subpackage.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, plain_venv, run_in_venv, write_package

PROBE = """
import importlib
import importlib.metadata
import importlib.resources
import os

import backports.tarfile
import google.protobuf
from google.api import annotations_pb2

SITE = os.path.dirname(os.path.dirname(os.path.dirname(google.protobuf.__file__)))


def _own(path):
    return [entry.startswith(SITE + os.sep) for entry in path]


def _outcome(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        return type(exc).__name__
    origin = getattr(module, "__file__", None) or list(module.__path__)[0]
    return "own" if origin.startswith(SITE + os.sep) else "foreign: " + origin


def run():
    import backports
    import google
    from google.type import latlng_pb2

    return {
        "protobuf": google.protobuf.__version__,
        "backports.tarfile": importlib.metadata.version("backports.tarfile"),
        "google.__path__": _own(google.__path__),
        "google.type": _outcome("google.type"),
        "latlng": latlng_pb2.LatLng(latitude=1.5).latitude,
        "annotations": annotations_pb2.DESCRIPTOR.name,
        "google.hostpart": _outcome("google.hostpart"),
        "resources": sorted(
            p.name for p in importlib.resources.files("google.type").iterdir()
            if p.name.startswith("latlng")
        ),
        "google.__path__ after resources": _own(google.__path__),
        "backports.__path__": _own(backports.__path__),
        "backports.hostonly": _outcome("backports.hostonly"),
        "tarfile": backports.tarfile.TarFile.__name__,
    }
"""

HOST_PORTIONS = {
    # PEP 420 portion of ``google`` with a package the environments also have
    "google/hostpart/__init__.py": "WHO = 'host'\n",
    "google/type/__init__.py": "WHO = 'host'\n",
    # pkgutil-style ``backports`` (as the environments' own __init__ is)
    "backports/__init__.py": "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n",
    "backports/hostonly/__init__.py": "WHO = 'host'\n",
}


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, site_cache: SiteCache):
    base = tmp_path_factory.mktemp("namespaces")
    host = base / "host"
    _write_tree(host, HOST_PORTIONS)
    addons = base / "addons"
    for side in ("old", "new"):
        write_package(addons, f"ns_{side}", PROBE)
    sites = {side: site_cache.fresh_copy(f"ns-{side}") for side in ("old", "new")}
    # The reference: the same add-on code in a plain venv with only its packages.
    expected = {
        side: run_in_venv(plain_venv(base / f"venv-{side}", [sites[side]]), addons, f"ns_{side}")
        for side in ("old", "new")
    }
    sys.path.append(str(host))
    sys.path.insert(0, str(addons))
    import backports.hostonly  # noqa: F401  (the host loads its portions first)
    import google.hostpart

    assert list(google.__path__) == [str(host / "google")]
    manager = Manager(base / "root")
    manager.enable()
    for side in ("old", "new"):
        manager.create(side, owners=[f"ns_{side}"], site_dir=sites[side])
    yield manager, expected, host, base
    manager.disable()
    for path in (str(host), str(addons)):
        while path in sys.path:
            sys.path.remove(path)
    for name in [n for n in sys.modules if n.partition(".")[0] in {"google", "backports"}]:
        del sys.modules[name]
    for name in ("ns_old", "ns_new"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


def test_checks_equal_a_plain_venv_through_every_recompute(world) -> None:
    manager, expected, _, base = world
    import ns_new
    import ns_old

    assert expected["old"]["google.hostpart"] == "ModuleNotFoundError"  # (the venv's answer)
    assert ns_old.run() == expected["old"]
    assert ns_new.run() == expected["new"]

    importlib.invalidate_caches()  # bumps every _NamespacePath's epoch
    assert ns_old.run() == expected["old"]

    extra = base / "extra"  # a sys.path change that brings another google portion
    _write_tree(extra, {"google/type/latlng_pb2.py": "WHO = 'extra'\n"})
    sys.path.insert(0, str(extra))
    try:
        assert ns_old.run() == expected["old"]
        assert ns_new.run() == expected["new"]
    finally:
        sys.path.remove(str(extra))

    manager.purge("new")  # another environment's purge (invalidates caches)
    sys.modules.pop("ns_new", None)
    import ns_new

    assert ns_old.run() == expected["old"]
    assert ns_new.run() == expected["new"]


def test_namespace_modules_are_marked_and_global_code_keeps_the_hosts(world) -> None:
    manager, _, host, _ = world
    import google.type
    import ns_old

    env = manager.find("old")
    import backports as global_backports
    import google as global_google

    ns_old.run()
    env_google = env.modules["google"]
    assert env_google is not global_google
    assert manager.env_of(env_google) is env
    assert manager.env_of(env.modules["google.type"]) is env
    assert manager.env_of(env.modules["backports"]) is env
    # Global code: the host's namespaces, with the host's portions only.
    assert sys.modules["google"] is global_google
    assert list(global_google.__path__) == [str(host / "google")]
    assert google.type.WHO == "host"
    assert list(global_backports.__path__) == [str(host / "backports")]
    assert manager.env_of(global_google) is None
