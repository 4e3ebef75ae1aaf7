"""sys.modules as seen by the code that asks (core/module_view.py), and explicit blocks.

The host (this interpreter) has numpy 1.24.4 (3.11) or 2.5.5 (3.13); the
environments have the newer and the older numpy of tests/versions.py. numpy 2's
``Generator.multivariate_normal`` imports ``numpy.linalg`` from compiled code at
every call, reading ``sys.modules`` directly: the lookup every test here watches.
"""

from __future__ import annotations

import ast
import importlib
import pickle
import sys
import threading
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from iienv_addon.core.module_view import VIEWS, ModuleTable
from tests.helpers import SiteCache, run_python, write_package
from tests.versions import NEW_NUMPY, OLD_NUMPY

OWNER = """
import importlib, sys, threading
import numpy as np

def version_by_name():
    return importlib.import_module("numpy").__version__

def sample():
    rng = np.random.default_rng(0)   # numpy 2: multivariate_normal imports numpy.linalg per call
    return rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]).shape

def read_table():
    return sys.modules["numpy"], sys.modules.get("numpy.linalg"), "numpy" in sys.modules

def call(fn):        # this add-on's frame, then someone else's code
    return fn()

def builtin_import(name):   # CPython's own __import__, as compiled code and lazy loaders call it
    import builtins
    builtins.__import__(name)
    return sys.modules[name]

def in_thread(fn):
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join(timeout=60)
    return out, worker.is_alive()
"""

GLOBAL_CODE = """
import importlib, sys

def version_by_name():   # global code (another add-on) called from an add-on's code
    return importlib.import_module("numpy").__version__

def read_table():
    return sys.modules["numpy"]

def call(fn):
    return fn()
"""


@pytest.fixture
def world(tmp_path: Path, site_cache: SiteCache):
    import numpy as host_numpy

    addons = tmp_path / "addons"
    write_package(addons, "mv_a", OWNER)
    write_package(addons, "mv_b", OWNER)
    write_package(addons, "mv_global", GLOBAL_CODE)
    sys.path.insert(0, str(addons))
    manager = Manager(tmp_path / "root")
    manager.enable()
    manager.create("a", owners=["mv_a"], site_dir=site_cache.fresh_copy("numpy-new"))
    manager.create("b", owners=["mv_b"], site_dir=site_cache.fresh_copy("numpy-old"))
    a, b = importlib.import_module("mv_a"), importlib.import_module("mv_b")
    yield manager, a, b, importlib.import_module("mv_global"), host_numpy
    manager.disable()
    sys.path.remove(str(addons))
    for name in ("mv_a", "mv_b", "mv_global"):
        sys.modules.pop(name, None)


def snapshot() -> dict[str, int]:
    return {name: id(module) for name, module in sys.modules.items()}


def test_sys_modules_keeps_its_identity_and_is_a_dict_again_after_disable(tmp_path: Path) -> None:
    table = sys.modules
    assert type(table) is dict
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        assert sys.modules is table and type(table) is ModuleTable
        assert isinstance(table, dict)
    finally:
        manager.disable()
    assert sys.modules is table and type(table) is dict


def test_an_environments_code_reads_its_own_modules_whoever_calls_it(world) -> None:
    """No door, no block: the add-on's frame asks, and its environment answers."""
    _, a, b, _, host_numpy = world
    before = snapshot()
    assert a.sample() == (2,)  # the compiled call-time import of numpy.linalg
    numpy_a, linalg_a, present = a.read_table()
    assert numpy_a.__version__ == NEW_NUMPY and present
    assert linalg_a is numpy_a.linalg
    numpy_b, _, _ = b.read_table()
    assert numpy_b.__version__ == OLD_NUMPY
    # ... while this (global) frame reads Blender's, and nothing was moved for it
    assert sys.modules["numpy"] is host_numpy and "numpy" in sys.modules
    assert sys.modules.get("numpy.linalg") is host_numpy.linalg
    after = snapshot()
    assert {name: after[name] for name in before} == before
    # New entries can only be shared ones: the standard library first imported by the
    # add-on's numpy (secrets, hmac when this test runs alone) and Cython's runtime
    # namespace, which compiled modules create under a fixed name if nobody had yet.
    new = set(after) - set(before)
    assert all(n.partition(".")[0] in sys.stdlib_module_names or n == "cython_runtime" for n in new)


