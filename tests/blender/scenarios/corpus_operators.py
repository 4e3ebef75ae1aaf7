"""The compatibility corpus in bpy 4.5: each package's probe called through a Blender operator.

One add-on per corpus entry declares the entry's newer set in ``iienv.toml``;
iienv installs it with real pip (offline, from the test wheelhouse) before the
add-on's first import. Each add-on's operator calls the probe. Blender's own
copies (numpy, requests, urllib3, certifi, idna, charset_normalizer,
zstandard) stay Blender's. The outcome of every entry is written as JSON to
the path given as the first argument.
"""

import json
import re
import sys
import textwrap
import time
from pathlib import Path

import bpy
from common import REPO, disable, enable, install_legacy, run

sys.path.insert(0, str(REPO))
from tests.corpus.catalog import CORPUS, corpus_sets

ENV_SETS = corpus_sets()

OPERATOR = """

bl_info = {{"name": "corpus {name}", "blender": (3, 4, 0), "category": "Development"}}

import bpy as _bpy

RESULTS = []


class CORPUS_OT_probe(_bpy.types.Operator):
    bl_idname = "{slug}.probe"
    bl_label = "Probe"

    def execute(self, context):
        RESULTS.append(run())
        return {{"FINISHED"}}


def register():
    _bpy.utils.register_class(CORPUS_OT_probe)


def unregister():
    _bpy.utils.unregister_class(CORPUS_OT_probe)
"""


def slug(name: str) -> str:
    return "corpus_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def main() -> None:
    out_path = Path(sys.argv[-1])
    host = {}
    for name in ("numpy", "requests", "urllib3", "certifi", "idna", "charset_normalizer"):
        host[name] = __import__(name)
    import zstandard

    host["zstandard"] = zstandard
    addons = install_legacy(names=())
    for entry in CORPUS:
        folder = addons / slug(entry.name)
        folder.mkdir()
        source = textwrap.dedent(entry.probe) + OPERATOR.format(
            name=entry.name, slug=slug(entry.name)
        )
        (folder / "__init__.py").write_text(source, encoding="utf-8")
        requirements = ENV_SETS[entry.sets[1]]
        (folder / "iienv.toml").write_text(f"[iienv]\nrequirements = {json.dumps(requirements)}\n")
    enable("iienv")
    outcomes = {}
    for entry in CORPUS:
        addon = slug(entry.name)
        started = time.perf_counter()
        outcome: dict = {"expected": ENV_SETS[entry.sets[1]]}
        try:
            enable(addon)  # installs the environment first (real pip, offline)
            outcome["enable_seconds"] = round(time.perf_counter() - started, 1)
            operator = getattr(bpy.ops, addon).probe
            assert operator() == {"FINISHED"}
            assert operator() == {"FINISHED"}
            results = sys.modules[addon].RESULTS
            outcome["result"] = results[0]
            outcome["stable"] = results[0] == results[1]
            outcome["ok"] = True
        except Exception as exc:  # recorded: the test names the failing entry
            outcome["ok"] = False
            outcome["error"] = f"{type(exc).__name__}: {exc}"[-3000:]  # (the end: the cause)
        outcomes[entry.name] = outcome
        print(f"corpus in bpy: {entry.name}: {'ok' if outcome['ok'] else outcome['error']}")
    outcomes["__host__"] = {
        name: {
            "version": getattr(module, "__version__", "?"),
            "untouched": sys.modules.get(name) is module,
        }
        for name, module in host.items()
    }
    out_path.write_text(json.dumps(outcomes, indent=1, default=repr) + "\n")
    for entry in CORPUS:
        disable(slug(entry.name))
    disable("iienv")


run(main)
