"""iienv benchmarks: ratios against plain CPython, measured in the same run.

Each measurement runs in fresh interpreters (one plain, one with iienv) so that
import caches and loaded libraries of one cannot help the other. Prints a table.

    make bench            # or: python scripts/bench.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

INSTALL_REQS = "numpy==1.26.4 six==1.17.0"
# The purge-leak measurement: 31 pure-Python distributions (the target), and ~30 that
# include compiled ones with single-phase init, which CPython never releases (reported).
PURE_LEAK_REQS = (
    "click==8.1.8 colorama==0.4.6 rich==13.9.4 pygments==2.19.1 markdown-it-py==3.0.0 "
    "mdurl==0.1.2 platformdirs==4.3.6 filelock==3.16.1 tomli==2.0.1 docutils==0.21.2 "
    "jmespath==1.0.1 python-dotenv==1.0.1 wcwidth==0.2.13 tabulate==0.9.0 networkx==3.4.2 "
    "tqdm==4.67.1 attrs==25.3.0 packaging==24.2 six==1.17.0 python-dateutil pytz tzdata "
    "pyparsing cycler beautifulsoup4==4.12.3 soupsieve==2.6 pycparser==2.22 idna==3.10 "
    "certifi==2025.8.3 urllib3==2.5.0 typing_extensions==4.12.2"
)
LEAK_REQS = (
    "requests==2.32.5 pydantic==2.12.5 jsonschema==4.23.0 networkx==3.4.2 tqdm==4.67.1 "
    "Jinja2==3.1.6 PyYAML==6.0.2 attrs==25.3.0 msgpack==1.1.0 packaging==24.2 six==1.17.0 "
    "python-dateutil pytz tzdata pyparsing cycler beautifulsoup4==4.12.3 soupsieve==2.6 "
    "pyrsistent==0.20.0 pycparser==2.22"
)
LOOKUP_REQS = "scipy==1.16.3 numpy==2.2.6"
LOOP_SOURCE = """
def loop(n):
    for _ in range(n):
        import numpy
"""


def child(kind: str, site: str, work: str, n: int) -> dict[str, float]:
    """One measurement in this (fresh) interpreter; main() prints it as JSON."""
    addons = Path(work) / "addons"
    sys.path.insert(0, str(addons))
    result: dict[str, float] = {}
    if kind == "plain-cold":
        # Load the same stdlib modules iienv loads, so only the numpy import is compared.
        import iienv_addon.core  # noqa: F401

        sys.path.insert(0, site)
        t = time.perf_counter()
        import numpy  # noqa: F401

        result["cold"] = time.perf_counter() - t
        return result
    if kind == "lookups":
        addons.mkdir(parents=True, exist_ok=True)
        return lookup_child(site, work, n)
    if kind == "leak":
        addons.mkdir(parents=True, exist_ok=True)
        return leak_child(site, work, n)
    if kind in ("threads", "threads-global-only"):
        addons.mkdir(parents=True, exist_ok=True)
        return threads_child(site, work, n, with_envs=kind == "threads")
    import bench_global  # type: ignore[import-not-found]

    if kind == "cached":  # plain CPython first, in this same process, before iienv exists
        bench_global.loop(1000)
        result["plain_before"] = best_of(bench_global.loop, n)
    from iienv_addon.core import Manager

    manager = Manager(Path(work) / f"root-{os.getpid()}")
    manager.enable()
    manager.create("bench", owners=["bench_owner"], site_dir=site)
    t = time.perf_counter()
    import bench_owner  # type: ignore[import-not-found]

    result["cold"] = time.perf_counter() - t
    if kind == "cached":
        bench_owner.loop(1000)
        global_times, env_times = [], []
        for _ in range(5):  # interleaved, so drift of the machine hits both alike
            global_times.append(best_of(bench_global.loop, n, repeats=3))
            env_times.append(best_of(bench_owner.loop, n, repeats=3))
        result["global"], result["env"] = min(global_times), min(env_times)
        t = time.perf_counter()
        manager.purge("bench")
        result["purge"] = time.perf_counter() - t
    manager.disable()
    if kind == "cached":
        result["plain_after"] = best_of(bench_global.loop, n)
    return result


LOOKUP_SOURCE = """
import sys
import numpy

