"""Write the README's compatibility table from the last corpus run.

Reads build/corpus-results-cpXY.json (tests/corpus, plain Python) and
build/corpus-blender-cpXY.json (tests/blender/test_corpus_blender.py) for
Python 3.11 (bpy 4.5) and 3.13 (bpy 5.3), all written by `make test`, and
replaces the table between the README's corpus markers. Run by `make corpus-table`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.corpus.catalog import CORPUS  # noqa: E402

START, END = "<!-- corpus:start -->", "<!-- corpus:end -->"


def status(outcome: dict | None, blender: dict | None, exclusive: bool) -> tuple[str, str]:
    if outcome is None:
        return "not run", ""
    if not outcome.get("ok"):
        return "fails", f"{outcome.get('stage')}: {outcome.get('error')}"
    notes = []
    if exclusive:
        notes.append(
            "one copy per process: a second environment gets ExclusivePackageError "
            "until the first is purged"
        )
    if blender is not None and not blender.get("ok"):
        return "fails in Blender", blender.get("error", "")
    verdict = "one at a time" if exclusive else "works"
    return verdict, "; ".join(notes)


# (wheel tag, the Blender the `make test` pass of that Python runs)
PASSES = (("cp311", "bpy 4.5"), ("cp313", "bpy 5.3"))


def _load(name: str) -> dict:
    path = REPO / "build" / name
    return json.loads(path.read_text()) if path.is_file() else {}


def table() -> str:
    plain = {tag: _load(f"corpus-results-{tag}.json") for tag, _ in PASSES}
    blender = {tag: _load(f"corpus-blender-{tag}.json") for tag, _ in PASSES}
    rows = [
        "| package | Python 3.11: old / new | Blender 4.5's copy | Python 3.13: old / new "
        "| Blender 5.3's copy | status | exercised at run time | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in CORPUS:
        cells, verdicts, notes = [], [], ""
        for tag, bpy_name in PASSES:
            outcome = plain[tag].get(entry.name)
            in_blender = blender[tag].get(entry.name)
            verdict, notes_here = status(outcome, in_blender, entry.exclusive)
            notes = notes or notes_here
            if in_blender and in_blender.get("ok"):
                verdict += f", operator in {bpy_name}"
            verdicts.append(f"{tag[2]}.{tag[3:]}: {verdict}")
            module = (entry.host_module or "").replace("-", "_")
            host = blender[tag].get("__host__", {})
            own = host.get(module, {}).get("version", "—") if module else "—"
            cells += [" / ".join(outcome["expected"]) if outcome else "?", own]
        rows.append(
            f"| {entry.name} | {' | '.join(cells)} | {'; '.join(verdicts)} "
            f"| {entry.exercises} | {notes} |"
        )
    return "\n".join(rows)


def main() -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} section")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")
    print(f"README.md: corpus table with {len(CORPUS)} packages")


if __name__ == "__main__":
    main()
