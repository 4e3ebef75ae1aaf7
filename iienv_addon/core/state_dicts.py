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

The dict is reached with ctypes (``PyInterpreterState_Get``,
``PyInterpreterState_GetDict``, both public since Python 3.9).
"""

from __future__ import annotations

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

    def lay(self, env: Environment, tops: frozenset[str]) -> dict[str, Any] | None:
        """Stash what others keep under ``tops`` (and their internals), lay ``env``'s."""
        state = self._state
        if state is None:
            return None
        stash: dict[str, Any] = {}
        for key in [k for k in state if _is_internals(k)]:
            stash[key] = state.pop(key)
        state.update(env.state_entries)
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
        env.state_entries.clear()
        for key in [k for k in state if _is_internals(k)]:
            env.state_entries[key] = state.pop(key)
        cached = stash.pop(PYBIND11_MODULE_CACHE, None)
        state.update(stash)
        cache = state.get(PYBIND11_MODULE_CACHE)
        if isinstance(cache, dict):
            mine = {key: cache.pop(key) for key in list(cache) if _top(key) in tops}
            env.module_cache.clear()
            env.module_cache.update(mine)
            if cached:
                cache.update(cached)


def _is_internals(key: object) -> bool:
    return isinstance(key, str) and key.startswith(PYBIND11_PREFIX) and key != PYBIND11_MODULE_CACHE


def _top(key: object) -> str:
    return key.partition(".")[0] if isinstance(key, str) else ""
