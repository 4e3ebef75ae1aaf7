"""Issue 3: environments installed, updated and removed through real pip, atomically.

Issue 20: the tests marked EACH_INSTALLER run with real uv too (its errors read as pip's).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from iienv_addon.core import InstallError, Manager
from iienv_addon.core.errors import (
    InstallCancelledError,
    InvalidNameError,
    InvalidRequirementError,
    SiteDirError,
    UnknownEnvironmentError,
)
from iienv_addon.core.install_tools import InstallerSettings
from iienv_addon.core.installer import InstallJob, Progress, installed_versions
from iienv_addon.core.requirements import check_request
from tests.helpers import (
    EACH_INSTALLER,
    REPO,
    WHEELHOUSE,
    kill_hard,
    process_gone,
    script_executable,
    tiny_wheel,
    tree_listing,
    write_package,
)
from tests.numpy_probe import PROBE_SOURCE, check_errors, check_exercise
from tests.versions import NEW_NUMPY, OLD_NUMPY, UPDATE_NUMPY

OFFLINE = {"find_links": [str(WHEELHOUSE)], "no_index": True}
# how a killed pip is reported: its signal on POSIX, TerminateProcess's exit code on Windows
KILLED_PIP = "(pip|uv) failed" if sys.platform == "win32" else "stopped by signal 9"


@pytest.fixture
def manager(tmp_path: Path, wheelhouse: Path, settings: InstallerSettings):
    m = Manager(tmp_path / "root", installer=settings)
    m.enable()
    yield m
    m.disable()


def _staging_dirs(root: Path) -> list[Path]:
    return [p for p in root.glob("*/.st-*")]


@EACH_INSTALLER
def test_install_two_numpys_offline_then_update_while_loaded(
    manager: Manager, owner_dir: Path
) -> None:
    write_package(owner_dir, "inst_a", PROBE_SOURCE)
    write_package(owner_dir, "inst_b", PROBE_SOURCE)
    manager.create("a", owners=["inst_a"])
    manager.create("b", owners=["inst_b"])
    phases: list[Progress] = []
    manager.install("a", [f"numpy=={OLD_NUMPY}"], progress=phases.append, **OFFLINE)
    site_b = manager.install("b", [f"numpy=={NEW_NUMPY}"], **OFFLINE)
    seen = [p.phase for p in phases]
    assert seen[0] == "preparing" and seen[-1] == "done"
    for phase in ("collecting", "installing", "verifying", "switching"):
        assert phase in seen
    fractions = [p.fraction for p in phases]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    a = importlib.import_module("inst_a")
    b = importlib.import_module("inst_b")
    check_exercise(a.exercise(), OLD_NUMPY, str(manager.get("a").site_dir))
    check_exercise(b.exercise(), NEW_NUMPY, str(site_b))

    # Update B while its numpy is loaded: B keeps working from the old generation.
    new_site = manager.install("b", [f"numpy=={UPDATE_NUMPY}"], **OFFLINE)
    assert new_site != site_b and site_b.is_dir()  # still loaded, so still on disk
    assert manager.get("b").site_dir == new_site
    check_exercise(b.exercise(), NEW_NUMPY, str(site_b))
    check_errors(b.raise_errors(), manager.get("b").modules, NEW_NUMPY)
    importlib.import_module("inst_b")  # cached: same module, same numpy
    assert b.np.__version__ == NEW_NUMPY

    del b
    manager.purge("b")
    assert not site_b.exists(), "the old generation is removed once nothing is loaded from it"
    b2 = importlib.import_module("inst_b")
    assert b2.np.__version__ == UPDATE_NUMPY
    assert b2.np.__file__.startswith(str(new_site))
    check_errors(b2.raise_errors(), manager.get("b").modules, UPDATE_NUMPY)
    check_exercise(a.exercise(), OLD_NUMPY, str(manager.get("a").site_dir))  # A untouched


def _install_six(manager: Manager, owner_dir: Path) -> Path:
    write_package(owner_dir, "inst_six", "import six\nVERSION = six.__version__\n")
    manager.create("six", owners=["inst_six"])
    return manager.install("six", ["six==1.16.0"], **OFFLINE)


@EACH_INSTALLER
def test_failed_install_leaves_previous_generation(manager: Manager, owner_dir: Path) -> None:
    site = _install_six(manager, owner_dir)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("six", ["six==9.9.9"], **OFFLINE)
    message = str(info.value)
    assert "'six'" in message and "no wheel of six 9.9.9 for Python" in message
    assert "versions with wheels: 1.16.0, 1.17.0" in message and "unchanged" in message
    assert f"--- {manager.installer_settings.choice} said ---" in message
    assert tree_listing(manager.root) == before
    assert manager.get("six").site_dir == site
    assert importlib.import_module("inst_six").VERSION == "1.16.0"


@EACH_INSTALLER
def test_killed_pip_leaves_previous_generation(manager: Manager, owner_dir: Path) -> None:
    site = _install_six(manager, owner_dir)
    before = tree_listing(manager.root)
    job = manager.start_install("six", [f"numpy=={OLD_NUMPY}", "six==1.17.0"], **OFFLINE)
    assert job.pid is not None
    while not any(p.is_dir() for p in _staging_dirs(manager.root)):
        time.sleep(0.01)
    if manager.installer_settings.choice == "pip":
        time.sleep(0.5)  # let pip get going (uv would be done by then: ~0.15 s)
    kill_hard(job.pid)
    with pytest.raises(InstallError, match=KILLED_PIP):
        job.wait()
    assert tree_listing(manager.root) == before
    assert manager.get("six").site_dir == site
    assert importlib.import_module("inst_six").VERSION == "1.16.0"


@EACH_INSTALLER
def test_cancel_kills_pip_and_rolls_back(manager: Manager, owner_dir: Path) -> None:
    _install_six(manager, owner_dir)
    before = tree_listing(manager.root)
    phases: list[str] = []
    job = manager.start_install(
        "six", [f"numpy=={OLD_NUMPY}"], progress=lambda p: phases.append(p.phase), **OFFLINE
    )
    while "collecting" not in phases:
        job.poll()
    job.cancel()
    with pytest.raises(InstallCancelledError, match="cancelled"):
        job.wait()
    assert phases[-1] == "cancelled"
    assert tree_listing(manager.root) == before


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="a process group (os.killpg) is POSIX; test_kills covers Windows",
)
def test_killed_blender_process_leaves_no_debris_after_next_start(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """The whole process (Blender, here a Python) dies mid-install, pip with it."""
    root = tmp_path / "root"
    m = Manager(root)
    m.create("six", owners=["dying"])
    site = m.install("six", ["six==1.16.0"], **OFFLINE)
    before = tree_listing(root)
    code = (
        "import sys, time\nfrom iienv_addon.core import Manager\n"
        f"m = Manager({str(root)!r})\n"
        f"job = m.start_install('six', ['numpy=={OLD_NUMPY}'], find_links=[{str(WHEELHOUSE)!r}],"
        " no_index=True)\nprint(job.pid, flush=True)\ntime.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        start_new_session=True,
    )
    assert proc.stdout is not None
    pip_pid = int(proc.stdout.readline())
    time.sleep(1.0)
    assert _staging_dirs(root), "pip should be writing into a staging dir"
    os.killpg(proc.pid, signal.SIGKILL)  # Blender and its pip child, like a crash
    proc.wait()
    for _ in range(100):  # pip is in the same session, so it died too
        try:
            os.kill(pip_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    again = Manager(root)
    assert _staging_dirs(root) == []
    assert tree_listing(root) == before
    assert again.get("six").site_dir == site


BAD_REQUESTS = [
    ({"requirements": ["-r /etc/passwd"]}, "looks like a pip option"),
    ({"requirements": ["--index-url=http://evil/simple"]}, "looks like a pip option"),
    ({"requirements": ["numpy @ https://example.com/numpy.whl"]}, "not allowed unless"),
    ({"requirements": ["not a requirement!!"]}, "not valid PEP 508"),
    ({"requirements": [""]}, "not a requirement string"),
    ({"requirements": [42]}, "not a requirement string"),
    ({"requirements": ["six\n--pre"]}, "line break"),
    ({"requirements": "six==1.16.0"}, "expected a list"),
    ({"wheels": ["/no/such/file-1.0-py3-none-any.whl"]}, "does not exist"),
    ({"wheels": ["BAD_WHEEL"]}, "does not fit this Blender's Python"),
    ({"wheels": ["NOT_A_WHEEL"]}, "is not a wheel file name"),
    ({"requirements": ["six"], "find_links": ["/no/such/dir"]}, "does not exist"),
    ({"requirements": ["six"], "find_links": ["--evil"]}, "must be a directory"),
    ({"lock_file": "/no/such/lock.txt"}, "lock file"),
    ({}, "nothing to install"),
]


@pytest.mark.parametrize(("kwargs", "expected"), BAD_REQUESTS)
def test_bad_requests_are_refused_before_pip(
    manager: Manager, tmp_path: Path, kwargs: dict, expected: str
) -> None:
    manager.create("target", owners=["some_addon"])
    bad_wheel = tmp_path / "thing-1.0-cp27-cp27m-win32.whl"
    bad_wheel.write_bytes(b"not really a wheel")
    not_a_wheel = tmp_path / "thing.zip"
    not_a_wheel.write_bytes(b"zip")
    if "wheels" in kwargs:
        kwargs = {
            **kwargs,
            "wheels": [
                {"BAD_WHEEL": str(bad_wheel), "NOT_A_WHEEL": str(not_a_wheel)}.get(w, w)
                for w in kwargs["wheels"]
            ],
        }
    before = tree_listing(manager.root)
    with pytest.raises(InvalidRequirementError) as info:
        manager.start_install("target", **kwargs)
    assert expected in str(info.value) and "'target'" in str(info.value)
    assert tree_listing(manager.root) == before


def test_bad_environment_names_and_unknown_environment(manager: Manager) -> None:
    before = tree_listing(manager.root)
    for name in ("../escape", "/abs/path", "a/b", ".."):
        with pytest.raises(InvalidNameError):
            manager.create(name, owners=["x"])
    with pytest.raises(UnknownEnvironmentError):
        manager.install("missing", ["six"], **OFFLINE)
    assert tree_listing(manager.root) == before
    assert not (manager.root.parent / "escape").exists()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@EACH_INSTALLER
def test_lock_file_with_hashes_refuses_a_tampered_wheel(
    manager: Manager, tmp_path: Path, owner_dir: Path
) -> None:
    site = _install_six(manager, owner_dir)
    wheel = WHEELHOUSE / "six-1.17.0-py2.py3-none-any.whl"
    lock = tmp_path / "iienv.lock"
    lock.write_text(f"six==1.17.0 \\\n    --hash=sha256:{_sha256(wheel)}\n")
    good = manager.install("six", lock_file=lock, **OFFLINE)
    assert good != site
    assert (good / "six-1.17.0.dist-info").is_dir()

    tampered_dir = tmp_path / "tampered"  # the same name, other bytes (still a valid wheel)
    tampered_dir.mkdir()
    tiny_wheel(tampered_dir / wheel.name, "six", "1.17.0", {"six.py": b"print('not six')\n"})
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("six", lock_file=lock, find_links=[tampered_dir], no_index=True)
    assert "does not match the hash" in str(info.value)
    assert tree_listing(manager.root) == before

    unhashed = tmp_path / "unhashed.lock"
    unhashed.write_text("six==1.17.0\n")
    unhashed_message = re.escape("line 1: 'six==1.17.0' has no --hash")
    with pytest.raises(InvalidRequirementError, match=unhashed_message):
        manager.install("six", lock_file=unhashed, **OFFLINE)
    assert tree_listing(manager.root) == before


BAD_LOCKS = [
    (
        "--index-url http://127.0.0.1:9/simple\nsix==1.17.0 --hash=sha256:{h}\n",
        "line 1: '--index-url'",
    ),
    ("-r /etc/passwd\n", "line 1: '-r' is a pip option"),
    ("# ok\nsix==1.17.0 \\\n    --hash=sha256:{h}\n-e .\n", "line 4: '-e' is a pip option"),
    ("six>=1.16 --hash=sha256:{h}\n", "'six>=1.16' is not pinned"),
    (
        "six==1.17.0 --hash=sha256:{h} --index-url=http://x\n",
        "'--index-url=http://x' is not allowed",
    ),
    ("./six-1.17.0-py2.py3-none-any.whl --hash=sha256:{h}\n", "not valid PEP 508"),
    ("six @ https://example.invalid/six.whl --hash=sha256:{h}\n", "installs from a URL"),
    ("\n# nothing\n", "pins nothing"),
]


@pytest.mark.parametrize(("content", "expected"), BAD_LOCKS)
def test_lock_files_are_checked_line_by_line(
    manager: Manager, tmp_path: Path, content: str, expected: str
) -> None:
    """Options inside a lock file, unpinned or unhashed lines, paths: refused before pip."""
    manager.create("locked", owners=["locked_addon"])
    lock = tmp_path / "bad.lock"
    lock.write_text(content.format(h="0" * 64))
    before = tree_listing(manager.root)
    with pytest.raises(InvalidRequirementError, match=re.escape(expected)):
        manager.start_install("locked", lock_file=lock, **OFFLINE)
    assert tree_listing(manager.root) == before


def test_lock_file_that_is_not_text_is_refused(manager: Manager, tmp_path: Path) -> None:
    manager.create("locked", owners=["locked_addon"])
    lock = tmp_path / "binary.lock"
    lock.write_bytes(b"\xff\xfe six==1")
    with pytest.raises(InvalidRequirementError, match="cannot be read as UTF-8"):
        manager.start_install("locked", lock_file=lock, **OFFLINE)


@EACH_INSTALLER
def test_no_network_and_no_wheelhouse(
    manager: Manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real pip against an index that cannot be reached (a closed port on this machine)."""
    manager.create("net", owners=["net_addon"])
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "1")  # with 0, pip says nothing about the network
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("net", ["six==1.16.0"])
    message = str(info.value)
    assert "could not be reached" in message and "find_links" in message
    assert tree_listing(manager.root) == before


