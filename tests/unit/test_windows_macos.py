"""Install, update, purge, uninstall and start-up under Windows and macOS semantics (issue 17).

Windows cannot run here: tests/simulated_os.py gives this process (and worker
processes) the rules Windows applies — a loaded library and its folders cannot
move or go, an open file cannot be replaced, ``os.kill(pid, 0)`` raises
``OSError`` for a dead pid, locks are mandatory — and these tests check that
iienv's remedies, keyed on those failures, hold: no raw ``OSError``, nothing
lost, nothing left after the next start. The real Windows runners of
``.github/workflows/tests.yml`` run the same suite without the fake.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from iienv_addon.core.errors import EnvironmentExistsError, InstallError, SiteDirError
from iienv_addon.core.layout import REMOVED_MARKER, new_dir_name
from iienv_addon.core.locks import LOCK_DIR, Locks
from tests.helpers import REPO, WHEELHOUSE, tree_listing, write_package
from tests.simulated_os import ENV_VAR, WindowsSim
from tests.versions import NEW_MSGPACK, OLD_MSGPACK

OFFLINE = {"find_links": [str(WHEELHOUSE)], "no_index": True}
# msgpack: a small compiled package, two versions per Python (tests/versions.py)
SPEEDUPS_OWNER = """
from msgpack import _cmsgpack   # a compiled module: a library mapped from the generation

def roundtrip(value):
    return _cmsgpack.unpackb(_cmsgpack.Packer().pack(value))

def version():
    import importlib.metadata, msgpack
    return importlib.metadata.version("msgpack"), msgpack.__file__
