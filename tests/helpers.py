"""Shared test helpers: the wheelhouse, cached pip installs, owner packages."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest

from iienv_addon.core.environment import copy_generation
from tests.corpus.catalog import corpus_sets
from tests.versions import NEW_NUMPY, OLD_NUMPY, TAG

REPO = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / TAG))

# The environments the tests use, by the requirements pip installs into them.
ENV_SETS: dict[str, list[str]] = {
    "np-old": [f"numpy=={OLD_NUMPY}", "metaprobe==1.0"],  # brings six 1.16.0
    "np-new": [f"numpy=={NEW_NUMPY}", "metaprobe==2.0"],  # brings six 1.17.0
    "six116": ["six==1.16.0"],
    "six117": ["six==1.17.0"],
}
ENV_SETS.update(corpus_sets())
# Namespace packages: PEP 420 (protobuf's and googleapis-common-protos' ``google``) and
# pkgutil-style (backports.tarfile's ``backports``), two versions of each.
ENV_SETS["ns-old"] = [*ENV_SETS["protobuf-old"], "backports.tarfile==1.1.1"]
ENV_SETS["ns-new"] = [*ENV_SETS["protobuf-new"], "backports.tarfile==1.2.0"]
# pyarrow keeps its extension-type registry in a bundled library (libarrow.so.NNNN);
# pandas registers its period and interval types in it.
ENV_SETS["arrow-old"] = [*ENV_SETS["pandas-old"], "pyarrow==18.1.0"]
ENV_SETS["arrow-new"] = [*ENV_SETS["pandas-new"], "pyarrow==21.0.0"]


# uv's wheels from the package index (scripts/fetch_uv.sh), one per platform.
UV_WHEELS = Path(os.environ.get("IIENV_UV_WHEELS", REPO / "wheelhouse" / "uv"))


def uv_wheel() -> Path:
    """uv's wheel for this machine (the per-platform extension carries the same file)."""
    from iienv_addon.core.requirements import wheel_fits

    wheels = [w for w in UV_WHEELS.glob("uv-*.whl") if wheel_fits(w.name)]
    if not wheels:
        pytest.fail(f"no uv wheel for this machine in {UV_WHEELS}: run `make wheels`")
    return wheels[0]


def uv_settings(unpack_to: Path) -> Any:
    """Install with uv only, from its wheel (as the per-platform extension carries it),
    never a uv on PATH."""
    from iienv_addon.core.install_tools import InstallerSettings

    return InstallerSettings("uv", bundled_uv=(uv_wheel(),), unpack_to=unpack_to, search_path=False)


# A test that must hold under both installers: @EACH_INSTALLER (the ``settings`` fixture
# of tests/conftest.py; a Manager made from it installs with that one).
EACH_INSTALLER = pytest.mark.parametrize("settings", ["pip", "uv"], indirect=True)


def tiny_wheel(path: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """A valid wheel file (zip, dist-info, RECORD) holding ``files``; its tag is the name's."""
    import base64
    import zipfile

    info = f"{name}-{version}.dist-info"
    tag = path.name.removesuffix(".whl").split("-", 2)[2]
    files = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode(),
    }
    rows = []
    for rel, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{rel},sha256={digest},{len(data)}\n")
    files[f"{info}/RECORD"] = ("".join(rows) + f"{info}/RECORD,,\n").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    return path


def require_wheelhouse() -> Path:
    wheels = list(WHEELHOUSE.glob("*.whl")) if WHEELHOUSE.is_dir() else []
    if not wheels:
        pytest.fail(f"no wheels in {WHEELHOUSE}: run `make wheels` (make test does it)")
    return WHEELHOUSE


