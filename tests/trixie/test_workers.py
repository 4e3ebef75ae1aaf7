"""Issue 18 item 1 in a real Blender binary: worker processes of an add-on's code.

Debian trixie's blender 4.3.2 (Python 3.13): ``sys.executable`` is the system
Python (with Debian's numpy in its site-packages), the default start method is
fork and ``multiprocessing.spawn.get_executable()`` is bytes. Each start method
and ``ProcessPoolExecutor`` must run the add-on's numpy in the workers, and
arrays must cross both ways as the add-on's numpy — as they do in a plain venv
(tests/unit/test_worker_processes.py compares there). Debian's 3.4 binary (legacy
form, Python 3.11): tests/blender/scenarios/workers.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.trixie.conftest import in_chroot, install_iienv, offer_numpy, work_dir
from tests.versions import OLD_NUMPY
from tests.workers_addon import SOURCE as ADDON


def test_workers_of_an_addon_run_its_environment_in_blender(chroot: Path) -> None:
    work, host_work = work_dir(chroot, "iienv-workers")
    try:
        offer_numpy(host_work, OLD_NUMPY)
        addon = host_work / "user" / "scripts" / "addons" / "iienv_workers"
        addon.mkdir(parents=True)
        (addon / "__init__.py").write_text(ADDON)
        (addon / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={OLD_NUMPY}"]\n')
        shutil.copy(Path(__file__).parent / "workers.py", host_work / "workers.py")
        install_iienv(chroot, work)
        out = in_chroot(
            chroot, work, "blender", "-b", "--python", f"{work}/workers.py", "--",
            f"{work}/report.json", timeout=600,
        )  # fmt: skip
        report_file = host_work / "report.json"
        assert report_file.is_file(), out[-6000:]
        report = json.loads(report_file.read_text())
    finally:
        shutil.rmtree(host_work, ignore_errors=True)
    print(json.dumps(report, indent=1))
    assert "error" not in report, report["error"]
    site = report["site_dir"]
    assert report["result"]["parent"].startswith(site)
    assert report["sys_executable"].startswith("/usr/bin/python3")
    assert not report["blender_numpy"].startswith(site)  # Debian's, in the system Python
    assert report["blender_numpy_after"] == report["blender_numpy"]
    for where in ("spawn", "forkserver", "fork", "executor"):
        path, version, total, array_module = report["result"][where]
        assert path.startswith(site) and version == OLD_NUMPY, (where, path, version)
        assert total == (6.0 if where != "executor" else 3.0) and array_module == "numpy"
    for method in ("spawn", "forkserver", "fork"):
        assert report["result"][method + " array back"] == [True, [0, 1, 2]], method
