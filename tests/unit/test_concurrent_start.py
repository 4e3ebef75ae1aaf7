"""Issue 19 item 2: N processes start at once on one shared environments root.

Eight real processes (a farm's workers, several Blenders) each create the
environment their add-on declares and ensure its packages, at the same
moment: one runs pip, the others wait for it and use its install — no second
pip run, no half environment, one generation, every process on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from iienv_addon.core import Manager
from iienv_addon.core.integrity import check_site
from tests.helpers import REPO, WHEELHOUSE, write_package
from tests.versions import NEW_NUMPY, OLD_NUMPY

PROCESSES = 8

WORKER = """
import json, sys, time
from pathlib import Path
from iienv_addon.core import Manager

root, addons, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
sys.path.insert(0, addons)
manager = Manager(root)
manager.enable()
while time.time() < start:   # all at once
    time.sleep(0.001)
manager.create("shared", owners=["shared_owner"])
phases = []
site = manager.ensure("shared", [sys.argv[4]], find_links=[sys.argv[5]], no_index=True,
                      progress=lambda p: phases.append(p.phase))
import shared_owner
print(json.dumps({"ran_pip": bool(phases), "installed": site is not None,
                  "site": str(manager.get("shared").site_dir),
                  "numpy": [shared_owner.np.__version__, shared_owner.np.__file__]}))
manager.disable()
"""


def test_eight_processes_start_at_once_and_pip_runs_once(tmp_path: Path, wheelhouse: Path) -> None:
    write_package(tmp_path / "addons", "shared_owner", "import numpy as np\n")
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(tmp_path / "root"),
                str(tmp_path / "addons"),
                str(start),
                f"numpy=={OLD_NUMPY}",
                str(WHEELHOUSE),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["ran_pip"] for r in results) == 1, results
    assert sum(r["installed"] for r in results) == 1, results
    sites = {r["site"] for r in results}
    assert len(sites) == 1, sites
    (site,) = sites
    assert all(r["numpy"] == [OLD_NUMPY, f"{site}/numpy/__init__.py"] for r in results), results
    # After all of them ended (and the next start's clean-up: the empty generation the
    # environment was created with was leased by the others while they ran): one complete
    # generation, the one they used, current, and no staging left.
    Manager(tmp_path / "root")  # (a manager cleans up when it starts, touching nothing in use)
    home = tmp_path / "root" / "shared"
    generations = [p for p in home.iterdir() if p.name.startswith("gen-")]
    assert [str(g) for g in generations] == [site], generations
    state = json.loads((home / "state.json").read_text())
    assert Path(state["site_dir"]).name == generations[0].name, state
    assert check_site(generations[0]).ok
    assert not [p for p in home.iterdir() if p.name.startswith(".st")], list(home.iterdir())


REENABLE = """
import json, sys
from pathlib import Path
from iienv_addon.core import Manager

root, addons = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, addons)
home = root / "again"
def generations():
    return sorted(p.name for p in home.iterdir() if p.name.startswith("gen-"))

first = Manager(root)
first.enable()
first.create("again", owners=["again_owner"])
first.install("again", [sys.argv[3]], find_links=[sys.argv[4]], no_index=True)
import again_owner
out = {"first": [again_owner.np.__version__, str(first.get("again").site_dir)]}
out["before_quit"] = generations()
first.disable()                    # Blender quits, or iienv is disabled
out["after_quit"] = generations()  # no copy made for nobody
del again_owner
second = Manager(root)             # iienv enabled again in the same process
second.enable()
import again_owner                 # numpy 2 cannot initialise twice from one file
out["second"] = [again_owner.np.__version__, str(second.get("again").site_dir)]
out["after_reload"] = generations()
second.disable()
print(json.dumps(out))
"""


def test_quitting_makes_no_copy_and_enabling_again_loads_a_fresh_one(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """On a shared profile a Blender that quits must not copy the environments it used
    (and switch every other process to the copy); iienv enabled again in the same
    process makes the copy when it loads the generation whose libraries it holds."""
    write_package(tmp_path / "addons", "again_owner", "import numpy as np\n")
    proc = subprocess.run(
        [sys.executable, "-c", REENABLE, str(tmp_path / "root"), str(tmp_path / "addons"),
         f"numpy=={NEW_NUMPY}", str(WHEELHOUSE)],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["after_quit"] == out["before_quit"] == [Path(out["first"][1]).name]
    assert out["second"][0] == out["first"][0] == NEW_NUMPY
    assert out["second"][1] != out["first"][1]  # a fresh copy, made when it was needed
    assert Path(out["second"][1]).name in out["after_reload"]
