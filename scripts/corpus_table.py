"""Write the README's compatibility table from the last corpus run.

Reads build/corpus-results.json (tests/corpus, plain Python) and
build/corpus-blender.json (tests/blender/test_corpus_blender.py, bpy 4.5),
both written by `make test`, and replaces the table between the README's
corpus markers. Run by `make corpus-table`.
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


def table() -> str:
    plain = json.loads((REPO / "build" / "corpus-results.json").read_text())
    blender_path = REPO / "build" / "corpus-blender.json"
    blender = json.loads(blender_path.read_text()) if blender_path.is_file() else {}
    host = blender.get("__host__", {})
    rows = [
        "| package | environments (old / new) | Blender's own copy (bpy 4.5) | status "
        "| exercised at run time | notes |",
        "|---|---|---|---|---|---|",
    ]
    for entry in CORPUS:
        outcome = plain.get(entry.name)
        in_blender = blender.get(entry.name)
        verdict, notes = status(outcome, in_blender, entry.exclusive)
        versions = " / ".join(outcome["expected"]) if outcome else "?"
        module = (entry.host_module or "").replace("-", "_")
        own = host.get(module, {}).get("version", "—") if module else "—"
        if in_blender and in_blender.get("ok"):
            verdict += ", operator in bpy 4.5"
        rows.append(
            f"| {entry.name} | {versions} | {own} | {verdict} | {entry.exercises} | {notes} |"
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
