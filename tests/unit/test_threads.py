"""Must-show 7 of issue 2: threads importing global modules while an environment imports numpy."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SiteCache, run_python, write_package
from tests.versions import NEW_NUMPY

SCENARIO = """
import importlib, sys, threading
from tests.versions import NEW_NUMPY
sys.path.insert(0, sys.argv[1])
import numpy as host
from iienv_addon.core import Manager

ROUNDS, THREADS, MODULES = int(sys.argv[4]), 8, 12
m = Manager(sys.argv[2]); m.enable()
env = m.create("b", owners=["threaded_owner"], site_dir=sys.argv[3])
host_numpy_entries = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "numpy"}
leaks = []

def worker(t, start):
    start.wait()
    for k in range(MODULES):
        name = f"gmod_{t}_{k}"
        sys.modules.pop(name, None)
        mod = importlib.import_module(name)  # a fresh import of global code, every round
        if mod.NUMPY is not host or mod.LINALG is not host.linalg:
            leaks.append((name, getattr(mod.NUMPY, "__file__", None)))

for round_ in range(ROUNDS):
    start = threading.Event()
    threads = [threading.Thread(target=worker, args=(t, start)) for t in range(THREADS)]
    for th in threads:
        th.start()
    start.set()
    sys.modules.pop("threaded_owner", None)
    owner = importlib.import_module("threaded_owner")  # cold numpy 2.4.6 import in env b
    for th in threads:
        th.join()
    assert owner.numpy.__version__ == NEW_NUMPY, owner.numpy.__version__
    assert owner.numpy.__file__.startswith(str(env.site_dir))
    stray = [n for n, mod in sys.modules.items()
             if (getattr(mod, "__file__", "") or "").startswith(str(env.site_dir))]
    assert not stray, ("environment modules left in sys.modules", stray[:5])
    wrong = [n for n, mod in env.modules.items()
             if getattr(mod, "__file__", None) and not mod.__file__.startswith(str(env.site_dir))]
    assert not wrong, ("global modules in the environment's table", wrong[:5])
    now = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "numpy"}
    assert now == host_numpy_entries, "host numpy entries changed"
    m.purge("b")  # so the next round imports numpy cold again
assert not leaks, leaks[:5]
print("ok timeouts=%d" % m._overlay.quiesce_timeouts)
m.disable()
"""


def test_threaded_global_imports_never_see_an_environment(
    tmp_path: Path, site_cache: SiteCache
) -> None:
    addons = tmp_path / "addons"
    write_package(addons, "threaded_owner", "import numpy\nimport numpy.linalg\n")
    for t in range(8):
        for k in range(12):
            (addons / f"gmod_{t}_{k}.py").write_text(
                "import json, decimal\nimport numpy\nimport numpy.linalg\n"
                "NUMPY = numpy\nLINALG = numpy.linalg\n"
            )
    site = site_cache.fresh_copy("np-new")
    proc = run_python(SCENARIO, str(addons), str(tmp_path / "root"), str(site), "6")
    assert "ok" in proc.stdout
    print(proc.stdout)


QUIESCENCE = """
import importlib, sys, threading, time
sys.path.insert(0, sys.argv[1])
import colliding as host_colliding          # the host's copy, already loaded
from iienv_addon.core import Manager

m = Manager(sys.argv[2]); m.enable()
m.create("q", owners=["quiet_owner"], site_dir=sys.argv[3])
import gate

def global_import():
    importlib.import_module("slow_global")  # its body runs 0.5 s, then imports colliding