def test_each_frame_decides_across_calls_between_addons(world) -> None:
    _, a, b, global_code, host_numpy = world
    assert a.call(b.version_by_name) == OLD_NUMPY  # b's code called from a's: b's numpy
    assert b.call(a.sample) == (2,)
    assert a.call(global_code.version_by_name) == host_numpy.__version__  # global: its own
    assert a.call(global_code.read_table) is host_numpy
    assert global_code.call(a.version_by_name) == NEW_NUMPY  # called from global code


def test_an_activated_block_is_seen_by_its_thread_only(world) -> None:
    manager, a, _, global_code, host_numpy = world
    inside, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def other() -> None:
        with manager.activated("a"):
            inside.set()
            release.wait(30)
            seen.append(global_code.read_table())  # unmarked code runs as the add-on
            seen.append(sys.modules["numpy"])

    worker = threading.Thread(target=other)
    worker.start()
    assert inside.wait(30)
    assert sys.modules["numpy"] is host_numpy  # this thread: Blender's, block or not
    assert global_code.version_by_name() == host_numpy.__version__
    release.set()
    worker.join(30)
    assert [m.__version__ for m in seen] == [NEW_NUMPY, NEW_NUMPY]
    with manager.activated("a"):
        assert a.call(global_code.version_by_name) == NEW_NUMPY
        with manager.activated("b"):
            assert global_code.version_by_name() == OLD_NUMPY
            assert a.sample() == (2,)  # a's own frame still decides inside b's block
    assert sys.modules["numpy"] is host_numpy


def test_import_statements_in_a_block_resolve_as_import_module(world) -> None:
    """Issue 18, item 4: global code's ``import`` statements inside ``activated()`` get
    what ``importlib.import_module`` gets there — cached, first loads, submodules, from-imports
    — and Blender's modules again after the block."""
    manager, _, _, _, host_numpy = world
    manager.purge("a")  # nothing of a is loaded: the statements below load it
    with manager.activated("a"):
        import numpy  # a first load, by a statement of global code
        import numpy.linalg as linalg
        from numpy import fft

        assert numpy is importlib.import_module("numpy") and numpy.__version__ == NEW_NUMPY
        assert linalg is importlib.import_module("numpy.linalg")
        assert fft is importlib.import_module("numpy.fft")
        assert fft.__file__.startswith(str(manager.get("a").site_dir))
        assert __import__("numpy", fromlist=["random"]).random is numpy.random
        import numpy as again  # cached now

        assert again is numpy
    import numpy as after
    from numpy import fft as fft_after

    assert after is host_numpy and after is not numpy
    assert fft_after is not fft and not fft_after.__file__.startswith(str(manager.root))


def test_thread_started_by_environment_code_reads_its_modules(world) -> None:
    _, a, _, global_code, host_numpy = world
    out, alive = a.in_thread(a.sample)
    assert not alive and out == [(2,)]
    out, alive = a.in_thread(global_code.read_table)  # global code in that thread: its own
    assert not alive and out == [host_numpy]


def _unloaded_host_submodules(host_numpy: object) -> list[str]:
    candidates = [
        "numpy.polynomial.hermite_e", "numpy.polynomial.laguerre", "numpy.polynomial.legendre",
        "numpy.polynomial.chebyshev", "numpy.polynomial.hermite", "numpy.lib.recfunctions",
        "numpy.ma.mrecords", "numpy.lib.scimath", "numpy.testing", "numpy.ma.extras",
    ]  # fmt: skip
    return [name for name in candidates if name not in sys.modules]


