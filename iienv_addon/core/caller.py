"""Which environment is asking: found from the caller's frames.

Every module an environment loads (and every module of its owners, the
add-on's own code) carries the marker ``__iienv__`` in its namespace, written
by the environment's loader before the module runs. A run-time lookup —
``importlib.import_module``, a Cython function-level import reaching the meta
path, ``importlib.resources.files("pkg")`` — is made on behalf of the
innermost frame that is *not* import machinery: the standard library and
iienv's own modules are looked through, and the first other frame decides.
If that frame is marked, the lookup is the environment's; if it is not (global
code, another add-on, Blender's own scripts), the lookup is global, even when
an environment's code is further down the stack. That stop is what keeps an
add-on called *from* an environment's code (an operator invoking another
add-on's operator) on its own modules.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .environment import Environment

MARKER = "__iienv__"
# iienv's own modules that appear on an import's stack set this in their globals.
MACHINERY = "__iienv_machinery__"
__iienv_machinery__ = True

STDLIB = frozenset(sys.stdlib_module_names) - {"__main__"}


def is_machinery(module_globals: dict[str, object]) -> bool:
    """True for frames of the standard library or of iienv's engine."""
    if MACHINERY in module_globals:
        return True
    name = module_globals.get("__name__")
    return isinstance(name, str) and name.partition(".")[0] in STDLIB


def calling_env(
    frame: FrameType | None,
    known: dict[int, Environment],
    unmarked: Environment | None = None,
) -> Environment | None:
    """The environment of the innermost non-machinery frame at or above ``frame``.

    ``known`` maps ``id(env)`` to the live environments; a marker of another
    manager counts as global code, a removed environment's code is still its
    own (callers refuse it). An unmarked frame is global code unless
    ``unmarked`` says whose code it runs as (an explicit ``activated`` block).
    """
    while frame is not None:
        namespace = frame.f_globals
        env = namespace.get(MARKER)
        if env is not None:
            if known.get(id(env)) is env or getattr(env, "removed", False):
                return env
            return unmarked
        if not is_machinery(namespace):
            return unmarked
        frame = frame.f_back
    return unmarked