@EACH_INSTALLER
def test_wheel_file_install_and_uninstall(manager: Manager, owner_dir: Path) -> None:
    write_package(owner_dir, "wheel_owner", "import six\nVERSION = six.__version__\n")
    manager.create("w", owners=["wheel_owner"])
    other = _install_six(manager, owner_dir)
    site = manager.install("w", wheels=[WHEELHOUSE / "six-1.17.0-py2.py3-none-any.whl"])
    assert importlib.import_module("wheel_owner").VERSION == "1.17.0"
    other_before = tree_listing(other)
    removed = manager.remove("w")
    assert "six" in removed and "wheel_owner" in removed
    assert not site.exists() and not (manager.root / "w").exists()
    assert tree_listing(other) == other_before
    assert importlib.import_module("inst_six").VERSION == "1.16.0"
    assert [e.name for e in manager.environments()] == ["six"]


@EACH_INSTALLER
def test_disk_full_is_named_and_leaves_environment(
    small_disk: Path, owner_dir: Path, settings: InstallerSettings
) -> None:
    manager = Manager(small_disk / "root", installer=settings)
    _install_six(manager, owner_dir)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("six", [f"numpy=={OLD_NUMPY}"], **OFFLINE)
    assert "the disk is full" in str(info.value) and "'six'" in str(info.value)
    assert tree_listing(manager.root) == before


