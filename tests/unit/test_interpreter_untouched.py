"""Must-show 6 of issue 2 (first half): code outside environments sees plain CPython.

Each scenario runs in a fresh interpreter so that "as without iienv" can be
compared against a real run without iienv.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import SiteCache, run_python, write_package
from tests.versions import HOST_NUMPY

STDLIB_AND_GLOBAL = [
    "json",
    "decimal",
    "email.mime.text",
    "xml.etree.ElementTree",
    "sqlite3",
    "ctypes",
    "asyncio",
    "concurrent.futures",
    "importlib.metadata",
    "plain_pkg",
    "plain_pkg.sub",
]

DESCRIBE = """
import builtins, importlib, json, sys
def describe(names):
    out = {}
    for name in names:
        mod = importlib.import_module(name)
        out[name] = {
            "file": getattr(mod, "__file__", None),
            "loader": type(mod.__spec__.loader).__name__,
            "real_builtins": mod.__dict__.get("__builtins__") in (builtins, builtins.__dict__),
            "marker": "__iienv__" in mod.__dict__,
        }
    import plain_pkg
    out["plain_pkg.numpy"] = [plain_pkg.NUMPY.__version__, plain_pkg.NUMPY.__file__]
    return out
"""


def _scenario(with_iienv: bool, addons: Path, root: Path, site_b: Path) -> dict[str, object]:
    setup = (
        """
        from iienv_addon.core import Manager
        from tests.versions import NEW_NUMPY
        m = Manager(sys.argv[2]); m.enable()
        m.create("b", owners=["owned_b"], site_dir=sys.argv[3])
        m.create("six", owners=["owned_six"], site_dir=sys.argv[4])
        import owned_b, owned_six
        assert owned_b.numpy.__version__ == NEW_NUMPY
    """
        if with_iienv
        else ""
    )
    code = f"""
import sys
sys.path.insert(0, sys.argv[1])
{DESCRIBE}
{__import__("textwrap").dedent(setup)}
print(json.dumps(describe({STDLIB_AND_GLOBAL!r})))
"""
    proc = run_python(code, str(addons), str(root), str(site_b), str(site_b.parent / "six"))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_stdlib_and_unowned_modules_import_as_without_iienv(
    tmp_path: Path, site_cache: SiteCache
) -> None:
    addons = tmp_path / "addons"
    write_package(addons, "plain_pkg", "import numpy\nNUMPY = numpy\n")
    (addons / "plain_pkg" / "sub.py").write_text("import json\n")
    write_package(addons, "owned_b", "import numpy\n")
    write_package(addons, "owned_six", "import six\n")
    site_b = site_cache.fresh_copy("np-new")
    six_copy = site_cache.fresh_copy("six117")
    six_copy.rename(site_b.parent / "six")
    without = _scenario(False, addons, tmp_path / "root0", site_b)
    with_iienv = _scenario(True, addons, tmp_path / "root1", site_b)
    assert with_iienv == without
    assert without["plain_pkg.numpy"][0] == HOST_NUMPY  # the host's, in both runs
    assert all(v["real_builtins"] for k, v in without.items() if isinstance(v, dict))


def test_enable_disable_restores_the_interpreter(tmp_path: Path, site_cache: SiteCache) -> None:
    addons = tmp_path / "addons"
    write_package(addons, "owned_a", "import numpy\nimport six\n")
    site_a = site_cache.fresh_copy("np-old")
    code = """
        import builtins, sys, threading
        import importlib, importlib.util, importlib.metadata, pkgutil
        import importlib._bootstrap as bootstrap
        sys.path.insert(0, sys.argv[1])
        import numpy as host  # so both states have it
        def state():
            return {
                "importlib": (importlib.import_module, importlib.reload, importlib.util.find_spec,
                              pkgutil.get_data, importlib.metadata.import_module),
                "thread_start": threading.Thread._bootstrap_inner,
                "find_and_load": bootstrap._find_and_load,
                "sys_attributes": sorted(vars(sys)),
                "import": builtins.__import__,
                "builtins": dict(builtins.__dict__),
                "meta_path": list(sys.meta_path),
                "path_hooks": list(sys.path_hooks),
                "path": list(sys.path),
                "profile": sys.getprofile(),
                "trace": sys.gettrace(),
                "numpy": {k: v for k, v in sys.modules.items() if k.split(".")[0] == "numpy"},
            }
        before = state()
        original_import = builtins.__import__
        from iienv_addon.core import Manager
        from tests.versions import OLD_NUMPY
        before = state()  # after importing iienv itself
        m = Manager(sys.argv[2])
        m.enable()
        assert sys.meta_path[0] is m._finder
        env = m.create("a", owners=["owned_a"], site_dir=sys.argv[3])
        import owned_a
        assert owned_a.numpy.__version__ == OLD_NUMPY
        assert builtins.__import__ is original_import  # never replaced, even while enabled
        assert importlib.import_module is not before["importlib"][0]  # routed while enabled
        assert bootstrap._find_and_load is not before["find_and_load"]  # the import gate
        with m.activated("a"):
            assert importlib.import_module("numpy") is env.modules["numpy"]
        try:
            owned_a.numpy.linalg.inv(owned_a.numpy.zeros((2, 2)))
        except owned_a.numpy.linalg.LinAlgError:
            pass
        results = m.disable()
        after = state()
        assert not [p for p in sys.path_importer_cache if p.startswith((sys.argv[2], sys.argv[3]))]
        for key in before:
            assert before[key] == after[key], (key, before[key], after[key])
        assert "owned_a" not in sys.modules
        files = [getattr(mod, "__file__", "") or "" for mod in list(sys.modules.values())]
        assert not [f for f in files if f.startswith(sys.argv[3])]
        assert "numpy" in results["a"]
        print("ok")
    """
    proc = run_python(code, str(addons), str(tmp_path / "root"), str(site_a))
    assert proc.stdout.strip().endswith("ok")
