"""Two extensions that fight over numpy, with and without iienv, in a real Blender.

Builds two extensions with Blender's own ``blender_ext.py build``, each bundling a
different numpy and a different six, installs them with
``bpy.ops.extensions.package_install_files`` and prints what each one gets:
without iienv (Blender's shared site-packages and its own numpy), with iienv
(each its own wheels), after an update, after "never isolate", after an
uninstall, and once iienv is disabled. Offline: the wheels come from the local
wheelhouse of this Python.

    make demo-extensions               (Blender 4.5)
    make demo-extensions BLENDER=5.3   (Blender 5.3, Python 3.13)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USER = Path(tempfile.mkdtemp(prefix="iienv-extensions-demo-"))
os.environ["BLENDER_USER_RESOURCES"] = str(USER)  # before bpy starts: a throwaway profile
os.environ["IIENV_REPO"] = str(REPO)
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
WHEELHOUSE = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / TAG))
sys.path.insert(0, str(REPO / "tests" / "blender" / "scenarios"))  # the test's own story

import bpy  # noqa: E402, F401  (Blender starts here, with the profile above)
from bundled_extensions import story  # noqa: E402

if __name__ == "__main__":
    status = 0
    try:
        out = USER / "zips"
        out.mkdir()
        story(print, WHEELHOUSE, out)
    except Exception:
        import traceback

        traceback.print_exc()
        status = 1
    shutil.rmtree(USER, ignore_errors=True)
    sys.stdout.flush()
    os._exit(status)  # bpy can hang at exit otherwise (DESIGN.md)
