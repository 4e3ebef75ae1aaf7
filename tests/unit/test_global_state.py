"""Interpreter-wide state packages touch while loading (issue 12).

1. A package that puts its own folder on ``sys.path`` and imports a module of
   its own top-level name from there (opencv's loader), without wheels.
2. A failed load cleans up after itself: what it left in ``sys`` does not
   poison the next attempt.
3. lxml keeps its parser context in the thread-state dict under a fixed name:
   a second copy is refused before anything can crash, in a process that
   must not die.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import REPO, SiteCache, run_python, write_package

# foo/__init__.py mimics cv2/__init__.py: own folder on sys.path, pop itself,
# import "foo" again expecting foo/foo.py, restore, and a helper module found
# through the added folder under a name that is not a top-level one.
FOO_INIT = """
import importlib, os, sys
if hasattr(sys, "FOO_LOADER"):
    raise ImportError("recursion is detected during loading of foo")
sys.FOO_LOADER = True
saved = list(sys.path)
sys.path.insert(0, os.path.dirname(__file__))
package = sys.modules.pop("foo")
native = importlib.import_module("foo")        # must be foo/foo.py
import foohelper                               # found only through the added folder
sys.modules["foo"] = package
sys.path = saved
del sys.FOO_LOADER
INNER = native.WHO
HELPER = foohelper
"""

# bar fails on its first load after leaving state in sys, like a broken cv2 load.
BAR_INIT = """
import os, sys
if hasattr(sys, "BAR_LOADER"):
    raise ImportError("recursion is detected during loading of bar")
sys.BAR_LOADER = True
sys.path.insert(0, os.path.dirname(__file__))
marker = os.path.join(os.path.dirname(__file__), "failed-once")
if not os.path.exists(marker):
    open(marker, "w").close()
    raise RuntimeError("first load fails")
del sys.BAR_LOADER
sys.path.remove(os.path.dirname(__file__))
OK = True
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_package(site, "foo", FOO_INIT)
    (site / "foo" / "foo.py").write_text("WHO = 'inner foo.py'\n")
    (site / "foo" / "foohelper.py").write_text("WHO = 'helper'\n")
    write_package(site, "bar", BAR_INIT)
    return site


@pytest.fixture
def manager(tmp_path: Path, site: Path):
    addons = tmp_path / "addons"
    write_package(addons, "gs_owner", "def load(name):\n    return __import__(name)\n")
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    manager.create("gs", owners=["gs_owner"], site_dir=site)
    yield manager
    manager.disable()
    sys.path.remove(str(addons))
    sys.modules.pop("gs_owner", None)


def test_package_importing_itself_through_its_own_sys_path_entry(manager, site: Path) -> None:
    path_before = list(sys.path)
    owner = importlib.import_module("gs_owner")
    foo = owner.load("foo")
    env = manager.get("gs")
    assert foo.INNER == "inner foo.py"
    assert foo.HELPER.WHO == "helper"
    assert foo.HELPER is env.modules["foohelper"]  # the environment's, not global
    assert "foohelper" not in sys.modules and "foo" not in sys.modules
    assert sys.path == path_before and not hasattr(sys, "FOO_LOADER")
    manager.purge("gs")
    assert "foohelper" not in env.modules
    again = importlib.import_module("gs_owner").load("foo")
    assert again is not foo and again.INNER == "inner foo.py"


def test_failed_load_leaves_nothing_that_poisons_the_next(manager, site: Path) -> None:
    path_before = list(sys.path)
    owner = importlib.import_module("gs_owner")
    with pytest.raises(RuntimeError, match="first load fails"):
        owner.load("bar")
    assert not hasattr(sys, "BAR_LOADER"), "the failed load's sys attribute was left"
    assert sys.path == path_before, "the failed load's sys.path entry was left"
    assert owner.load("bar").OK  # not "recursion is detected"


LXML_TWO_COPIES = """
import importlib, sys, threading
sys.path.insert(0, sys.argv[1])
from iienv_addon.core import Manager
from iienv_addon.core.exclusive import ExclusivePackageError

manager = Manager(sys.argv[2])
manager.enable()
for name, site in (("lx_a", sys.argv[3]), ("lx_b", sys.argv[4]), ("lx_c", sys.argv[5])):
    manager.create(name, owners=[name], site_dir=site)
a = importlib.import_module("lx_a")
print("a", a.parse())
for name in ("lx_b", "lx_c"):   # another version, and the same version again
    try:
        importlib.import_module(name)
    except ExclusivePackageError as exc:
        print("refused", name, exc)
    else:
        print("NOT REFUSED", name)
worker = threading.Thread(target=lambda: print("thread", a.parse()))
worker.start(); worker.join()
manager.purge("lx_a")
b = importlib.import_module("lx_b")
for _ in range(50):
    result = b.parse()
print("b", result)
threading.Thread(target=lambda: print("thread b", b.parse())).start()
"""

LXML_USER = """
from lxml import etree
import lxml

def parse():
    root = etree.fromstring(b"<a><b>x</b></a>")
    return lxml.__version__, root.xpath("//b/text()")[0], etree.tostring(root).decode()
"""


@pytest.fixture
def lxml_world(tmp_path: Path, site_cache: SiteCache) -> list[str]:
    """Arguments for LXML_TWO_COPIES: add-ons lx_a, lx_b (another version), lx_c (same)."""
    addons = tmp_path / "addons"
    for name in ("lx_a", "lx_b", "lx_c"):
        write_package(addons, name, LXML_USER)
    sites = [site_cache.fresh_copy(s) for s in ("lxml-old", "lxml-new", "lxml-old")]
    return [str(addons), str(tmp_path / "root"), *map(str, sites)]


def test_second_lxml_is_refused_and_the_process_lives(lxml_world: list[str]) -> None:
    proc = run_python(
        LXML_TWO_COPIES,
        *lxml_world,
    )
    out = proc.stdout
    assert "a ('5.3.2', 'x', '<a><b>x</b></a>')" in out
    assert "NOT REFUSED" not in out
    for name in ("lx_b", "lx_c"):
        line = next(line for line in out.splitlines() if line.startswith(f"refused {name}"))
        assert f"add-on {name!r} cannot load its own lxml" in line
        assert "add-on 'lx_a'" in line and "purge" in line.lower()
    assert "thread ('5.3.2'" in out
    assert "b ('6.0.2', 'x', '<a><b>x</b></a>')" in out
    assert "thread b ('6.0.2'" in out


def test_lxml_two_copies_without_the_refusal_kill_the_process(lxml_world: list[str]) -> None:
    """Why the refusal exists: the same run with the check removed does not survive."""
    code = (
        textwrap.dedent(LXML_TWO_COPIES)
        .replace(
            "from iienv_addon.core.exclusive import ExclusivePackageError",
            "from iienv_addon.core import exclusive\n"
            "from iienv_addon.core.exclusive import ExclusivePackageError\n"
            "exclusive.EXCLUSIVE.clear()",
        )
        .replace(
            'manager.purge("lx_a")',
            "b0 = importlib.import_module('lx_b'); print(b0.parse()); print(a.parse())",
        )
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *lxml_world],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode != 0
    converted = "Cannot convert lxml.etree._ParserDictionaryContext" in proc.stderr
    assert converted or proc.returncode < 0  # the TypeError, or killed by the double free