def test_global_first_imports_of_host_submodules_while_addon_threads_live(world) -> None:
    """The KeyError chain of issue 16, with an add-on thread alive the whole time.

    Before: a thread of the add-on held a scope for its whole life, Blender's
    numpy was out of sys.modules for everybody, and global code's first import
    of a numpy submodule got its parent back as a transient alias that vanished
    before importlib read ``sys.modules[parent]``: KeyError('numpy'), and the
    submodule was never set on Blender's numpy.
    """
    _, a, b, _, host_numpy = world
    names = _unloaded_host_submodules(host_numpy)
    assert names, "every candidate submodule is loaded already: pick others"
    stop = threading.Event()
    errors: list[BaseException] = []

    def addon_thread(module: object) -> None:
        try:
            while not stop.is_set():
                module.sample()  # type: ignore[attr-defined]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=a.call, args=(lambda: addon_thread(a),))]
    threads.append(threading.Thread(target=b.call, args=(lambda: addon_thread(b),)))
    for thread in threads:
        thread.start()
    try:
        for name in names:
            module = importlib.import_module(name)
            assert module.__file__.startswith(str(Path(host_numpy.__file__).parent)), name
            parent, _, child = name.rpartition(".")
            assert getattr(sys.modules[parent], child) is module  # set on Blender's parent
        rng = host_numpy.random.default_rng(1)  # Blender's own compiled call-time import
        assert rng.multivariate_normal([0.0], [[1.0]], size=2).shape == (2, 1)
        assert pickle.loads(pickle.dumps(host_numpy.arange(3))).tolist() == [0, 1, 2]
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors[:3]


RUNNING_GLOBAL_CODE = """
import importlib, sys, threading, time
sys.path.insert(0, sys.argv[1])
import numpy as host
import numpy.linalg
from iienv_addon.core import Manager

m = Manager(sys.argv[2]); m.enable()
env = m.create("b", owners=["laid_owner"], site_dir=sys.argv[3])
stop = threading.Event()
wrong = []
reads = [0]

def running_global_code():   # already loaded: CPython's lookup, no finder, no gate
    while not stop.is_set():
        import numpy
        import numpy.linalg as linalg
        from numpy import linalg as linalg2
        if numpy is not host or linalg is not host.linalg or linalg2 is not host.linalg:
            wrong.append(getattr(numpy, "__file__", None))
        reads[0] += 1
        if reads[0] % 100 == 0:
            time.sleep(0.0001)  # as real code does now and then (a busy loop starves file I/O)

sys.setswitchinterval(1e-6)  # threads switch as often as CPython lets them: every race shows
thread = threading.Thread(target=running_global_code)
thread.start()
for _ in range(int(sys.argv[4])):
    sys.modules.pop("laid_owner", None)
    importlib.import_module("laid_owner")   # lays numpy out cold, under the other thread
    m.purge("b", report=False)
stop.set()
thread.join()
print("reads", reads[0], "wrong", len(wrong), wrong[:3])
m.disable()
"""


LAID_OWNER = """
import importlib
import numpy
for name in ("polynomial.hermite_e", "polynomial.laguerre", "polynomial.legendre", "testing",
             "polynomial.chebyshev", "polynomial.hermite", "lib.recfunctions", "ma.mrecords"):
    importlib.import_module("numpy." + name)
"""


def test_running_global_code_never_reads_a_laid_out_environment(
    tmp_path: Path, site_cache: SiteCache
) -> None:
    """While one thread lays an environment over sys.modules, code running elsewhere
    keeps reading Blender's modules (the gate holds loads only, not lookups)."""
    addons = tmp_path / "addons"
    # numpy cold, then one activation per submodule, each laying the loaded numpy out again
    write_package(addons, "laid_owner", LAID_OWNER)
    site = site_cache.fresh_copy("np-new")
    proc = run_python(RUNNING_GLOBAL_CODE, str(addons), str(tmp_path / "root"), str(site), "4")
    words = proc.stdout.split()
    assert words[0] == "reads" and int(words[1]) > 0, proc.stdout
    assert words[2:4] == ["wrong", "0"], proc.stdout


