"""Must-show 6 of issue 2 (second half): CPython's own import test suites pass with iienv active."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, SiteCache, write_package

SCRIPT = REPO / "scripts" / "run_cpython_import_tests.py"


def _run(*args: str) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    out = proc.stdout + proc.stderr
    counts = re.search(r"Total tests: (.*)", out)
    result = re.search(r"Result: (\S+)", out)
    return (
        proc.returncode,
        counts.group(1) if counts else out[-3000:],
        result.group(1) if result else "",
    )


@pytest.mark.slow
def test_importlib_and_import_suites_pass_with_two_environments(
    tmp_path: Path, site_cache: SiteCache
) -> None:
    addons = tmp_path / "addons"
    write_package(addons, "cpy_owner_a", "import numpy, six\nVERSION = numpy.__version__\n")
    write_package(addons, "cpy_owner_b", "import numpy, six\nVERSION = numpy.__version__\n")
    site_a = site_cache.fresh_copy("np-old")
    site_b = site_cache.fresh_copy("np-new")
    code_plain, counts_plain, result_plain = _run()
    code_iienv, counts_iienv, result_iienv = _run(
        "--iienv", str(addons), str(tmp_path / "root"), str(site_a), str(site_b)
    )
    assert (code_plain, result_plain) == (0, "SUCCESS"), counts_plain
    assert (code_iienv, result_iienv) == (0, "SUCCESS"), counts_iienv
    assert counts_iienv == counts_plain
