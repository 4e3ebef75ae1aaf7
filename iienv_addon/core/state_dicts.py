"""What compiled code keeps in the interpreter-state dict, kept per environment.

pybind11 >= 3 makes extension modules with multi-phase init and, so that a
module is initialised only once per interpreter, caches every finished module
by its spec name in ``PyInterpreterState_GetDict()["__pybind11_module_cache"]``
(``cached_create_module`` in pybind11's ``detail``). The cache is global: a
second environment with the same scipy gets the *first* environment's
``scipy.fft._pocketfft.pypocketfft`` (whose arrays belong to the other numpy:
``c2c(): incompatible function arguments``), and a re-import after a purge gets
the purged module back.

The cache is read only while a module is being created, which happens inside
an activation. So while an environment is laid out, the cache holds exactly
the environment's entries under its top-level names (the others are stashed),
and what the environment added is moved back into its own table afterwards —
the same dance the overlay does with ``sys.modules``. A purge forgets the
environment's entries, so the next import creates fresh modules.

pybind11's *internals* (its registry of bound C++ types, one per ABI, under
``__pybind11_internals_v11_...``) live in the same dict. Shared, a second copy
of scipy fails to load: ``generic_type: type "HighsOptionsManager" is already
registered!``. Each environment gets internals of its own the same way: every
``__pybind11_*`` entry is swapped with the environment's while it is laid out.
A pybind11 module reads the dict once, while it initialises, and keeps the
pointer in a static of its shared library, so modules keep the internals of
the environment that loaded them.

pybind11 2.x on Python < 3.12 (internals version 4 and older) keeps its
internals in ``PyEval_GetBuiltins()`` instead — the builtins of the frame that
creates the module, which is importlib's: the ``builtins`` module's own dict.
matplotlib 3.8 (``_tri``) and scipy 1.13 on Python 3.11 are built that way; a
second copy or a re-import after purge failed with ``generic_type: type
"Triangulation" is already registered!``. Their ``__pybind11_internals_v4_...``
entries are swapped in the builtins dict exactly as in the interpreter's.

The dict is reached with ctypes (``PyInterpreterState_Get``,
``PyInterpreterState_GetDict``, both public since Python 3.9).
"""

from __future__ import annotations

import builtins
import ctypes
from typing import Any

from .environment import Environment

__iienv_machinery__ = True

PYBIND11_MODULE_CACHE = "__pybind11_module_cache"
PYBIND11_PREFIX = "__pybind11_"


def interpreter_dict() -> dict[str, Any] | None:
    """The running interpreter's state dict (None where ctypes cannot reach it).

    ``PyInterpreterState_GetDict`` returns a *borrowed* reference, and ctypes
    treats a ``py_object`` result as a new one (it decrefs it): declared that
    way, every call would drop a reference to the dict until it is freed. So
    the address comes back as a plain pointer and ``cast`` takes a reference.
    """
    global _STATE_DICT
    if _STATE_DICT is not None:
        return _STATE_DICT
    try:
        api = ctypes.pythonapi
        get_interp = api.PyInterpreterState_Get
        get_interp.restype = ctypes.c_void_p
        get_interp.argtypes = []
        get_dict = api.PyInterpreterState_GetDict
        get_dict.restype = ctypes.c_void_p
        get_dict.argtypes = [ctypes.c_void_p]
        address = get_dict(get_interp())
    except (AttributeError, OSError, ValueError):
        return None
    if not address:
        return None
    state = ctypes.cast(address, ctypes.py_object).value
    if isinstance(state, dict):
        _STATE_DICT = state
    return _STATE_DICT


_STATE_DICT: dict[str, Any] | None = None


class ModuleCaches:
    """pybind11's module cache and internals, laid out and collected with each environment."""

    def __init__(self) -> None:
        self._state = interpreter_dict()
        self._builtins: dict[str, Any] = builtins.__dict__

    def lay(self, env: Environment, tops: frozenset[str]) -> dict[str, Any] | None:
        """Stash what others keep under ``tops`` (and their internals), lay ``env``'s."""
        state = self._state
        if state is None:
            return None
        stash: dict[str, Any] = {_BUILTINS: _swap_internals(self._builtins, env.builtin_entries)}
        stash.update(_swap_internals(state, env.state_entries))
        cache = state.get(PYBIND11_MODULE_CACHE)
        if isinstance(cache, dict):
            stash[PYBIND11_MODULE_CACHE] = {
                key: cache.pop(key) for key in list(cache) if _top(key) in tops
            }
            cache.update(env.module_cache)
        elif env.module_cache:
            state[PYBIND11_MODULE_CACHE] = dict(env.module_cache)
        return stash

    def collect(self, env: Environment, tops: frozenset[str], stash: dict[str, Any] | None) -> None:
        """Move ``env``'s entries back into its own tables and restore the stash."""
        state = self._state
        if state is None or stash is None:
            return
        _swap_internals(self._builtins, stash.pop(_BUILTINS, {}), keep=env.builtin_entries)
        _swap_internals(state, {}, keep=env.state_entries)
        cached = stash.pop(PYBIND11_MODULE_CACHE, None)
        state.update(stash)
        cache = state.get(PYBIND11_MODULE_CACHE)
        if isinstance(cache, dict):
            mine = {key: cache.pop(key) for key in list(cache) if _top(key) in tops}
            env.module_cache.clear()
            env.module_cache.update(mine)
            if cached:
                cache.update(cached)


_BUILTINS = "builtins"  # the stash's key for what was taken out of the builtins dict


def _swap_internals(
    where: dict[str, Any], put: dict[str, Any], keep: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Take every internals entry out of ``where`` and put ``put``'s in.

    What was taken out is returned, or, with ``keep``, becomes ``keep``'s
    content (collecting an environment's entries after it was laid out).
    """
    taken = {key: where.pop(key) for key in [k for k in where if _is_internals(k)]}
    where.update(put)
    if keep is None:
        return taken
    keep.clear()
    keep.update(taken)
    return keep


def _is_internals(key: object) -> bool:
    return isinstance(key, str) and key.startswith(PYBIND11_PREFIX) and key != PYBIND11_MODULE_CACHE


def _top(key: object) -> str:
    return key.partition(".")[0] if isinstance(key, str) else ""
