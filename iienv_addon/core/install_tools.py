"""The two programs iienv installs with, pip and uv, behind one small interface.

``InstallJob`` (installer.py) owns what must not depend on the program: the
staging dir, verification, bundled-library names, the atomic switch, cancel.
An ``InstallTool`` says only how to run one program: its command line and
process environment, what a line of its output means for progress, and what
a failure means for the user. pip is the reference; uv must give the same
environment (the same distributions and files, tested) from the same request.

Which one runs (``choose``): ``installer="pip"`` always pip; ``"uv"`` uv or a
clear error; ``"auto"`` (the default) uv when one is found (uv_tool.py),
otherwise pip — and pip again if the uv found cannot be started at all (a
profile on a ``noexec`` mount).

uv's options that keep pip's result:
* ``--link-mode copy``: uv's default on Linux and Windows *hard-links* files
  from its cache (and ``clone`` falls back to hard links on ext4, measured).
  Two environments with the same packages would then hold one inode per
  extension module, and the dynamic loader matches loaded objects by inode:
  ``dlopen`` of the second path returns the first's handle, and Cython's module
  creation hands back the module object it already made. Measured: the second
  environment silently ran the first's ``msgpack._cmsgpack`` and
  ``numpy.random._generator`` (``__file__`` in the first site) — the same would
  happen to a re-install after a purge. (Extension modules that link a bundled
  library escaped only because sonames.py writes them anew.) A file edited in
  one environment would also change uv's cache and every other environment.
  A copy costs ~0.1 s for numpy.
* ``--index-strategy unsafe-best-match``: pip takes the best version across
  every index and find-links folder; uv's default stops at the first index
  that knows the name.
* ``--no-config`` and a filtered environment (uv_config.py); never a Python
  download (``--python`` names Blender's own interpreter, as pip runs on it).
* ``--system-certs``: the operating system's certificate store, as pip uses it
  (truststore); uv's own default, the bundled Mozilla roots, refused a studio's
  TLS-intercepting proxy that pip accepted (measured in the trixie chroot).
* A second run with ``--offline`` when an index could not be reached but wheel
  folders were given (``second_try``): pip goes on without the index there.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import InstallError, InterpreterNotFoundError, InvalidSettingError
from .interpreter import pip_python, python_for_uv
from .pip_config import pip_environment
from .pip_errors import diagnose as pip_diagnose
from .requirements import CheckedRequest
from .uv_config import sources, uv_environment
from .uv_errors import UNREACHABLE_INDEX
from .uv_errors import diagnose as uv_diagnose
from .uv_tool import MIN_VERSION, Search, Uv, find_uv
from .wheel_listing import versions_with_wheels

__iienv_machinery__ = True

CHOICES = ("auto", "uv", "pip")
# -E: ignore PYTHON* variables (PYTHONHOME, PYTHONPATH), as Blender's own Python
# does; -u: unbuffered output, for progress; -X utf8: output read as UTF-8 on
# every OS (PYTHONUNBUFFERED and PYTHONIOENCODING are ignored with -E).
PYTHON_FLAGS = ("-E", "-u", "-X", "utf8")

Step = tuple[str, str, float]  # (phase, message, overall fraction)


def request_arguments(request: CheckedRequest, no_index: bool) -> list[str]:
    """What pip and uv are both told of a request, in the options both read alike.

    Wheels only unless source builds were allowed: inside Blender a source build
    means a compiler, headers that Blender does not ship and minutes of CPU for
    numpy; a pin without a wheel for this Python (numpy 1.26 on Python 3.13) must
    be a clear error instead (pip_errors.no_wheel).
    """
    args = [] if request.allow_source_builds else ["--only-binary=:all:"]
    if no_index:
        args.append("--no-index")
    for link in request.find_links:
        args += ["--find-links", link]
    if request.lock_file is not None:
        args += ["--require-hashes", "-r", str(request.lock_file)]
    args += [str(w) for w in request.wheels]
    args += [str(r) for r in request.requirements]
    return args


# (a line's start, phase, overall fraction) for the lines that always mean the same
_PIP_STEPS = (
    ("Installing collected packages", "installing", 0.6),
    ("Successfully installed", "installing", 0.8),
)
_UV_STEPS = (
    ("Using CPython", "collecting", 0.08),
    ("Resolved ", "collecting", 0.4),
    ("Prepared ", "installing", 0.6),
    ("Installed ", "installing", 0.8),
)


def table_step(text: str, table: tuple[tuple[str, str, float], ...]) -> Step | None:
    for start, phase, fraction in table:
        if text.startswith(start):
            return phase, text, fraction
    return None


class InstallTool(Protocol):
    """How to run one installer program for an InstallJob."""

    name: str

    def describe(self) -> str: ...

    def command(
        self, target: Path, request: CheckedRequest, no_index: bool, extra: Sequence[str] = ()
    ) -> list[str]: ...

    def environment(self) -> dict[str, str]: ...

    def second_try(
        self, output: Sequence[str], request: CheckedRequest, no_index: bool
    ) -> list[str] | None: ...

    def step(self, line: str, fraction: float) -> Step | None: ...

    def diagnose(
        self, addon: str, output: Sequence[str], returncode: int, request: CheckedRequest,
        no_index: bool,
    ) -> str: ...  # fmt: skip

    def tidy(self, target: Path) -> None: ...


class PipInstaller:
    """Real pip, run by the interpreter Blender embeds (or one with its ABI)."""

    name = "pip"

    def __init__(self, python: str | None = None) -> None:
        self._python = python
        self._collected = 0

    @property
    def python(self) -> str:
        """Looked for when the job starts, not when it is chosen: no Python with pip is the
        job's failure (InterpreterNotFoundError), recorded like any other."""
        return self._python or pip_python()

    def describe(self) -> str:
        return "pip"

    def command(
        self, target: Path, request: CheckedRequest, no_index: bool, extra: Sequence[str] = ()
    ) -> list[str]:
        """pip's command line for ``request`` (request_arguments)."""
        return [
            self.python, *PYTHON_FLAGS, "-m", "pip", "install", "--target", str(target),
            "--disable-pip-version-check", "--no-input", "--no-warn-script-location",
            "--progress-bar", "off", *extra, *request_arguments(request, no_index),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        return pip_environment(os.environ, self.python, PYTHON_FLAGS)

    def second_try(
        self, output: Sequence[str], request: CheckedRequest, no_index: bool
    ) -> list[str] | None:
        return None  # (pip goes on with its wheel folders by itself when an index fails)

    def step(self, line: str, fraction: float) -> Step | None:
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ", "Looking in links")):
            self._collected += 1
            return "collecting", text, 0.05 + 0.45 * (1 - 0.7**self._collected)
        if text.startswith(("Downloading ", "Using cached ", "Obtaining ")):
            return "downloading", text, max(fraction, 0.3)
        return table_step(text, _PIP_STEPS)

    def diagnose(
        self, addon: str, output: Sequence[str], returncode: int, request: CheckedRequest,
        no_index: bool,
    ) -> str:  # fmt: skip
        binary_only = not request.allow_source_builds
        return pip_diagnose(addon, output, returncode, no_index, binary_only=binary_only)

    def tidy(self, target: Path) -> None:
        pass


class UvInstaller:
    """uv's ``pip install --target``, with the options that keep pip's result (module doc)."""

    name = "uv"

    def __init__(self, uv: Uv, python: str | None = None) -> None:
        self.uv = uv
        self._python = python
        self._env: dict[str, str] | None = None
        self._downloads = 0

    @property
    def python(self) -> str:
        """The interpreter uv installs for (as PipInstaller.python: looked for at start)."""
        return self._python or python_for_uv()

    def describe(self) -> str:
        return f"uv {self.uv.version_text} ({self.uv.origin})"

    def command(
        self, target: Path, request: CheckedRequest, no_index: bool, extra: Sequence[str] = ()
    ) -> list[str]:
        return [
            self.uv.path, "pip", "install", "--target", str(target), "--python", self.python,
            "--link-mode", "copy", "--index-strategy", "unsafe-best-match", "--no-config",
            "--no-python-downloads", "--color", "never", "--no-progress", "--system-certs",
            *extra, *request_arguments(request, no_index),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        if self._env is None:
            self._env = uv_environment(os.environ, _pip_to_ask(), PYTHON_FLAGS)
        return self._env

    def second_try(
        self, output: Sequence[str], request: CheckedRequest, no_index: bool
    ) -> list[str] | None:
        """``--offline`` once, when an index could not be reached and wheel folders are given.

        pip warns about an index it cannot reach and goes on with its find-links
        folders; uv stops. A studio's wheel folder behind a dead (or TLS-intercepted)
        index mirror must install the same with both.
        """
        if no_index or not UNREACHABLE_INDEX.search("\n".join(output)):
            return None
        folders = [*request.find_links, *self.environment().get("UV_FIND_LINKS", "").split(",")]
        if not any(folders):
            return None
        return ["--offline"]

    def step(self, line: str, fraction: float) -> Step | None:
        text = line.strip()
        if text.startswith(("Downloading ", "Downloaded ")):
            self._downloads += 1
            return "downloading", text, max(fraction, min(0.55, 0.4 + 0.02 * self._downloads))
        return table_step(text, _UV_STEPS)

    def diagnose(
        self, addon: str, output: Sequence[str], returncode: int, request: CheckedRequest,
        no_index: bool,
    ) -> str:  # fmt: skip
        places = sources(self.environment(), request.find_links, no_index)

        def versions(name: str) -> str:
            return versions_with_wheels(name, places, self.environment()).text()

        offline = no_index or bool(self.environment().get("UV_NO_INDEX"))
        binary_only = not request.allow_source_builds
        return uv_diagnose(addon, output, returncode, offline, binary_only, versions)

    def tidy(self, target: Path) -> None:
        """uv leaves its lock file at the top of a ``--target`` dir; not part of the install."""
        (target / ".lock").unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def _pip_to_ask() -> str | None:
    """A Python with pip to ask for the user's pip settings, or None (looked for once:
    pip_python caches only a success, and each look starts a few processes)."""
    try:
        return pip_python()
    except InterpreterNotFoundError:
        return None  # no pip anywhere (Debian's blender without python3-pip): nothing to keep


@dataclass(frozen=True)
class InstallerSettings:
    """Which installer runs, and where uv may come from.

    ``choice``: "auto" (uv if found, else pip), "uv" or "pip". ``uv_path``: a
    uv executable (or its folder) the user configured; ``bundled_uv``: uv
    wheels shipped with the add-on; ``unpack_to``: where their binary goes.
    """

    choice: str = "auto"
    uv_path: str | None = None
    bundled_uv: tuple[Path, ...] = ()
    unpack_to: Path | None = None
    search_path: bool = True


_SEARCHES: dict[InstallerSettings, tuple[float, Search]] = {}
_SEARCH_LOCK = threading.Lock()
# How long "no uv" is believed: a uv put on PATH (or at the configured path) meanwhile
# is found at the next install, while a Preferences redraw does not probe every time.
NOT_FOUND_SECONDS = 5.0


def search_uv(settings: InstallerSettings) -> Search:
    """Where uv is for ``settings``: a uv found is kept for the session (while its file is
    there; a probe costs a process), "none found" for NOT_FOUND_SECONDS."""
    with _SEARCH_LOCK:
        when, found = _SEARCHES.get(settings, (0.0, None))
        if found is not None and found.found is not None:
            fresh = os.path.isfile(found.found.path)
        else:
            fresh = found is not None and time.monotonic() - when < NOT_FOUND_SECONDS
        if found is None or not fresh:
            found = find_uv(
                settings.uv_path, settings.bundled_uv, settings.unpack_to, settings.search_path
            )
            _SEARCHES[settings] = (time.monotonic(), found)
        return found


def check_choice(choice: object) -> str:
    if choice not in CHOICES:
        raise InvalidSettingError(
            f"iienv: installer {choice!r} is not one of {', '.join(map(repr, CHOICES))}"
        )
    return str(choice)


def choose(settings: InstallerSettings, choice: str | None = None) -> InstallTool:
    """The installer to run for ``settings`` (``choice`` overrides ``settings.choice``).

    Raises InstallError for ``"uv"`` when no usable uv is found, with why each
    candidate was passed over; InterpreterNotFoundError when no Python fits.
    """
    wanted = check_choice(settings.choice if choice is None else choice)
    if wanted == "pip":
        return PipInstaller()
    search = search_uv(settings)
    if search.found is not None:
        return UvInstaller(search.found)
    if wanted == "uv":
        raise InstallError(
            f"iienv: installer 'uv' was chosen but no usable uv was found: "
            f"{search.reasons()}. Set the path to a uv executable (uv "
            f"{'.'.join(map(str, MIN_VERSION))} or newer) in iienv's preferences, put uv on "
            f"PATH, or choose the installer 'auto' or 'pip'. Nothing was changed"
        )
    return PipInstaller()
