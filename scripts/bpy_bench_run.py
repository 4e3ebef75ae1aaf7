"""How the bench scripts that run inside Blender as a module end (bench_ui.py, bench_reload.py).

The result goes to stdout as one JSON line (``make bench`` reads the last line),
a failure as a traceback with exit status 1; the throwaway Blender profile is
removed; and the process ends with ``os._exit``, because the bpy module can hang
at normal exit when something was left registered (DESIGN.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path


def run_and_exit(main: Callable[[], dict[str, float]], user_dir: Path) -> None:
    status = 0
    try:
        print(json.dumps(main()))
    except Exception:
        traceback.print_exc()
        status = 1
    shutil.rmtree(user_dir, ignore_errors=True)
    sys.stdout.flush()
    os._exit(status)
