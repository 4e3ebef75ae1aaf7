"""A gate in front of CPython's module loading, closed while an environment is laid out.

While an environment's modules are laid over ``sys.modules`` (overlay.py),
no other thread may run a module body: ``import numpy`` in that body would
find the environment's numpy under its real name, through CPython's C fast
path, which asks no finder. Until now iienv held CPython's global import
lock for that and waited until no other thread held a module lock. That
lock is also what an import *in progress* needs to go on (``_find_spec``
and ``_get_module_lock`` take it), so under load the wait rarely ended:
activations gave up, and global imports ran at a few percent of their speed.

The gate is at the one place every module load goes through: CPython's C
import calls ``importlib._bootstrap._find_and_load`` by attribute lookup
(``import_find_and_load`` in ``import.c``), and ``importlib.import_module``
calls it by global name, so replacing that attribute catches every load
that is not already in ``sys.modules``. A thread's *outermost* load waits
while the gate is closed; a load inside a load that is already running
goes on, so every import in progress can finish. An activation closes the
gate, waits until no other thread is inside a load (threads that cannot
run module code until this activation ends, parked on an iienv lock or
blocked on a module lock this thread holds, are not waited for), lays the
environment out, and opens the gate again. Activations alternate fairly
with the loads that queued at the gate meanwhile.

The same replacement first lets an environment's code load what its
environment provides inside the environment (module_view.py): that is where
a compiled import of a name missing from the caller's view of
``sys.modules`` arrives.

The replacement is compiled with importlib's own file name so that CPython
trims it from tracebacks as it trims importlib's frames (``remove_importlib_frames``).
There is one gate per process; each enabled manager installs it and the last
one out restores the original ``_find_and_load``.
"""

from __future__ import annotations

import importlib._bootstrap as _bootstrap
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .module_view import VIEWS

__iienv_machinery__ = True

_get_ident = threading.get_ident

# While other threads are loading, the gate stays open OPEN_RATIO times as long
# as it was last closed (activations in a loop take at most a ninth of the
# time from global code), up to FAIR_SHARE_MAX_SECONDS.
OPEN_RATIO = 8.0
FAIR_SHARE_MAX_SECONDS = 0.05

_WRAPPER_SOURCE = """
def _find_and_load(name, import_):
    module = load_for_caller(name, getframe(1))
    if module is not None:
        return module
    enter()
    try:
        return original(name, import_)
    finally:
        leave()
"""


