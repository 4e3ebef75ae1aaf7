"""Blender tests: each scenario runs in its own real Blender process.

* bpy 4.5 (Blender as a Python module) from the venv ``.venv-bpy`` (or
  ``IIENV_BPY_PYTHON``), which `make test` creates;
* Debian's ``blender`` binary (3.4.1, legacy add-ons) with ``-b --python``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse"))
BPY_PYTHON = Path(os.environ.get("IIENV_BPY_PYTHON", REPO / ".venv-bpy" / "bin" / "python"))
BLENDER = os.environ.get("IIENV_BLENDER", "/usr/bin/blender")


def bpy_python() -> str:
    if not BPY_PYTHON.is_file():
        pytest.fail(f"no bpy interpreter at {BPY_PYTHON}: run `make test` (it creates .venv-bpy)")
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
        [bpy_python(), str(REPO / "scripts" / "build.py"), "--examples", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out
