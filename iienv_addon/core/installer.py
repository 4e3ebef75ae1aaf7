"""Installing an environment's packages with real pip or uv, atomically.

The installer (install_tools.py: pip, or uv where found) writes into a staging
directory next to the environment's generations.
Only an install that the installer finished *and* that provides every requirement (as
``importlib.metadata`` of the staging dir sees it) is renamed into place as the
next generation; the switch itself is the atomic rename of the state file.
Before that, the bundled shared libraries get names of their own (sonames.py):
two environments with the same pyarrow would otherwise share one libarrow. A
failed, cancelled or killed install leaves the current generation untouched;
staging debris of a killed process is removed at the next manager start.

``InstallJob`` never blocks: ``poll()`` suits a Blender timer, ``wait()`` a
script or test.
"""

from __future__ import annotations

import importlib.metadata
import queue
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from . import sonames
from .environment import STAGING_PREFIX, Environment, is_under
from .errors import InstallCancelledError, InstallError
from .install_tools import InstallTool, PipInstaller
from .path_limits import candidate_wheels, check_path_lengths
from .process_tree import ProcessTree, creation_flags
from .requirements import CheckedRequest, Requirement, canonicalize_name, wheel_name_and_version
from .sharing import describe, remove_tree, rename

__iienv_machinery__ = True  # caller.py looks through iienv's frames

KILL_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class Progress:
    """Where an install is: ``phase``, a line for people, and an overall fraction 0..1."""

    phase: str
    message: str
    fraction: float


ProgressCallback = Callable[[Progress], None]
Commit = Callable[[Path], Path]


