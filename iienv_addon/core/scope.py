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
from collections import deque
from collections.abc import Callable
from operator import itemgetter
from types import ModuleType

from .caller import MARKER
from .environment import Environment

__iienv_machinery__ = True


class Collisions:
    """Host module names under an environment's top-level names, as last computed."""

    __slots__ = ("get", "key", "mapping", "modules", "names")

    def __init__(
        self, key: tuple[int, int, int], names: list[str], live: dict[str, ModuleType]
    ) -> None:
        self.key = key
        self.names = tuple(names)
        self.modules = tuple(live[name] for name in names)
        self.mapping: dict[str, ModuleType] = dict(zip(self.names, self.modules, strict=True))
        self.get: Callable[[dict[str, ModuleType]], tuple[ModuleType, ...]]
        if len(names) == 1:  # itemgetter of one name returns the value, not a 1-tuple
            only = names[0]
            self.get = lambda d: (d[only],)
        elif names:
            self.get = itemgetter(*names)
        else:
            self.get = lambda d: ()


class Stash:
    """Host modules taken out of ``sys.modules`` while scopes that collide with them run."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.modules: dict[str, ModuleType] = {}
        self._counts: dict[str, int] = {}
        # The common case, one scope live that took everything at once: no
        # per-name counts (they are made only when a second scope arrives).
        self._bulk = False
        # Bumped by the finder whenever a module is loaded through the meta path
        # outside an activation, so cached collision lists notice new host modules.
        self.loads = 0
        self._cache: dict[int, Collisions] = {}

    def collisions(self, env: Environment) -> Collisions:
        """Host module names under ``env``'s top-level names (stashed ones included)."""
        modules = sys.modules
        key = (len(modules) + len(self.modules), self.loads, id(env.top_names))
        cached = self._cache.get(id(env))
        if cached is not None and cached.key == key:
            return cached
        tops = env.top_names
        names = [
            name
            for name, module in list(modules.items())
            if name.partition(".")[0] in tops and _is_host_module(module)
        ]
        if self.modules:  # stashed by a live scope: not in sys.modules now
            names.extend(name for name in self.modules if name.partition(".")[0] in tops)
            collisions = Collisions(key, names, {**self.modules, **modules})
        else:
            collisions = Collisions(key, names, modules)
        self._cache[id(env)] = collisions
        return collisions

    def take(self, collisions: Collisions) -> list[str]:
        """Take the names out of ``sys.modules`` (or count another user); return those taken.

        The common case — no other scope live, ``sys.modules`` holding exactly
        the modules the names were computed with — is a handful of C-level
        bulk operations: this runs on every call into an add-on whose
        environment collides with Blender's modules (~100 names for numpy).
        """
        live = sys.modules
        names = collisions.names
        if not names:
            return []
        if not self.modules:
            try:
                current = collisions.get(live)
            except KeyError:
                current = None
            if current == collisions.modules:  # identity: the same host modules
                deque(map(live.pop, names), maxlen=0)
                self.modules = collisions.mapping  # shared: copied before any change
                self._bulk = True
                return list(names)
        if self._bulk:  # a second user: from now on per-name counts
            self.modules = dict(self.modules)
            self._counts = dict.fromkeys(self.modules, 1)
            self._bulk = False
        modules = self.modules
        counts = self._counts
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
        if not names:
            return
        live = sys.modules
        if self._bulk:  # the only user took everything: put it all back
            live.update(self.modules)
            self.modules = {}
            self._bulk = False
            return
        counts = self._counts
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