def test_views_route_only_while_enabled(world) -> None:
    manager, a, _, _, _ = world
    assert VIEWS.installed
    manager.disable()
    assert not VIEWS.installed and type(sys.modules) is dict
    manager.enable()
    assert a.version_by_name() == NEW_NUMPY


def test_a_compiled_style_import_of_an_unloaded_name_loads_in_the_environment(world) -> None:
    """``builtins.__import__`` (CPython's own, as compiled code and lazy loaders call it) of
    a submodule the environment has not loaded: importlib must not load the environment's
    file as a global module (no marker, in Blender's table: a wrong module for everyone)."""
    manager, a, _, _, _ = world
    env = manager.get("a")
    candidates = ("numpy.ma.mrecords", "numpy.lib.recfunctions", "numpy.testing", "numpy.ctypeslib")
    name = next(n for n in candidates if n not in env.modules)
    blenders = dict.get(sys.modules, name)  # Blender's own, if it loaded it (either way)
    got = a.builtin_import(name)
    assert got is env.modules[name] and got.__iienv__ is env
    assert dict.get(sys.modules, name) is blenders  # Blender's table: as it was


COLLIDING = 40  # submodules of the colliding package


def _colliding_package(root: Path, origin: str) -> None:
    package = root / "collide"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"ORIGIN = {origin!r}\n")
    for index in range(COLLIDING):
        (package / f"m{index:02d}.py").write_text(
            f"from collide import ORIGIN as PARENT\nORIGIN = {origin!r}\n"
        )


STRESS = """
import builtins, importlib, random, sys, threading, time, traceback
sys.path.insert(0, sys.argv[1])   # the host's collide (and the add-ons)
import collide as host_collide
import numpy as host_numpy
from iienv_addon.core import Manager

seed = int(sys.argv[4])
m = Manager(sys.argv[2]); m.enable()
for name in ("a", "b"):
    m.create(name, owners=["stress_" + name], site_dir=sys.argv[3] + "/" + name)
owners = {name: importlib.import_module("stress_" + name) for name in ("a", "b")}
stop = threading.Event()
errors, wrong, counts = [], [], {"env": 0, "global": 0, "purges": 0}

def addon_thread(name, rng):            # runs for the whole test, as a server thread would
    owner = owners[name]
    try:
        owner.run_until(stop, rng, wrong, counts)
    except BaseException as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        errors.append(("addon " + name, repr(exc), f"{where.filename}:{where.lineno} {where.line}"))

def global_thread(rng):                  # Blender's own code, first imports included
    try:
        while not stop.is_set():
            index = rng.randrange(%(n)d)
            name = "collide.m%%02d" %% index
            if rng.random() < 0.5:
                module = importlib.import_module(name)
            else:
                module = builtins.__import__(name, fromlist=["ORIGIN"])
            if module.ORIGIN != "host" or module.PARENT != "host":
                wrong.append(("global", name, module.ORIGIN))
            if sys.modules["collide"] is not host_collide:
                wrong.append(("global", "collide", sys.modules["collide"].ORIGIN))
            if rng.random() < 0.05:
                host_numpy.random.default_rng(1).multivariate_normal([0.0], [[1.0]])
            if rng.random() < 0.02:   # forget some host submodules: imported again, first time
                for key, module in list(dict.items(sys.modules)):
                    if key.startswith("collide.m") and getattr(module, "ORIGIN", "") == "host":
                        sys.modules.pop(key, None)
            counts["global"] += 1
    except BaseException as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        errors.append(("global", repr(exc), f"{where.filename}:{where.lineno} {where.line}"))

rng = random.Random(seed)
threads = [threading.Thread(target=addon_thread, args=(n, random.Random(rng.random())))
           for n in ("a", "a", "b", "b")]
threads += [threading.Thread(target=global_thread, args=(random.Random(rng.random()),))
            for _ in range(3)]
for t in threads:
    t.start()
deadline = time.monotonic() + float(sys.argv[5])
while time.monotonic() < deadline:
    time.sleep(rng.uniform(0.05, 0.3))
    try:
        m.purge("b", owners=False, report=False)   # b's next imports are cold again
        counts["purges"] += 1
    except Exception as exc:
        errors.append(("purge", repr(exc)))
stop.set()
for t in threads:
    t.join(60)
print("RESULT", counts, "errors", len(errors), errors[:3], "wrong", len(wrong), wrong[:3])
m.disable()
"""