class ImportGate:
    """Outermost module loads wait while one thread has the gate closed."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._closed_by: int | None = None
        self._depth: dict[int, int] = {}  # thread -> nesting of loads in progress
        self._queued = 0  # outermost loads waiting at the closed gate
        self._parked: dict[int, int] = {}  # threads waiting on an iienv lock
        self._opened_at = 0.0
        self._closed_at = 0.0
        self._closers_waiting = 0
        self._closed_for = 0.0  # how long the gate was closed last time
        self._original: Callable[..., Any] | None = None
        self._users = 0
        self._installing = threading.Lock()
        self.timeouts = 0
        self.closed_seconds = 0.0  # in all (make bench reports it)
        self.waited_seconds = 0.0  # activations waiting for other threads' loads

    # ---- installation ---------------------------------------------------
    @property
    def installed(self) -> bool:
        return self._original is not None

    def install(self) -> None:
        """Put the gate in front of ``_find_and_load`` (refcounted)."""
        with self._installing:
            self._install()

    def _install(self) -> None:
        self._users += 1
        if self._original is not None:
            return
        original = _bootstrap._find_and_load  # type: ignore[attr-defined]
        namespace: dict[str, Any] = {
            "__iienv_machinery__": True,
            "enter": self._enter,
            "leave": self._leave,
            "original": original,
            "load_for_caller": VIEWS.load_for_caller,
            "getframe": sys._getframe,
        }
        code = compile(_WRAPPER_SOURCE, "<frozen importlib._bootstrap>", "exec")
        exec(code, namespace)
        wrapper = namespace["_find_and_load"]
        wrapper.__doc__ = original.__doc__
        self._original = original
        _bootstrap._find_and_load = wrapper  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        """The last user out puts CPython's ``_find_and_load`` back."""
        with self._installing:
            self._uninstall()

    def _uninstall(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users or self._original is None:
            return
        _bootstrap._find_and_load = self._original  # type: ignore[attr-defined]
        self._original = None

    # ---- the loads ------------------------------------------------------
    def _enter(self) -> None:
        # Lock-free when the gate is open: a load announces itself first and
        # then looks at the gate; a closer closes first and then looks at the
        # loads (close). With the GIL each step is atomic, so one of the two
        # always sees the other.
        me = _get_ident()
        depth = self._depth.get(me, 0)
        self._depth[me] = depth + 1
        if depth == 0 and self._closed_by not in (None, me):
            self._wait_for_open(me)

    def _leave(self) -> None:
        me = _get_ident()
        depth = self._depth[me] - 1
        if depth:
            self._depth[me] = depth
            return
        del self._depth[me]
        if self._closers_waiting:
            with self._cond:
                self._cond.notify_all()

    # ---- activations ----------------------------------------------------
    @contextmanager
    def parked(self) -> Iterator[None]:
        """Mark the calling thread as unable to run module code (waiting on an iienv lock)."""
        me = _get_ident()
        with self._cond:
            self._parked[me] = self._parked.get(me, 0) + 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                count = self._parked[me] - 1
                if count:
                    self._parked[me] = count
                else:
                    del self._parked[me]

    @contextmanager
    def stepped_out(self) -> Iterator[None]:
        """The calling thread runs no module code for a while, though inside a load.

        An add-on's environment is installed (pip, seconds to minutes) *during*
        Blender's import of the add-on: without this, every other thread's
        environment import would wait for that load to end and give up after
        QUIESCE_GIVE_UP_SECONDS. Back from the install, the thread runs module
        code again only while no other thread has an environment laid out.
        """
        me = _get_ident()
        with self.parked():
            yield
        if self._closed_by not in (None, me) and self._depth.get(me):
            self._wait_for_open(me)

    def _wait_for_open(self, me: int) -> None:
        """Wait, as a queued load, until no other thread has the gate closed."""
        with self._cond:
            depth = self._depth.pop(me, 0)  # not waited for while it waits here
            self._cond.notify_all()  # the closer may be waiting for this load
            self._queued += 1
            try:
                while self._closed_by not in (None, me):
                    self._cond.wait()
            finally:
                self._queued -= 1
                if depth:
                    self._depth[me] = depth

    def close(self, timeout: float) -> bool:
        """Close the gate once no other thread is inside a load; False after ``timeout``.

        While other threads are loading, the gate first stays open OPEN_RATIO
        times as long as it was last closed (at most FAIR_SHARE_MAX_SECONDS):
        activations in a loop cannot starve global code. A thread blocked on a
        module lock this thread holds, or parked on an iienv lock, cannot run
        module code before the gate opens again, so it is not waited for.
        """
        me = _get_ident()
        started = time.monotonic()
        deadline = started + timeout
        with self.parked(), self._cond, self._waiting_to_close():
            share = min(self._closed_for * OPEN_RATIO, FAIR_SHARE_MAX_SECONDS)
            fair_until = self._opened_at + share
            while self._closed_by is None and (self._queued or self._busy_elsewhere(me)):
                left = fair_until - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            while self._closed_by not in (None, me):
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    self.timeouts += 1
                    return False
            self._closed_by = me
            while self._busy_elsewhere(me):
                left = deadline - time.monotonic()
                if left <= 0:
                    self._closed_by = None
                    self._cond.notify_all()
                    self.timeouts += 1
                    return False
                # Module locks are not ours to be told about: look again now and then.
                self._cond.wait(min(left, 0.01))
            self._closed_at = time.monotonic()
            self.waited_seconds += self._closed_at - started
            return True

    def open(self) -> None:
        with self._cond:
            self._closed_by = None
            self._opened_at = time.monotonic()
            self._closed_for = self._opened_at - self._closed_at
            self.closed_seconds += self._closed_for
            self._cond.notify_all()

    @contextmanager
    def _waiting_to_close(self) -> Iterator[None]:
        self._closers_waiting += 1  # loads that end notify (they skip the lock otherwise)
        try:
            yield
        finally:
            self._closers_waiting -= 1

    def _busy_elsewhere(self, me: int) -> bool:
        """Another thread is inside a load that may run module code before the gate opens.

        Loads the gate saw start are counted; a module lock held by another
        thread also counts, for loads that began before the gate was installed.
        """
        for thread in list(self._depth):
            if thread != me and self._can_run(thread, me):
                return True
        for ref in list(_bootstrap._module_locks.values()):  # type: ignore[attr-defined]
            lock = ref()
            owner = getattr(lock, "owner", None)
            if owner not in (None, me) and self._can_run(owner, me):
                return True
        return False

    def _can_run(self, thread: int, me: int) -> bool:
        """False if ``thread`` cannot run module code before ``me`` opens the gate.

        It cannot while it is parked, or blocked on a module lock whose owner
        cannot (``me``, a parked thread, or one blocked in turn: followed down
        the chain). Many threads importing one add-on's submodules, each of
        whose bodies activates the environment, make such chains: one waits
        for a submodule another holds, that one is parked on the overlay lock
        this thread holds; without following the chain the closer waited for
        a thread that could never go on, and gave up after
        QUIESCE_GIVE_UP_SECONDS.
        """
        seen: set[int] = set()
        while True:
            if thread == me or thread in self._parked or thread in seen:
                return False  # (a cycle is CPython's deadlock: it cannot run either)
            seen.add(thread)
            owner = _blocking_owner(thread)
            if owner is None:
                return True
            thread = owner


def _blocking_owner(thread: int) -> int | None:
    """The thread holding the module lock ``thread`` waits for (CPython's own record)."""
    blocking = _bootstrap._blocking_on  # type: ignore[attr-defined]
    if blocking is None:
        return None
    held = blocking.get(thread)
    if held is None:
        return None
    locks = held if isinstance(held, list) else [held]  # 3.12+: a list per thread
    for lock in reversed(locks):
        owner = getattr(lock, "owner", None)
        if owner is not None:
            return int(owner)
    return None


GATE = ImportGate()
