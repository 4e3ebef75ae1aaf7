"""Extensions that bundle wheels the standard way, and where Blender disagrees with them.

A Blender 4.2+ extension lists its wheels in ``blender_manifest.toml``
(``wheels = ["./wheels/numpy-1.26.4-cp311-….whl", …]``). Blender extracts the
wheels of *every* enabled extension into one shared
``extensions/.local/lib/pythonX.Y/site-packages``, keeping only the highest
version of each distribution (``wheel_list_deduplicate_as_skip_set`` in
``_bpy_internal/extensions/wheel_manager.py``), and what an extension finally
imports also depends on what is already in ``sys.modules``: bpy imports its
own numpy at start, so no extension ever runs the numpy it bundled, and within
one session the first extension to import a pure-Python package fixes its
version for all. An extension cannot do anything about this from its side.

iienv can: for an extension whose bundled versions differ from what it would
get (a *conflict*), or that the user opts in, the bundled wheels become an
environment declaration (wheels only, no index), installed before the
extension's first import like an ``[iienv]`` table. This module reads the
manifests and judges the conflicts; it has no ``bpy``: the Blender layer hands
in the folders and the shared site-packages.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .core.errors import InvalidRequirementError
from .core.requirements import canonicalize_name, wheel_fits, wheel_name_and_version
from .declarations import Declaration, read_toml

SETTINGS_FILE = "bundled-wheels.json"  # in the environments root: the user's choices


@dataclass(frozen=True)
class Bundled:
    """What one extension bundles: its wheels for this Python and their versions."""

    addon: str  # bl_ext.<repo>.<id>
    directory: Path
    manifest: Path
    wheels: tuple[Path, ...]  # the ones that fit this interpreter
    versions: dict[str, str] = field(default_factory=dict)  # canonical name -> version
    skipped: tuple[str, ...] = ()  # wheels for other platforms / Pythons


@dataclass(frozen=True)
class Verdict:
    """Whether iienv isolates an extension, and why."""

    bundled: Bundled
    # canonical name -> (bundled version, what Blender gives it: a version or "missing")
    conflicts: dict[str, tuple[str, str]]
    choice: str  # "auto", "isolate" or "never" (the user's toggle)

    @property
    def isolated(self) -> bool:
        if self.choice == "never":
            return False
        return self.choice == "isolate" or bool(self.conflicts)


def read_bundled(addon: str, directory: Path) -> Bundled | None:
    """The wheels the extension in ``directory`` lists, or None if it lists none."""
    manifest = directory / "blender_manifest.toml"
    if not manifest.is_file():
        return None
    listed = read_toml(addon, manifest, "extension").get("wheels")
    if not listed:
        return None
    if not isinstance(listed, list) or not all(isinstance(w, str) for w in listed):
        raise InvalidRequirementError(
            f"iienv: extension {addon!r}: 'wheels' in {str(manifest)!r} must be a list of "
            f"paths, got {listed!r}"
        )
    fitting: list[Path] = []
    skipped: list[str] = []
    versions: dict[str, str] = {}
    for rel in listed:
        path = (directory / rel).resolve()
        if not path.is_relative_to(directory.resolve()) or not path.is_file():
            raise InvalidRequirementError(
                f"iienv: extension {addon!r}: bundled wheel {rel!r} is not a file inside the "
                f"extension; reinstall the extension"
            )
        if not wheel_fits(path.name):
            skipped.append(path.name)  # Blender skips it too (another platform or Python)
            continue
        name, version = wheel_name_and_version(path)
        fitting.append(path)
        versions[canonicalize_name(name)] = version
    return Bundled(addon, directory, manifest, tuple(fitting), versions, tuple(skipped))


def what_blender_gives(name: str, modules: Mapping[str, object] | None = None) -> str:
    """The version of distribution ``name`` that global code gets by importing it.

    A top-level module already in ``sys.modules`` wins (bpy's numpy); else the
    first distribution of that name on ``sys.path`` (the shared extension
    site-packages comes before Blender's own). "missing" if there is none.
    """
    loaded_now: Mapping[str, object] = sys.modules if modules is None else modules
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    tops = _top_levels(dist) if dist is not None else [name.replace("-", "_")]
    for top in tops:
        loaded = loaded_now.get(top)
        version = getattr(loaded, "__version__", None)
        if isinstance(version, str):
            return version
    return dist.version if dist is not None else "missing"


def _top_levels(dist: importlib.metadata.Distribution) -> list[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    tops = {
        str(f).split("/")[0].removesuffix(".py")
        for f in dist.files or ()
        if not str(f).split("/")[0].endswith((".dist-info", ".data"))
    }
    return sorted(t for t in tops if t.isidentifier())


def judge(bundled: Bundled, choice: str = "auto") -> Verdict:
    """Compare what an extension bundles with what Blender would give it."""
    conflicts = {}
    for name, version in bundled.versions.items():
        given = what_blender_gives(name)
        if given != version:
            conflicts[name] = (version, given)
    return Verdict(bundled, conflicts, choice)


def declaration_for(bundled: Bundled) -> Declaration:
    """The bundled wheels as an environment declaration: wheels only, offline."""
    return Declaration(
        addon=bundled.addon,
        source=bundled.manifest,
        wheels=tuple(str(w) for w in bundled.wheels),
        find_links=tuple(sorted({str(w.parent) for w in bundled.wheels})),  # dependencies
        no_index=True,
        kind="bundled",
    )


def scan_bundled(folders: Iterable[tuple[str, Path]]) -> tuple[dict[str, Bundled], dict[str, str]]:
    """Every extension (``bl_ext.`` folders only) that bundles wheels, and read errors."""
    found: dict[str, Bundled] = {}
    problems: dict[str, str] = {}
    for prefix, folder in folders:
        if not prefix.startswith("bl_ext.") or not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if not (child / "__init__.py").is_file() or not child.name.isidentifier():
                continue
            addon = prefix + child.name
            try:
                bundled = read_bundled(addon, child)
            except InvalidRequirementError as exc:
                problems[addon] = str(exc)
                continue
            if bundled is not None:
                found[addon] = bundled
    return found, problems


class Choices:
    """The user's per-extension toggle ("isolate" / "never"; absent: "auto"), on disk."""

    def __init__(self, root: Path) -> None:
        self.path = root / SETTINGS_FILE

    def load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged file: back to automatic, never a failed start
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if v in ("isolate", "never")}

    def get(self, addon: str) -> str:
        return self.load().get(addon, "auto")

    def set(self, addon: str, choice: str) -> None:
        if choice not in ("auto", "isolate", "never"):
            raise ValueError(f"iienv: choice must be auto, isolate or never, not {choice!r}")
        data = self.load()
        if choice == "auto":
            data.pop(addon, None)
        else:
            data[addon] = choice
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
