"""iienv's developer tasks on any OS: the Makefile's setup and test, in Python.

The Makefile stays the way on Linux (it also builds the Debian Blender chroot
and runs both Pythons); Windows and macOS have no make, no debootstrap and no
``sh``, so their CI runners (and developers) use this:

    python tasks.py setup [--bpy 4.5]     venv, wheelhouse for this platform, host numpy, bpy
    python tasks.py test  [--bpy 4.5] [-- pytest args]
    python tasks.py lint

The interpreter running this file is the one tested (Python 3.11 for bpy 4.5,
3.13 for bpy 5.3). Everything goes into ``.tasks/<tag>/`` (venvs) and
``wheelhouse/<cpXY>-<platform>/`` (wheels for this platform only: numpy's
Windows wheels are not Linux's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parent
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
WHEELHOUSE = REPO / "wheelhouse" / f"{TAG}-{PLATFORM}"
WORK = REPO / ".tasks" / f"{TAG}-{PLATFORM}"
# The host's ("Blender's") numpy in the unit tests, as the Makefile's HOST_NUMPY_*.
HOST_NUMPY = {"cp311": "numpy==1.24.4", "cp313": "numpy==2.5.5"}
# Which Python each bpy needs (requirements/bpy-<version>.txt pins it).
BPY_PYTHON = {"4.2": "cp311", "4.5": "cp311", "5.0": "cp311", "5.3": "cp313"}


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*command: object, **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kwargs)  # type: ignore[call-overload]


def pip(python: Path, *args: object) -> None:
    run(python, "-m", "pip", "--disable-pip-version-check", *args)


def venv_for(name: str, requirements: Path) -> Path:
    """``.tasks/<tag>/<name>``, made anew whenever ``requirements`` changed (as make does):
    a package left from an older list would stay in it."""
    venv = WORK / name
    python = venv_python(venv)
    stamp = venv / "requirements.txt"
    wanted = requirements.read_text(encoding="utf-8")
    if python.exists() and stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    run(sys.executable, "-m", "venv", venv)
    pip(python, "install", "-q", "-r", requirements)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def dev_venv() -> Path:
    return venv_for("dev", REPO / "requirements-dev.txt")


def tools_venv() -> Path:
    """The workflow validators, apart from the dev venv (its packages play Blender's)."""
    return venv_for("tools", REPO / "requirements" / "workflow-tools.txt").parent


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def fetch_wheels(python: Path) -> list[str]:
    """The test wheels and the corpus for this interpreter and platform; what failed."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    failed = []
    common = ("download", "-q", "--only-binary=:all:", "-d", WHEELHOUSE)
    for requirement in requirement_lines(REPO / "scripts" / "test-wheels.txt"):
        try:
            pip(python, *common, "--no-deps", requirement)
        except subprocess.CalledProcessError:
            failed.append(requirement)
    sets = REPO / "tests" / "corpus" / f"sets-{TAG}.txt"
    for line in requirement_lines(sets):
        _name, *requirements = line.split()
        try:
            pip(python, *common, *requirements)
        except subprocess.CalledProcessError:
            failed.append(" ".join(requirements))  # (no wheel for this platform)
    run(python, REPO / "scripts" / "build_fixture_wheels.py", WHEELHOUSE)
    # uv's wheel for this platform (the installer tests run its binary; scripts/fetch_uv.sh
    # fetches every platform's on Linux, for the per-platform zips)
    uv_pin = requirement_lines(REPO / "requirements" / "uv.txt")[0]
    try:
        pip(python, *common[:-1], REPO / "wheelhouse" / "uv", "--no-deps", uv_pin)
    except subprocess.CalledProcessError:
        failed.append(uv_pin)
    return failed


def bpy_venv(version: str) -> Path:
    if BPY_PYTHON.get(version) != TAG:
        raise SystemExit(f"bpy {version} needs Python {BPY_PYTHON.get(version)}, this is {TAG}")
    return venv_for(f"bpy-{version}", REPO / "requirements" / f"bpy-{version}.txt")


def setup(args: argparse.Namespace) -> None:
    python = dev_venv()
    tools_venv()
    failed = fetch_wheels(python)
    pip(python, "install", "-q", "--no-index", "--find-links", WHEELHOUSE, HOST_NUMPY[TAG])
    if args.bpy:
        bpy_venv(args.bpy)
    if failed:
        print("no wheel for this platform (the tests that need them will fail):", file=sys.stderr)
        for requirement in failed:
            print("  " + requirement, file=sys.stderr)


def test(args: argparse.Namespace) -> None:
    python = dev_venv()
    env = dict(os.environ, IIENV_WHEELHOUSE=str(WHEELHOUSE), IIENV_TOOLS=str(tools_venv()))
    if args.bpy:
        env["IIENV_BPY_PYTHON"] = str(bpy_venv(args.bpy))
    ignore = ["--ignore=tests/trixie", "--ignore=tests/blender/test_binary.py"]
    targets = ["tests/unit", "tests/corpus"] + (["tests/blender"] if args.bpy else [])
    run(python, "-m", "pytest", *targets, *ignore, *args.pytest, cwd=REPO, env=env)


def lint(args: argparse.Namespace) -> None:
    python = dev_venv()
    run(python, "-m", "ruff", "check", ".", cwd=REPO)
    run(python, "-m", "ruff", "format", "--check", ".", cwd=REPO)
    run(python, "-m", "mypy", cwd=REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in (("setup", setup), ("test", test), ("lint", lint)):
        command = commands.add_parser(name)
        command.add_argument("--bpy", choices=sorted(BPY_PYTHON), help="Blender as a module")
        command.add_argument("pytest", nargs="*", help="after --: passed on to pytest")
        command.set_defaults(function=function)
    args = parser.parse_args()
    args.function(args)


if __name__ == "__main__":
    main()