def execute(self, context):   # an operator's method: Blender calls it, nothing wraps it
    return {"FINISHED"}

def compiled_lookup(n):       # what a compiled call-time import reads: sys.modules by name
    modules = sys.modules
    for _ in range(n):
        modules["numpy.linalg"]

def import_os(n):             # a function-level import of a name no environment has
    for _ in range(n):
        import os

def import_numpy(n):          # a function-level import of a name an environment has too
    for _ in range(n):
        import numpy.linalg

def calls(n):
    for _ in range(n):
        execute(None, None)
"""


def lookup_child(site: str, work: str, n: int) -> dict[str, float]:
    """What the routed ``sys.modules`` (core/module_view.py) costs, per lookup and call.

    The same source runs as global code (``lookup_global``, Blender's numpy) and as
    an add-on whose environment has numpy and scipy (``lookup_owner``). Global code
    is timed before iienv is enabled (plain CPython) and after; the add-on's code
    after, against the global code's plain figure.
    """
    from iienv_addon.core import Manager

    addons = Path(work) / "addons"
    for name in ("lookup_global", "lookup_owner"):
        (addons / name).mkdir(parents=True, exist_ok=True)
        (addons / name / "__init__.py").write_text(LOOKUP_SOURCE)
    importlib.invalidate_caches()
    import lookup_global  # type: ignore[import-not-found]

    kinds = ("compiled_lookup", "import_os", "import_numpy", "calls")

    def timed(module: Any) -> dict[str, float]:
        return {kind: best_of(getattr(module, kind), n, repeats=5) for kind in kinds}

    for kind in kinds:
        getattr(lookup_global, kind)(1000)
    plain = timed(lookup_global)
    manager = Manager(Path(work) / f"root-{os.getpid()}")
    manager.enable()
    manager.create("lookup", owners=["lookup_owner"], site_dir=site)
    import lookup_owner  # type: ignore[import-not-found]

    assert lookup_owner.numpy is not lookup_global.numpy
    for kind in kinds:
        getattr(lookup_owner, kind)(1000)
    global_after, env = timed(lookup_global), timed(lookup_owner)
    manager.disable()
    result = {f"plain_{k}": v for k, v in plain.items()}
    result.update({f"global_{k}": v for k, v in global_after.items()})
    result.update({f"env_{k}": v for k, v in env.items()})
    return result


def leak_child(site: str, work: str, cycles: int) -> dict[str, float]:
    """Import every package of a ~30-distribution environment, purge, ``cycles`` times."""
    import gc
    import weakref

    from iienv_addon.core import Manager
    from iienv_addon.core.environment import scan_top_names

    tops = sorted(scan_top_names(Path(site)) - {"bin"})
    owner = Path(work) / "addons" / "leak_owner"
    owner.mkdir(parents=True, exist_ok=True)
    (owner / "__init__.py").write_text(
        f"import importlib\nMODS = [importlib.import_module(n) for n in {tops!r}]\n"
        "import bs4, copy\ncopy.deepcopy(bs4.BeautifulSoup('<p>x</p>', 'html.parser'))\n"
    )
    importlib.invalidate_caches()
    manager = Manager(Path(work) / f"root-{os.getpid()}")
    manager.enable()
    manager.create("leak", owners=["leak_owner"], site_dir=site)

    def rss() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    samples, alive, namespaces, loaded, survivors = [], 0, 0, 0, 0
    for _ in range(cycles):
        importlib.import_module("leak_owner")
        env = manager.get("leak")
        watched = [weakref.ref(module) for module in env.modules.values()]
        # a module object can die while its namespace lives on: watch a function of each
        functions = _function_refs(env.modules.values())
        loaded = len(env.modules)
        result = manager.purge("leak")
        gc.collect()
        alive = sum(ref() is not None for ref in watched)
        namespaces = sum(ref() is not None for ref in functions)
        survivors = len(result.survivors)
        samples.append(rss())
    # least squares over the cycles after the first half (warm-up): the endpoints alone
    # swung by +-0.15 MB between runs (one table growing once moves an endpoint)
    per_cycle = slope(samples[len(samples) // 2 :])
    manager.disable()
    return {
        "per_cycle_mb": per_cycle,
        "alive": alive,
        "namespaces": namespaces,
        "loaded": loaded,
        "reported": survivors,
    }


def slope(values: list[float]) -> float:
    """Least-squares slope per step."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den if den else 0.0


def _function_refs(modules) -> list:
    """Weak references to one function defined in each module (it holds the namespace)."""
    import types
    import weakref

    refs = []
    for module in modules:
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                refs.append(weakref.ref(value))
                break
    return refs


def threads_child(site: str, work: str, seconds: int, with_envs: bool) -> dict[str, float]:
    """12 threads re-import global modules while 4 re-import add-ons of 4 environments.

    Counts global imports per second, leaks (a global module that got an
    environment's six) and activations that gave up waiting for quiescence.
    """
    import threading

    from iienv_addon.core import Manager
    from iienv_addon.core.environment import copy_generation
    from iienv_addon.core.overlay import QuiescenceError

    addons = Path(work) / "addons"
    (addons / "six.py").write_text("__version__ = 'host'\n")  # the host's copy of the name
    for t in range(12):  # one module per thread: threads must not race on one name
        (addons / f"gmod_{t}.py").write_text("import six\nSIX = six\n")
    for i in range(4):
        (addons / f"thr_owner_{i}").mkdir(exist_ok=True)
        (addons / f"thr_owner_{i}" / "__init__.py").write_text("import six\nSIX = six\n")
    import six as host_six  # the "Blender" copy: what global code must always get

    manager = Manager(Path(work) / f"root-{os.getpid()}")
    manager.enable()
    for i in range(4):
        copy_generation(Path(site), Path(work) / f"thr-site-{os.getpid()}-{i}")
        manager.create(f"t{i}", owners=[f"thr_owner_{i}"],
                       site_dir=Path(work) / f"thr-site-{os.getpid()}-{i}")  # fmt: skip
    importlib.invalidate_caches()
    stop = time.monotonic() + seconds
    counts = {"global": 0, "env": 0, "leaks": 0, "refused": 0}
    lock = threading.Lock()

    def global_worker(t: int) -> None:
        n = 0
        name = f"gmod_{t}"
        while time.monotonic() < stop:
            sys.modules.pop(name, None)
            module = importlib.import_module(name)
            if module.SIX is not host_six:
                with lock:
                    counts["leaks"] += 1
            n += 1
        with lock:
            counts["global"] += n

    def env_worker(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            sys.modules.pop(f"thr_owner_{i}", None)
            manager.purge(f"t{i}", report=False)
            try:
                importlib.import_module(f"thr_owner_{i}")
            except QuiescenceError:  # refused rather than laid out under a busy thread
                with lock:
                    counts["refused"] += 1
            n += 1
        with lock:
            counts["env"] += n

    threads = [threading.Thread(target=global_worker, args=(t,)) for t in range(12)]
    if with_envs:
        threads += [threading.Thread(target=env_worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timeouts = manager._overlay.quiesce_timeouts
    from iienv_addon.core.import_gate import GATE

    closed, waited = GATE.closed_seconds, GATE.waited_seconds
    manager.disable()
    return {
        "global_per_s": counts["global"] / seconds,
        "env_per_s": counts["env"] / seconds,
        "leaks": counts["leaks"],
        "give_ups": timeouts,
        "refused": counts["refused"],
        "gate_closed": closed / seconds,
        "gate_wait": waited / seconds,
    }


def best_of(fn, n: int, repeats: int = 7) -> float:
    """Best per-iteration time in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn(n)
        best = min(best, time.perf_counter() - t)
    return best / n


def run_child(kind: str, site: Path, work: Path, n: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(site), str(work), str(n)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pip_target(target: Path, requirements: str, wheelhouse: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "--target",
            str(target),
            *requirements.split(),
        ],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=4)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    if args.child:
        kind, site, work, n = args.child
        print(json.dumps(child(kind, site, work, int(n))))
        return

    from iienv_addon.core.environment import copy_generation

    wheelhouse = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / "cp311"))
    runs = 3 if args.quick else 7
    n = 20_000 if args.quick else 100_000
    work = Path(tempfile.mkdtemp(prefix="iienv-bench-"))
    try:
        addons = work / "addons"
        (addons / "bench_owner").mkdir(parents=True)
        (addons / "bench_owner" / "__init__.py").write_text("import numpy\n" + LOOP_SOURCE)
        (addons / "bench_global.py").write_text(LOOP_SOURCE)
        base = work / "np126"
        pip_target(base, "numpy==1.26.4", wheelhouse)

        def site_copy(i: int) -> Path:
            target = work / f"site-{i}"
            copy_generation(base, target)
            return target

        # Warm the page cache for the numpy files once, then alternate plain/iienv.
        run_child("plain-cold", site_copy(0), work, n)
        plain_cold, env_cold, global_ratio, env_ratio, plain_ns, purge = [], [], [], [], [], []
        for i in range(runs):
            plain_cold.append(run_child("plain-cold", site_copy(2 * i + 1), work, n)["cold"])
            env_cold.append(run_child("iienv-cold", site_copy(2 * i + 2), work, n)["cold"])
        for i in range(runs):
            r = run_child("cached", site_copy(100 + i), work, n)
            plain = min(r["plain_before"], r["plain_after"])
            plain_ns.append(plain)
            global_ratio.append(r["global"] / plain)
            env_ratio.append(r["env"] / plain)
            purge.append(r["purge"])
        scipy_site = work / "scipy"
        pip_target(scipy_site, LOOKUP_REQS, wheelhouse)
        lookups: list[dict[str, float]] = []
        for i in range(runs):
            target = work / f"scipy-{i}"
            copy_generation(scipy_site, target)
            lookups.append(run_child("lookups", target, work, n))
        leak_site, pure_site = work / "leak", work / "leak-pure"
        pip_target(leak_site, LEAK_REQS, wheelhouse)
        pip_target(pure_site, PURE_LEAK_REQS, wheelhouse)
        leak = run_child("leak", leak_site, work, 8 if args.quick else 20)
        pure = run_child("leak", pure_site, work, 8 if args.quick else 20)
        six_site = work / "six116"
        pip_target(six_site, "six==1.16.0", wheelhouse)
        seconds = 5 if args.quick else 30
        alone = run_child("threads-global-only", six_site, work, seconds)
        mixed = run_child("threads", six_site, work, seconds)
        installs = bench_installs(work, wheelhouse, 5 if runs > 3 else 3)
        med = statistics.median
        plain = med(plain_ns)
        rows = [
            ("cached `import numpy`, global code", plain, plain * med(global_ratio), 1.1),
            ("cached `import numpy`, environment code", plain, plain * med(env_ratio), 3.0),
            ("cold `import numpy` 1.26.4", med(plain_cold), med(env_cold), 1.15),
            ("install numpy+six with pip (plain: pip)", *installs["pip"], 1.1),
            ("install numpy+six with uv (plain: copies)", *installs["uv"], 1.5),
        ]
        print(f"\niienv benchmark ({runs} runs, median; Python {sys.version.split()[0]})\n")
        print(
            f"| {'measurement':42} | {'plain CPython':>14} | {'with iienv':>14} | ratio | target |"
        )
        print(f"|{'-' * 44}|{'-' * 16}|{'-' * 16}|-------|--------|")
        for label, plain, env, target in rows:
            ratio = env / plain
            verdict = "ok" if ratio <= target else "MISSED"
            print(
                f"| {label:42} | {_fmt(plain):>14} | {_fmt(env):>14} | {ratio:5.2f} | "
                f"<= {target:<4} {verdict}"
            )
        print(
            f"| {'purge of an environment with numpy loaded':42} | {'-':>14} | "
            f"{_fmt(med(purge)):>14} |   -   |   -    |"
        )
        plain_links, env_uv = installs["uv-links"]
        print(
            f"| {'  the same, plain uv with its hard links':42} | {_fmt(plain_links):>14} | "
            f"{_fmt(env_uv):>14} | {env_uv / plain_links:5.2f} | reported (hard links share "
            f"inodes: README)"
        )
        env_pip, env_uv = installs["uv-vs-pip"]
        print(
            f"| {'install numpy+six: iienv+uv vs iienv+pip':42} | {_fmt(env_pip):>14} | "
            f"{_fmt(env_uv):>14} | {env_uv / env_pip:5.2f} |   -    |"
        )

        def lookup_row(label: str, kind: str, who: str, target: float) -> None:
            plain_t = med([r[f"plain_{kind}"] for r in lookups])
            with_t = med([r[f"{who}_{kind}"] for r in lookups])
            ratio = with_t / plain_t
            verdict = "ok" if ratio <= target else "MISSED"
            print(
                f"| {label:42} | {_fmt(plain_t):>14} | {_fmt(with_t):>14} | {ratio:5.2f} | "
                f"<= {target:<4} {verdict}"
            )

        lookup_row("call into an add-on (no door: nothing wraps)", "calls", "env", 1.1)
        lookup_row("sys.modules[name], add-on's compiled code", "compiled_lookup", "env", 6.0)
        lookup_row("sys.modules[name], global code (collides)", "compiled_lookup", "global", 6.0)
        lookup_row("function-level `import os`, global code", "import_os", "global", 2.0)
        lookup_row("function-level `import numpy.linalg`, global", "import_numpy", "global", 3.0)
        verdict = "ok" if pure["per_cycle_mb"] <= 0.2 and pure["alive"] == 0 else "MISSED"
        print(
            f"| {'purge + re-import, 31 pure-Python dists':42} | {'-':>14} | "
            f"{pure['per_cycle_mb']:10.2f} MB |   -   | <= 0.2 MB, 0 alive {verdict} "
            f"({pure['alive']:.0f} of {pure['loaded']:.0f} modules alive after gc, "
            f"{pure['namespaces']:.0f} module namespaces)"
        )
        print(
            f"| {'same, ~30 dists with compiled ones':42} | {'-':>14} | "
            f"{leak['per_cycle_mb']:10.2f} MB |   -   | reported: "
            f"{leak['alive']:.0f} of {leak['loaded']:.0f} modules alive, "
            f"{leak['reported']:.0f} in PurgeResult.survivors"
        )
        share = mixed["global_per_s"] / alone["global_per_s"]
        verdict = (
            "ok" if share >= 0.5 and mixed["leaks"] == 0 and mixed["give_ups"] == 0 else "MISSED"
        )
        print(
            f"| {'16 threads, 4 environments: global imports':42} | "
            f"{alone['global_per_s']:10.0f} /s | {mixed['global_per_s']:10.0f} /s | "
            f"{share:5.2f} | >= 0.5 {verdict} ({mixed['leaks']:.0f} leaks, "
            f"{mixed['give_ups']:.0f} imports refused after 10 s of other threads importing, "
            f"{mixed['env_per_s']:.1f} env purge+re-imports/s, import gate closed "
            f"{mixed['gate_closed']:.0%} of the time, {seconds} s)"
        )
        ui_plain, ui_env = [], []
        for _ in range(5 if runs > 3 else 3):  # alternating, so drift hits both alike
            ui_plain.append(bench_in_blender("bench_ui.py", "plain")["seconds"])
            ui_env.append(bench_in_blender("bench_ui.py", "iienv")["seconds"])
        ratio = med(ui_env) / med(ui_plain)
        verdict = "ok" if ratio <= 1.10 else "MISSED"
        print(
            f"| {'UI list 1,000 rows x 100 redraws (bpy)':42} | {_fmt(med(ui_plain)):>14} | "
            f"{_fmt(med(ui_env)):>14} | {ratio:5.2f} | <= 1.10 {verdict}"
        )
        reload = bench_in_blender("bench_reload.py")
        verdict = "ok" if reload["median"] <= 0.150 else "MISSED"
        print(
            f"| {'hot reload, 20-module add-on (bpy 4.5)':42} | {'-':>14} | "
            f"{_fmt(reload['median']):>14} |   -   | <= 150 ms {verdict}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_installs(work: Path, wheelhouse: Path, rounds: int) -> dict[str, tuple[float, float]]:
    """Installs of INSTALL_REQS from the wheelhouse: plain pip/uv against iienv with each.

    Alternating, so drift hits all alike; uv's cache and the page cache are warm
    for all (one round first, not counted). Plain uv runs twice: with its
    default (hard links from its cache) and with ``--link-mode copy``, which is
    what iienv runs (install_tools.py says why).
    """
    from iienv_addon.core import Manager, interpreter
    from iienv_addon.core.install_tools import InstallerSettings, search_uv
    from tests.helpers import uv_wheel

    settings = InstallerSettings("uv", bundled_uv=(uv_wheel(),), unpack_to=work / "uv-bin")
    found = search_uv(settings).found
    assert found is not None, search_uv(settings).reasons()
    manager = Manager(work / "install-root", installer=settings)
    interpreter.pip_python()  # found once per process, like in Blender
    interpreter.python_for_uv()
    times: dict[str, list[float]] = {k: [] for k in ("pip", "uv", "uv-copy", "env-pip", "env-uv")}

    def plain_uv(target: Path, *extra: str) -> None:
        subprocess.run(
            [found.path, "pip", "install", "-q", "--target", str(target), "--python",
             sys.executable, "--no-index", "--find-links", str(wheelhouse), "--only-binary",
             ":all:", *extra, *INSTALL_REQS.split()],
            check=True, env={k: v for k, v in os.environ.items() if not k.startswith("UV_")},
        )  # fmt: skip

    def timed(key: str, work_fn: Any, *args: Any, **kwargs: Any) -> None:
        t = time.perf_counter()
        work_fn(*args, **kwargs)
        times[key].append(time.perf_counter() - t)

    for i in range(rounds + 1):
        timed("pip", pip_target, work / f"plain-pip-{i}", INSTALL_REQS, wheelhouse)
        timed("uv", plain_uv, work / f"plain-uv-{i}")
        timed("uv-copy", plain_uv, work / f"plain-uvc-{i}", "--link-mode", "copy")
        for installer in ("pip", "uv"):
            name = f"{installer}{i}"
            manager.create(name, owners=[f"inst_owner_{name}"])
            timed(
                f"env-{installer}", manager.install, name, INSTALL_REQS.split(),
                find_links=[wheelhouse], no_index=True, installer=installer,
            )  # fmt: skip
    med = statistics.median
    m = {key: med(values[1:]) for key, values in times.items()}
    return {
        "pip": (m["pip"], m["env-pip"]),
        "uv": (m["uv-copy"], m["env-uv"]),
        "uv-links": (m["uv"], m["env-uv"]),
        "uv-vs-pip": (m["env-pip"], m["env-uv"]),
    }


def bench_in_blender(script: str, *args: str) -> dict[str, float]:
    """Run one of scripts/bench_*.py in Blender as a module (the bpy venv)."""
    bpy_python = os.environ.get("IIENV_BPY_PYTHON", str(REPO / ".venv-bpy-4.5" / "bin" / "python"))
    proc = subprocess.run(
        [bpy_python, str(REPO / "scripts" / script), *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.1f} ms"


if __name__ == "__main__":
    main()
