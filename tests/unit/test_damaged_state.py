"""Fault containment (issue 9): a damaged environment is listed as broken, touches nothing.

Every kind of damage found in review: the manager still starts, the other
environments work, nothing is deleted, and the damaged environment's add-on
fails to import with a clear error instead of falling back to the host's
modules.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from iienv_addon.core import DamagedStateError, EnvironmentExistsError, Manager
from tests.helpers import tree_listing, write_package


def _write(text: str | bytes) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        state = home / "state.json"
        if isinstance(text, bytes):
            state.write_bytes(text)
        else:
            state.write_text(text, encoding="utf-8")

    return damage


def _edit(**changes: object) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        state = home / "state.json"
        data = json.loads(state.read_text())
        for key, value in changes.items():
            if value is KeyError:
                del data[key]
            else:
                data[key] = value
        state.write_text(json.dumps(data))

    return damage


def _state_dir(home: Path) -> None:
    (home / "state.json").unlink()
    (home / "state.json").mkdir()


def _no_state(home: Path) -> None:
    (home / "state.json").unlink()  # killed during an uninstall: gen-1 stays, state gone


DAMAGE = {
    "corrupt": (_write("{not json"), "not valid JSON"),
    "truncated": (_write('{"format": 1, "name": "bad_addon", "own'), "not valid JSON"),
    "empty": (_write(""), "not valid JSON"),
    "not utf-8": (_write(b'\xff\xfe{"name": 1}'), "not UTF-8"),
    "a list": (_write("[1, 2]"), "expected a JSON object"),
    "missing key": (_edit(site_dir=KeyError), "'site_dir' is missing"),
    "owners as a string": (_edit(owners="bad_addon"), "'owners' must be a list"),
    "owner not a module": (_edit(owners=["bad addon"]), "is not an add-on module name"),
    "a directory": (_state_dir, "it is a directory"),
    "site dir /etc": (_edit(site_dir="/etc"), "not a generation"),
    "site dir of another env": (_edit(site_dir="../good_addon/gen-1"), "not a generation"),
    "site dir missing": (_edit(site_dir="gen-9"), "gen-9 is missing"),
    "name differs": (_edit(name="good_addon"), "names 'good_addon'"),
    "newer format": (_edit(format=7), "newer than this iienv"),
    "no state.json": (_no_state, "no state.json"),
    "owner claimed twice": (_edit(owners=["good_addon"]), "also claimed by 'good_addon'"),
}


@pytest.fixture
def roots(tmp_path: Path):
    """Two environments with a file each, made by one manager and left on disk.

    As in Blender, an add-on's environment is named after the add-on: a state
    file too damaged to name its owners still tells whose environment it is.
    """
    root = tmp_path / "root"
    first = Manager(root)
    for name in ("good", "bad"):
        env = first.create(f"{name}_addon", owners=[f"{name}_addon"])
        write_package(env.site_dir, f"{name}_dep", f"WHO = {name!r}\n")
        env.rescan()
    addons = tmp_path / "addons"
    for name in ("good", "bad"):
        write_package(addons, f"{name}_addon", f"import {name}_dep\nWHO = {name}_dep.WHO\n")
    write_package(addons, "bad_dep", "WHO = 'the host copy: must never be served'\n")
    sys.path.insert(0, str(addons))
    yield root
    sys.path.remove(str(addons))
    for name in ("good_addon", "bad_addon", "good_dep", "bad_dep"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_environment_is_listed_broken_and_nothing_changes(roots: Path, kind: str) -> None:
    damage, reason = DAMAGE[kind]
    damage(roots / "bad_addon")
    before = tree_listing(roots)
    manager = Manager(roots)  # starts; no raw JSONDecodeError / KeyError
    manager.enable()
    try:
        assert [b.name for b in manager.broken()] == ["bad_addon"]
        broken = manager.broken()[0]
        assert reason in broken.reason, broken.reason
        assert [e.name for e in manager.environments()] == ["good_addon"]
        assert importlib.import_module("good_addon").WHO == "good"
        with pytest.raises(DamagedStateError) as info:  # not the host's bad_dep, silently
            importlib.import_module("bad_addon")
        message = str(info.value)
        assert "'bad_addon'" in message and "Repair" in message and "Remove" in message
        assert "bad_dep" not in sys.modules
        with pytest.raises(DamagedStateError):
            manager.purge("bad_addon")
        with pytest.raises(EnvironmentExistsError, match="damaged"):
            manager.create("bad_addon", owners=["other_addon"])
    finally:
        manager.disable()
    assert tree_listing(roots) == before  # nothing deleted, nothing rewritten


def test_broken_environment_can_be_removed_and_created_again(roots: Path) -> None:
    _edit(site_dir="/etc")(roots / "bad_addon")
    manager = Manager(roots)
    good_before = tree_listing(roots / "good_addon")
    manager.remove("bad_addon")
    assert not (roots / "bad_addon").exists() and manager.broken() == []
    assert tree_listing(roots / "good_addon") == good_before
    env = manager.create("bad_addon", owners=["bad_addon"])
    assert env.site_dir.is_dir() and Manager(roots).broken() == []
