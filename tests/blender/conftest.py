"""Blender tests: each scenario runs in its own real Blender process.

* Blender as a Python module (bpy) from ``IIENV_BPY_PYTHON``: `make test` runs
  the suite with bpy 4.5 (Python 3.11) and bpy 5.3 (Python 3.13), `make
  test-blender BLENDER=…` with any one (default: the venv ``.venv-bpy-4.5``);
* Debian's ``blender`` binary (3.4.1, legacy add-ons) with ``-b --python``.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import UV_WHEELS
from tests.versions import TAG

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / TAG))
BPY_PYTHON = Path(os.environ.get("IIENV_BPY_PYTHON", REPO / ".venv-bpy-4.5" / "bin" / "python"))
BLENDER = os.environ.get("IIENV_BLENDER", "/usr/bin/blender")


@functools.cache
def bpy_python() -> str:
    if not BPY_PYTHON.is_file():
        pytest.fail(f"no bpy interpreter at {BPY_PYTHON}: run `make test` (it creates the venvs)")
    proc = subprocess.run(
        [str(BPY_PYTHON), "-c", "import sys; print('cp%d%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    if proc.stdout.strip() != TAG:  # versions, wheelhouse and corpus sets are per Python
        pytest.fail(
            f"the bpy at {BPY_PYTHON} runs {proc.stdout.strip()}, these tests run {TAG}: "
            f"run the Blender tests with the same Python (make test-blender BLENDER=…)"
        )
    return str(BPY_PYTHON)


def blender_binary() -> str:
    if not Path(BLENDER).is_file():
        pytest.fail(f"no blender binary at {BLENDER}: run `make test` (it installs Debian's)")
    return BLENDER


def scenario_env(user_dir: Path) -> dict[str, str]:
    """Blender isolated in ``user_dir``; pip offline from the test wheelhouse."""
    if not list(WHEELHOUSE.glob("numpy-*.whl")):
        pytest.fail(f"no numpy wheels in {WHEELHOUSE}: run `make wheels` (make test does)")
    return dict(
        os.environ,
        IIENV_REPO=str(REPO),
        BLENDER_USER_RESOURCES=str(user_dir),  # bpy 4.5
        BLENDER_USER_SCRIPTS=str(user_dir / "scripts"),  # Debian's 3.4 binary
        BLENDER_USER_CONFIG=str(user_dir / "config"),
        BLENDER_USER_DATAFILES=str(user_dir / "datafiles"),
        PIP_FIND_LINKS=str(WHEELHOUSE),
        PIP_NO_INDEX="1",
        PYTHONPATH=str(SCENARIOS),
    )


@pytest.fixture
def run_scenario(tmp_path: Path):
    def run(name: str, *args: str, binary: bool = False, timeout: int = 600) -> str:
        script = str(SCENARIOS / name)
        if binary:  # exit code 1 on a failing script only with --python-exit-code
            cmd = [blender_binary(), "-b", "--factory-startup", "--python-exit-code", "1",
                   "--python", script, "--", *args]  # fmt: skip
        else:
            cmd = [bpy_python(), script, *args]
        proc = subprocess.run(
            cmd,
            capture_output=True, text=True, timeout=timeout, check=False,
            env=scenario_env(tmp_path / "blender-user"),
        )  # fmt: skip
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "SCENARIO OK" in out, out[-6000:]
        return out

    return run


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """iienv and the example add-ons built as zips by scripts/build.py."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            *(bpy_python(), str(REPO / "scripts" / "build.py"), "--examples"),
            *("--out", str(out), "--uv-wheels", str(UV_WHEELS)),
        ],
        check=True,
        capture_output=True,
    )
    return out


def blender_numpy() -> str:
    """The numpy version Blender (the bpy under test) brings as its own."""
    proc = subprocess.run(
        [bpy_python(), "-c", "import importlib.metadata as m; print(m.version('numpy'))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return proc.stdout.strip()
