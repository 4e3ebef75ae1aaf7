"""Must-show 8 of issue 2: bad input gets a clear error and changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from iienv_addon.core import (
    EnvironmentExistsError,
    IienvError,
    InvalidNameError,
    Manager,
    OwnerConflictError,
    SiteDirError,
    UnknownEnvironmentError,
)
from tests.helpers import tree_listing


def _snapshot(manager: Manager) -> object:
    return (
        tree_listing(manager.root),
        [(e.name, sorted(e.owners), str(e.site_dir)) for e in manager.environments()],
        list(sys.meta_path),
        sorted(sys.modules),
    )


@pytest.fixture
def manager(tmp_path: Path):
    m = Manager(tmp_path / "root")
    m.enable()
    m.create("first", owners=["addon_one"])
    yield m
    m.disable()


def _assert_unchanged(manager: Manager, before: object) -> None:
    assert _snapshot(manager) == before


def test_unknown_environment(manager: Manager) -> None:
    before = _snapshot(manager)
    for call in (
        lambda: manager.get("nope"),
        lambda: manager.purge("nope"),
        lambda: manager.remove("nope"),
        lambda: manager.activated("nope").__enter__(),
        lambda: manager.add_owner("nope", "x"),
    ):
        with pytest.raises(UnknownEnvironmentError) as info:
            call()
        message = str(info.value)
        assert "'nope'" in message and "first" in message and "create" in message
    _assert_unchanged(manager, before)


def test_owner_claimed_by_two_environments(manager: Manager) -> None:
    before = _snapshot(manager)
    for owner in ("addon_one", "addon_one.sub"):
        with pytest.raises(OwnerConflictError) as info:
            manager.create("second", owners=[owner])
        message = str(info.value)
        assert repr(owner) in message and "'first'" in message and "'second'" in message
    with pytest.raises(OwnerConflictError):
        manager.create("second", owners=["fine", "addon_one"])
    _assert_unchanged(manager, before)
    manager.create("second", owners=["addon_two"])
    before = _snapshot(manager)
    with pytest.raises(OwnerConflictError):
        manager.add_owner("second", "addon_one")
    _assert_unchanged(manager, before)


def test_site_dir_that_does_not_exist(manager: Manager, tmp_path: Path) -> None:
    before = _snapshot(manager)
    missing = tmp_path / "no" / "such" / "site"
    with pytest.raises(SiteDirError) as info:
        manager.create("second", owners=["addon_two"], site_dir=missing)
    assert str(missing) in str(info.value) and "'second'" in str(info.value)
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a directory")
    with pytest.raises(SiteDirError):
        manager.create("second", owners=["addon_two"], site_dir=a_file)
    _assert_unchanged(manager, before)


@pytest.mark.parametrize(
    "owner", ["", "1abc", "my-addon", "a..b", "a.", "class", "pkg/evil", 42, None]
)
def test_invalid_module_name(manager: Manager, owner: object) -> None:
    before = _snapshot(manager)
    with pytest.raises(InvalidNameError) as info:
        manager.create("second", owners=[owner])  # type: ignore[list-item]
    assert repr(owner) in str(info.value)
    with pytest.raises(InvalidNameError):
        manager.add_owner("first", owner)  # type: ignore[arg-type]
    with pytest.raises(InvalidNameError):
        manager.import_module("first", owner)  # type: ignore[arg-type]
    _assert_unchanged(manager, before)


@pytest.mark.parametrize(
    "name",
    [
        *["", "..", "../escape", "a/b", "/abs", "a\\b", ".hidden", "x" * 101, "x\n", "x\r"],
        # Windows: device names (any case, any extension) and a trailing dot it drops
        *["CON", "nul", "Aux.txt", "com1", "LPT9.tar.gz", "trailing."],
    ],
)
def test_invalid_environment_name(manager: Manager, name: str) -> None:
    before = _snapshot(manager)
    with pytest.raises(InvalidNameError) as info:
        manager.create(name, owners=["addon_two"])
    assert repr(name) in str(info.value)
    _assert_unchanged(manager, before)


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        ("os", "standard-library"),
        ("sys", "standard-library"),
        ("json.decoder", "standard-library"),
        ("bpy", "Blender's own"),
        ("mathutils", "Blender's own"),
        ("bl_ext", "bl_ext.<repository>.<extension>"),
        ("bl_ext.user_default", "bl_ext.<repository>.<extension>"),
        ("iienv", "iienv itself"),
        ("iienv_addon", "iienv itself"),
        ("bl_ext.user_default.iienv", "iienv itself"),
        ("numpy", "a package of the interpreter itself"),
        ("pytest", "a package of the interpreter itself"),
    ],
)
def test_protected_owners_are_refused(manager: Manager, owner: str, reason: str) -> None:
    """Purging an environment takes its owners' modules away: never Blender's or the stdlib's."""
    import numpy  # noqa: F401  (the host's, loaded from the interpreter's site-packages)

    before = _snapshot(manager)
    for call in (
        lambda: manager.create("guarded", owners=[owner]),
        lambda: manager.add_owner("first", owner),
    ):
        with pytest.raises(InvalidNameError) as info:
            call()
        assert f"{owner!r} cannot own an environment" in str(info.value)
        assert reason in str(info.value)
    _assert_unchanged(manager, before)


def test_extension_owner_names_are_accepted(manager: Manager) -> None:
    env = manager.create("ext", owners=["bl_ext.user_default.my_addon"])
    assert env.owners == frozenset({"bl_ext.user_default.my_addon"})


def test_environment_created_twice(manager: Manager) -> None:
    before = _snapshot(manager)
    with pytest.raises(EnvironmentExistsError) as info:
        manager.create("first", owners=["other"])
    assert "'first'" in str(info.value)
    _assert_unchanged(manager, before)


def test_errors_share_a_base_class() -> None:
    for cls in (UnknownEnvironmentError, OwnerConflictError, SiteDirError, InvalidNameError):
        assert issubclass(cls, IienvError)


def test_state_survives_a_new_manager(manager: Manager) -> None:
    again = Manager(manager.root)
    assert [(e.name, sorted(e.owners)) for e in again.environments()] == [("first", ["addon_one"])]
