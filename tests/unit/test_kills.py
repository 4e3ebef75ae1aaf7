"""SIGKILL at random points (issue 9): the next start recovers every time, and the add-on works.

Each trial copies a prepared environments root, runs one operation in a
child process (a Blender stand-in), kills it with SIGKILL after a random
delay inside the operation, then starts a manager on the root as the next
Blender would. CI runs IIENV_KILL_TRIALS (default 4) trials per operation;
``make stress`` runs 50.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import REPO, WHEELHOUSE, write_package
from tests.simulated_os import simulated_windows
from tests.versions import NEW_MSGPACK, OLD_MSGPACK

TRIALS = int(os.environ.get("IIENV_KILL_TRIALS", "4"))
OFFLINE = {"find_links": [str(WHEELHOUSE)], "no_index": True}
# msgpack.version after a trial: the old one, or the new one of an update that finished
VERSIONS = {tuple(int(x) for x in v.split(".")) for v in (OLD_MSGPACK, NEW_MSGPACK)}

CHILD = """
import sys
sys.path.insert(0, sys.argv[2])
from tests.simulated_os import install_from_environment
install_from_environment()                  # IIENV_SIMULATE_OS: Windows' file rules
from iienv_addon.core import Manager
from tests.versions import NEW_MSGPACK, OLD_MSGPACK
root, addons, operation, wheelhouse = sys.argv[1], sys.argv[3], sys.argv[4], sys.argv[5]
sys.path.insert(0, addons)
offline = {"find_links": [wheelhouse], "no_index": True}
m = Manager(root)
m.enable()
if operation in ("purge", "uninstall"):
    import kill_owner                       # loads msgpack's shared library: purge copies
print("ready", flush=True)
if operation == "install":
    m.install("k", [f"msgpack=={OLD_MSGPACK}", "networkx==3.4.2"], **offline)
elif operation == "update":
    m.install("k", [f"msgpack=={NEW_MSGPACK}", "networkx==3.4.2"], **offline)
elif operation == "purge":
    for _ in range(50):
        m.purge("k")
        import kill_owner
elif operation == "uninstall":
    m.remove("k")
elif operation == "create":
    for i in range(200):
        m.create(f"new{i}", owners=[f"new_owner_{i}"])
print("done", flush=True)
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("kills")
    addons = base / "addons"
    write_package(addons, "kill_owner", "import msgpack\nVERSION = msgpack.version\n")
    empty, installed = base / "empty", base / "installed"
    Manager(empty).create("k", owners=["kill_owner"])
    manager = Manager(installed)
    manager.create("k", owners=["kill_owner"])
    manager.install("k", [f"msgpack=={OLD_MSGPACK}", "networkx==3.4.2"], **OFFLINE)  # ~600 files
    prepared = {"addons": addons, "empty": empty, "installed": installed}
    for operation in OPERATIONS:  # each once, unkilled: the kills land inside its duration
        root = base / f"rehearsal-{operation}"
        shutil.copytree(empty if operation == "install" else installed, root)
        WINDOW[operation] = _run(root, addons, operation, kill_after=None)
    return prepared


OPERATIONS = ["install", "update", "purge", "uninstall", "create"]
WINDOW: dict[str, float] = {}


def _run(root: Path, addons: Path, operation: str, kill_after: float | None) -> float:
    """Run the operation in a child; kill it ``kill_after`` s in. Returns its duration."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(REPO), str(addons), operation,
         str(WHEELHOUSE)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    started = time.monotonic()
    if kill_after is None:
        assert child.stdout.readline().strip() == "done"
        child.wait(60)
        return time.monotonic() - started
    time.sleep(kill_after)
    child.kill()  # SIGKILL; TerminateProcess on Windows
    child.wait(60)
    return time.monotonic() - started


def _debris(root: Path) -> list[str]:
    found = [p.name for p in root.glob(".trash-*")] + [p.name for p in root.glob(".new-*")]
    found += [str(p.relative_to(root)) for p in root.glob("*/.st-*")]
    found += [str(p.relative_to(root)) for p in root.glob("*/state.json.tmp-*")]
    return found


@pytest.fixture(params=["posix", "windows"])
def os_rules(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """ "windows": the child and the next start under Windows' file rules (simulated_os.py):
    an uninstall whose library is loaded then takes the deferred path, killed anywhere."""
    if request.param == "posix":
        yield request.param
        return
    with simulated_windows(tmp_path, monkeypatch):
        yield request.param


@pytest.mark.parametrize("operation", OPERATIONS)
def test_sigkill_at_random_points_recovers_at_next_start(
    operation: str, prepared: dict[str, Path], tmp_path: Path, os_rules: str
) -> None:
    source = prepared["empty"] if operation == "install" else prepared["installed"]
    rng = random.Random(f"{operation}-{TRIALS}-{os_rules}")
    sys.path.insert(0, str(prepared["addons"]))
    try:
        for trial in range(TRIALS):
            root = tmp_path / f"trial-{trial}"
            shutil.copytree(source, root)
            _run(root, prepared["addons"], operation, rng.uniform(0, WINDOW[operation]))
            manager = Manager(root)  # the next start
            assert manager.broken() == [], (trial, manager.broken())
            assert _debris(root) == [], (trial, _debris(root))
            manager.enable()
            try:
                if manager.find("k") is None:  # removed whole: the name is free again
                    assert operation == "uninstall", trial
                    manager.create("k", owners=["kill_owner"])
                    manager.install("k", [f"msgpack=={OLD_MSGPACK}"], **OFFLINE)
                elif not (manager.get("k").site_dir / "msgpack").is_dir():
                    assert operation == "install", trial  # never installed: still empty
                    manager.install("k", [f"msgpack=={OLD_MSGPACK}"], **OFFLINE)
                import kill_owner

                assert kill_owner.VERSION in VERSIONS, (trial, kill_owner.VERSION)
                if operation == "create":
                    for env in manager.environments():
                        assert env.site_dir.is_dir(), (trial, env)
            finally:
                manager.disable()
                sys.modules.pop("kill_owner", None)
    finally:
        sys.path.remove(str(prepared["addons"]))