DRY_PYTHON = """
# pip that exits 0 without installing anything: real pip, told --dry-run
import subprocess, sys
dry = ["--dry-run"] if "install" in sys.argv else []
sys.exit(subprocess.call([{python!r}, *sys.argv[1:], *dry]))
"""


@EACH_INSTALLER
def test_conflicting_requirements(manager: Manager, owner_dir: Path) -> None:
    _install_six(manager, owner_dir)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        # metaprobe 2.0 depends on six 1.17.0
        manager.install("six", ["metaprobe==2.0", "six==1.16.0"], **OFFLINE)
    assert "the requirements conflict with each other" in str(info.value), info.value
    assert tree_listing(manager.root) == before


def test_pip_that_installs_nothing_is_caught_by_verification(
    manager: Manager, tmp_path: Path
) -> None:
    """pip exits 0 without installing: verified, refused."""
    env = manager.create("dry", owners=["dry_addon"])
    manager.install("dry", ["six==1.16.0"], **OFFLINE)
    before = tree_listing(manager.root)
    python = script_executable(tmp_path / "dry-python", DRY_PYTHON.format(python=sys.executable))
    request = check_request("dry", ["six==1.17.0"], [], [str(WHEELHOUSE)], None)
    job = InstallJob(env, request, commit=lambda staging: staging, no_index=True, python=python)
    with pytest.raises(InstallError, match="six is not in the new environment"):
        job.start().wait()
    assert tree_listing(manager.root) == before


