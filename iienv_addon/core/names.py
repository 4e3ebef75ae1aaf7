"""Validation of the names users hand to iienv.

Names end up as directory names and as module-name prefixes, so a bad one could
escape the environments root or claim modules it should not; reject it before
anything is touched.
"""

from __future__ import annotations

import keyword
import re

from .errors import InvalidNameError

__iienv_machinery__ = True  # caller.py looks through iienv's frames

_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


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
    if not isinstance(name, str) or not _ENV_NAME.match(name) or name in {".", ".."}:
        raise InvalidNameError(
            f"iienv: environment name {name!r} is not allowed; use letters, digits, "
            f"'_', '-' and '.', starting with a letter or digit, at most 100 characters "
            f"(no path separators, no '..')"
        )
    if ".." in name:
        raise InvalidNameError(f"iienv: environment name {name!r} may not contain '..'")
    return name
