"""Debian trixie's blender 4.3.2 (Python 3.13) in a chroot: the helpers its tests share.

The binary lives in a chroot made once by scripts/trixie_chroot.sh (debootstrap
from Debian's archive, cached outside the checkout); CI runs as root. iienv is
built and installed as an extension by that Blender's own ``--command
extension build`` / ``install-file -e``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.versions import TAG

REPO = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / TAG))


@pytest.fixture(scope="session")
def chroot() -> Path:
    if TAG != "cp313":
        pytest.fail("Blender 4.3 (trixie) embeds Python 3.13: run this under 3.13 (make test)")
    proc = subprocess.run(
        ["sh", str(REPO / "scripts" / "trixie_chroot.sh")], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.fail(f"could not make the trixie chroot:\n{proc.stderr[-3000:]}")
    root = Path(proc.stdout.strip().splitlines()[-1])
    proc_dir = root / "proc"
    mounted = subprocess.run(["mountpoint", "-q", str(proc_dir)]).returncode == 0
    if not mounted:
        subprocess.run(["mount", "-t", "proc", "proc", str(proc_dir)], check=True)
    yield root
    if not mounted:
        subprocess.run(["umount", "-l", str(proc_dir)], check=False)


def chroot_command(
    root: Path, work: str, *command: str, user: str = "user", wheels: str = "wheels"
) -> list[str]:
    """``command`` in the chroot with a Blender profile ``work/user`` and pip offline from
    ``work/wheels`` (both folders under the test's work folder)."""
    env = [
        "env", "-i", "HOME=/root", "LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        f"BLENDER_USER_RESOURCES={work}/{user}", f"PIP_FIND_LINKS={work}/{wheels}",
        "PIP_NO_INDEX=1",
    ]  # fmt: skip
    return ["chroot", str(root), *env, *command]


def run_in_chroot(
    root: Path,
    work: str,
    *command: str,
    timeout: int = 300,
    user: str = "user",
    wheels: str = "wheels",
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        chroot_command(root, work, *command, user=user, wheels=wheels),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def in_chroot(root: Path, work: str, *command: str, timeout: int = 300, user: str = "user") -> str:
    proc = run_in_chroot(root, work, *command, timeout=timeout, user=user)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(command)} failed ({proc.returncode}):\n{out[-6000:]}"
    return out


def work_dir(root: Path, name: str) -> tuple[str, Path]:
    """A fresh folder for one test inside the chroot: its path there and here (with wheels/,
    where pip in the chroot looks: ``in_chroot`` sets ``PIP_FIND_LINKS``)."""
    work = f"/tmp/{name}-{os.getpid()}"
    host_work = root / work.lstrip("/")
    shutil.rmtree(host_work, ignore_errors=True)
    (host_work / "wheels").mkdir(parents=True)
    return work, host_work


def offer_numpy(host_work: Path, version: str) -> None:
    """Put the cp313 numpy wheel of ``version`` into the test's wheels/."""
    wheels = list(WHEELHOUSE.glob(f"numpy-{version}-cp313-*manylinux*x86_64*.whl"))
    assert wheels, f"no numpy {version} cp313 wheel in {WHEELHOUSE}"
    shutil.copy(wheels[0], host_work / "wheels")


def install_iienv(root: Path, work: str, user: str = "user", uv: bool = False) -> None:
    """Build iienv with Blender's own tools and install it as an extension, enabled, into
    the profile ``work/user``. ``uv``: as the linux-x64 zip of scripts/build.py, with uv's
    wheel in ``uv/`` and ``platforms = ["linux-x64"]``."""
    host_work = root / work.lstrip("/")
    source, dist = host_work / "src", host_work / "dist"
    if not dist.is_dir():
        shutil.copytree(REPO / "iienv_addon", source, ignore=shutil.ignore_patterns("__pycache__"))
        manifest = (REPO / "blender_manifest.toml").read_text()
        if uv:
            from tests.helpers import uv_wheel

            (source / "uv").mkdir()
            shutil.copy(uv_wheel(), source / "uv")
            line = 'blender_version_min = "4.2.0"'
            manifest = manifest.replace(line, f'{line}\nplatforms = ["linux-x64"]')
        (source / "blender_manifest.toml").write_text(manifest)
        dist.mkdir()
        in_chroot(root, work, "blender", "--command", "extension", "build",
                  "--source-dir", f"{work}/src", "--output-dir", f"{work}/dist")  # fmt: skip
    (zip_file,) = dist.glob("iienv-*.zip")
    in_chroot(root, work, "blender", "--command", "extension", "install-file",
              "-r", "user_default", "-e", f"{work}/dist/{zip_file.name}", user=user)  # fmt: skip
    in_chroot(root, work, "blender", "-b", "--python-expr",
              "import bpy; bpy.context.preferences.view.show_splash = False; "
              "bpy.ops.wm.save_userpref()", user=user)  # fmt: skip