def test_the_users_pip_configuration_cannot_send_packages_elsewhere(
    manager: Manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blender ignores the user's Python configuration; what pip installs ignores it too.

    A real pip reads a real pip.conf with ``user = true``, ``dry-run``, ``no-deps``,
    a prefix and a constraints file, plus the same as PIP_* variables and a
    PYTHONHOME of no Python: the environment still gets what was asked. Where
    packages come from stays the user's (also test_no_network_and_no_wheelhouse).
    """
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("six==1.16.0\n", encoding="utf-8")
    config = tmp_path / "xdg" / "pip" / "pip.conf"  # the user's own pip.conf
    config.parent.mkdir(parents=True)
    config.write_text(
        f"[install]\nuser = true\ndry-run = true\nno-deps = true\nprefix = {tmp_path}/p\n"
        f"[global]\nconstraint = {constraints}\nrequire-virtualenv = true\n"
        f"find-links = {WHEELHOUSE}\nno-index = true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)  # (this machine's; it would win)
    monkeypatch.setenv("PIP_USER", "1")
    monkeypatch.setenv("PIP_NO_DEPS", "1")
    monkeypatch.setenv("PIP_CONSTRAINT", str(constraints))
    monkeypatch.setenv("PYTHONHOME", str(tmp_path / "no-such-python-home"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    manager.create("cfg", owners=["cfg_addon"])
    site = manager.install("cfg", ["metaprobe==2.0"], **OFFLINE)  # depends on six 1.17.0
    assert installed_versions(site) == {"metaprobe": "2.0", "six": "1.17.0"}
    assert not (tmp_path / "p").exists()
    # where packages come from is still the user's: the file's find-links and no-index
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.setenv("PIP_RETRIES", "0")
    site = manager.install("cfg", ["metaprobe==1.0"])  # (only in the wheelhouse)
    assert installed_versions(site) == {"metaprobe": "1.0", "six": "1.16.0"}


SPAWNING_PYTHON = """
# a pip stand-in that starts a child (as a source build starts its backend) and waits
import subprocess, sys, time
if "config" in sys.argv:  # (pip config list: iienv asks for the user's index settings)
    sys.exit(0)
child = subprocess.Popen(
    [{python!r}, "-c", "import time; time.sleep(120)"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
open({pid_file!r}, "w").write(str(child.pid))
print("Collecting six", flush=True)
time.sleep(120)
"""


def test_cancel_ends_pips_children_too(manager: Manager, tmp_path: Path) -> None:
    env = manager.create("tree", owners=["tree_addon"])
    pid_file = tmp_path / "child.pid"
    python = script_executable(
        tmp_path / "spawning-python",
        SPAWNING_PYTHON.format(python=sys.executable, pid_file=str(pid_file)),
    )
    request = check_request("tree", ["six"], [], [], None)
    job = InstallJob(env, request, commit=lambda staging: staging, python=python).start()
    deadline = time.monotonic() + 30
    while not (pid_file.is_file() and pid_file.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child = int(pid_file.read_text())
    job.cancel()
    with pytest.raises(InstallCancelledError):
        job.wait()
    deadline = time.monotonic() + 10
    while not process_gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(child), "pip's child outlived the cancel"


KILL_AT_FIRST_RENAME = """
import os, sys
sys.path.insert(0, sys.argv[3])
from iienv_addon.core import Manager

real_rename = os.rename
def rename_then_die(src, dst):      # the process is killed right after the first rename
    real_rename(src, dst)
    os._exit(9)
os.rename = rename_then_die         # (the generation's rename; state.json is an os.replace)
manager = Manager(sys.argv[1])
manager.install("k", ["six==1.17.0"], find_links=[sys.argv[2]], no_index=True)
"""


def test_a_kill_inside_the_switch_leaves_the_old_generation_current(
    manager: Manager, tmp_path: Path, owner_dir: Path
) -> None:
    """The new generation is renamed into place before state.json names it, not after."""
    write_package(owner_dir, "kill_owner", "import six\n")
    manager.create("k", owners=["kill_owner"])
    manager.install("k", ["six==1.16.0"], **OFFLINE)
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AT_FIRST_RENAME, str(manager.root), str(WHEELHOUSE), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 9, proc.stderr
    manager.disable()  # one manager per process owns kill_owner
    again = Manager(manager.root)  # the next start
    assert again.broken() == []
    again.enable()
    try:
        assert importlib.import_module("kill_owner").six.__version__ == "1.16.0"
        assert [p.name for p in again.get("k").generations()] == ["gen-2"]  # debris cleared
    finally:
        again.disable()


def test_purge_on_a_full_disk_says_so_and_changes_nothing(
    small_disk: Path, owner_dir: Path
) -> None:
    """A purge after a shared library was loaded copies the packages; the disk is full."""
    write_package(owner_dir, "full_owner", "import msgpack\nVERSION = msgpack.version\n")
    manager = Manager(small_disk / "root")
    manager.enable()
    try:
        manager.create("full", owners=["full_owner"])
        manager.install("full", ["msgpack==1.1.0"], **OFFLINE)
        assert importlib.import_module("full_owner").VERSION == (1, 1, 0)  # .so loaded
        filler = small_disk / "filler"
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler.write_bytes(b"\0" * (free - 64 * 1024))
        before = tree_listing(manager.root)
        with pytest.raises(SiteDirError, match="free disk space and purge it again"):
            manager.purge("full")
        assert tree_listing(manager.root) == before  # no half copy left behind
        with pytest.raises(SiteDirError, match="could not be copied for a fresh load"):
            importlib.import_module("full_owner")  # a clear error, not numpy's or msgpack's
        write_package(owner_dir, "fresh_global", "")
        worker = threading.Thread(target=importlib.import_module, args=("fresh_global",))
        worker.start()  # the refused import left CPython's import lock free
        worker.join(20)
        assert not worker.is_alive() and "fresh_global" in sys.modules
        filler.unlink()
        manager.purge("full")
        assert importlib.import_module("full_owner").VERSION == (1, 1, 0)
    finally:
        manager.disable()
        sys.modules.pop("full_owner", None)


def test_no_python_with_pip_is_the_jobs_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As before uv: start_install returns a failed job (the UI records it), it does not raise."""
    from iienv_addon.core import install_tools
    from iienv_addon.core.errors import InterpreterNotFoundError

    def nothing_found() -> str:
        raise InterpreterNotFoundError("iienv: cannot find a Python 3.x with pip (test)")

    monkeypatch.setattr(install_tools, "pip_python", nothing_found)
    manager = Manager(tmp_path / "root", installer=InstallerSettings("pip"))
    manager.create("nopip", owners=["nopip_owner"])
    before = tree_listing(manager.root)
    job = manager.start_install("nopip", ["six==1.17.0"], **OFFLINE)
    assert job.done and isinstance(job.error, InterpreterNotFoundError)
    assert job.progress.phase == "failed"
    assert tree_listing(manager.root) == before
