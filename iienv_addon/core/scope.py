"""Explicit activation: a block of code that runs as an environment's code.

Who is asking for a module is normally told by frames (caller.py): the
innermost frame that is not import machinery decides, and ``sys.modules``
answers each lookup for that code (module_view.py). Code that is not the
environment's — a script, Blender's own Python, an add-on's code handed to a
library that calls back into it from its own frames — can still ask to be
treated as the environment's for a while: ``with manager.activated(env):``.

A scope is only a per-thread mark that the views and the finder read: nothing
is taken out of ``sys.modules`` and no lock is held while the block runs, so
other threads see exactly what they would without it, and the block may run
for minutes, start threads and wait for them.
"""

from __future__ import annotations

import threading

from .environment import Environment
from .module_view import VIEWS

__iienv_machinery__ = True


class Scopes:
    """Per-thread stacks of live explicit scopes."""

    def __init__(self) -> None:
        self._local = threading.local()

    def explicit(self) -> Environment | None:
        """The environment of this thread's innermost live ``activated`` block."""
        stack = getattr(self._local, "stack", None)
        return stack[-1] if stack else None

    def enter(self, env: Environment) -> None:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        stack.append(env)
        VIEWS.block_entered()

    def exit(self) -> None:
        self._local.stack.pop()
        VIEWS.block_left()


class Scope:
    """``with scope:`` runs the block as ``env``'s code (see the module docstring)."""

    __slots__ = ("_env", "_scopes")

    def __init__(self, scopes: Scopes, env: Environment) -> None:
        self._scopes = scopes
        self._env = env

    def __enter__(self) -> Environment:
        self._scopes.enter(self._env)
        return self._env

    def __exit__(self, *exc: object) -> None:
        self._scopes.exit()
