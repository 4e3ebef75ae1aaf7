"""Issue 19 (in part): export an environment, install it offline elsewhere, verify both.

The farm's round trip in plain Python: a workstation's environment (real pip,
h5py with bundled libraries) is exported to a folder — a lock file with the
hashes of its wheels, and the wheels — then installed from that folder alone
into another profile, which verifies clean with the same RECORD for every
distribution. A wheel changed in the folder makes the install fail (pip's
hash check) and leaves that environment as it was; an export pip cannot fetch
wheels for writes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from iienv_addon.core.errors import InstallError
from iienv_addon.core.lockfile import WHEELS, lock_path
from tests.helpers import ENV_SETS, WHEELHOUSE

H5PY = next(r for r in ENV_SETS["h5py-new"] if r.startswith("h5py=="))


@pytest.fixture
def workstation(tmp_path: Path, wheelhouse: Path):
    manager = Manager(tmp_path / "workstation")
    manager.enable()
    manager.create("farm_addon", owners=["farm_addon"])
    manager.install("farm_addon", [H5PY], find_links=[WHEELHOUSE], no_index=True)
    yield manager
    manager.disable()


def records(site: Path) -> dict[str, list[str]]:
    """Each distribution's RECORD rows but REQUESTED (pip's note that a user asked for the
    distribution by name: the lock names numpy, the workstation got it as h5py's dependency)."""
    return {
        d.name: sorted(
            row for row in (d / "RECORD").read_text().splitlines() if "/REQUESTED," not in row
        )
        for d in site.glob("*.dist-info")
    }


def test_export_then_offline_install_reproduces_the_environment(
    workstation: Manager, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    exported = workstation.export("farm_addon", folder, find_links=[WHEELHOUSE], no_index=True)
    assert exported.lock_file == lock_path(folder, "farm_addon")
    lock = exported.lock_file.read_text()
    assert "h5py==3.14.0 \\\n    --hash=sha256:" in lock and "numpy==" in lock
    assert sorted(exported.wheels) == sorted(workstation.verify("farm_addon").distributions)
    assert workstation.verify("farm_addon", exported.lock_file).ok

    worker = Manager(tmp_path / "worker")  # another profile; only the folder goes there
    worker.enable()
    try:
        worker.create("farm_addon", owners=["farm_addon"])
        site = worker.install(
            "farm_addon", lock_file=exported.lock_file, find_links=[folder / WHEELS], no_index=True
        )
        report = worker.verify("farm_addon", exported.lock_file)
        assert report.ok, report.problems
        assert report.files_checked > 500
        assert records(site) == records(workstation.get("farm_addon").site_dir)
        # a file changed on the worker: verify names it
        (site / "h5py" / "version.py").write_text("# changed\n")
        problems = worker.verify("farm_addon", exported.lock_file).problems
        assert problems == ["h5py 3.14.0: h5py/version.py differs from what was installed"]
    finally:
        worker.disable()


def test_a_changed_wheel_in_the_export_is_refused(workstation: Manager, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    exported = workstation.export("farm_addon", folder, find_links=[WHEELHOUSE], no_index=True)
    wheel = exported.wheels["h5py"]
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    worker = Manager(tmp_path / "worker")
    worker.enable()
    try:
        env = worker.create("farm_addon", owners=["farm_addon"])
        before = env.site_dir
        with pytest.raises(InstallError) as raised:
            worker.install(
                "farm_addon", lock_file=exported.lock_file, find_links=[folder / WHEELS],
                no_index=True,
            )  # fmt: skip
        assert "hash" in str(raised.value).lower(), raised.value
        assert worker.get("farm_addon").site_dir == before
    finally:
        worker.disable()


def test_an_export_pip_cannot_fetch_writes_nothing(tmp_path: Path, wheelhouse: Path) -> None:
    """The folder the environment was installed from is gone, and no index: nothing is
    written (the staging folder goes), and the error names the add-on and the package."""
    gone = tmp_path / "gone"
    gone.mkdir()
    (wheel,) = WHEELHOUSE.glob("six-1.17.0-*.whl")
    shutil.copy(wheel, gone)
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        manager.create("farm_addon", owners=["farm_addon"])
        manager.install("farm_addon", ["six==1.17.0"], find_links=[gone], no_index=True)
        shutil.rmtree(gone)
        folder = tmp_path / "export"
        folder.mkdir()
        (folder / "keep.txt").write_text("the user's\n")
        with pytest.raises(InstallError) as raised:
            manager.export("farm_addon", folder, no_index=True)
        assert "farm_addon" in str(raised.value) and "six" in str(raised.value), raised.value
        assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    finally:
        manager.disable()


def test_an_environment_installed_from_a_local_wheel_exports(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """A wheel that is on no index (an add-on's own): the export finds it where the
    environment's install did, with no find-links given."""
    local, deps = tmp_path / "local", tmp_path / "deps"  # the add-on's wheel; six
    local.mkdir()
    deps.mkdir()
    (wheel,) = WHEELHOUSE.glob("metaprobe-2.0-*.whl")
    shutil.copy(wheel, local)
    shutil.copy(next(WHEELHOUSE.glob("six-1.17.0-*.whl")), deps)
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        manager.create("local_addon", owners=["local_addon"])
        wheels = [local / wheel.name]
        manager.install("local_addon", wheels=wheels, find_links=[deps], no_index=True)
        exported = manager.export("local_addon", tmp_path / "export", no_index=True)
        assert {"metaprobe", "six"} <= set(exported.wheels)
        assert "metaprobe==2.0 \\\n    --hash=sha256:" in exported.lock_file.read_text()
    finally:
        manager.disable()
