"""Issue 10: installs are binary-only; a pin without a wheel for this Python is a clear error.

Real pip and real uv (issue 20), offline, from a folder made for the test: it
holds a wheel of another Python (cp39; pip judges wheels by name, uv reads the
metadata of any wheel of a version, so it is a real tiny wheel), a wheel that
fits, and a source distribution whose in-tree build backend writes a marker
file the moment the installer would start building it (standing in for a
compiler).
"""

from __future__ import annotations

import io
import shutil
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from iienv_addon.core import InstallError, Manager
from iienv_addon.core.install_tools import InstallerSettings
from iienv_addon.core.pip_errors import this_python
from tests.helpers import EACH_INSTALLER, WHEELHOUSE, tiny_wheel, tree_listing
from tests.versions import NEW_NUMPY

BACKEND = """
from pathlib import Path
MARKER = Path({marker!r})

def _build(*args, **kwargs):
    MARKER.write_text("a build started")
    raise RuntimeError("no compiler here")

get_requires_for_build_wheel = prepare_metadata_for_build_wheel = build_wheel = _build
"""


def _sdist(folder: Path, name: str, version: str, marker: Path) -> Path:
    """A real sdist with an in-tree PEP 517 backend that needs nothing to install."""
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "pyproject.toml": textwrap.dedent(
            """
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            """
        ),
        "backend.py": BACKEND.format(marker=str(marker)),
    }
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def links(tmp_path: Path) -> tuple[Path, Path]:
    folder, marker = tmp_path / "links", tmp_path / "built.txt"
    folder.mkdir()
    old = "1.26.4"  # a numpy pin made for another Python
    tiny_wheel(folder / f"numpy-{old}-cp39-cp39-manylinux_2_17_x86_64.whl", "numpy", old, {})
    _sdist(folder, "numpy", old, marker)
    shutil.copy(next(WHEELHOUSE.glob(f"numpy-{NEW_NUMPY}-*.whl")), folder)
    return folder, marker


@EACH_INSTALLER
def test_a_pin_without_a_wheel_for_this_python_is_a_clear_error(
    tmp_path: Path, links: tuple[Path, Path], settings: InstallerSettings
) -> None:
    folder, marker = links
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("pinned", owners=["pinned_owner"])
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("pinned", ["numpy==1.26.4"], find_links=[folder], no_index=True)
    message = str(info.value)
    expected = f"no wheel of numpy 1.26.4 for {this_python()}; versions with wheels: {NEW_NUMPY}"
    assert expected in message, message
    assert f"cp{sys.version_info[0]}{sys.version_info[1]}" in message
    assert "allow_source_builds=True" in message and "'pinned'" in message
    assert not marker.exists(), "the installer started a source build"
    assert tree_listing(manager.root) == before, "the environment changed"


@EACH_INSTALLER
def test_source_builds_only_when_asked(
    tmp_path: Path, links: tuple[Path, Path], settings: InstallerSettings
) -> None:
    """The opt-in really reaches the installer: the sdist's build starts (and fails, no
    compiler)."""
    folder, marker = links
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("pinned", owners=["pinned_owner"])
    before = tree_listing(manager.root)
    with pytest.raises(InstallError):
        manager.install(
            "pinned",
            ["numpy==1.26.4"],
            find_links=[folder],
            no_index=True,
            allow_source_builds=True,
        )
    assert marker.read_text() == "a build started"
    assert tree_listing(manager.root) == before
