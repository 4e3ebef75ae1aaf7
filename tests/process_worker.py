"""A second (third ...) Blender stand-in for the cross-process tests: one manager per process.

    python -m tests.process_worker <root> <addons dir> <wheelhouse>

Reads one command per line on stdin and answers one JSON line on stdout:

    import                  import the add-on proc_owner (its environment is "shared")
    six                     proc_owner.six_version()
    check                   import proc_owner if needed; [six version, six's file]
    late                    proc_owner.late(): a first import of metaprobe, now
    install <req> ...       manager.install("shared", [...]) offline (blocking)
    start_install <req>...  start it and answer at once (the job runs on)
    wait                    wait for the started install
    purge | remove | generations | quit
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from iienv_addon.core import Manager  # noqa: E402


def main(root: str, addons: str, wheelhouse: str) -> None:
    from tests.simulated_os import install_from_environment

    install_from_environment()  # IIENV_SIMULATE_OS=windows:<dir>: Windows' file semantics
    sys.path.insert(0, addons)
    manager = Manager(root)
    manager.enable()
    offline = {"find_links": [wheelhouse], "no_index": True}
    job = None
    for line in sys.stdin:
        command, *args = line.split()
        try:
            if command == "quit":
                break
            if command == "import":
                importlib.import_module("proc_owner")
                answer: object = "ok"
            elif command == "six":
                answer = sys.modules["proc_owner"].six_version()
            elif command == "check":  # import afresh if purged; which six, from where
                owner = importlib.import_module("proc_owner")
                answer = [owner.six_version(), owner.six_file()]
            elif command == "late":
                answer = importlib.import_module("proc_owner").late()
            elif command == "install":
                answer = manager.install("shared", args, **offline).name
            elif command == "start_install":
                job = manager.start_install("shared", args, **offline)
                answer = "started"
            elif command == "wait":
                answer = job.wait().name if job is not None else None
            elif command == "purge":
                answer = len(manager.purge("shared"))
            elif command == "remove":
                answer = len(manager.remove("shared"))
            elif command == "updated_elsewhere":
                answer = manager.updated_elsewhere("shared")
            elif command == "generations":
                answer = sorted(p.name for p in manager.get("shared").generations())
            else:
                answer = f"unknown command {command}"
            print(json.dumps({"ok": answer}), flush=True)
        except Exception as exc:
            print(
                json.dumps(
                    {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
                ),
                flush=True,
            )


if __name__ == "__main__":
    main(*sys.argv[1:4])
