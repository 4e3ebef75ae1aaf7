"""Issue 18 item 1: worker processes of an environment's code run in that environment.

Two environments with scikit-learn, joblib, scipy and numpy (two versions of
each, beside the host's own numpy) start workers every way an add-on does:
``multiprocessing`` pools with spawn, forkserver and fork,
``ProcessPoolExecutor``, joblib's loky and multiprocessing backends and
scikit-learn's ``n_jobs``. Arrays cross both ways. Each add-on's outcome must
equal what the same code returns in a plain venv holding only its
environment's packages (workers/DESIGN: multiprocessing is each environment's
own instance, and children get the environment's roots on their path).
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.context
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iienv_addon.core import Manager
from tests.helpers import SiteCache, plain_venv, run_in_venv, run_python, write_package

PROBE = """
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import joblib
import numpy as np
import sklearn
from joblib import Parallel, delayed

SITE = os.path.dirname(os.path.dirname(np.__file__))
TIMEOUT = 120  # a worker that dies makes multiprocessing.Pool wait forever: fail instead


def info(x, site):
    import numpy

    # the worker's numpy is its environment's, and so is the array it got
    here = os.path.dirname(os.path.dirname(numpy.__file__)) == site
    return [numpy.__version__, here, type(x) is numpy.ndarray, float(x.sum())]


def double(a):
    return a * 2


def fit(n_jobs):
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.default_rng(0).normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=8, n_jobs=n_jobs, random_state=0).fit(X, y)
    return round(float(model.score(X, y)), 3)


def run():
    out = {"numpy": np.__version__, "joblib": joblib.__version__, "sklearn": sklearn.__version__}
    for method in ("spawn", "forkserver", "fork"):
        with multiprocessing.get_context(method).Pool(2) as pool:
            tasks = [(np.arange(3.0), SITE), (np.ones(2), SITE)]
            out[f"pool {method}"] = pool.starmap_async(info, tasks).get(timeout=TIMEOUT)
            back = pool.apply_async(double, (np.arange(4.0),)).get(timeout=TIMEOUT)
            out[f"pool {method} result"] = [type(back) is np.ndarray, back.tolist()]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        out["executor"] = list(executor.map(info, [np.arange(3.0)], [SITE], timeout=TIMEOUT))
    for backend in ("loky", "multiprocessing"):
        jobs = (delayed(info)(np.arange(3.0) + i, SITE) for i in range(3))
        out[f"joblib {backend}"] = Parallel(2, backend=backend, timeout=TIMEOUT)(jobs)
        ones = (delayed(np.ones)(2) for _ in range(2))
        arrays = Parallel(2, backend=backend, timeout=TIMEOUT)(ones)
        out[f"joblib {backend} results"] = [type(a) is np.ndarray for a in arrays]
    out["sklearn n_jobs"] = fit(2) == fit(1)
    return out
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, site_cache: SiteCache):
    import numpy as host_numpy

    base = tmp_path_factory.mktemp("workers")
    addons = base / "addons"
    for side in ("old", "new"):
        write_package(addons, f"workers_{side}", PROBE)
    sites = {side: site_cache.fresh_copy(f"sklearn-{side}") for side in ("old", "new")}
    expected = {
        side: run_in_venv(
            plain_venv(base / f"venv-{side}", [sites[side]]), addons, f"workers_{side}"
        )
        for side in ("old", "new")
    }
    sys.path.insert(0, str(addons))
    manager = Manager(base / "root")
    manager.enable()
    for side in ("old", "new"):
        manager.create(side, owners=[f"workers_{side}"], site_dir=sites[side])
    yield manager, expected, host_numpy
    manager.disable()
    sys.path.remove(str(addons))
    for side in ("old", "new"):
        sys.modules.pop(f"workers_{side}", None)


def test_workers_run_in_their_environment_as_in_a_plain_venv(world) -> None:
    manager, expected, host_numpy = world
    import workers_new
    import workers_old

    registry_before = dict(multiprocessing.context._concrete_contexts)
    assert workers_old.run() == expected["old"]
    assert workers_new.run() == expected["new"]
    assert expected["old"]["numpy"] != expected["new"]["numpy"] != host_numpy.__version__
    # Blender's multiprocessing: untouched (no loky registered into it), not the add-ons'.
    assert multiprocessing.context._concrete_contexts == registry_before
    assert "loky" not in registry_before
    old, new = manager.find("old"), manager.find("new")
    assert old.modules["multiprocessing"] is not multiprocessing
    assert old.modules["multiprocessing"] is not new.modules["multiprocessing"]
    assert manager.env_of(old.modules["multiprocessing"]) is old
    assert manager.env_of(old.modules["multiprocessing.pool"]) is old
    for env in (old, new):  # each joblib registered its loky in its own multiprocessing
        assert "loky" in env.modules["multiprocessing.context"]._concrete_contexts


