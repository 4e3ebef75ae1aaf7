"""Reading extensions' bundled wheels and judging conflicts (bundled.py, no bpy).

The Blender story (two real extensions built by blender_ext.py) is
tests/blender/scenarios/bundled_extensions.py; these cover the bad input.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iienv_addon.bundled import Choices, declaration_for, judge, read_bundled, what_blender_gives
from iienv_addon.core.errors import InvalidRequirementError
from tests.helpers import WHEELHOUSE

MANIFEST = 'schema_version = "1.0.0"\nid = "ext"\nversion = "1.0.0"\nwheels = [{wheels}]\n'


def _extension(tmp_path: Path, wheels: list[str], files: list[Path]) -> Path:
    ext = tmp_path / "ext"
    (ext / "wheels").mkdir(parents=True)
    (ext / "__init__.py").write_text("")
    for path in files:
        shutil.copy(path, ext / "wheels") if path.exists() else (ext / "wheels" / path.name).touch()
    listed = ", ".join(f'"{w}"' for w in wheels)
    (ext / "blender_manifest.toml").write_text(MANIFEST.format(wheels=listed))
    return ext


def test_wheels_for_this_python_are_read_others_skipped(tmp_path: Path) -> None:
    six = next(WHEELHOUSE.glob("six-1.16.0-*.whl"))
    other = tmp_path / "numpy-1.26.4-cp39-cp39-macosx_11_0_arm64.whl"  # never opened
    ext = _extension(tmp_path, [f"./wheels/{six.name}", f"./wheels/{other.name}"], [six, other])
    bundled = read_bundled("bl_ext.user_default.ext", ext)
    assert bundled is not None
    assert bundled.versions == {"six": "1.16.0"}
    assert bundled.skipped == (other.name,)
    verdict = judge(bundled)
    given = what_blender_gives("six")
    assert verdict.conflicts == ({} if given == "1.16.0" else {"six": ("1.16.0", given)})
    assert verdict.isolated == bool(verdict.conflicts)
    assert judge(bundled, "never").isolated is False and judge(bundled, "isolate").isolated
    declaration = declaration_for(bundled)
    assert declaration.no_index and declaration.kind == "bundled"
    assert declaration.wheels == (str((ext / "wheels" / six.name).resolve()),)


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        ("./wheels/missing-1.0-py3-none-any.whl", "is not a file inside the extension"),
        ("../outside-1.0-py3-none-any.whl", "is not a file inside the extension"),
    ],
)
def test_a_bad_wheel_entry_is_a_clear_error(tmp_path: Path, listed: str, expected: str) -> None:
    (tmp_path / "outside-1.0-py3-none-any.whl").touch()
    ext = _extension(tmp_path, [listed], [])
    with pytest.raises(InvalidRequirementError) as info:
        read_bundled("bl_ext.user_default.ext", ext)
    assert expected in str(info.value) and "'bl_ext.user_default.ext'" in str(info.value)


def test_a_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "blender_manifest.toml").write_text("wheels = [\n")
    with pytest.raises(InvalidRequirementError, match="cannot read"):
        read_bundled("bl_ext.user_default.ext", ext)
    (ext / "blender_manifest.toml").write_text('wheels = "numpy.whl"\n')
    with pytest.raises(InvalidRequirementError, match="must be a list of paths"):
        read_bundled("bl_ext.user_default.ext", ext)


def test_choices_survive_and_a_damaged_file_means_automatic(tmp_path: Path) -> None:
    choices = Choices(tmp_path)
    assert choices.get("a") == "auto"
    choices.set("a", "never")
    choices.set("b", "isolate")
    assert (Choices(tmp_path).get("a"), Choices(tmp_path).get("b")) == ("never", "isolate")
    choices.set("a", "auto")
    assert Choices(tmp_path).load() == {"b": "isolate"}
    with pytest.raises(ValueError, match="auto, isolate or never"):
        choices.set("a", "sometimes")
    choices.path.write_text("{not json")
    assert Choices(tmp_path).get("b") == "auto"


class _NoHost:
    """judge_all and forget_uninstalled never ask Blender anything."""


def test_environment_of_an_extension_uninstalled_meanwhile_is_removed(tmp_path: Path) -> None:
    from iienv_addon.core import Manager
    from iienv_addon.extension_wheels import judge_all
    from iienv_addon.runtime import Runtime

    six = next(WHEELHOUSE.glob("six-1.16.0-*.whl"))
    repo = tmp_path / "user_default"
    ext = _extension(repo, [f"./wheels/{six.name}"], [six])
    (repo / "kept").mkdir()
    manager = Manager(tmp_path / "root")
    for name, wheel in (("ext", ext / "wheels" / six.name), ("kept", six)):
        manager.create(f"bl_ext.user_default.{name}", owners=[f"bl_ext.user_default.{name}"])
        manager.install(f"bl_ext.user_default.{name}", wheels=[wheel], no_index=True)
    shutil.rmtree(ext)  # uninstalled while iienv was off
    rt = Runtime(manager, _NoHost())  # type: ignore[arg-type]
    judge_all(rt, [("bl_ext.user_default.", repo)])
    assert [e.name for e in manager.environments()] == ["bl_ext.user_default.kept"]
    assert not (tmp_path / "root" / "bl_ext.user_default.ext").exists()
