"""Issue 19 (in part): an installed environment checked against pip's RECORD and a lock.

A real pip install (h5py with its bundled libraries, whose names iienv changes
at install) must check clean; then a changed source, a changed library, a
missing file and a version the lock does not pin must each be named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iienv_addon.core import Manager, sonames
from iienv_addon.core.install_tools import InstallerSettings
from iienv_addon.core.integrity import check_site
from iienv_addon.core.requirements import Requirement
from iienv_addon.core.sonames import Record
from tests.helpers import EACH_INSTALLER, ENV_SETS, WHEELHOUSE

H5PY = next(r for r in ENV_SETS["h5py-new"] if r.startswith("h5py=="))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    manager = Manager(tmp_path_factory.mktemp("integrity") / "root")
    manager.enable()
    manager.create("checked", owners=["checked_owner"])
    site = manager.install("checked", [H5PY], find_links=[WHEELHOUSE], no_index=True)
    manager.disable()
    return site


def pins(site: Path) -> tuple[Requirement, ...]:
    installed = check_site(site).distributions
    return tuple(Requirement(f"{name}=={version}") for name, version in installed.items())


def test_an_installed_environment_checks_clean(installed: Path) -> None:
    if sonames.EDITS_NAMES:
        assert Record.read(installed).files, "no bundled library renamed: nothing to read back"
    report = check_site(installed, pins(installed))
    assert report.ok, report.problems
    assert report.files_checked > 500
    assert {"h5py", "numpy"} <= set(report.distributions)


def test_changes_are_named(installed: Path, tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(installed, site, symlinks=True, copy_function=shutil.copy2)
    # copytree does not keep the renamed libraries' second names as one file: link them again
    for new, wheel_name in Record.read(site).files.items():
        (site / new).unlink()
        (site / new).hardlink_to(site / wheel_name)
    assert check_site(site).ok
    source = site / "h5py" / "__init__.py"
    source.write_text(source.read_text() + "\n# edited\n")
    (site / "numpy" / "version.py").unlink()
    wheel_name = next(
        iter(sorted(Record.read(site).files.values())),
        str(next(site.glob("h5py/*.so")).relative_to(site)),  # (no renames: macOS, Windows)
    )
    library = bytearray((site / wheel_name).read_bytes())
    library[len(library) // 2] ^= 0xFF  # one byte outside the names
    (site / wheel_name).write_bytes(library)  # (in place: both names are this file)
    locked = tuple(r if r.name != "h5py" else Requirement("h5py==3.11.0") for r in pins(site))
    report = check_site(site, locked)
    text = "\n".join(report.problems)
    assert "h5py/__init__.py differs from what was installed" in text, text
    assert "numpy/version.py is missing" in text, text
    assert f"{wheel_name} differs from what was installed" in text, text
    assert "h5py is 3.14.0, the lock file pins 3.11.0" in text, text
    assert len(report.problems) == 4, text


@EACH_INSTALLER
def test_data_files_outside_the_packages_are_checked(
    tmp_path: Path, settings: InstallerSettings, wheelhouse: Path
) -> None:
    """fonttools' wheel has a man page in ``.data/data`` (``<target>/share/man/man1/ttx.1``).

    pip's RECORD names it ``../../share/...`` (pip --target's temporary prefix),
    uv's ``share/...``: both are read at the target's ``share/`` and a change is named.
    """
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("fonts", owners=["fonts_owner"])
    site = manager.install("fonts", ["fonttools==4.69.1"], find_links=[wheelhouse], no_index=True)
    page = site / "share" / "man" / "man1" / "ttx.1"
    listed = (site / "fonttools-4.69.1.dist-info" / "RECORD").read_text()
    assert ("../../share/man/man1/ttx.1," in listed) == (settings.choice == "pip")
    report = check_site(site)
    assert report.ok, report.problems
    page.write_text("changed\n")
    problems = check_site(site).problems
    assert any("share/man/man1/ttx.1 differs" in p for p in problems), problems
