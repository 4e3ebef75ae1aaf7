"""Issue 16 must-show in a real Blender binary with an event loop: Debian trixie's blender 4.3.2.

Blender 4.3 embeds the system Python 3.13, so this runs in the 3.13 pass (cp313
wheels). The binary lives in a chroot made once by scripts/trixie_chroot.sh
(debootstrap from Debian's archive, cached outside the checkout); CI runs as
root (tests/trixie/conftest.py). iienv is built and installed as an extension by that Blender's own
``--command extension build`` / ``install-file -e``; event_loop.py then runs
under Xvfb with the UI and Blender's real event loop, and writes a report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.every_path_addon import PLAIN, SOURCE, WHERE
from tests.trixie.conftest import REPO, in_chroot, install_iienv, offer_numpy, work_dir
from tests.versions import NEW_NUMPY, OLD_NUMPY

ADDONS = {"iienv_path_older": OLD_NUMPY, "iienv_path_newer": NEW_NUMPY}


def test_every_path_in_blenders_event_loop(chroot: Path) -> None:
    work, host_work = work_dir(chroot, "iienv-test")
    try:
        for version in ADDONS.values():
            offer_numpy(host_work, version)
        addons = host_work / "user" / "scripts" / "addons"
        for name, version in ADDONS.items():
            (addons / name).mkdir(parents=True)
            (addons / name / "__init__.py").write_text(SOURCE)
            (addons / name / "iienv.toml").write_text(
                f'[iienv]\nrequirements = ["numpy=={version}"]\n'
            )
        (addons / "iienv_path_plain").mkdir()
        (addons / "iienv_path_plain" / "__init__.py").write_text(PLAIN)
        shutil.copy(Path(__file__).parent / "event_loop.py", host_work / "event_loop.py")
        shutil.copy(REPO / "tests" / "every_path_addon.py", host_work / "every_path_addon.py")

        install_iienv(chroot, work)
        out = in_chroot(
            chroot, work, "xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
            "blender", "--python", f"{work}/event_loop.py", "--",
            f"{work}/report.json", ",".join(ADDONS),
        )  # fmt: skip
        report_file = host_work / "report.json"
        assert report_file.is_file(), out[-6000:]
        report = json.loads(report_file.read_text())
        report["blender_output"] = out[-4000:]
    finally:
        shutil.rmtree(host_work, ignore_errors=True)
    print(report.pop("blender_output"))
    print(json.dumps(report, indent=1))
    assert not report["errors"], report["errors"]
    glob = report["global"]
    assert glob["iienv_enabled"], glob
    assert glob["first_imports"] and all(ok for _, ok in glob["first_imports"]), glob
    assert glob["blender_call_time_import"] == [2, 1] and glob["pickle"] == [0, 1, 2], glob
    assert glob["sys_modules_numpy_is_blenders"] and glob["plain_gets_blenders_numpy"], glob
    assert glob["third_party_modules"] == [], glob
    for name, version in ADDONS.items():
        got = report["addons"][name]
        assert not got["failures"], (name, got["failures"])
        site_dir = got["site_dir"]
        missing = sorted(set(WHERE) - set(got["results"]))
        assert not missing, (name, missing)
        for where, (by_name, table, linalg, shape, seen) in got["results"].items():
            for path in (by_name, table, linalg):
                assert path.startswith(site_dir), (name, where, path)
            assert shape == [2, 2] and seen == version, (name, where, shape, seen)
