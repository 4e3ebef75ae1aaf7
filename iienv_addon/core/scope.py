"""Scoped activation: an environment's code running, not importing.

Compiled code imports by literal name at *call* time: Cython's function-level
``from numpy.linalg import svd`` is ``PyImport_ImportModuleLevelObject``,
which reads ``sys.modules`` directly and never calls ``__import__``. When the
name is absent from ``sys.modules`` the meta path is asked, and iienv's
finder answers for the calling environment (finder.py); when Blender's own
copy is there, CPython returns it and nobody is asked.

A scope is entered where Blender hands control to an add-on (an operator's
``execute``, a panel's ``draw``, a handler, a timer; the Blender layer
decides) and by ``Manager.activated``. While it is live on a thread, the
*host's* modules under the environment's top-level names are taken out of
``sys.modules`` (stashed), so every by-name lookup misses and reaches the
finder, which serves the environment's module to the environment's code and
the stashed host module to anyone else. Nothing is laid over ``sys.modules``
for the length of the call and no lock is held while the add-on's code runs:
an operator that starts a thread which imports and then joins it cannot
deadlock on iienv.

The stash is shared and counted: two scopes (on two threads, or nested) that
both need Blender's ``numpy`` out of the way take it out once and put it back
when the last one ends. Which host names collide is cached and recomputed only
when ``sys.modules`` grew or shrank, or a module was loaded through the meta
path, since the last computation.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import ModuleType

from .caller import MARKER
from .environment import Environment

__iienv_machinery__ = True


class Stash:
    """Host modules taken out of ``sys.modules`` while scopes that collide with them run."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.modules: dict[str, ModuleType] = {}
        self._counts: dict[str, int] = {}
        # Bumped by the finder whenever a module is loaded through the meta path
        # outside an activation, so cached collision lists notice new host modules.
        self.loads = 0
        self._cache: dict[int, tuple[tuple[int, int, int], list[str]]] = {}

    def collisions(self, env: Environment) -> list[str]:
        """Host module names under ``env``'s top-level names (stashed ones included)."""
        modules = sys.modules
        key = (len(modules) + len(self.modules), self.loads, id(env.top_names))
        cached = self._cache.get(id(env))
        if cached is not None and cached[0] == key:
            return cached[1]
        tops = env.top_names
        names = [
            name
            for name, module in list(modules.items())
            if name.partition(".")[0] in tops and _is_host_module(module)
        ]
        names.extend(name for name in self.modules if name.partition(".")[0] in tops)
        self._cache[id(env)] = (key, names)
        return names

    def take(self, names: list[str]) -> list[str]:
        """Take ``names`` out of ``sys.modules`` (or count another user); return those taken."""
        modules = self.modules
        counts = self._counts
        live = sys.modules
        taken = []
        for name in names:
            count = counts.get(name)
            if count:
                counts[name] = count + 1
                taken.append(name)
                continue
            module = live.get(name)
            if module is None or not _is_host_module(module):
                continue
            del live[name]
            modules[name] = module
            counts[name] = 1
            taken.append(name)
        return taken

    def give_back(self, names: list[str]) -> None:
        """Release ``names``; the last user puts the host module back into ``sys.modules``."""
        counts = self._counts
        live = sys.modules
        for name in names:
            count = counts[name] - 1
            if count:
                counts[name] = count
            else:
                del counts[name]
                live[name] = self.modules.pop(name)

    def forget(self, env: Environment) -> None:
        self._cache.pop(id(env), None)


def _is_host_module(module: object) -> bool:
    namespace = getattr(module, "__dict__", None)
    return not (isinstance(namespace, dict) and MARKER in namespace)


class _Entry:
    __slots__ = ("depth", "env", "explicit", "taken")

    def __init__(self, env: Environment, explicit: bool, taken: list[str]) -> None:
        self.env = env
        self.explicit = explicit
        self.taken = taken
        self.depth = 1


class Scopes:
    """Per-thread stacks of live scopes over one shared stash."""

    def __init__(self, stash: Stash, on_exit: Callable[[], None] | None = None) -> None:
        self.stash = stash
        self._local = threading.local()
        self._on_exit = on_exit

    def current(self) -> Environment | None:
        """The environment of this thread's innermost live scope."""
        stack = getattr(self._local, "stack", None)
        return stack[-1].env if stack else None

    def explicit(self) -> Environment | None:
        """The environment whose ``activated`` block is this thread's innermost scope.

        Global code inside such a block runs as the environment's; inside a
        door (an add-on's operator), only the add-on's own frames do.
        """
        stack = getattr(self._local, "stack", None)
        if stack:
            entry = stack[-1]
            if entry.explicit:
                return entry.env
        return None

    def enter(self, env: Environment, explicit: bool = False) -> None:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        elif stack and stack[-1].env is env and stack[-1].explicit is explicit:
            stack[-1].depth += 1
            return
        stash = self.stash
        with stash.lock:
            taken = stash.take(stash.collisions(env))
        stack.append(_Entry(env, explicit, taken))

    def exit(self) -> None:
        stack = self._local.stack
        entry = stack[-1]
        if entry.depth > 1:
            entry.depth -= 1
            return
        stack.pop()
        if self._on_exit is not None:
            self._on_exit()
        if entry.taken:
            with self.stash.lock:
                self.stash.give_back(entry.taken)


class Scope:
    """``with scope:`` runs the block as ``env``'s code (see the module docstring)."""

    __slots__ = ("_env", "_explicit", "_scopes")

    def __init__(self, scopes: Scopes, env: Environment, explicit: bool = False) -> None:
        self._scopes = scopes
        self._env = env
        self._explicit = explicit

    def __enter__(self) -> Environment:
        self._scopes.enter(self._env, self._explicit)
        return self._env

    def __exit__(self, *exc: object) -> None:
        self._scopes.exit()
