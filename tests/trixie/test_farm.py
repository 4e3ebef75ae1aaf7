"""Issue 19 (in part) in the real binary: ``blender -c iienv`` export -> offline install -> verify.

Debian trixie's blender 4.3.2 runs iienv's registered command line. A
workstation profile installs the environment an add-on declares and exports
it; a fresh worker profile, whose pip finds nothing (an empty find-links folder
and no index), installs it from the export folder alone and verifies clean;
both sides hold the same RECORD for every distribution; installing again runs
no pip; eight workers starting at once on one fresh shared profile run pip
once; a changed file makes ``verify`` exit 1 naming it; bad usage exits 2;
a damaged environment is listed as broken with the reason, and uninstalled.
Every ``--json`` output is parsed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.trixie.conftest import (
    chroot_command,
    install_iienv,
    offer_numpy,
    run_in_chroot,
    work_dir,
)
from tests.versions import OLD_NUMPY

ADDON = "farm_addon"
SOURCE = 'bl_info = {"name": "farm", "blender": (4, 2, 0), "category": "Render"}\n'


def iienv_cli(root: Path, work: str, *args: str, user: str, code: int = 0) -> dict:
    """The workstation's pip finds the wheels; the worker's finds nothing (an empty folder)."""
    wheels = "wheels" if user == "workstation" else "nowheels"
    proc = run_in_chroot(
        root, work, "blender", "-b", "-c", "iienv", *args, user=user, wheels=wheels, timeout=600
    )
    out = (proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == code, (args, proc.returncode, *out)
    if "--json" not in args:
        return {"stderr": proc.stderr}
    document = document_of(proc.stdout)
    document["stderr"] = proc.stderr
    return document


def document_of(stdout: str) -> dict:
    """The JSON document in Blender's stdout (Blender prints its own lines around it)."""
    return json.loads(stdout[stdout.index("{") : stdout.rindex("}") + 1])


def records(site: Path) -> dict[str, list[str]]:
    return {
        d.name: sorted(r for r in (d / "RECORD").read_text().splitlines() if "/REQUESTED," not in r)
        for d in site.glob("*.dist-info")
    }


def profiles(chroot: Path, work: str, host_work: Path, uv: bool = False) -> None:
    """A workstation and a worker profile, each with iienv and the add-on declaring numpy;
    the workstation's pip finds the wheel, the worker's nothing."""
    offer_numpy(host_work, OLD_NUMPY)
    (host_work / "nowheels").mkdir()
    for user in ("workstation", "worker"):
        addon = host_work / user / "scripts" / "addons" / ADDON
        addon.mkdir(parents=True)
        (addon / "__init__.py").write_text(SOURCE)
        (addon / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={OLD_NUMPY}"]\n')
        install_iienv(chroot, work, user=user, uv=uv)


def test_export_offline_install_and_verify_in_blender(chroot: Path) -> None:
    work, host_work = work_dir(chroot, "iienv-farm")
    try:
        profiles(chroot, work, host_work)

        # the workstation: pip finds the wheel (its own PIP_FIND_LINKS), then export
        proc = run_in_chroot(chroot, work, "blender", "-b", "-c", "iienv", "install", "--all",
                             "--json", user="workstation", timeout=600)  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "iienv: farm_addon: installing" in proc.stderr or "%" in proc.stderr  # progress
        exported = iienv_cli(chroot, work, "export", "--all", "--to", f"{work}/export", "--json",
                             user="workstation")  # fmt: skip
        assert exported["ok"] and exported["addons"][ADDON]["ok"], exported
        lock = host_work / "export" / f"{ADDON}.lock"
        assert f"numpy=={OLD_NUMPY} \\\n    --hash=sha256:" in lock.read_text()

        # the worker: nothing but the export folder
        refused = iienv_cli(chroot, work, "install", ADDON, "--json", user="worker", code=1)
        assert not refused["addons"][ADDON]["ok"], refused
        installed = iienv_cli(chroot, work, "install", "--all", "--from", f"{work}/export",
                              "--json", user="worker")  # fmt: skip
        assert installed["addons"][ADDON]["state"] == "installed", installed
        assert installed["addons"][ADDON]["packages"] == {"numpy": OLD_NUMPY}
        verified = iienv_cli(chroot, work, "verify", "--all", "--from", f"{work}/export",
                             "--json", user="worker")  # fmt: skip
        assert verified["ok"] and verified["addons"][ADDON]["files_checked"] > 500, verified
        listed = iienv_cli(chroot, work, "list", "--json", user="worker")
        worker_site = host_work.parent.parent / listed["addons"][ADDON]["site_dir"].lstrip("/")
        listed_ws = iienv_cli(chroot, work, "list", "--json", user="workstation")
        ws_site = host_work.parent.parent / listed_ws["addons"][ADDON]["site_dir"].lstrip("/")
        assert worker_site != ws_site
        assert records(worker_site) == records(ws_site)  # identical RECORD hashes

        again = iienv_cli(chroot, work, "install", "--all", "--from", f"{work}/export",
                          "--json", user="worker")  # fmt: skip
        assert again["ok"] and "preparing" not in again["stderr"], again  # installed: no pip

        # eight workers start at once on one fresh shared profile: one pip run
        install_iienv(chroot, work, user="shared")
        shared_addon = host_work / "shared" / "scripts" / "addons" / ADDON
        shutil.copytree(host_work / "worker" / "scripts" / "addons" / ADDON, shared_addon)
        command = chroot_command(
            chroot, work, "blender", "-b", "-c", "iienv", "install", "--all", "--from",
            f"{work}/export", "--json", user="shared", wheels="nowheels",
        )  # fmt: skip
        workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for _ in range(8)]  # fmt: skip
        outputs = [worker.communicate(timeout=900) for worker in workers]
        assert [w.returncode for w in workers] == [0] * 8, [err[-2000:] for _, err in outputs]
        pip_runs = sum("preparing" in err for _, err in outputs)
        assert pip_runs == 1, [err[-1500:] for _, err in outputs]
        sites = {document_of(out)["addons"][ADDON]["site_dir"] for out, _ in outputs}
        assert len(sites) == 1, sites

        # a file changed on the worker: verify exits 1 and names it
        (worker_site / "numpy" / "version.py").write_text("# changed\n")
        failed = iienv_cli(chroot, work, "verify", ADDON, "--json", user="worker", code=1)
        assert "numpy/version.py differs" in failed["addons"][ADDON]["error"], failed
        # bad usage
        iienv_cli(chroot, work, "install", user="worker", code=2)
        iienv_cli(chroot, work, "export", ADDON, user="worker", code=2)  # no --to

        # purge; a damaged environment is listed as broken with the reason; uninstall it
        purged = iienv_cli(chroot, work, "purge", ADDON, "--json", user="worker")
        assert purged["ok"], purged
        (worker_site.parent / "state.json").write_text('{"format": 1, "na')
        broken = iienv_cli(chroot, work, "list", "--json", user="worker")["addons"][ADDON]
        assert broken["state"] == "broken" and "not valid JSON" in broken["message"], broken
        failed = iienv_cli(chroot, work, "verify", ADDON, "--json", user="worker", code=1)
        assert "damaged" in failed["addons"][ADDON]["error"], failed
        removed = iienv_cli(chroot, work, "uninstall", ADDON, "--json", user="worker")
        assert removed["ok"] and not worker_site.parent.exists(), removed
        listed = iienv_cli(chroot, work, "list", "--json", user="worker")
        assert listed["addons"][ADDON]["state"] == "empty", listed
    finally:
        shutil.rmtree(host_work, ignore_errors=True)


