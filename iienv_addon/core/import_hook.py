"""Each environment's ``__import__``.

Modules an environment loads get a builtins dict of their own whose
``__import__`` is made here, so code outside environments keeps CPython's
native import fast path and ``builtins.__import__`` is never replaced.

``PyImport_Import`` (behind ``PyImport_ImportModule``, which numpy's compiled
code uses for its lazy imports) calls ``__import__`` of the top Python frame
with ``fromlist`` an empty *list*, throws the result away and then reads
``sys.modules[name]`` itself: that read is answered for the environment by
``sys.modules``' own routing (module_view.py), so the hook only has to make
sure the environment has loaded the module.
"""

from __future__ import annotations

import builtins
import importlib._bootstrap as _bootstrap
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from .environment import PURGED_MARK, Environment
from .errors import EnvironmentPurgedError
from .overlay import Overlay

ImportFunction = Callable[..., ModuleType]

__iienv_machinery__ = True

_dict_get = dict.get


def make_builtins(hook: ImportFunction) -> dict[str, Any]:
    """A snapshot of the builtins namespace with ``__import__`` replaced."""
    namespace = dict(builtins.__dict__)
    namespace["__import__"] = hook
    return namespace


def make_import(
    env: Environment,
    overlay: Overlay,
    original: ImportFunction,
) -> ImportFunction:
    """Build the ``__import__`` that code loaded by ``env`` calls."""
    table = env.modules
    plain = env.plain_imports
    modules = sys.modules  # (the same dict for the life of the process)
    calc_package = _bootstrap._calc___package__  # type: ignore[attr-defined]
    resolve_name = _bootstrap._resolve_name  # type: ignore[attr-defined]

    def slow(
        name: str,
        globals: dict[str, Any] | None,
        locals: Any,
        fromlist: Sequence[str] | None,
        level: int,
    ) -> ModuleType:
        if overlay.active_env() is env:
            # Inside this environment's own activation: the overlay is in place.
            return original(name, globals, locals, fromlist, level)
        if env.removed:
            raise EnvironmentPurgedError.importing(env.name, name)
        if fromlist is None:
            fromlist = ()
        if level:
            package = calc_package(globals or {})
            if not package:
                return original(name, globals, locals, fromlist, level)
            absolute = resolve_name(name, package, level)
        else:
            absolute = name
        if absolute.partition(".")[0] not in env.top_names:
            return original(name, globals, locals, fromlist, level)
        cached = table.get(absolute)
        if cached is not None:
            if not fromlist:
                if not level and absolute in plain:
                    return plain[absolute]
            elif _fromlist_present(cached, fromlist):
                return cached
        if globals is not None and PURGED_MARK in globals:  # (purge.py)
            raise EnvironmentPurgedError.stale(env.name, globals.get("__name__"), absolute)
        with overlay.activated(env):
            return original(name, globals, locals, fromlist, level)

    def __import__(
        name: str,
        globals: dict[str, Any] | None = None,
        locals: Any = None,
        fromlist: Sequence[str] | None = None,
        level: int = 0,
    ) -> ModuleType:
        # Fast path, kept to a few bytecodes: a plain ``import a.b`` statement
        # (fromlist None, level 0) of a module the environment has loaded.
        if fromlist is None and not level:
            try:
                return plain[name]
            except KeyError:
                pass
            if name.partition(".")[0] not in env.top_names and not env.removed:
                return original(name, globals, locals, fromlist, level)  # os, json, bpy
        elif not level:
            if fromlist:
                module = table.get(name)
                if module is not None and _fromlist_present(module, fromlist):
                    return module
        elif globals is not None:
            # A relative import in the add-on's own package (``from . import ui`` in
            # a draw function): not the environment's names, so CPython's own import,
            # or, for ``from .x import y`` of a loaded module, what it would return.
            package = globals.get("__package__")
            if package and package.partition(".")[0] not in env.top_names and not env.removed:
                if level == 1 and fromlist:
                    module = _dict_get(modules, f"{package}.{name}" if name else package)
                    if module is not None and _loaded(module, fromlist):
                        return module
                return original(name, globals, locals, fromlist, level)
        return slow(name, globals, locals, fromlist, level)

    __import__.__qualname__ = f"iienv[{env.name}].__import__"
    return __import__


def _loaded(module: ModuleType, fromlist: Sequence[str]) -> bool:
    """True if CPython's import would hand ``module`` back as it is for ``fromlist``.

    Not while another thread still runs its body (CPython waits for that).
    """
    spec = module.__dict__.get("__spec__")
    if spec is not None and getattr(spec, "_initializing", False):
        return False
    return _fromlist_present(module, fromlist)


def _fromlist_present(module: ModuleType, fromlist: Sequence[str]) -> bool:
    """True if ``from module import *fromlist`` needs no further import.

    Only the module's own namespace is read: ``hasattr`` would run a PEP 562
    ``__getattr__`` (pydantic 2, scipy), which imports lazily — outside the
    environment when called from here — and may raise anything. A name that is
    not in the namespace yet takes the slow path, inside the environment, where
    importlib's ``_handle_fromlist`` runs ``__getattr__`` as CPython would.
    """
    if not fromlist:
        return True
    if not hasattr(module, "__path__"):
        return True
    namespace = module.__dict__
    for item in fromlist:
        if item == "*" or item not in namespace:
            return False
    return True
