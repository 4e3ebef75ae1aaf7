"""Which Python pip runs with: it must match the running interpreter."""

from __future__ import annotations

import subprocess
import sys

from iienv_addon.core import interpreter


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