def without_uv_cache(rows: dict[str, list[str]]) -> dict[str, list[str]]:
    return {d: [r for r in rs if "/uv_cache.json," not in r] for d, rs in rows.items()}


def installed_by(site: Path) -> set[str]:
    return {p.read_text().strip() for p in site.glob("*.dist-info/INSTALLER")}


def test_farm_with_the_bundled_uv(chroot: Path) -> None:
    """Issue 20 in the real binary: the linux-x64 extension installs with the uv it carries.

    The workstation installs with uv (the progress on stderr says so) and exports; a
    worker installs offline from the export with uv (hash-checked against the lock)
    and verifies clean; ``--installer pip`` reinstalls with pip and verifies clean too.
    """
    work, host_work = work_dir(chroot, "iienv-farm-uv")
    try:
        profiles(chroot, work, host_work, uv=True)
        done = iienv_cli(chroot, work, "install", "--all", "--json", user="workstation")
        assert "with uv 0.13.9 (the bundled uv" in done["stderr"], done["stderr"][-2000:]
        ws_site = host_work.parent.parent / done["addons"][ADDON]["site_dir"].lstrip("/")
        assert installed_by(ws_site) == {"uv"}
        iienv_cli(chroot, work, "export", "--all", "--to", f"{work}/export", user="workstation")
        installed = iienv_cli(chroot, work, "install", "--all", "--from", f"{work}/export",
                              "--json", user="worker")  # fmt: skip
        assert "with uv 0.13.9" in installed["stderr"], installed["stderr"][-2000:]
        site = host_work.parent.parent / installed["addons"][ADDON]["site_dir"].lstrip("/")
        assert installed_by(site) == {"uv"} and site != ws_site
        # (uv_cache.json: uv's note of when it cached the wheel, a timestamp)
        assert without_uv_cache(records(site)) == without_uv_cache(records(ws_site))
        verified = iienv_cli(chroot, work, "verify", "--all", "--from", f"{work}/export",
                             "--json", user="worker")  # fmt: skip
        assert verified["ok"] and verified["addons"][ADDON]["files_checked"] > 500, verified
        # uv was unpacked into the profile's environments, nothing into Blender's site-packages
        unpacked = list((host_work / "worker").rglob("environments/.uv/uv-0.13.9-*/uv"))
        assert len(unpacked) == 1, unpacked
        assert not list((host_work / "worker").rglob("site-packages/uv")), "uv was made importable"
        by_pip = iienv_cli(chroot, work, "install", "--all", "--from", f"{work}/export", "--force",
                           "--installer", "pip", "--json", user="worker")  # fmt: skip
        site = host_work.parent.parent / by_pip["addons"][ADDON]["site_dir"].lstrip("/")
        assert installed_by(site) == {"pip"}, by_pip["stderr"][-2000:]
        verified = iienv_cli(chroot, work, "verify", "--all", "--from", f"{work}/export",
                             "--json", user="worker")  # fmt: skip
        assert verified["ok"], verified
    finally:
        shutil.rmtree(host_work, ignore_errors=True)
