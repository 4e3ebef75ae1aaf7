"""Run one corpus entry in this (fresh) interpreter and print its outcome as JSON.

    python -m tests.corpus.runner <entry> <old site dir> <new site dir> <work dir>

Two environments (old and new) each get an add-on package whose code is the
entry's probe. The host's own copy is imported first where the host has one.
Each probe runs several times, alternating between the environments, called
from this global code with nothing around it; then the old environment is purged, its
add-on imported again and probed again. The outcome (or the error a user
would see, with its type) is printed as the last line.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from iienv_addon.core import Manager  # noqa: E402
from tests.corpus.catalog import CORPUS  # noqa: E402

ROUNDS = 3


def main(entry_name: str, old_site: str, new_site: str, work: str) -> dict[str, Any]:
    entry = next(e for e in CORPUS if e.name == entry_name)
    addons = Path(work, "addons")
    for side in ("old", "new"):
        package = addons / f"corpus_{side}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(textwrap.dedent(entry.probe), encoding="utf-8")
    sys.path.insert(0, str(addons))
    outcome: dict[str, Any] = {"entry": entry.name}
    host = None
    if entry.host_module:
        try:
            host = importlib.import_module(entry.host_module)
            outcome["host_version"] = getattr(host, "__version__", "?")
        except ImportError:
            outcome["host_version"] = None
    manager = Manager(Path(work, "root"))
    manager.enable()
    manager.create("old", owners=["corpus_old"], site_dir=old_site)
    manager.create("new", owners=["corpus_new"], site_dir=new_site)
    stage = "import"
    try:
        if entry.exclusive:
            run_exclusive(manager, outcome)
        else:
            run_side_by_side(manager, outcome)
        if entry.host_module and host is not None:
            outcome["host_untouched"] = sys.modules.get(entry.host_module) is host
        outcome["global_has_env_modules"] = sorted(
            name
            for name, module in sys.modules.items()
            if getattr(module, "__iienv__", None) is not None and not name.startswith("corpus_")
        )[:10]
        outcome["ok"] = True
    except BaseException as exc:
        outcome["ok"] = False
        outcome["stage"] = outcome.get("stage", stage)
        outcome["error"] = f"{type(exc).__name__}: {exc}"[:600]
        outcome["traceback"] = traceback.format_exc()[-3000:]
    return outcome


def run_side_by_side(manager: Manager, outcome: dict[str, Any]) -> None:
    """Both environments loaded at once, alternating; then purge + re-import of one."""
    outcome["stage"] = "import"
    modules = {side: importlib.import_module(f"corpus_{side}") for side in ("old", "new")}
    outcome["stage"] = "run"
    results: dict[str, list[Any]] = {"old": [], "new": []}
    for _ in range(ROUNDS):
        for side in ("old", "new"):
            results[side].append(modules[side].run())
    outcome["old"], outcome["new"] = results["old"][0], results["new"][0]
    outcome["stable"] = all(r == results[s][0] for s in results for r in results[s])
    outcome["stage"] = "purge"
    outcome["purged_modules"] = len(manager.purge("old"))
    again = importlib.import_module("corpus_old")
    outcome["after_purge"] = again.run()


def run_exclusive(manager: Manager, outcome: dict[str, Any]) -> None:
    """One copy at a time: the second is refused while the first is loaded, then loads."""
    from iienv_addon.core.exclusive import ExclusivePackageError

    outcome["stage"] = "import"
    old = importlib.import_module("corpus_old")
    first = [old.run() for _ in range(ROUNDS)]
    try:
        importlib.import_module("corpus_new")
    except ExclusivePackageError as exc:
        outcome["refused"] = str(exc)
    else:
        raise AssertionError("the second copy was not refused")
    outcome["stage"] = "purge"
    outcome["purged_modules"] = len(manager.purge("old"))
    new = importlib.import_module("corpus_new")
    second = [new.run() for _ in range(ROUNDS)]
    manager.purge("new")
    again = importlib.import_module("corpus_old")
    outcome["after_purge"] = again.run()
    outcome["old"], outcome["new"] = first[0], second[0]
    outcome["stable"] = all(r == first[0] for r in first) and all(r == second[0] for r in second)


if __name__ == "__main__":
    result = main(*sys.argv[1:5])
    sys.stdout.flush()
    print("\n" + json.dumps(result, default=repr))
