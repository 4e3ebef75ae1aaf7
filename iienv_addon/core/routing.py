"""Run-time lookups by name, routed to the environment of the code that asks.

An ``import`` statement in an environment's module goes through the
environment's ``__import__`` (import_hook.py). Lookups made *later*, by name,
from Python code do not: ``importlib.import_module`` (behind PEP 562 module
``__getattr__`` in pydantic 2 and scipy, behind matplotlib's backend switch),
``importlib.util.find_spec`` (optional-dependency checks),
``importlib.resources.files("pkg")`` (certifi, jsonschema), ``pkgutil.get_data``
and ``importlib.reload`` read the one global ``sys.modules`` and would hand an
add-on Blender's numpy, or load a second copy of a package globally.

These functions are replaced, for as long as iienv is enabled, by versions
that find the asking environment from the caller's frames (caller.py) and,
when the name is one the environment provides, answer from the environment;
every other call goes to the original function unchanged. Modules that bound
the originals by name before iienv was enabled (``from importlib import
import_module`` in ``importlib.metadata``, which loads entry points) get the
routed versions too, and everything is put back when the last enabled manager
is disabled. There is one set of replacements per process; each enabled
manager registers a ``Routing`` with it (tests run several managers).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType, ModuleType
from typing import Any

from .caller import MACHINERY, MARKER
from .environment import Environment
from .errors import EnvironmentPurgedError

__iienv_machinery__ = True

CallerFunction = Callable[[FrameType | None], Environment | None]
ImportIn = Callable[[Environment, str], ModuleType]
Activate = Callable[[Environment], AbstractContextManager[Any]]

_resolve_name = importlib.util.resolve_name
_TARGETS: tuple[tuple[ModuleType, str], ...] = (
    (importlib, "import_module"),
    (importlib, "reload"),
    (importlib.util, "find_spec"),
    (pkgutil, "get_data"),
)


class Routing:
    """One manager's answers to run-time lookups: who is calling, and how to import for it."""

    def __init__(self, caller: CallerFunction, import_in: ImportIn, activate: Activate) -> None:
        self.caller = caller
        self.import_in = import_in
        self.activate = activate

    def install(self) -> None:
        """Register with the process-wide replacements (installing them if first)."""
        _ROUTER.register(self)

    def uninstall(self) -> None:
        """Unregister; the last one out restores every original exactly where it was."""
        _ROUTER.unregister(self)


class _Router:
    """The process-wide replacements and the managers they ask."""

    def __init__(self) -> None:
        self.routings: list[Routing] = []
        self._originals: dict[str, Any] = {}
        self._rebound: list[tuple[dict[str, Any], str, Any]] = []
        self._replacements: dict[str, Callable[..., Any]] = {}

    @property
    def installed(self) -> bool:
        return bool(self._replacements)

    def register(self, routing: Routing) -> None:
        if routing in self.routings:
            return
        self.routings.append(routing)
        if not self._replacements:
            self._install()

    def unregister(self, routing: Routing) -> None:
        if routing in self.routings:
            self.routings.remove(routing)
        if not self.routings and self._replacements:
            self._uninstall()

    def _install(self) -> None:
        self._originals = {attr: getattr(owner, attr) for owner, attr in _TARGETS}
        replacements = _build(self, self._originals)
        by_identity = {id(fn): replacements[attr] for attr, fn in self._originals.items()}
        for owner, attr in _TARGETS:
            setattr(owner, attr, replacements[attr])
        rebound = []
        for module in list(sys.modules.values()):
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict) or namespace.get(MACHINERY):
                continue
            for key in _REPLACEABLE_NAMES & namespace.keys():
                value = namespace[key]
                replacement = by_identity.get(id(value))
                if replacement is not None and replacement.__name__ == key:
                    namespace[key] = replacement
                    rebound.append((namespace, key, value))
        self._rebound = rebound
        self._replacements = replacements

    def _uninstall(self) -> None:
        for owner, attr in _TARGETS:
            if getattr(owner, attr) is self._replacements[attr]:
                setattr(owner, attr, self._originals[attr])
        for namespace, key, value in self._rebound:
            if namespace.get(key) is self._replacements[key]:
                namespace[key] = value
        self._rebound = []
        self._replacements = {}

    def env_for(
        self, frame: FrameType | None, fullname: str
    ) -> tuple[Routing, Environment] | tuple[None, None]:
        """The calling environment if it provides ``fullname``; (None, None): route globally."""
        for routing in self.routings:
            env = routing.caller(frame)
            if env is None:
                continue
            if env.removed:
                raise EnvironmentPurgedError.importing(env.name, fullname)
            if env.provides(fullname):
                return routing, env
            return None, None
        return None, None


_ROUTER = _Router()


def _build(router: _Router, originals: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    original_import_module = originals["import_module"]
    original_find_spec = originals["find_spec"]
    original_get_data = originals["get_data"]
    original_reload = originals["reload"]

    def import_module(name: str, package: str | None = None) -> ModuleType:
        """importlib.import_module, answered by the calling environment (iienv)."""
        absolute = _resolve_name(name, package) if name.startswith(".") and package else name
        routing, env = router.env_for(sys._getframe(1), absolute)
        if routing is None or env is None:
            return original_import_module(name, package)
        return routing.import_in(env, absolute)

    def find_spec(name: str, package: str | None = None) -> Any:
        """importlib.util.find_spec, answered by the calling environment (iienv)."""
        fullname = _resolve_name(name, package) if name.startswith(".") else name
        routing, env = router.env_for(sys._getframe(1), fullname)
        if routing is None or env is None:
            return original_find_spec(name, package)
        module = env.modules.get(fullname)
        if module is None:
            with routing.activate(env):
                return original_find_spec(fullname)
        spec = getattr(module, "__spec__", None)
        if spec is None:
            raise ValueError(f"{name}.__spec__ is None")
        return spec

    def get_data(package: str, resource: str) -> bytes | None:
        """pkgutil.get_data, reading from the calling environment's package (iienv)."""
        routing, env = router.env_for(sys._getframe(1), package)
        if routing is None or env is None:
            return original_get_data(package, resource)
        module = routing.import_in(env, package)
        loader = getattr(getattr(module, "__spec__", None), "loader", None)
        filename = getattr(module, "__file__", None)
        if loader is None or not hasattr(loader, "get_data") or not filename:
            return None
        path = os.path.join(os.path.dirname(filename), *resource.split("/"))
        data: bytes = loader.get_data(path)
        return data

    def reload(module: ModuleType) -> ModuleType:
        """importlib.reload; an environment's module is reloaded inside its environment."""
        env = module.__dict__.get(MARKER) if isinstance(module, ModuleType) else None
        if env is not None and module.__name__ in env.modules:
            for routing in router.routings:
                with routing.activate(env):
                    return original_reload(module)
        return original_reload(module)

    replacements: dict[str, Callable[..., Any]] = {
        "import_module": import_module,
        "find_spec": find_spec,
        "get_data": get_data,
        "reload": reload,
    }
    for attr, fn in replacements.items():
        setattr(fn, "__wrapped__", originals[attr])  # inspect.unwrap finds the original
    return replacements


_REPLACEABLE_NAMES = frozenset(attr for _, attr in _TARGETS)
