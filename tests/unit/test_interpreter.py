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


@pytest.mark.parametrize("other", ["version", "build"])
def test_workers_do_not_run_a_shim_that_starts_another_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other: str
) -> None:
    """Debian's blender here reports ``/root/.pyenv/shims/python3.11`` as sys.executable.

    A "python3.x" on ``PATH`` that is another Python (a shim, another install)
    must not become the workers' Python: the probe moves on to the Python under
    this interpreter's prefix. The stand-in reports what the other Python would:
    another version, or (pyenv's 3.11.7 for Debian's 3.11.2) the same version
    with another standard library.
    """
    from iienv_addon.core import workers

    version = (
        "[3, 99], 'cpython-399'"
        if other == "version"
        else (f"{list(sys.version_info[:2])}, {sys.implementation.cache_tag!r}")
    )
    shim = tmp_path / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shim.write_text(
        f"#!{sys.executable}\n"
        "import json, platform, struct\n"
        f"print(json.dumps([{version}, True, platform.machine(), "
        "struct.calcsize('P') * 8, '/opt/another-build/lib/python3']))\n",
        encoding="utf-8",
    )
    shim.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(shim))
    interpreter.worker_python.cache_clear()
    try:
        chosen = workers.child_python()
    finally:
        interpreter.worker_python.cache_clear()
    assert chosen is not None and chosen != str(shim)
    out = subprocess.run(
        [chosen, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert out == sys.implementation.cache_tag
