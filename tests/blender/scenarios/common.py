"""Helpers for scenario scripts that run inside a real Blender (bpy module or binary).

Each scenario runs in its own process: BLENDER_USER_RESOURCES (bpy 4.5) or
BLENDER_USER_SCRIPTS/DATAFILES/CONFIG (Debian's 3.4 binary) point at a temp dir,
and pip finds the test wheels through PIP_FIND_LINKS / PIP_NO_INDEX.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import traceback
from pathlib import Path

import addon_utils
import bpy

REPO = Path(os.environ["IIENV_REPO"])
sys.path.append(str(REPO))  # tests.versions: which numpy plays which role on this Python
from tests.versions import NEW_NUMPY, OLD_NUMPY, UPDATE_NUMPY  # noqa: E402

# Blender's own numpy, read without importing it (scenarios decide when that happens).
BLENDER_NUMPY = importlib.metadata.version("numpy")
__all__ = ["BLENDER_NUMPY", "NEW_NUMPY", "OLD_NUMPY", "UPDATE_NUMPY"]
EXAMPLES = ("iienv_example_older", "iienv_example_newer")


def _raise(exc: BaseException) -> None:
    raise exc


def install_legacy(names: tuple[str, ...] = EXAMPLES) -> Path:
    """Copy iienv (as folder 'iienv') and example add-ons into the user scripts dir."""
    addons = Path(bpy.utils.user_resource("SCRIPTS", path="addons", create=True))
    shutil.copytree(
        REPO / "iienv_addon", addons / "iienv", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in names:
        shutil.copytree(
            REPO / "examples" / "addons" / name,
            addons / name,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    bpy.utils.refresh_script_paths()
    return addons


def enable(name: str) -> object:
    module = addon_utils.enable(name, default_set=True, handle_error=_raise)
    assert module is not None, f"could not enable {name}"
    return module


def disable(name: str) -> None:
    addon_utils.disable(name, default_set=True, handle_error=_raise)


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "__pycache__" not in p.parts)


def run(main, clean_exit: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Run a scenario; exit 0 with 'SCENARIO OK' or 1 with the traceback.

    By default the process ends with os._exit: the bpy module hangs at normal exit
    when a script left a class registered (seen with one trivial operator and
    numpy, without iienv). ``clean_exit`` ends it normally, for the scenario that
    proves iienv leaves nothing behind.
    """
    status = 0
    try:
        main()
        print("SCENARIO OK")
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    if clean_exit and status == 0:
        sys.exit(0)
    os._exit(status)


# ---- drawing the Preferences against a recording layout ------------------------


class Recorder:
    """Stands in for UILayout: records every call; children are Recorders too."""

    def __init__(self, calls: list) -> None:
        self.calls = calls

    def __getattr__(self, name: str):
        def method(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            if name == "operator":
                return OperatorProps(self.calls, args[0])
            return Recorder(self.calls)

        return method


class OperatorProps:
    def __init__(self, calls: list, idname: str) -> None:
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "idname", idname)

    def __setattr__(self, name: str, value: object) -> None:
        self.calls.append(("set", (self.idname, name, value), {}))


def check_drawn(calls: list) -> set[str]:
    """Every operator drawn exists, and every property set on it is a real property."""
    drawn = set()
    for name, args, _kwargs in calls:
        if name == "operator":
            category, op = args[0].split(".")
            rna = getattr(getattr(bpy.ops, category), op).get_rna_type()
            drawn.add(args[0])
        if name == "set":
            idname, prop, _value = args
            category, op = idname.split(".")
            rna = getattr(getattr(bpy.ops, category), op).get_rna_type()
            assert prop in rna.properties, (idname, prop)
    return drawn
