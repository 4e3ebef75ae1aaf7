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

from iienv_addon.core.integrity import check_site
from tests.helpers import REPO, WHEELHOUSE, write_package
from tests.versions import OLD_NUMPY

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
    # After all of them ended: one complete generation, current, and no staging left.
    # (The first to end made a fresh copy when it purged at exit — numpy was loaded — and
    # the others took that one: generations leased by live processes were kept until then.)
    home = tmp_path / "root" / "shared"
    generations = [p for p in home.iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 1, generations
    state = json.loads((home / "state.json").read_text())
    assert Path(state["site_dir"]).name == generations[0].name, state
    assert check_site(generations[0]).ok
    assert not [p for p in home.iterdir() if p.name.startswith(".st")], list(home.iterdir())
