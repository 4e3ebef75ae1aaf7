"""Run by Debian trixie's blender 4.3.2 (``-b --python``): an add-on's worker processes.

Blender's ``sys.executable`` here is the system ``/usr/bin/python3.13`` (whose
own site-packages hold Debian's python3-numpy) and multiprocessing's default
start method is fork. The add-on ``iienv_workers`` declares numpy (iienv.toml);
enabling it installs its environment. Writes a JSON report (argv after ``--``).
"""

import json
import sys
import traceback

import addon_utils

REPORT = sys.argv[sys.argv.index("--") + 1]
report = {}


def fail(exc):
    raise exc


try:
    import numpy as blender_numpy

    report["blender_numpy"] = blender_numpy.__file__
    report["sys_executable"] = sys.executable
    addon_utils.enable("iienv_workers", default_set=False, handle_error=fail)
    import iienv
    import iienv_workers

    sites = {info.addon: str(info.site_dir) for info in iienv.environments()}
    report["site_dir"] = sites["iienv_workers"]
    report["result"] = iienv_workers.run_workers()
    report["blender_numpy_after"] = sys.modules["numpy"].__file__
except BaseException:
    report["error"] = traceback.format_exc()
with open(REPORT, "w") as f:
    json.dump(report, f)