def test_purge_takes_the_environments_multiprocessing_with_it(world) -> None:
    manager, expected, _ = world
    import workers_old

    workers_old.run()
    result = manager.purge("old")
    assert "multiprocessing" in result
    assert "loky" not in multiprocessing.context._concrete_contexts
    assert sys.modules["multiprocessing"] is multiprocessing
    sys.modules.pop("workers_old", None)
    import workers_old

    assert workers_old.run() == expected["old"]


SESSION = """
import sys
from pathlib import Path
from iienv_addon.core import Manager

site, work = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
manager.create("old", owners=["workers_old"], site_dir=site)
import workers_old

ok = workers_old.joblib_loky()
manager.purge("old")
print("ok" if ok else "wrong")
"""

JOBLIB_ONLY = """
import numpy as np
from joblib import Parallel, delayed


def joblib_loky():
    return Parallel(2, timeout=120)(delayed(np.ones)(2) for _ in range(3))[0].tolist() == [1, 1]
"""


def test_a_session_with_loky_workers_ends_cleanly_after_purge(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """What a user sees on the terminal: no traceback from loky's resource tracker
    (a child that must import joblib) and none at exit from the purged joblib's
    ``atexit`` closures."""
    write_package(tmp_path / "addons", "workers_old", JOBLIB_ONLY)
    proc = run_python(SESSION, str(site_cache.fresh_copy("sklearn-old")), str(tmp_path))
    assert proc.stdout.strip().splitlines()[-1] == "ok"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "died unexpectedly" not in proc.stderr, proc.stderr[-3000:]


MAIN_SCRIPT = """
import sys
if __name__ != "__main__":   # a spawn child running this script again, as Blender's would
    raise ImportError("this is Blender's main script: it imports bpy, which no worker can")
from pathlib import Path
from iienv_addon.core import Manager

site, work = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
manager.create("old", owners=["spawner"], site_dir=site)
import spawner

print("result", spawner.spawn())
"""

SPAWNER = """
import json
import multiprocessing
from importlib.metadata import version

import numpy as np


def spawn():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply_async(version, ("numpy",)).get(timeout=60) == np.__version__
"""


def test_a_spawn_worker_never_runs_blenders_main_script(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    write_package(tmp_path / "addons", "spawner", SPAWNER)
    script = tmp_path / "blender_main.py"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), str(site_cache.fresh_copy("numpy-old")), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["result", "True"], proc.stdout


NO_PYTHON = """
import json, sys
from pathlib import Path
from iienv_addon.core import Manager, interpreter

site, work, shim = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
# Simulated: a Blender whose sys.executable is a Python of another build and which
# has no Python of its own beside it (the only candidate is that stand-in).
sys.executable = shim
interpreter.candidates = lambda *args, **kwargs: [shim]
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
manager.create("old", owners=["starter"], site_dir=site)
import starter

print(json.dumps(starter.start()))
"""

STARTER = """
import multiprocessing, os

def start():
    out = {}
    for method in ("spawn", "forkserver", "fork"):
        try:
            with multiprocessing.get_context(method).Pool(1) as pool:
                out[method] = pool.apply_async(os.getpid).get(timeout=60) != os.getpid()
        except Exception as exc:
            out[method] = [type(exc).__name__, str(exc), len(multiprocessing.active_children())]
    return out
"""


def test_without_a_python_for_workers_spawn_refuses_before_any_worker_starts(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """Never a worker on another Python (it dies at its first import and ``Pool`` waits)."""
    write_package(tmp_path / "addons", "starter", STARTER)
    shim = tmp_path / "python-other-build"
    shim.write_text(
        f"#!{sys.executable}\n"
        "import json, platform, struct, sys\n"
        "print(json.dumps([list(sys.version_info[:2]), sys.implementation.cache_tag, True, "
        "platform.machine(), struct.calcsize('P') * 8, '/opt/another-build/lib']))\n",
        encoding="utf-8",
    )
    shim.chmod(0o755)
    site = site_cache.fresh_copy("six116")
    proc = run_python(NO_PYTHON, str(site), str(tmp_path), str(shim))
    # (the stand-in prints its probe line when multiprocessing's resource tracker runs it)
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    out = json.loads(line)
    assert out["fork"] is True  # a fork child needs no interpreter
    for method in ("spawn", "forkserver"):
        kind, message, children = out[method]
        assert kind == "InterpreterNotFoundError", out[method]
        assert "run worker processes" in message and "another build" in message, message
        assert children == 0
