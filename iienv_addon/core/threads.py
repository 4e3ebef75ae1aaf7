"""Threads started from an environment's code run in the environment's scope.

A thread's frames are the environment's own when its target (or its
``run()``) is the environment's code, so by-name lookups in Python are routed
by frames anyway (caller.py). What frames cannot do is make *compiled* code
that imports by name at call time miss Blender's copy in ``sys.modules``;
that needs the scope (scope.py), and a thread starts with none. So while iienv
is enabled, ``threading.Thread._bootstrap_inner`` — where every thread,
subclass or not, starts running — enters the scope of the environment whose
code the thread runs. Threads of global code start exactly as before.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FunctionType, MethodType
from typing import Any

from .caller import MARKER
from .environment import Environment

__iienv_machinery__ = True

ScopeFor = Callable[[Environment], AbstractContextManager[Any] | None]


class ThreadScopes:
    """Registry of managers whose environments' threads get a scope."""

    def __init__(self) -> None:
        self.resolvers: list[tuple[dict[int, Environment], ScopeFor]] = []
        self._original: Any = None

    def register(self, known: dict[int, Environment], scope_for: ScopeFor) -> None:
        if not self.resolvers:
            self._install()
        self.resolvers.append((known, scope_for))

    def unregister(self, known: dict[int, Environment]) -> None:
        self.resolvers = [r for r in self.resolvers if r[0] is not known]
        if not self.resolvers and self._original is not None:
            threading.Thread._bootstrap_inner = self._original  # type: ignore[attr-defined]
            self._original = None

    def _install(self) -> None:
        original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
        registry = self

        def _bootstrap_inner(thread: threading.Thread) -> None:
            scope = registry.scope_of(thread)
            if scope is None:
                original(thread)
                return
            with scope:
                original(thread)

        _bootstrap_inner.__wrapped__ = original  # type: ignore[attr-defined]
        self._original = original
        threading.Thread._bootstrap_inner = _bootstrap_inner  # type: ignore[attr-defined]

    def scope_of(self, thread: threading.Thread) -> AbstractContextManager[Any] | None:
        """The scope of the environment whose code ``thread`` runs, if any."""
        fn = getattr(thread, "_target", None)
        if fn is None:
            fn = type(thread).run
        while isinstance(fn, MethodType | functools.partial):
            fn = fn.__func__ if isinstance(fn, MethodType) else fn.func
        namespace = fn.__globals__ if isinstance(fn, FunctionType) else None
        env = namespace.get(MARKER) if namespace is not None else None
        if env is None:
            return None
        for known, scope_for in self.resolvers:
            live = known.get(id(env))
            if live is env:
                return scope_for(live)
        return None


THREAD_SCOPES = ThreadScopes()
