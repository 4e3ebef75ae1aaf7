"""Interpreter-wide registries that keep a purged environment's objects alive.

Forgetting an environment's modules frees them only if nothing outside the
environment still points into them. Packages register in places that belong
to the interpreter: soupsieve puts its classes into ``copyreg.dispatch_table``,
libraries create ``logging`` loggers with their own handlers and filters,
urllib3 and requests add ``warnings`` filters for their own warning classes,
``typing`` caches every parametrised generic it builds (pydantic builds many),
keeps the ``cache_clear`` of every cache made with its ``_tp_cache``
(typing_extensions makes its own, and also puts its own functions into
``typing`` itself) and, since 3.11, every ``@overload``-decorated function
(urllib3's, attrs'), ``atexit`` keeps the functions it was given, ``linecache`` the source of files
that appeared in tracebacks, and a package may set ``sys.excepthook`` or
``threading.excepthook``. A purge takes the environment's entries out of each.

What is still alive after that is reported, not hidden (``PurgeResult.survivors``):
compiled modules with single-phase init keep a copy of their namespace for the
life of the process (CPython's ``m_copy``), so ``_yaml`` keeps ``yaml`` alive,
and no Python code can release that.
"""

from __future__ import annotations

import atexit
import copyreg
import gc
import linecache
import logging
import os
import sys
import threading
import typing
import warnings
import weakref
from collections.abc import Iterable
from pathlib import Path
from types import FunctionType, ModuleType

__iienv_machinery__ = True


def _defined_in(obj: object, names: set[str]) -> bool:
    """True if ``obj`` (or its class) was defined by one of the modules ``names``."""
    target = obj if isinstance(obj, type | FunctionType) else type(obj)
    module = getattr(target, "__module__", None)
    return isinstance(module, str) and module in names


# What ``typing`` held when iienv was loaded. typing_extensions (before 3.13) assigns
# its own functions into ``typing`` itself (``typing._check_generic``), for every
# caller; once the environment is purged, typing gets back what it had.
_TYPING_BEFORE = dict(vars(typing))
_ABSENT = object()


def _namespace_of(cleanup: object) -> object:
    """The globals of the function behind an lru_cache's bound ``cache_clear``."""
    wrapped = getattr(getattr(cleanup, "__self__", None), "__wrapped__", None)
    return getattr(wrapped, "__globals__", None)


def clear_registries(modules: dict[str, ModuleType], directories: Iterable[Path]) -> list[str]:
    """Take ``modules``' objects out of interpreter-wide registries; return what was removed."""
    names = set(modules)
    tops = {name.partition(".")[0] for name in names}
    removed: list[str] = []
    for key, value in list(copyreg.dispatch_table.items()):
        if _defined_in(key, names) or _defined_in(value, names):
            del copyreg.dispatch_table[key]
            removed.append(f"copyreg.dispatch_table[{getattr(key, '__qualname__', key)}]")
    manager = logging.Logger.manager
    for logger_name in list(manager.loggerDict):
        if logger_name.partition(".")[0] in tops:
            logger = manager.loggerDict.pop(logger_name)
            if isinstance(logger, logging.Logger):
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
            removed.append(f"logging logger {logger_name!r}")
    kept = [f for f in warnings.filters if not _defined_in(f[2], names)]
    if len(kept) != len(warnings.filters):
        removed.append(f"{len(warnings.filters) - len(kept)} warnings filter(s)")
        warnings.filters[:] = kept  # type: ignore[index]
        warnings._filters_mutated()  # type: ignore[attr-defined]
    cleanups = getattr(typing, "_cleanups", None)
    if isinstance(cleanups, list):
        for cleanup in list(cleanups):
            cleanup()  # typing's caches of parametrised generics (all: they refill on use)
        # typing._tp_cache, which typing_extensions uses for its own functions, appends
        # each cache's cache_clear here: a purged module's stay (with its namespace) forever.
        namespaces = {id(module.__dict__) for module in modules.values()}
        kept_cleanups = [c for c in cleanups if id(_namespace_of(c)) not in namespaces]
        if len(kept_cleanups) != len(cleanups):
            removed.append(f"{len(cleanups) - len(kept_cleanups)} typing cache cleanup(s)")
            cleanups[:] = kept_cleanups
        for attribute, value in list(vars(typing).items()):
            if id(getattr(value, "__globals__", None)) in namespaces:
                original = _TYPING_BEFORE.get(attribute, _ABSENT)
                if original is _ABSENT:
                    delattr(typing, attribute)
                else:
                    setattr(typing, attribute, original)
                removed.append(f"typing.{attribute} (set by {value.__module__})")
        caches = getattr(typing, "_caches", None)  # 3.12+: the caches, keyed by function
        if isinstance(caches, dict):
            for function in list(caches):
                if id(getattr(function, "__globals__", None)) in namespaces:
                    del caches[function]
    overloads = getattr(typing, "_overload_registry", None)  # 3.11+: every @overload kept
    if isinstance(overloads, dict):
        for module_name in [key for key in overloads if key in names]:
            del overloads[module_name]
            removed.append(f"typing overloads of {module_name}")
    removed += _exit_functions({id(module.__dict__) for module in modules.values()})
    prefixes = tuple(str(d) + os.sep for d in directories)
    for filename in [f for f in list(linecache.cache) if f.startswith(prefixes)]:
        linecache.cache.pop(filename, None)
    if _defined_in(sys.excepthook, names):
        sys.excepthook = sys.__excepthook__
        removed.append("sys.excepthook")
    if _defined_in(threading.excepthook, names):
        threading.excepthook = threading.__excepthook__
        removed.append("threading.excepthook")
    return removed