STRESS_OWNER = """
import builtins, importlib, sys

def run_until(stop, rng, wrong, counts):
    me = __name__.removeprefix("stress_")
    while not stop.is_set():
        name = "collide.m%%02d" %% rng.randrange(%(n)d)
        if rng.random() < 0.5:
            module = importlib.import_module(name)
        else:   # CPython's own __import__, as compiled code calls it
            module = builtins.__import__(name, fromlist=["ORIGIN"])
        if module.ORIGIN != me or module.PARENT != me:
            wrong.append((me, name, module.ORIGIN))
        # (a direct read: a purge of this environment on another thread may have emptied
        # its table since the import, as any deletion from sys.modules would; absent is
        # fine, another copy is not)
        current = sys.modules.get("collide")
        if current is not None and current.ORIGIN != me:
            wrong.append((me, "collide", current.ORIGIN))
        counts["env"] += 1
"""


def test_randomized_stress_long_lived_addon_threads_and_global_first_imports(
    tmp_path: Path,
) -> None:
    """Add-on threads for the whole run and global threads importing not-yet-loaded
    submodules of a package both have, with purges forcing cold environment imports."""
    host, sites, addons = tmp_path / "host", tmp_path / "sites", tmp_path / "host"
    _colliding_package(host, "host")
    for name in ("a", "b"):
        _colliding_package(sites / name, name)
        write_package(addons, f"stress_{name}", STRESS_OWNER % {"n": COLLIDING})
    seed = 16
    proc = run_python(
        STRESS % {"n": COLLIDING}, str(host), str(tmp_path / "root"), str(sites), str(seed),
        "6", timeout=240,
    )  # fmt: skip
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    print(line)
    assert "errors 0 []" in line and "wrong 0 []" in line, line
    counts = ast.literal_eval(line.split("RESULT ", 1)[1].split(" errors")[0])
    assert counts["env"] > 100 and counts["global"] > 100 and counts["purges"] > 3, counts


def test_a_name_looked_up_before_an_environment_provided_it_is_routed_after(
    tmp_path: Path,
) -> None:
    """Lookups remember names outside every environment; an install that adds one of
    them to an environment must make them routed again (never Blender's for the add-on)."""
    host = tmp_path / "host"
    _colliding_package(host, "host")
    write_package(
        host,
        "late_owner",
        "import collide, sys\n\n\ndef table():\n    return sys.modules['collide']\n",
    )
    sys.path.insert(0, str(host))
    manager = Manager(tmp_path / "root")
    manager.enable()
    try:
        import collide  # Blender's, looked up while no environment has it

        assert sys.modules["collide"] is collide
        _colliding_package(tmp_path / "site", "env")
        manager.create("late", owners=["late_owner"], site_dir=tmp_path / "site")
        owner = importlib.import_module("late_owner")
        importlib.import_module("collide.m00")  # global code: Blender's
        assert owner.collide.ORIGIN == "env"
        assert owner.table().ORIGIN == "env"  # what compiled code reads: its own
    finally:
        manager.disable()
        sys.path.remove(str(host))
        for name in [n for n in sys.modules if n.startswith(("collide", "late_owner"))]:
            del sys.modules[name]