thread = threading.Thread(target=global_import)
thread.start()
gate.entered.wait(10)
importlib.import_module("quiet_owner")      # env q loads its own colliding, for 1 s
thread.join(10)
import slow_global
print("host" if slow_global.COLLIDING is host_colliding else "LEAK", m._overlay.quiesce_timeouts)
"""


def test_activation_waits_for_a_module_body_running_in_another_thread(tmp_path: Path) -> None:
    """Without the wait for other threads' module locks, the global import below leaks."""
    addons, site = tmp_path / "addons", tmp_path / "site"
    write_package(addons, "gate", "import threading\nentered = threading.Event()\n")
    write_package(addons, "colliding", "WHO = 'host'\n")
    write_package(
        addons,
        "slow_global",
        "import time, gate\ngate.entered.set()\ntime.sleep(0.5)\nimport colliding\n"
        "COLLIDING = colliding\n",
    )
    write_package(addons, "quiet_owner", "import colliding, slow_env\n")
    write_package(site, "colliding", "WHO = 'env'\n")
    write_package(site, "slow_env", "import time\ntime.sleep(1.0)\n")
    proc = run_python(QUIESCENCE, str(addons), str(tmp_path / "root"), str(site))
    assert proc.stdout.split() == ["host", "0"], proc.stdout


PURGE_DURING_IMPORT = """
import importlib, sys, threading, time
sys.path.insert(0, sys.argv[1])
from iienv_addon.core import Manager

m = Manager(sys.argv[2]); m.enable()
m.create("p", owners=["busy_owner"], site_dir=sys.argv[3])
import gate
errors = []

def load():
    try:
        importlib.import_module("busy_owner.sub")   # its body takes 0.5 s
    except BaseException as exc:
        errors.append(repr(exc))

thread = threading.Thread(target=load)
thread.start()
gate.entered.wait(10)
removed = m.purge("p")                               # while the import runs
thread.join(10)
print("ok" if not errors else errors, "busy_owner.sub" in removed)
"""


def test_purge_waits_for_another_threads_import_of_the_same_addon(tmp_path: Path) -> None:
    addons, site = tmp_path / "addons", tmp_path / "site"
    write_package(addons, "gate", "import threading\nentered = threading.Event()\n")
    write_package(addons, "busy_owner", "")
    (addons / "busy_owner" / "sub.py").write_text(
        "import time, gate, colliding\ngate.entered.set()\ntime.sleep(0.5)\n"
    )
    write_package(site, "colliding", "WHO = 'env'\n")
    proc = run_python(PURGE_DURING_IMPORT, str(addons), str(tmp_path / "root"), str(site))
    assert proc.stdout.split() == ["ok", "True"], proc.stdout


BLOCKED_ON_ME = """
import importlib, sys, threading, time
sys.path.insert(0, sys.argv[1])
import colliding as host_colliding
from iienv_addon.core import Manager
from iienv_addon.core.import_gate import GATE

m = Manager(sys.argv[2]); m.enable()
m.create("q", owners=["quiet_owner"], site_dir=sys.argv[3])
import gate
got = []

def second():                      # waits for the main thread's import of `outer`
    gate.entered.wait(10)
    got.append(importlib.import_module("outer"))

thread = threading.Thread(target=second)
thread.start()
started = time.monotonic()
import outer                        # holds outer's module lock, then loads the environment
thread.join(20)
print(outer.COLLIDING.WHO, got[0] is outer, m._overlay.quiesce_timeouts,
      "fast" if time.monotonic() - started < 5 else "slow")
"""


def test_activation_does_not_wait_for_a_thread_blocked_on_its_own_import(tmp_path: Path) -> None:
    """A thread waiting for a module lock the activating thread holds cannot run module
    code before the activation ends: waiting for it would stall until the give-up."""
    addons, site = tmp_path / "addons", tmp_path / "site"
    write_package(addons, "gate", "import threading\nentered = threading.Event()\n")
    write_package(addons, "colliding", "WHO = 'host'\n")
    write_package(
        addons,
        "outer",
        "import time, gate\ngate.entered.set()\ntime.sleep(0.3)\n"
        "import quiet_owner\nimport colliding\nCOLLIDING = colliding\n",
    )
    write_package(addons, "quiet_owner", "import colliding\n")
    write_package(site, "colliding", "WHO = 'env'\n")
    proc = run_python(BLOCKED_ON_ME, str(addons), str(tmp_path / "root"), str(site))
    assert proc.stdout.split() == ["host", "True", "0", "fast"], proc.stdout + proc.stderr


