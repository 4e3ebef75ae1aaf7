"""Which Python pip runs with: it must match the running interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iienv_addon.core import interpreter
from iienv_addon.core.errors import InterpreterNotFoundError


def test_pip_python_matches_running_interpreter() -> None:
    interpreter.pip_python.cache_clear()
    path = interpreter.pip_python()
    out = subprocess.run(
        [path, "-c", "import sys; print(sys.version_info[:2], sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == f"{tuple(sys.version_info[:2])} {sys.implementation.cache_tag}"


def test_candidates_inside_blender_prefer_the_embedded_prefix() -> None:
    """Debian's blender: sys.executable is the blender binary or python3 from PATH."""
    got = interpreter.candidates(
        executable="/usr/bin/blender", prefixes=["/usr"], version=(3, 11), windows=False
    )
    assert got == ["/usr/bin/python3.11", "/usr/bin/python3"]
    got = interpreter.candidates(
        executable="/usr/bin/python3", prefixes=["/usr", "/usr"], version=(3, 11), windows=False
    )
    assert got[0] == "/usr/bin/python3" and got.count("/usr/bin/python3.11") == 1


def test_candidates_windows_layout() -> None:
    """Faked: Windows cannot run here. Blender on Windows has python.exe under its prefix."""
    prefix = r"C:\Program Files\Blender Foundation\Blender 4.5\4.5\python"
    got = interpreter.candidates(
        executable=r"C:\Program Files\Blender Foundation\Blender 4.5\blender.exe",
        prefixes=[prefix],
        version=(3, 11),
        windows=True,
    )
    assert got[0].endswith("python.exe") and "blender.exe" not in " ".join(got)


def test_a_python_of_another_architecture_is_not_used(tmp_path: Path) -> None:
    """Right version, wrong machine (an x86_64 Python under Rosetta for an arm64 Blender).

    The candidate is a real Python that reports another machine: platform.machine()
    is what Rosetta changes, and all the probe can see.
    """
    other = "aarch64" if interpreter.this_architecture()[0] != "aarch64" else "x86_64"
    fake = tmp_path / "python3-other"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"print(json.dumps([list(sys.version_info[:2]), sys.implementation.cache_tag, True, "
        f"{other!r}, 64]))\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    with pytest.raises(InterpreterNotFoundError) as raised:
        interpreter.choose_python([str(fake)])
    assert f"{fake} ({other}, 64-bit; Blender runs" in str(raised.value)
    assert interpreter.choose_python([sys.executable]) == sys.executable
    assert json.loads(json.dumps(interpreter.this_architecture()))[1] in (32, 64)
