"""Blender tests: run with the bpy venv (`make test` does); each scenario is its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse"))


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
    def run(name: str, *args: str, timeout: int = 600) -> str:
        proc = subprocess.run(
            [sys.executable, str(SCENARIOS / name), *args],
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
        [sys.executable, str(REPO / "scripts" / "build.py"), "--examples", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out