LATE_LOAD = """
import importlib, sys, threading
sys.path.insert(0, sys.argv[1])
import colliding as host_colliding
from iienv_addon.core import Manager

m = Manager(sys.argv[2]); m.enable()
m.create("q", owners=["quiet_owner"], site_dir=sys.argv[3])
import gate
got = []

def late():                         # starts a load while the environment is laid out
    gate.laid.wait(10)
    got.append(importlib.import_module("late_global").COLLIDING.WHO)

thread = threading.Thread(target=late)
thread.start()
import quiet_owner
thread.join(10)
print(got[0], quiet_owner.colliding.WHO)
"""


def test_a_load_started_while_an_environment_is_laid_out_waits_at_the_gate(
    tmp_path: Path,
) -> None:
    """Without the gate, the global module loaded meanwhile gets the environment's module."""
    addons, site = tmp_path / "addons", tmp_path / "site"
    write_package(addons, "gate", "import threading\nlaid = threading.Event()\n")
    write_package(addons, "colliding", "WHO = 'host'\n")
    write_package(addons, "quiet_owner", "import colliding, slow_env\n")
    write_package(addons, "late_global", "import colliding\nCOLLIDING = colliding\n")
    write_package(site, "colliding", "WHO = 'env'\n")
    write_package(site, "slow_env", "import time, gate\ngate.laid.set()\ntime.sleep(0.5)\n")
    proc = run_python(LATE_LOAD, str(addons), str(tmp_path / "root"), str(site))
    assert proc.stdout.split() == ["host", "env"], proc.stdout + proc.stderr


def test_an_install_inside_an_addon_import_lets_other_environments_load(
    tmp_path: Path, site_cache: SiteCache
) -> None:
    """An add-on's environment is installed during Blender's import of the add-on (pip, for
    seconds or minutes). Another add-on's thread loading its environment meanwhile must not
    wait for that whole load (it gave up after 10 s with QuiescenceError in Blender 4.3)."""
    import importlib
    import sys
    import threading

    from iienv_addon.core import Manager
    from tests.helpers import WHEELHOUSE

    addons = tmp_path / "addons"
    write_package(addons, "busy_owner", "import six\n")
    write_package(addons, "other_owner", "import numpy\nimport numpy.linalg\n")
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    other: dict[str, object] = {}

    def load_other() -> None:
        try:
            other["numpy"] = importlib.import_module("other_owner").numpy.__version__
        except BaseException as exc:
            other["error"] = exc

    def on_progress(progress: object) -> None:
        if other or getattr(progress, "phase", "") in ("preparing", "collecting"):
            return  # (reported before pip runs); from here on, inside the install's wait
        worker = threading.Thread(target=load_other)
        worker.start()
        worker.join(30)  # the install (and the busy add-on's load) goes on only after it
        if worker.is_alive():
            other["error"] = "still waiting after 30 s"

    def prepare(env: object) -> None:
        if getattr(env, "name", None) == "busy":
            manager.install(
                "busy", ["six==1.17.0"], find_links=[WHEELHOUSE], no_index=True,
                progress=on_progress,
            )  # fmt: skip

    manager.prepare_owner = prepare
    manager.enable()
    try:
        manager.create("busy", owners=["busy_owner"])
        manager.create("other", owners=["other_owner"], site_dir=site_cache.fresh_copy("np-new"))
        assert importlib.import_module("busy_owner").six.__version__ == "1.17.0"
        assert "error" not in other, other["error"]
        assert other["numpy"] == NEW_NUMPY
    finally:
        manager.disable()
        sys.path.remove(str(addons))
        for name in ("busy_owner", "other_owner"):
            sys.modules.pop(name, None)