"""


@pytest.fixture
def sim(tmp_path: Path):
    layer = WindowsSim(tmp_path).install()
    yield layer
    layer.uninstall()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "envs"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def next_start(root: Path, sim_dir: Path) -> dict[str, object]:
    """A new Blender process starting on ``root`` (under the same fake): what it sees."""
    code = (
        "import json, sys\n"
        "from tests.simulated_os import install_from_environment\n"
        "install_from_environment()\n"
        "from iienv_addon.core import Manager\n"
        "m = Manager(sys.argv[1])\n"
        "print(json.dumps({'envs': [e.name for e in m.environments()],\n"
        "  'broken': [b.name for b in m.broken()], 'pending': m.pending_deletion()}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**_env(), ENV_VAR: f"windows:{sim_dir}"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _env() -> dict[str, str]:
    import os

    return dict(os.environ, PYTHONPATH=str(REPO))


# ---- start-up with a dead process's debris -------------------------------------
def test_start_up_clears_a_dead_process_debris(sim: WindowsSim, root: Path) -> None:
    """os.kill(dead pid, 0) raises OSError on Windows: liveness comes from the env lock."""
    manager = Manager(root)
    manager.create("a", owners=["debris_owner"])
    pid = dead_pid()
    with pytest.raises(OSError) as raised:  # the fake behaves as Windows does
        __import__("os").kill(pid, 0)
    assert not isinstance(raised.value, ProcessLookupError)
    left_new = root / f".new-a-{pid}-deadbeef"
    (left_new / "gen-1").mkdir(parents=True)
    left_tmp = root / "a" / f"state.json.tmp-{pid}"
    left_tmp.write_text("{half", encoding="utf-8")
    left_trash = root / ".trash-b-0123abcd"
    (left_trash / "gen-1").mkdir(parents=True)

    again = Manager(root)  # the next start: no raw OSError, debris gone
    assert [e.name for e in again.environments()] == ["a"] and again.broken() == []
    assert not left_new.exists() and not left_tmp.exists() and not left_trash.exists()


def test_start_up_leaves_a_live_creators_work_alone(sim: WindowsSim, root: Path) -> None:
    """A .new-* dir whose environment lock another process holds is being created: kept."""
    Manager(root)
    building = root / new_dir_name("c", "feedf00d")
    (building / "gen-1").mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from tests.simulated_os import install_from_environment\n"
            "install_from_environment()\n"
            "from pathlib import Path\n"
            "from iienv_addon.core.locks import Locks\n"
            "Locks(Path(sys.argv[1])).exclusive('c', 'created')\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n",
            str(root),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**_env(), ENV_VAR: f"windows:{root.parent}"},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        Manager(root)
        assert building.is_dir(), "a live process's create was deleted"
    finally:
        holder.communicate("", timeout=30)
    Manager(root)
    assert not building.exists()  # its creator is gone now: debris


# ---- state.json replaced while another Blender reads it ---------------------------
def test_state_replacement_waits_for_a_short_read(sim: WindowsSim, root: Path) -> None:
    manager = Manager(root)
    manager.create("s", owners=["state_owner"])
    state = root / "s" / "state.json"
    with sim.reading(state, seconds=0.25):  # a redraw elsewhere holds it for a moment
        manager.add_owner("s", "state_helper")
    assert any(r.startswith("replace") and "state.json" in r for r in sim.refusals), sim.refusals
    assert json.loads(state.read_text())["owners"] == ["state_helper", "state_owner"]
    assert sorted(p.name for p in (root / "s").iterdir()) == ["gen-1", "state.json"]


def test_state_replacement_refused_for_good_changes_nothing(sim: WindowsSim, root: Path) -> None:
    manager = Manager(root)
    manager.create("s", owners=["state_owner"])
    state = root / "s" / "state.json"
    before = tree_listing(root)
    with sim.reading(state), pytest.raises(SiteDirError) as raised:
        manager.add_owner("s", "state_helper")
    message = str(raised.value)
    assert "another program holds" in message and "nothing changed" in message, message
    assert manager.get("s").owners == {"state_owner"}
    assert tree_listing(root) == before  # no state.json.tmp-<pid> left behind


def test_install_switch_refused_for_good_leaves_the_environment(
    sim: WindowsSim, root: Path
) -> None:
    manager = Manager(root)
    manager.create("s", owners=["state_owner"])
    manager.install("s", ["six==1.16.0"], **OFFLINE)
    before = tree_listing(root)
    with sim.reading(root / "s" / "state.json"), pytest.raises(InstallError) as raised:
        manager.install("s", ["six==1.17.0"], **OFFLINE)
    assert "another program holds" in str(raised.value), raised.value
    assert "OSError" not in str(raised.value) and "Errno" not in str(raised.value)
    assert tree_listing(root) == before
    assert manager.install("s", ["six==1.17.0"], **OFFLINE).name == "gen-3"  # free again


# ---- a loaded library in the environment -------------------------------------------
def _with_loaded_library(manager: Manager, name: str, owner_dir: Path, owner: str) -> None:
    """Environment ``name`` with the older msgpack, its compiled ``_cmsgpack`` loaded."""
    write_package(owner_dir, owner, SPEEDUPS_OWNER)
    manager.create(name, owners=[owner])
    manager.install(name, [f"msgpack=={OLD_MSGPACK}"], **OFFLINE)
    assert importlib.import_module(owner).roundtrip([1, "a"]) == [1, "a"]


def test_uninstall_with_a_loaded_library_completes_and_the_next_start_clears(
    sim: WindowsSim, root: Path, owner_dir: Path, tmp_path: Path
) -> None:
    with Manager(root) as manager:
        _with_loaded_library(manager, "speedups", owner_dir, "speedups_owner")
        manager.remove("speedups")  # refused before: the loaded .so held the folders
        assert manager.find("speedups") is None
        assert any("loaded" in r for r in sim.refusals), sim.refusals
        home = root / "speedups"
        assert (home / REMOVED_MARKER).is_file() and not (home / "state.json").exists()
        left = [p for p in home.rglob("*") if p.is_file() and p.name != REMOVED_MARKER]
        assert left and all("_cmsgpack" in p.name for p in left), left  # only what is loaded
        pending = manager.pending_deletion()
        assert pending["speedups"] == sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        assert pending["speedups"] > 10_000  # the library itself
        assert not list((root / LOCK_DIR).glob("speedups.*")), "lock or lease files left"

        # Enabled again in the same session: a new generation, never the loaded path
        manager.create("speedups", owners=["speedups_owner"])
        site = manager.install("speedups", [f"msgpack=={NEW_MSGPACK}"], **OFFLINE)
        assert (root / "speedups" / REMOVED_MARKER).exists() is False
        assert site.name != "gen-1"
        assert "speedups_owner" not in sys.modules  # the uninstall took the add-on out
        assert importlib.import_module("speedups_owner").version()[0] == NEW_MSGPACK
        assert importlib.import_module("speedups_owner").roundtrip({"b": 2}) == {"b": 2}

    seen = next_start(root, tmp_path)  # a new Blender: nothing of the old install left
    assert seen == {"envs": ["speedups"], "broken": [], "pending": {}}
    current = json.loads((root / "speedups" / "state.json").read_text())["site_dir"]
    assert current != "gen-1"  # (disable's purge moved it on: a library was loaded)
    assert sorted(p.name for p in (root / "speedups").iterdir()) == [current, "state.json"]


def test_uninstall_alone_is_cleared_at_the_next_start(
    sim: WindowsSim, root: Path, owner_dir: Path, tmp_path: Path
) -> None:
    with Manager(root) as manager:
        _with_loaded_library(manager, "gone", owner_dir, "speedups_owner2")
        manager.remove("gone")
        assert manager.pending_deletion()["gone"] > 0
    assert next_start(root, tmp_path) == {"envs": [], "broken": [], "pending": {}}
    assert not (root / "gone").exists()
    assert not list((root / LOCK_DIR).glob("gone.*"))


def test_update_with_a_loaded_library_keeps_the_old_generation_until_the_next_start(
    sim: WindowsSim, root: Path, owner_dir: Path, tmp_path: Path
) -> None:
    write_package(owner_dir, "speedups_owner3", SPEEDUPS_OWNER)
    with Manager(root) as manager:
        manager.create("upd", owners=["speedups_owner3"])
        first = manager.install("upd", [f"msgpack=={OLD_MSGPACK}"], **OFFLINE)
        assert importlib.import_module("speedups_owner3").version()[0] == OLD_MSGPACK
        manager.install("upd", [f"msgpack=={NEW_MSGPACK}"], **OFFLINE)
        manager.purge("upd")  # the old generation's library stays loaded: it stays
        assert first.is_dir()
        env = manager.get("upd")
        assert env.leftover_bytes() > 0
        assert importlib.import_module("speedups_owner3").version()[0] == NEW_MSGPACK
    seen = next_start(root, tmp_path)
    assert seen["envs"] == ["upd"] and not first.exists()


# ---- names -------------------------------------------------------------------------
def test_names_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    layer = WindowsSim(tmp_path, case_insensitive=True).install()
    try:
        root = tmp_path / "envs"
        manager = Manager(root)
        manager.create("Tools", owners=["tools_owner"])
        assert (root / "tools").is_dir()  # the fake folds case, as NTFS and APFS do
        with pytest.raises(EnvironmentExistsError, match="'Tools' only in case"):
            manager.create("tools", owners=["tools_lower_owner"])
        assert [e.name for e in manager.environments()] == ["Tools"]
    finally:
        layer.uninstall()


# ---- lock files ----------------------------------------------------------------------
def test_uninstall_leaves_no_lock_or_lease_files(root: Path) -> None:
    manager = Manager(root)
    manager.create("tidy", owners=["tidy_owner"])
    manager.install("tidy", ["six==1.16.0"], **OFFLINE)
    assert list((root / LOCK_DIR).glob("tidy.*"))
    manager.remove("tidy")
    assert not list((root / LOCK_DIR).glob("tidy.*"))


def test_a_lock_file_deleted_by_an_uninstall_is_not_held_twice(root: Path) -> None:
    """A handle opened before another process deleted the lock file is not the lock any more.

    Locking it would succeed (on the deleted file) while a third process locks
    the path's new file: two holders. The lock is taken on the path's file.
    """
    locks = Locks(root)
    path = locks.env_lock_path("x")
    assert locks.try_exclusive("x", "installed")
    locks.release("x")  # this process keeps the file open (POSIX locks need that)
    path.unlink()  # another process's uninstall deletes it (locks.forget)
    assert locks.try_exclusive("x", "installed")
    try:
        assert path.exists(), "locked the deleted file, not the path's"
        assert path.read_text().startswith(f"{__import__('os').getpid()} installed")
    finally:
        locks.release("x")


def test_threads_do_not_see_the_fake_outside_its_root(sim: WindowsSim, tmp_path: Path) -> None:
    """The fake refuses only under its directory: the rest of the process is untouched."""
    outside = Path(sys.prefix)
    assert not sim._mine(str(outside))
    done = []
    worker = threading.Thread(target=lambda: done.append(__import__("os").path.isdir(outside)))
    worker.start()
    worker.join()
    assert done == [True]


# ---- macOS: binaries without a suffix ------------------------------------------------
def test_a_fresh_generation_copies_binaries_that_have_no_suffix(tmp_path: Path) -> None:
    """A framework binary (``Qt.framework/Versions/A/Qt``) must be a new file, not a link.

    The Mach-O file is faked (its first bytes: macOS cannot run here); the ELF
    executable without a suffix is a real one (this interpreter's binary).
    """
    import os
    import shutil

    from iienv_addon.core.environment import copy_generation

    site = tmp_path / "site"
    framework = site / "PySide6" / "Qt" / "lib" / "QtCore.framework" / "Versions" / "A"
    framework.mkdir(parents=True)
    (framework / "QtCore").write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 64)  # 64-bit Mach-O
    (site / "PySide6" / "__init__.py").write_text("", encoding="utf-8")
    (site / "PySide6" / "helper").write_bytes(Path(os.path.realpath(sys.executable)).read_bytes())
    shutil.copymode(os.path.realpath(sys.executable), site / "PySide6" / "helper")
    (site / "PySide6" / "LICENSE").write_text("text without a suffix", encoding="utf-8")
    target = tmp_path / "gen-2"
    copy_generation(site, target)

    def same_file(rel: str) -> bool:
        return os.path.samefile(site / rel, target / rel)

    assert not same_file("PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore")
    assert not same_file("PySide6/helper")
    assert same_file("PySide6/__init__.py") and same_file("PySide6/LICENSE")  # linked: fast


# ---- long paths ----------------------------------------------------------------------
LXML = "lxml==5.3.2"  # longest member: 91 characters (lxml/isoschematron/resources/xsl/...)


def test_a_wheel_too_long_for_the_root_is_refused_before_pip(
    sim: WindowsSim, tmp_path: Path
) -> None:
    """Under a root as long as a deep Windows profile, lxml's longest file passes 260."""
    from iienv_addon.core.path_limits import longest_member

    member = longest_member(next(WHEELHOUSE.glob("lxml-5.3.2-*.whl")))
    name = "bl_ext.user_default.xml_tools"
    # <root>/<name>/.st-xxxxxx/<member> = 265 characters: Windows' 259 do not hold it
    depth = 265 - len(member) - len(name) - len("/.st-xxxxxx/") - len(str(tmp_path)) - 1
    root = tmp_path / ("profile" + "x" * (depth - len("profile")))
    manager = Manager(root)
    manager.create(name, owners=[name])
    before = tree_listing(root)
    with pytest.raises(InstallError) as raised:
        manager.install(name, [LXML], **OFFLINE)
    message = str(raised.value)
    assert "lxml-5.3.2-" in message and "characters" in message and member in message
    assert "LongPathsEnabled" in message and "IIENV_ENVIRONMENTS" in message, message
    assert "Nothing was installed" in message
    assert tree_listing(root) == before  # pip never ran: no staging dir, no generation

    short = Manager(tmp_path / "short")  # the advice: a shorter folder
    short.create(name, owners=[name])
    site = short.install(name, [LXML], **OFFLINE)
    assert (site / member).is_file()


def test_pips_own_long_path_failure_gets_the_same_advice() -> None:
    """What pip prints on Windows when a path passes 260 (pip/_internal/commands/install.py)."""
    from iienv_addon.core.pip_errors import diagnose

    output = [
        "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or "
        "directory: 'C:\\\\Users\\\\artist\\\\AppData\\\\...\\\\iso_schematron_skeleton.xsl'",
        "HINT: This error might have occurred since this system does not have Windows Long "
        "Path support enabled. You can find information on how to enable this at "
        "https://pip.pypa.io/warnings/enable-long-paths",
    ]
    message = diagnose("xml_tools", output, 1, offline=False)
    assert "longer than this system allows" in message and "LongPathsEnabled" in message


# ---- library search paths -------------------------------------------------------------
CV2_OWNER = """
import cv2
import numpy

def ok():
    return int(cv2.countNonZero(numpy.ones((3, 3), numpy.uint8)))
"""


def test_search_path_edits_of_an_environment_are_undone_at_purge(
    root: Path, owner_dir: Path, site_cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real opencv prepends <site>/cv2/../../lib64 to LD_LIBRARY_PATH (PATH on Windows)."""
    import os

    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/studio/lib")  # the user's own: kept
    write_package(owner_dir, "cv_owner", CV2_OWNER)
    with Manager(root) as manager:
        manager.create("cv", owners=["cv_owner"], site_dir=site_cache.fresh_copy("opencv-new"))
        for _ in range(3):  # import, purge, again: nothing accumulates
            assert importlib.import_module("cv_owner").ok() == 9
            entries = os.environ["LD_LIBRARY_PATH"].split(os.pathsep)
            assert len(entries) == 2 and entries[1] == "/opt/studio/lib", entries
            assert "cv2" in entries[0]
            result = manager.purge("cv")
            assert result.search_paths_removed == [f"LD_LIBRARY_PATH={entries[0]}"]
            assert os.environ["LD_LIBRARY_PATH"] == "/opt/studio/lib"
        monkeypatch.delenv("LD_LIBRARY_PATH")  # a variable the environment created goes too
        importlib.import_module("cv_owner")
        assert os.environ.get("LD_LIBRARY_PATH", "").endswith(os.pathsep)
        manager.purge("cv")
        assert "LD_LIBRARY_PATH" not in os.environ


DELVEWHEEL_PACKAGE = """
import os

def _delvewheel_patch():  # what delvewheel writes into a patched wheel's __init__.py
    libs_dir = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, "dllpkg.libs"))
    if os.path.isdir(libs_dir):
        os.add_dll_directory(libs_dir)

