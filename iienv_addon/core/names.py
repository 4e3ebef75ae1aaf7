"""Validation of the names users hand to iienv.

Names end up as directory names and as module-name prefixes, so a bad one could
escape the environments root or claim modules it should not; reject it before
anything is touched.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
import sysconfig
from collections.abc import Iterable

from .errors import InvalidNameError

__iienv_machinery__ = True  # caller.py looks through iienv's frames

# Device names Windows reserves in every directory, with any extension ("nul.txt").
_RESERVED_ON_WINDOWS = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{kind}{n}" for kind in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)

# fullmatch: "$" would also match before a trailing newline ("x\n" is not a name)
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

# Blender's own Python modules (bundled with Blender, never an add-on) and iienv's.
BLENDER_MODULES = frozenset(
    {
        "bpy", "_bpy", "bpy_types", "bpy_extras", "bpy_restrict_state", "_bpy_internal",
        "bl_ui", "bl_operators", "bl_keymap_utils", "bl_previews_utils", "bl_i18n_utils",
        "bl_rna_utils", "bl_app_override", "bl_app_template_utils", "bl_console_utils",
        "bl_text_utils", "bl_ext", "bl_pkg", "mathutils", "bmesh", "gpu", "gpu_extras", "aud",
        "bgl", "blf", "imbuf", "idprop", "freestyle", "addon_utils", "nodeitems_utils",
        "nodeitems_builtins", "keyingsets_utils", "keyingsets_builtins", "rna_prop_ui",
        "rna_info", "rna_keymap_ui", "rna_xml", "console_python", "console_shell",
        "animsys_refactor", "cycles", "io_scene_gltf2_blender",
    }
)  # fmt: skip
IIENV_MODULES = frozenset({"iienv", "iienv_addon"})


def check_module_name(name: object, what: str = "module name") -> str:
    """Return ``name`` if it is a dotted Python module name, else raise InvalidNameError."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"iienv: {what} must be a non-empty string, got {name!r}")
    for part in name.split("."):
        if not part.isidentifier() or keyword.iskeyword(part):
            raise InvalidNameError(
                f"iienv: {what} {name!r} is not a valid Python module name "
                f"(bad part {part!r}); use the add-on's package name, e.g. 'my_addon' "
                f"or 'bl_ext.user_default.my_addon'"
            )
    return name


def check_env_name(name: object) -> str:
    """Return ``name`` if it is safe as a directory name inside the environments root."""
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name) or name in {".", ".."}:
        raise InvalidNameError(
            f"iienv: environment name {name!r} is not allowed; use letters, digits, "
            f"'_', '-' and '.', starting with a letter or digit, at most 100 characters "
            f"(no path separators, no '..')"
        )
    if ".." in name:
        raise InvalidNameError(f"iienv: environment name {name!r} may not contain '..'")
    stem = name.split(".", 1)[0].upper()
    if stem in _RESERVED_ON_WINDOWS:
        raise InvalidNameError(
            f"iienv: environment name {name!r} is a reserved device name on Windows "
            f"({stem}); choose another name"
        )
    if name.endswith("."):
        raise InvalidNameError(
            f"iienv: environment name {name!r} may not end with '.' (Windows drops it, and "
            f"the folder would be another name's); choose another name"
        )
    return name


def same_name_folded(name: str, existing: Iterable[str]) -> str | None:
    """The one of ``existing`` that differs from ``name`` only in case, if any.

    Windows and macOS file systems ignore case by default: two such
    environments would share one directory. Refused everywhere, since a
    profile may move between systems.
    """
    folded = name.casefold()
    for other in existing:
        if other != name and other.casefold() == folded:
            return other
    return None


def check_owner_name(name: object) -> str:
    """An add-on package that may own an environment: not the interpreter's, Blender's or iienv's.

    Purging an environment takes its owners' modules out of ``sys.modules``:
    an owner named ``bpy`` or ``json`` would take Blender or the standard
    library with it, and an owner named like a package the interpreter loaded
    from its own site-packages (``numpy``) would route Blender's imports.
    """
    text = check_module_name(name, "owner package name")
    parts = text.split(".")
    top = parts[0]
    reason = ""
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        reason = "it is a standard-library module"
    elif top in IIENV_MODULES or parts[-1] == "iienv":
        reason = "it is iienv itself"
    elif top == "bl_ext" and len(parts) != 3:
        reason = "extensions are named 'bl_ext.<repository>.<extension>'"
    elif top in BLENDER_MODULES and top != "bl_ext":
        reason = "it is one of Blender's own modules"
    else:
        loaded = sys.modules.get(top)
        origin = getattr(loaded, "__file__", None)
        if isinstance(origin, str) and _in_interpreter(origin):
            reason = f"it is a package of the interpreter itself (loaded from {origin})"
    if reason:
        raise InvalidNameError(
            f"iienv: {text!r} cannot own an environment: {reason}. Owners are add-on "
            f"packages, e.g. 'my_addon' or 'bl_ext.user_default.my_addon'"
        )
    return text


_INTERPRETER_ROOTS = tuple(
    os.path.realpath(root) + os.sep
    for root in {
        sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    if root
)


def _in_interpreter(path: str) -> bool:
    return os.path.realpath(path).startswith(_INTERPRETER_ROOTS)
