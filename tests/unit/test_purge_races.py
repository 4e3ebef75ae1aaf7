"""Issue 18 item 7: purges concurrent with imports of the same add-ons.

Four environments, each with an add-on whose submodules import the
environment's ``collide`` package (Blender has its own): importer threads load
the add-on's submodules again and again (each purge takes them out of
``sys.modules``, so the next import is a real load), call into them, and read
their modules; one thread purges a random environment every few milliseconds.
Every import must give the thread its module from its environment, or a clear
``IienvError`` — never a raw ``KeyError`` from importlib (``_load_unlocked``
pops the module it has just executed: a purge that took it out mid-load made
that fail).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from tests.helpers import run_python, write_package

ENVS = 4
SUBMODULES = 6
IMPORTS = int(os.environ.get("IIENV_PURGE_RACE_IMPORTS", "100000"))

SUBMODULE = """
import time
import collide
time.sleep(0.002)   # a body that takes a while: purges land in the middle of loads
from collide import part

def origin():
    import collide.part as again   # an import statement of the add-on's code at call time
    return collide.ORIGIN, part.ORIGIN, again.ORIGIN
"""

RACE = """
import importlib, random, sys, threading, time, traceback
sys.path.insert(0, sys.argv[1])
import collide as host_collide
from iienv_addon.core import Manager
from iienv_addon.core.errors import IienvError

envs, subs, wanted, seed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
m = Manager(sys.argv[2]); m.enable()
for k in range(envs):
    m.create(f"e{k}", owners=[f"race{k}"], site_dir=f"{sys.argv[3]}/e{k}")
PURGES = 300
lock = threading.Lock()
counts = {"imports": 0, "clear": 0, "purges": 0, "purge_busy": 0}
raw, wrong, clear_kinds = [], [], set()
stop = threading.Event()

def importer(rng):
    while not stop.is_set():
        k, j = rng.randrange(envs), rng.randrange(subs)
        name = f"race{k}.m{j}"
        try:
            module = importlib.import_module(name)
            got = module.origin()
            if got != (f"e{k}",) * 3:
                wrong.append((name, got))
        except IienvError as exc:   # clear, actionable: allowed
            with lock:
                counts["clear"] += 1
                clear_kinds.add(type(exc).__name__)
        except BaseException as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            raw.append((name, repr(exc), f"{where.filename}:{where.lineno} {where.line}"))
        with lock:
            counts["imports"] += 2   # the add-on's submodule, and its call-time import
            if counts["imports"] >= wanted and counts["purges"] >= PURGES:
                stop.set()
        if sys.modules["collide"] is not host_collide:
            wrong.append(("global collide", sys.modules["collide"]))

rng = random.Random(seed)
threads = [threading.Thread(target=importer, args=(random.Random(rng.random()),))
           for _ in range(12)]
for t in threads:
    t.start()
deadline = time.monotonic() + 300
while not stop.is_set() and time.monotonic() < deadline:
    time.sleep(rng.uniform(0.002, 0.02))
    try:
        m.purge(f"e{rng.randrange(envs)}", report=False)
        with lock:
            counts["purges"] += 1
    except IienvError:
        counts["purge_busy"] += 1
    except BaseException as exc:
        raw.append(("purge", repr(exc), ""))
stop.set()
for t in threads:
    t.join(60)
print("RESULT", counts, "raw", len(raw), raw[:3], "wrong", len(wrong), wrong[:3],
      "clear", sorted(clear_kinds))
m.disable()
"""


def _collide(root: Path, origin: str) -> None:
    write_package(root, "collide", f"ORIGIN = {origin!r}\n")
    (root / "collide" / "part.py").write_text(f"ORIGIN = {origin!r}\n")


def test_randomized_purges_against_imports_never_give_a_raw_error(tmp_path: Path) -> None:
    host, sites, addons = tmp_path / "host", tmp_path / "sites", tmp_path / "host"
    _collide(host, "host")
    for k in range(ENVS):
        _collide(sites / f"e{k}", f"e{k}")
        package = write_package(addons, f"race{k}", "")
        for j in range(SUBMODULES):
            (package / f"m{j}.py").write_text(SUBMODULE)
    proc = run_python(
        RACE, str(host), str(tmp_path / "root"), str(sites), str(ENVS), str(SUBMODULES),
        str(IMPORTS), "18", timeout=600,
    )  # fmt: skip
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    print(line)
    counts = ast.literal_eval(line.split("RESULT ", 1)[1].split(" raw")[0])
    assert " raw 0 []" in line and " wrong 0 []" in line, line
    assert counts["imports"] >= IMPORTS, counts
    assert counts["purges"] >= 300, counts
    # (allowed by the rule, but a sign of a closer waiting for a thread that could not
    # go on: import_gate._can_run follows chains of module locks)
    assert counts["clear"] == 0, line
