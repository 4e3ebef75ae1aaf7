"""The compatibility corpus in plain Python (see catalog.py): one fresh interpreter per package.

Each package runs in two environments side by side (beside the host's copy
where it has one), at run time, alternating, called from global code with
nothing around it; then one environment is purged and its add-on imported again.
Outcomes are written to build/corpus-results-cpXY.json, from which
``make corpus-table`` writes the README's table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.corpus.catalog import CORPUS, Entry, pinned_version
from tests.helpers import ENV_SETS, REPO, WHEELHOUSE, SiteCache
from tests.versions import TAG

RESULTS = REPO / "build" / f"corpus-results-{TAG}.json"


@pytest.fixture(scope="session")
def corpus_results():
    results: dict[str, Any] = {}
    yield results
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    previous.update(results)
    RESULTS.write_text(json.dumps(previous, indent=1, default=repr) + "\n")


def run_entry(entry: Entry, sites: list[Path], work: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.corpus.runner", entry.name, *map(str, sites), str(work)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "IIENV_WHEELHOUSE": str(WHEELHOUSE), "HOME": str(work)},
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        pytest.fail(f"the process died (exit {proc.returncode}):\n{proc.stderr[-4000:]}")


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_package_runs_in_two_environments(
    entry: Entry, site_cache: SiteCache, tmp_path: Path, corpus_results: dict[str, Any]
) -> None:
    sites = [site_cache.fresh_copy(name) for name in entry.sets]
    outcome = run_entry(entry, sites, tmp_path)
    expected = [pinned_version(ENV_SETS[name], entry.distribution) for name in entry.sets]
    outcome["expected"] = expected
    corpus_results[entry.name] = outcome
    assert outcome["ok"], f"{outcome.get('error')}\n{outcome.get('traceback')}"
    got = [outcome["old"]["version"], outcome["new"]["version"]]
    assert [Version(v) for v in got] == [Version(v) for v in expected]
    assert Version(outcome["after_purge"]["version"]) == Version(expected[0])
    checks = outcome["old"]["checks"]
    assert checks == outcome["new"]["checks"] == outcome["after_purge"]["checks"]
    assert outcome["stable"], "a later call returned something else"
    assert outcome["global_has_env_modules"] == [], "environment modules left in sys.modules"
    if outcome.get("host_version"):
        assert outcome["host_untouched"], "the host's own copy was replaced"
    if entry.exclusive:
        assert "cannot load its own" in outcome["refused"]