_delvewheel_patch()
del _delvewheel_patch
"""


def test_dll_directories_of_an_environment_are_closed_at_purge(
    sim: WindowsSim, root: Path, owner_dir: Path, tmp_path: Path
) -> None:
    """os.add_dll_directory is faked (Windows only); the handle a delvewheel patch drops is
    closed when the environment is purged, and a directory of Blender's stays."""
    import os

    site = tmp_path / "dll-site"
    write_package(site, "dllpkg", DELVEWHEEL_PACKAGE)
    (site / "dllpkg.libs").mkdir()
    write_package(owner_dir, "dll_owner", "import dllpkg\n")
    blenders = os.add_dll_directory(str(tmp_path))  # type: ignore[attr-defined]
    with Manager(root) as manager:
        manager.create("dll", owners=["dll_owner"], site_dir=site)
        importlib.import_module("dll_owner")
        libs = str((site / "dllpkg.libs").resolve())
        assert sim.dll_directories == [str(tmp_path), libs]
        result = manager.purge("dll")
        assert result.search_paths_removed == [f"dll directory {libs}"]
        assert sim.dll_directories == [str(tmp_path)]
        blenders.close()


# ---- Windows' disk-full ---------------------------------------------------------------
def test_windows_disk_full_is_named() -> None:
    """WinError 112 (ERROR_DISK_FULL), from pip's output and from iienv's own file work."""
    import errno

    from iienv_addon.core.pip_errors import diagnose
    from iienv_addon.core.sharing import describe, is_disk_full

    output = [
        "ERROR: Could not install packages due to an OSError: [WinError 112] There is not "
        "enough space on the disk: 'C:\\\\Users\\\\artist\\\\...\\\\_multiarray_umath.pyd'"
    ]
    assert "the disk is full" in diagnose("full_addon", output, 1, offline=True)
    # what Windows raises: errno EINVAL is what CPython sets for an unmapped code; the
    # winerror decides (a fake: OSError has .winerror only on Windows builds)
    exc = OSError(errno.EINVAL, "There is not enough space on the disk")
    exc.winerror = 112  # type: ignore[attr-defined]
    assert is_disk_full(exc) and "the disk is full" in describe(exc)


def test_purge_whose_state_cannot_be_written_says_so_and_keeps_the_files(
    sim: WindowsSim, root: Path, owner_dir: Path
) -> None:
    """A purge that must record a fresh copy while state.json is held for good."""
    with Manager(root) as manager:
        _with_loaded_library(manager, "held", owner_dir, "speedups_owner4")
        before = sorted(p.name for p in (root / "held").iterdir())
        with sim.reading(root / "held" / "state.json"), pytest.raises(SiteDirError) as raised:
            manager.purge("held")
        assert "another program holds" in str(raised.value) and "purge it again" in str(
            raised.value
        )
        assert sorted(p.name for p in (root / "held").iterdir()) == before  # no half copy
        with pytest.raises(SiteDirError, match="could not be copied"):  # never the old files
            importlib.import_module("speedups_owner4")
        manager.purge("held")  # free again: the fresh copy is made and recorded
        assert importlib.import_module("speedups_owner4").roundtrip([1, "a"]) == [1, "a"]
