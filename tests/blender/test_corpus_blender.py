"""The compatibility corpus through Blender operators in bpy (scenarios/corpus_operators.py).

Outcomes go to build/corpus-blender-cpXY.json for ``make corpus-table``.
"""

import json

from packaging.version import Version

from tests.blender.conftest import blender_numpy
from tests.corpus.catalog import CORPUS, corpus_sets, pinned_version
from tests.helpers import REPO
from tests.versions import TAG

OUT = REPO / "build" / f"corpus-blender-{TAG}.json"


def test_every_package_through_an_operator(run_scenario) -> None:
    OUT.parent.mkdir(exist_ok=True)
    run_scenario("corpus_operators.py", str(OUT), timeout=1500)
    outcomes = json.loads(OUT.read_text())
    sets = corpus_sets()
    failed = {name: o.get("error") for name, o in outcomes.items() if not o.get("ok", True)}
    assert not failed, failed
    for entry in CORPUS:
        outcome = outcomes[entry.name]
        expected = pinned_version(sets[entry.sets[1]], entry.distribution)
        assert Version(outcome["result"]["version"]) == Version(expected), entry.name
        assert outcome["stable"], entry.name
    host = outcomes["__host__"]
    assert all(h["untouched"] for h in host.values()), host
    assert host["numpy"]["version"] == blender_numpy()
