"""Environments that add-ons declare in files, so they need no code for it.

An extension adds an ``[iienv]`` table to its own ``blender_manifest.toml``
(Blender's validator accepts extra tables); a legacy add-on ships an
``iienv.toml`` with the same table::

    [iienv]
    requirements = ["numpy==1.26.4"]
    wheels = ["./wheels/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl"]
    find_links = ["./wheels"]      # optional, relative to the add-on folder
    no_index = false               # true: never contact the package index

No ``bpy`` here: the Blender layer hands in the add-on folders.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .core.errors import InvalidRequirementError
from .core.names import check_module_name

DECLARATION_FILES = ("blender_manifest.toml", "iienv.toml")


@dataclass(frozen=True)
class Declaration:
    """What one add-on declared, with paths made absolute."""

    addon: str
    source: Path
    requirements: tuple[str, ...] = ()
    wheels: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False)
    # "declared": an [iienv] table; "bundled": the extension's standard wheels (bundled.py)
    kind: str = "declared"

    def install_arguments(self) -> dict[str, object]:
        return {
            "requirements": list(self.requirements),
            "wheels": list(self.wheels),
            "find_links": list(self.find_links),
            "no_index": self.no_index,
        }


def read_declaration(addon: str, directory: Path) -> Declaration | None:
    """The ``[iienv]`` table of the add-on in ``directory``, or None if it has none."""
    check_module_name(addon, "add-on module name")
    for name in DECLARATION_FILES:
        path = directory / name
        if not path.is_file():
            continue
        table = read_toml(addon, path).get("iienv")
        if table is None:
            continue
        if not isinstance(table, dict):
            raise InvalidRequirementError(
                f"iienv: add-on {addon!r}: [iienv] in {str(path)!r} must be a table"
            )
        return Declaration(
            addon=addon,
            source=path,
            requirements=tuple(_strings(addon, path, table, "requirements")),
            wheels=tuple(str(directory / w) for w in _strings(addon, path, table, "wheels")),
            find_links=tuple(
                link if "://" in link else str(directory / link)
                for link in _strings(addon, path, table, "find_links")
            ),
            no_index=bool(table.get("no_index", False)),
            extra={k: v for k, v in table.items() if k not in _KNOWN},
        )
    return None


_KNOWN = {"requirements", "wheels", "find_links", "no_index"}


def read_toml(addon: str, path: Path, what: str = "add-on") -> dict[str, object]:
    """A manifest or iienv.toml as a dict; unreadable or malformed: a clear error."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidRequirementError(
            f"iienv: {what} {addon!r}: cannot read {str(path)!r} ({exc}); fix the file"
        ) from None


def _strings(addon: str, path: Path, table: dict[str, object], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequirementError(
            f"iienv: add-on {addon!r}: '{key}' in [iienv] of {str(path)!r} must be a list of "
            f"strings, got {value!r}"
        )
    return list(value)


def scan(
    folders: Iterable[tuple[str, Path]],
) -> tuple[dict[str, Declaration], dict[str, str]]:
    """Declarations of every add-on package in ``folders`` (module prefix, folder).

    ``("", scripts/addons)`` finds legacy add-ons; ``("bl_ext.user_default.",
    extensions/user_default)`` finds extensions. Returns the declarations and,
    by add-on, the errors of declarations that could not be read.
    """
    found: dict[str, Declaration] = {}
    problems: dict[str, str] = {}
    for prefix, folder in folders:
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if not (child / "__init__.py").is_file() or not child.name.isidentifier():
                continue
            try:
                declaration = read_declaration(prefix + child.name, child)
            except InvalidRequirementError as exc:
                problems[prefix + child.name] = str(exc)
                continue
            if declaration is not None:
                found[declaration.addon] = declaration
    return found, problems
