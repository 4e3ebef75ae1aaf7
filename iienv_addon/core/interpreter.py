"""Finding the Python interpreter that pip must run with.

Inside Blender ``sys.executable`` is not always the interpreter Blender embeds:
Debian's ``blender`` embeds the system libpython but ``sys.executable`` is
whatever ``python3`` comes first on ``PATH`` (see DESIGN.md). Installing with a
different Python would produce wheels for the wrong ABI, so every candidate is
asked for its version and cache tag and must match the running interpreter.
"""

from __future__ import annotations

import json
import os
import platform
import struct
import subprocess
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .errors import InterpreterNotFoundError
from .process_tree import creation_flags

__iienv_machinery__ = True  # caller.py looks through iienv's frames

_PROBE = (
    "import json, sys, platform, struct, sysconfig; print(json.dumps([list(sys.version_info[:2]), "
    "sys.implementation.cache_tag, __import__('importlib.util').util.find_spec('pip') "
    "is not None, platform.machine(), struct.calcsize('P') * 8, sysconfig.get_path('stdlib')]))"
)


def this_architecture() -> list[object]:
    """What the probe reports for the running interpreter's machine and pointer size.

    A Python of the right version but another architecture (an x86_64 Python under
    Rosetta for an arm64 Blender, a 32-bit one) would install wheels Blender
    cannot load.
    """
    return [platform.machine(), struct.calcsize("P") * 8]


def candidates(
    executable: str | None = None,
    prefixes: Iterable[str] | None = None,
    version: tuple[int, int] | None = None,
    windows: bool | None = None,
) -> list[str]:
    """Interpreter paths to try, best first (parameters default to this process)."""
    executable = sys.executable if executable is None else executable
    major, minor = version or sys.version_info[:2]
    windows = os.name == "nt" if windows is None else windows
    if prefixes is None:
        prefixes = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    out: list[str] = []
    if executable and Path(executable).name.lower().startswith("python"):
        out.append(executable)
    for prefix in prefixes:
        if windows:
            out += [str(Path(prefix, "python.exe")), str(Path(prefix, "bin", "python.exe"))]
        else:
            out += [
                str(Path(prefix, "bin", f"python{major}.{minor}")),
                str(Path(prefix, "bin", f"python{major}")),
            ]
    seen: set[str] = set()
    return [c for c in out if not (c in seen or seen.add(c))]  # type: ignore[func-returns-value]


@lru_cache(maxsize=1)
def pip_python() -> str:
    """The first candidate with this interpreter's version, cache tag, architecture and pip."""
    return choose_python(candidates())


@lru_cache(maxsize=1)
def python_for_uv() -> str:
    """The first candidate with this interpreter's version, cache tag and architecture.

    uv asks it for the markers and wheel tags to install for (``--python``);
    it needs no pip.
    """
    return choose_python(candidates(), need_pip=False)


@lru_cache(maxsize=1)
def worker_python() -> str:
    """The first candidate with this interpreter's version, cache tag, architecture and stdlib.

    What worker processes of environments run (workers.py): pip is not needed,
    but the ABI is — Debian's ``blender`` reports whatever ``python3.11`` comes
    first on ``PATH`` (on this machine a pyenv *shim*, which picks its Python by
    pyenv's rules), and a worker on another Python cannot load the
    environment's compiled packages. The standard library must be this one too:
    a spawned worker gets Blender's ``sys.path``, stdlib included, and another
    build of the same version (pyenv's 3.11.7 under Debian's 3.11.2) then mixes
    two stdlibs — its ``datetime`` lacked ``datetime_CAPI`` and numpy failed to
    import in every worker (measured in Debian's blender 3.4).
    """
    return choose_python(candidates(), need_pip=False, same_stdlib=True)


def choose_python(paths: Iterable[str], need_pip: bool = True, same_stdlib: bool = False) -> str:
    """The first of ``paths`` that runs as this interpreter would (see ``pip_python``).

    ``same_stdlib``: its standard library must be this interpreter's (workers).
    """
    import sysconfig

    stdlib = os.path.realpath(sysconfig.get_path("stdlib"))
    want = [list(sys.version_info[:2]), sys.implementation.cache_tag]
    tried: list[str] = []
    for path in paths:
        if not os.path.isfile(path):
            continue
        try:
            out = subprocess.run(
                [path, "-E", "-c", _PROBE],  # -E: as pip will run (installer.PYTHON_FLAGS)
                capture_output=True, text=True, timeout=30, check=False,
                creationflags=creation_flags(),
            ).stdout  # fmt: skip
            version, tag, has_pip, *arch = json.loads(out.strip().splitlines()[-1])
            their_stdlib = arch.pop() if len(arch) > 2 else None
        except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
            tried.append(f"{path} (does not run)")
            continue
        if [version, tag] != want:
            tried.append(f"{path} (Python {version[0]}.{version[1]})")
            continue
        if arch != this_architecture():
            tried.append(
                f"{path} ({arch[0]}, {arch[1]}-bit; Blender runs {this_architecture()[0]})"
            )
            continue
        if need_pip and not has_pip:
            tried.append(f"{path} (no pip)")
            continue
        if same_stdlib and (not their_stdlib or os.path.realpath(their_stdlib) != stdlib):
            tried.append(f"{path} (another build: its standard library is {their_stdlib})")
            continue
        return path
    running = ".".join(map(str, sys.version_info[:3]))
    if not need_pip:
        purpose = "run worker processes with" if same_stdlib else "install packages for"
        raise InterpreterNotFoundError(
            f"iienv: cannot find a Python {running} to {purpose} (tried: "
            f"{', '.join(tried) or 'nothing found'}); Blender's own Python is needed for it"
        )
    raise InterpreterNotFoundError(
        f"iienv: cannot find a Python {running} with pip to install packages with "
        f"(tried: {', '.join(tried) or 'nothing found'}). Install pip for this Python "
        f"(e.g. 'python{sys.version_info[0]}.{sys.version_info[1]} -m ensurepip', or Debian's "
        f"python3-pip) and try again"
    )