def _exit_functions(namespaces: set[int]) -> list[str]:
    """Unregister the environment's ``atexit`` and ``threading`` exit functions.

    Closures too (joblib registers a local ``_cleanup`` per temporary folder): a
    purged environment's function would run at Blender's exit and fail on its
    first lazy import, printing a traceback for each. ``atexit`` cannot list its
    functions, so candidates come from the heap (functions whose globals are
    one of the environment's modules) and ``_ncallbacks`` tells which were
    registered. ``threading._register_atexit`` (concurrent.futures, loky) keeps
    a plain list.
    """
    removed: list[str] = []
    functions = [
        obj
        for obj in gc.get_objects()
        if type(obj) is FunctionType and id(obj.__globals__) in namespaces
    ]
    count = getattr(atexit, "_ncallbacks", None)
    for function in functions:
        before = count() if count is not None else None
        atexit.unregister(function)
        if count is not None and count() != before:
            removed.append(f"atexit function {function.__module__}.{function.__qualname__}")
    exits = getattr(threading, "_threading_atexits", None)
    if isinstance(exits, list):
        kept = [f for f in exits if id(getattr(f, "__globals__", None)) not in namespaces]
        if len(kept) != len(exits):
            removed.append(f"{len(exits) - len(kept)} threading exit function(s)")
            exits[:] = kept
    return removed


def survivors(purged: dict[str, weakref.ReferenceType[ModuleType]]) -> list[tuple[str, str]]:
    """Purged modules still alive after a collection, with what holds them (best effort).

    One scan of the heap for all of them (``gc.get_referrers`` walks every object).
    """
    gc.collect()
    alive = [(name, module) for name, ref in purged.items() if (module := ref()) is not None]
    if not alive:
        return []
    compiled = [
        name
        for name, module in alive
        if (getattr(module, "__file__", "") or "").endswith((".so", ".pyd"))
    ]
    inside = {id(module.__dict__) for _, module in alive} | {id(purged), id(alive)}
    outside = [
        r
        for r in gc.get_referrers(*(module for _, module in alive))
        if isinstance(r, dict) and id(r) not in inside
    ]
    if compiled:
        holder = f"the compiled module {compiled[0]} (it keeps its namespace for good)"
    elif outside:
        holder = f"a dictionary outside the environment (keys {sorted(map(str, outside[0]))[:3]})"
    else:
        holder = "objects of the environment that something outside still holds"
    return [(name, holder) for name, _ in alive]
