"""What iienv adds to the process: its own modules and its finder, nothing else (issue 16).

Importing ``pip`` into Blender's process (iienv once used pip's vendored
``packaging``) switches setuptools' distutils hack off for everyone: a later
``import setuptools`` (pandas' ``show_versions()``) fails with an AssertionError.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.helpers import WHEELHOUSE, run_python

FOOTPRINT = """
import json, sys
before = set(sys.modules)
sys.path.insert(0, sys.argv[1])
from iienv_addon.core import Manager

manager = Manager(sys.argv[2])
manager.enable()
manager.create("fp", owners=["fp_owner"])
manager.install("fp", ["six==1.17.0"], find_links=[sys.argv[3]], no_index=True)
import fp_owner
assert fp_owner.six.__version__ == "1.17.0"
added = sorted(set(sys.modules) - before)
manager.disable()
after_disable = sorted(set(sys.modules) - before)
%(probe)s
print(json.dumps({"added": added, "after_disable": after_disable, "outcome": outcome}))
"""

# What `import setuptools` does now (pip imported first breaks setuptools' distutils hook).
SETUPTOOLS_PROBE = """
outcome = {}
try:
    import setuptools
    outcome["setuptools"] = setuptools.__file__
    import distutils
    outcome["distutils"] = distutils.__file__
except BaseException as exc:
    outcome["setuptools"] = f"{type(exc).__name__}: {exc}"
"""
FOOTPRINT %= {"probe": SETUPTOOLS_PROBE}
CONTROL = "import json\n" + SETUPTOOLS_PROBE + 'print(json.dumps({"outcome": outcome}))\n'

NOT_EVER = ("pip", "setuptools", "_distutils_hack", "packaging", "pkg_resources", "wheel")


def _iienv_modules() -> set[str]:
    """Every module of iienv, by file (the add-on, its engine and its private packaging)."""
    package = Path(__file__).resolve().parents[2] / "iienv_addon"
    names = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_enable_create_install_adds_only_iienv_and_the_standard_library(tmp_path: Path) -> None:
    addons = tmp_path / "addons"
    (addons / "fp_owner").mkdir(parents=True)
    (addons / "fp_owner" / "__init__.py").write_text("import six\n")
    proc = run_python(FOOTPRINT, str(addons), str(tmp_path / "root"), str(WHEELHOUSE))
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    added = set(got["added"])
    ours = {name for name in added if name.partition(".")[0] in ("iienv_addon", "fp_owner")}
    standard = {name for name in added - ours if name.partition(".")[0] in _stdlib()}
    assert not added - ours - standard, sorted(added - ours - standard)  # nothing third-party
    assert not {name for name in added if name.partition(".")[0] in NOT_EVER}
    # iienv's modules that this use needs, all of them its own files
    assert ours - {"fp_owner"} <= _iienv_modules(), sorted(ours - _iienv_modules())
    assert "iienv_addon.core._vendor.packaging.requirements" in ours
    assert "six" not in added  # the environment's six lives in its own table
    # and a later `import setuptools` behaves exactly as without iienv
    control = json.loads(run_python(CONTROL).stdout.strip().splitlines()[-1])
    assert got["outcome"] == control["outcome"], (got["outcome"], control["outcome"])
    assert "AssertionError" not in got["outcome"]["setuptools"]
    assert set(got["after_disable"]) <= added


def _stdlib() -> frozenset[str]:
    # (sysconfig's generated data module is the standard library's, named per platform)
    sysconfigdata = {name for name in sys.modules if name.startswith("_sysconfigdata_")}
    return frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names) | sysconfigdata