def pip_install_target(target: Path, requirements: list[str]) -> None:
    """Plain pip --target from the local wheelhouse, no network."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(require_wheelhouse()),
        "--target",
        str(target),
        *requirements,
    ]
    subprocess.run(cmd, check=True)


SITE_CACHE = Path(os.environ.get("IIENV_SITE_CACHE", REPO / ".site-cache"))


class SiteCache:
    """pip-installs each ENV_SETS entry once (kept in .site-cache/); hands out fresh copies.

    Every environment that loads numpy in one process needs its own physical
    copy of the shared libraries, so tests get copies, never the cache itself.
    The cache is keyed by the set's requirements, so editing a set reinstalls it.
    """

    # Every copy handed out, oldest first. Copies hold real shared libraries
    # (numpy's alone is ~60 MB), so conftest drops each one when the test or
    # module that made it ends: a whole run kept ~7 GB per pass otherwise.
    made: ClassVar[list[Path]] = []

    def __init__(self, base: Path) -> None:
        self.base = base
        self._count = 0

    def installed(self, key: str) -> Path:
        requirements = ENV_SETS[key]
        digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
        tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
        path = SITE_CACHE / f"{key}-{tag}-{digest}"
        if not path.is_dir():
            tmp = SITE_CACHE / f".{key}-{os.getpid()}.tmp"
            pip_install_target(tmp, requirements)
            tmp.rename(path)
        return path

    def fresh_copy(self, key: str) -> Path:
        self._count += 1
        target = self.base / "copies" / f"{key}-{self._count}"
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_generation(self.installed(key), target)
        SiteCache.made.append(target)
        return target

    @staticmethod
    def drop_copies_since(mark: int) -> None:
        """Delete the copies made after ``len(made)`` was ``mark``.

        A process may still have their libraries mapped; on Linux the space
        returns when it exits, and nothing reads the files again.
        """
        while len(SiteCache.made) > mark:
            shutil.rmtree(SiteCache.made.pop(), ignore_errors=True)


def write_package(parent: Path, name: str, source: str) -> Path:
    """Write package ``name`` with ``__init__.py`` = ``source`` under ``parent``."""
    pkg = parent / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return pkg


def run_python(code: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with the repo importable; fail with its output."""
    env = dict(os.environ, PYTHONPATH=str(REPO), IIENV_WHEELHOUSE=str(WHEELHOUSE))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"subprocess failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def tree_listing(root: Path) -> list[tuple[str, str]]:
    """Every directory and file under ``root`` with a hash of each file's bytes.

    The root's ``.locks/`` (lock and lease files between processes, created on
    first use) is bookkeeping, not an environment's content, and is left out.
    """
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and ".locks" in dirnames:
            dirnames.remove(".locks")
        dirnames.sort()
        out.append((str(Path(dirpath).relative_to(root)) + "/", ""))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out.append((str(path.relative_to(root)), digest))
    return out


def script_executable(path: Path, source: str) -> str:
    """``source`` as a program ``subprocess`` can start by ``path`` (a pip stand-in).

    POSIX: the file itself, with a ``#!`` line for this interpreter. Windows has no
    ``#!``: a ``.cmd`` next to it starts this interpreter on it.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows runners only
        script = path.with_suffix(".py")
        script.write_text(source, encoding="utf-8")
        launcher = path.with_suffix(".cmd")
        launcher.write_text(f'@"{sys.executable}" "{script}" %*\r\n', encoding="utf-8")
        return str(launcher)
    path.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie not reaped yet counts as gone).

    Never ``os.kill(pid, 0)`` on Windows: there it *terminates* the process.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows runners only
        listing = subprocess.run(
            ["tasklist", "/FI", f"PID eq {pid}", "/NH"], capture_output=True, text=True, check=False
        ).stdout
        return str(pid) not in listing.split()
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text().rpartition(")")[2].split()[0] == "Z"
        except OSError:
            return True
    state = subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout.strip()
    return not state or state.startswith("Z")


def kill_hard(pid: int) -> None:
    """End ``pid`` at once, as a crash or the task manager would (SIGKILL; TerminateProcess)."""
    import signal

    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # (SIGTERM: TerminateProcess)


def plain_venv(base: Path, site_dirs: list[Path]) -> Path:
    """A real venv (no pip) whose only packages are ``site_dirs``; returns its python.

    The reference a user would check an add-on against: the same code, with only
    its environment's packages and no Blender, no host packages, no iienv. The
    site dirs are added by a ``.pth`` file, as site-packages entries.
    """
    import venv

    venv.create(base, with_pip=False, symlinks=sys.platform != "win32")
    python = base / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "iienv_test_sites.pth").write_text(
        "".join(f"{path}\n" for path in site_dirs), encoding="utf-8"
    )
    return python


def run_in_venv(
    python: Path, addons: Path, package: str, timeout: int = 600, abort_at_exit: bool = False
) -> Any:
    """``package.run()`` of an add-on module under ``addons``, run by ``python``; its JSON.

    With ``plain_venv``: what the add-on's code returns with only its packages.
    (The ``__main__`` guard: a spawn worker imports the parent's main again.)
    ``abort_at_exit``: the package may abort the process after the answer
    (pyarrow's threads at exit: "terminate called without an active exception").
    """
    code = (
        f"import json, sys; sys.path.insert(0, {str(addons)!r}); import {package}\n"
        f"if __name__ == '__main__': print(json.dumps({package}.run()), flush=True)"
    )
    proc = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )
    aborted = abort_at_exit and proc.returncode == -6 and proc.stdout.strip()
    if proc.returncode != 0 and not aborted:
        pytest.fail(f"the plain venv failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
