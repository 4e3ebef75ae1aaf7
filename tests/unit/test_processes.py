"""Many Blenders on one profile (issue 9): processes never take each other's packages away.

Each "Blender" is a real process with its own manager over one environments
root (tests/process_worker.py), installing with real pip from the wheelhouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from iienv_addon.core import Manager
from tests.helpers import REPO, WHEELHOUSE, write_package
from tests.simulated_os import simulated_windows

OWNER = """
import six

def six_version():
    return six.__version__

def late():
    import metaprobe   # first imported long after the add-on loaded
    return metaprobe.__version__
"""

OFFLINE = {"find_links": [str(WHEELHOUSE)], "no_index": True}


class Worker:
    def __init__(self, root: Path, addons: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.process_worker", str(root), str(addons), str(WHEELHOUSE)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"worker died: {self.proc.stderr.read() if self.proc.stderr else ''}")
        return json.loads(line)

    def ok(self, command: str) -> Any:
        answer = self.ask(command)
        assert "ok" in answer, answer
        return answer["ok"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.ask_quietly("quit")
            self.proc.wait(30)

    def ask_quietly(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()


@pytest.fixture(params=["posix", "windows"])
def shared(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One environment on a root shared by workers; "windows": every process (this one and
    the workers) under the simulated Windows semantics (tests/simulated_os.py)."""
    with contextlib.ExitStack() as rules:
        if request.param == "windows":
            rules.enter_context(simulated_windows(tmp_path, monkeypatch))
        root = tmp_path / "root"
        addons = tmp_path / "addons"
        write_package(addons, "proc_owner", OWNER)
        manager = Manager(root)
        manager.enable()
        manager.create("shared", owners=["proc_owner"])
        manager.install("shared", ["metaprobe==1.0"], **OFFLINE)  # brings six 1.16.0
        manager.disable()  # this process lets go of it: only the workers hold it
        workers: list[Worker] = []

        def start() -> Worker:
            worker = Worker(root, addons)
            workers.append(worker)
            return worker

        yield root, start
        for worker in workers:
            worker.close()


def test_update_by_another_process_keeps_this_ones_generation(shared) -> None:
    root, start = shared
    a = start()
    assert a.ok("import") == "ok" and a.ok("six") == "1.16.0"
    (first,) = a.ok("generations")

    b = start()
    second = b.ok("install metaprobe==2.0")  # six 1.17.0
    assert second != first
    assert a.ok("updated_elsewhere") is True and b.ok("updated_elsewhere") is False
    assert (root / "shared" / first).is_dir(), "B deleted the generation A runs on"
    assert a.ok("late") == "1.0"  # A's first import of metaprobe, from its own generation

    c = start()  # a third Blender starting meanwhile must not delete A's generation either
    assert (root / "shared" / first).is_dir()
    c.ok("import")
    assert c.ok("six") == "1.17.0"

    a.ok("purge")  # A takes the new generation; B's current one survives A's purge
    assert (root / "shared" / second).is_dir()
    a.ok("import")
    assert a.ok("six") == "1.17.0" and a.ok("late") == "2.0"
    assert json.loads((root / "shared" / "state.json").read_text())["site_dir"] == second
    assert not (root / "shared" / first).exists()  # nobody leases it any more: gone


def test_two_installs_at_once_the_second_is_told_busy(shared) -> None:
    _, start = shared
    a, b = start(), start()
    assert a.ok("start_install metaprobe==2.0") == "started"
    answer = b.ask("install six==1.16.0")
    assert "BusyError" in answer["error"], answer
    assert f"being installed by another Blender (pid {a.pid})" in answer["error"]
    finished = a.ok("wait")
    assert b.ok("install six==1.16.0") != finished  # free again once A is done


def test_remove_while_another_process_uses_it_is_refused(shared) -> None:
    root, start = shared
    a, b = start(), start()
    a.ok("import")
    answer = b.ask("remove")
    assert "BusyError" in answer["error"] and f"pid {a.pid}" in answer["error"], answer
    assert (root / "shared" / "state.json").is_file()
    assert a.ok("late") == "1.0"
    a.ok("purge")
    assert b.ok("remove") >= 0
    assert not (root / "shared").exists()


def test_a_dead_process_lease_does_not_block(shared) -> None:
    root, start = shared
    a = start()
    a.ok("import")
    (first,) = a.ok("generations")
    a.proc.kill()  # (Popen.kill: TerminateProcess on Windows, SIGKILL here)
    a.proc.wait(30)
    b = start()
    b.ok("install metaprobe==2.0")
    assert not (root / "shared" / first).exists()  # its only user died: retired
    assert not list((root / ".locks").glob(f"*.{a.pid}.*")), "the dead process's leases stay"