class InstallJob:
    """One installer run (pip or uv) for one environment, from staging to the switch.

    ``tool``: the installer (install_tools.choose); pip with ``python`` (or the
    interpreter found for pip) if not given. ``fallback``: what to run instead
    if ``tool`` cannot be started at all (installer "auto": pip for uv).
    """

    def __init__(
        self,
        env: Environment,
        request: CheckedRequest,
        commit: Commit,
        no_index: bool = False,
        progress: ProgressCallback | None = None,
        python: str | None = None,
        on_done: Callable[[], None] | None = None,
        tool: InstallTool | None = None,
        fallback: Callable[[], InstallTool] | None = None,
    ) -> None:
        self.env = env
        # released once the job has finished either way (the environment lock)
        self._on_done = on_done
        self.request = request
        self.no_index = no_index
        self._commit = commit
        self._callback = progress
        self._python = python
        self.tool: InstallTool | None = tool
        self._fallback = fallback
        # short: its length counts against Windows' 260 characters (path_limits.py)
        self.staging = env.home / f"{STAGING_PREFIX}{uuid.uuid4().hex[:6]}"
        self.output: list[str] = []
        self.progress = Progress("queued", "waiting to start", 0.0)
        self.result: Path | None = None
        self.error: InstallError | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._tree: ProcessTree | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._cancelled = False
        self._retried = False
        self._kill_at: float | None = None

    # ---- public -----------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> InstallJob:
        self._report("preparing", f"starting the installer for {self.env.name!r}", 0.02)
        try:
            if self.tool is None:
                self.tool = PipInstaller(self._python)
            self.env.home.mkdir(parents=True, exist_ok=True)
            check_path_lengths(self.env.name, self.staging, candidate_wheels(self.request))
            self.staging.mkdir()
            try:
                self._launch(self.tool)
            except OSError as exc:
                if self._fallback is None:
                    raise
                self.output.append(f"iienv: {self.tool.describe()} could not start ({exc})")
                self.tool = self._fallback()
                self._launch(self.tool)
        except InstallError as exc:
            self._fail(exc)
            return self
        except OSError as exc:
            self._fail(InstallError(
                f"iienv: could not start {self.installer} for add-on {self.env.name!r}: {exc}. "
                f"The environment is unchanged."
            ))  # fmt: skip
            return self
        self._report("collecting", f"resolving requirements with {self.installer}", 0.05)
        return self

    @property
    def installer(self) -> str:
        """Which installer runs: 'pip', or 'uv 0.13.9 (the bundled uv)'."""
        return self.tool.describe() if self.tool is not None else "pip"

    def _launch(self, tool: InstallTool, extra: tuple[str, ...] = ()) -> None:
        """Start ``tool`` into the staging dir, with its process tree and output reader."""
        self._proc = subprocess.Popen(
            tool.command(self.staging, self.request, self.no_index, extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            encoding="utf-8", errors="replace",
            env=tool.environment(),
            stdin=subprocess.DEVNULL,
            creationflags=creation_flags(),
        )  # fmt: skip
        self._tree = ProcessTree(self._proc)
        self._reader = threading.Thread(target=self._read, name="iienv-pip-reader", daemon=True)
        self._reader.start()

    def poll(self) -> bool:
        """Process what pip printed; finish when pip has exited. Returns ``done``."""
        if self.done:
            return True
        assert self._proc is not None
        self._drain()
        if self._kill_at is not None and time.monotonic() > self._kill_at:
            assert self._tree is not None
            self._tree.end(force=True)
            self._kill_at = None
        if self._proc.poll() is None or (self._reader is not None and self._reader.is_alive()):
            return False
        self._drain()
        if self._try_again():
            return False
        self._finish(self._proc.returncode)
        return True

    def _try_again(self) -> bool:
        """Run the installer once more if it asks to (install_tools: uv ``--offline``)."""
        assert self._proc is not None and self.tool is not None
        if self._proc.returncode == 0 or self._cancelled or self._retried:
            return False
        extra = self.tool.second_try(self.output, self.request, self.no_index)
        if not extra:
            return False
        self._retried = True
        note = f"iienv: the package index could not be reached; {self.tool.name} again with"
        self.output.append(f"{note} {' '.join(extra)} (the wheel folders alone, as pip would)")
        self._report("collecting", self.output[-1], self.progress.fraction)
        try:
            remove_tree(self.staging)
            self.staging.mkdir()
            self._launch(self.tool, tuple(extra))
        except OSError as exc:
            self.output.append(f"iienv: could not start it again ({exc})")
            return False
        return True

    def wait(self, timeout: float | None = None) -> Path:
        """Block until done; return the new site dir or raise the install's error."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll():
            if deadline is not None and time.monotonic() > deadline:
                self.cancel()
                deadline = None
            self._pause(0.05)
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def _pause(self, seconds: float) -> None:
        """Up to ``seconds``, less when the installer exits meanwhile.

        A fixed sleep cost up to 50 ms per install, a third of a uv install
        (measured: 0.20 s against 0.15 s for uv alone).
        """
        proc, reader = self._proc, self._reader
        if proc is None:
            time.sleep(seconds)
            return
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return
        if reader is not None:
            reader.join(timeout=seconds)  # the rest of its output

    def cancel(self) -> None:
        """Stop the installer (terminate, then kill) and roll back; poll() finishes the job."""
        if self.done or self._cancelled:
            return
        self._cancelled = True
        self._report("cancelling", f"stopping {self.installer}", self.progress.fraction)
        if self._tree is not None and self._proc is not None and self._proc.poll() is None:
            self._tree.end()  # pip and what it started (a build backend, a compiler)
            self._kill_at = time.monotonic() + KILL_GRACE_SECONDS

    # ---- internals --------------------------------------------------------
    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _drain(self) -> None:
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                continue
            self.output.append(line)
            self._progress_from(line)

    def _progress_from(self, line: str) -> None:
        assert self.tool is not None
        step = self.tool.step(line, self.progress.fraction)
        if step is not None:
            self._report(*step)

    def _finish(self, returncode: int) -> None:
        if self._cancelled:
            self._fail(InstallCancelledError(
                f"iienv: installing the environment of add-on {self.env.name!r} was "
                f"cancelled; the environment is unchanged"
            ))  # fmt: skip
            return
        assert self.tool is not None
        if returncode != 0:
            self._fail(InstallError(
                # (after a second try, both runs' output: an index that could not be
                # reached stays the cause, as in pip's one output)
                self.tool.diagnose(
                    self.env.name, self.output, returncode, self.request, self.no_index
                )
            ))  # fmt: skip
            return
        self.tool.tidy(self.staging)
        self._report("verifying", f"checking what {self.tool.name} installed", 0.85)
        problem = verify(self.staging, self.request)
        if problem:
            self._fail(InstallError(
                f"iienv: installing the environment of add-on {self.env.name!r} failed: "
                f"{self.tool.name} finished, but {problem}. The environment is unchanged."
            ))  # fmt: skip
            return
        if sonames.EDITS_NAMES:
            self._report("naming", "giving bundled libraries names of their own", 0.9)
            try:
                taken = sonames.names_in_use(self.env.home.parent)
                sonames.rename_reused(self.staging, None, taken, in_place=True)
            except OSError as exc:
                self._fail(InstallError(
                    f"iienv: installing the environment of add-on {self.env.name!r} failed: "
                    f"could not give its bundled libraries names of their own "
                    f"({describe(exc)}). The environment is unchanged."
                ))  # fmt: skip
                return
        self._report("switching", "making the new environment current", 0.95)
        try:
            self.result = self._commit(self.staging)
        except OSError as exc:
            self._fail(InstallError(
                f"iienv: could not switch the environment of add-on {self.env.name!r} to the "
                f"new install ({describe(exc)}); the environment is unchanged"
            ))  # fmt: skip
            return
        self._report("done", f"installed into {self.result.name}", 1.0)
        self._done()

    def _fail(self, error: InstallError) -> None:
        remove_tree(self.staging)
        self.error = error
        phase = "cancelled" if isinstance(error, InstallCancelledError) else "failed"
        self._report(phase, str(error).split("\n", 1)[0], 1.0)
        self._done()

    def _done(self) -> None:
        on_done, self._on_done = self._on_done, None
        if on_done is not None:
            on_done()

    def _report(self, phase: str, message: str, fraction: float) -> None:
        self.progress = Progress(phase, message, fraction)
        if self._callback is not None:
            self._callback(self.progress)


def installed_versions(site_dir: Path) -> dict[str, str]:
    """Canonical distribution name -> version, as importlib.metadata sees ``site_dir``."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions(path=[str(site_dir)]):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist.version)
    return found


def verify(site_dir: Path, request: CheckedRequest) -> str | None:
    """Why ``site_dir`` does not satisfy ``request``, or None if it does."""
    found = installed_versions(site_dir)
    wanted: list[Requirement] = list(request.requirements)
    for wheel in request.wheels:
        name, version = wheel_name_and_version(wheel)
        wanted.append(Requirement(f"{name}=={version}"))
    wanted += request.locked
    for req in wanted:
        if req.marker is not None and not req.marker.evaluate():
            continue
        have = found.get(canonicalize_name(req.name))
        if have is None:
            return f"{req.name} is not in the new environment"
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            return f"{req.name} {have} does not satisfy {req}"
    return None


def commit_generation(
    env: Environment,
    staging: Path,
    record: dict[str, object],
    lock: AbstractContextManager[object],
    used_elsewhere: Callable[[str], bool] = lambda generation: False,
) -> Path:
    """Rename a verified staging dir into place and switch to it (the state file rename).

    The generation directory is in place before ``state.json`` names it, so a
    kill between the two leaves the old state pointing at the old generation.
    The old generation is deleted only if nothing loaded from it is in use, in
    this process or (``used_elsewhere``: a lease) in another one.
    """
    with lock:
        new_site = env.next_generation_dir()
        rename(staging, new_site, f"the new install of {env.name!r}")
        old_site, old_record = env.site_dir, env.request
        env.site_dir, env.request = new_site, record
        try:
            env.save_state()
        except OSError:
            env.site_dir, env.request = old_site, old_record
            remove_tree(new_site)
            raise
        env.rescan()
        retire = old_site.parent == env.home and old_site not in env.dirty_site_dirs
        in_use = (getattr(m, "__file__", None) or "" for m in env.modules.values())
        retire = retire and not used_elsewhere(old_site.name)
        if retire and not any(is_under(path, old_site) for path in in_use):
            remove_tree(old_site, delays=())  # what a loaded library holds: the next start
    return new_site
