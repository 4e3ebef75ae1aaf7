"""Laying an environment's module table over ``sys.modules`` for one import.

Compiled code finds modules by their literal names in ``sys.modules`` (see
DESIGN.md), so while an environment imports, its modules must *be* there under
their real names. Activation stashes every global entry that collides with the
environment's top-level names, lays the environment's table over
``sys.modules``, lets CPython's own machinery run, then moves every module that
belongs to the environment back into its table and restores the stash.

The overlay is in the one ``sys.modules`` while it is active. Activations
are serialised by one lock, and the outermost activation closes the import
gate (import_gate.py) once no other thread is in the middle of a load, so
that no other thread runs a module body while foreign entries are laid out.
Code that is already running on other threads keeps reading what it read
before: the layer is announced to ``sys.modules``' routing (module_view.py)
with the entries it covers *before* the dict changes, and withdrawn only
after the dict holds them again.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType

from . import search_paths
from .environment import Environment
from .errors import IienvError
from .import_gate import GATE
from .locks import BusyError
from .module_view import VIEWS, _Laid
from .state_dicts import ModuleCaches
from .sys_state import SysSnapshot, collect_sys, lay_sys

__iienv_machinery__ = True

# How long an activation waits for other threads to finish their loads before it
# refuses the import (a thread that never finishes waits for something we hold).
QUIESCE_GIVE_UP_SECONDS = 10.0


class QuiescenceError(IienvError, ImportError):
    """Other threads never stopped importing long enough for an environment to load."""


@dataclass
class _Layer:
    env: Environment
    tops: frozenset[str]
    stash: dict[str, ModuleType] = field(default_factory=dict)
    depth: int = 1
    before: set[str] = field(default_factory=set)
    cache_stash: dict[str, object] | None = None
    sys: SysSnapshot = field(default_factory=SysSnapshot)
    search: search_paths.SearchSnapshot | None = None
    laid: _Laid | None = None


LayerHook = Callable[[Environment], None]


class Overlay:
    """Serialised activation of environments over ``sys.modules``.

    ``before_lay`` runs before an environment is laid out (global state still in
    place); ``before_collect`` runs while it is still laid out, after the import.
    """

    def __init__(
        self, before_lay: LayerHook | None = None, before_collect: LayerHook | None = None
    ) -> None:
        self._before_lay = before_lay
        self._before_collect = before_collect
        self._caches = ModuleCaches()
        self.lock = threading.RLock()
        self._layers: list[_Layer] = []
        self._owner: int | None = None
        self._quiet = False  # the owner holds the gate closed for something else (quiet())
        self.quiesce_timeouts = 0  # activations refused: other threads never went quiet

    def active_env(self) -> Environment | None:
        """The environment laid out for the calling thread, if any."""
        if self._layers and self._owner == threading.get_ident():
            return self._layers[-1].env
        return None

    def active_stash(self) -> dict[str, ModuleType]:
        """Global modules the active layer took out of ``sys.modules`` (this thread)."""
        if self._layers and self._owner == threading.get_ident():
            return self._layers[-1].stash
        return {}

    def active_tops(self) -> frozenset[str]:
        """The top-level names the active environment's site dir provides."""
        if self._layers and self._owner == threading.get_ident():
            return self._layers[-1].env.top_names
        return frozenset()

    @contextmanager
    def activated(self, env: Environment) -> Iterator[None]:
        with GATE.parked():  # a thread waiting here runs no module code: not waited for
            self.lock.acquire()
        try:
            with self._activated(env):
                yield
        finally:
            self.lock.release()

    def _close_gate(self, refusal: str) -> None:
        """Install and close the import gate, or raise ``refusal`` holding nothing."""
        GATE.install()  # (an enabled manager has it installed already: counted)
        if not GATE.close(QUIESCE_GIVE_UP_SECONDS):
            GATE.uninstall()
            self.quiesce_timeouts += 1
            raise QuiescenceError(refusal)

    @contextmanager
    def quiet(
        self, what: str, busy: Callable[[], list[str]] | None = None, wait: float = 30.0
    ) -> Iterator[None]:
        """Run ``what`` while no other thread is inside a load, and none can start one.

        A purge takes an environment's and its add-on's modules out of
        ``sys.modules``. A thread in the middle of loading one of the add-on's
        modules then fails inside importlib with a raw ``KeyError``
        (``_load_unlocked`` pops the module it has just executed). The gate
        closed (import_gate.py) holds new loads and waits for loads that can go
        on; but a load can be waiting on this very lock — its body imports from
        the environment — and cannot go on until ``what`` is done. ``busy``
        names such loads (module locks other threads hold for names ``what``
        touches): then the lock and the gate are let go for them to finish,
        and tried again, for ``wait`` seconds, then ``BusyError``. Activations
        on this thread inside (a finalizer's lazy import during a purge's
        collection) keep the gate closed.
        """
        me = threading.get_ident()
        deadline = time.monotonic() + wait
        while True:
            with GATE.parked():
                self.lock.acquire()
            try:
                if self._owner == me:  # inside this thread's own activation
                    yield
                    return
                self._close_gate(
                    f"iienv: cannot {what}: other threads kept loading modules for "
                    f"{QUIESCE_GIVE_UP_SECONDS:.0f} s; nothing was changed, try again"
                )
                try:
                    loading = busy() if busy is not None else []
                    if not loading:
                        self._owner, self._quiet = me, True
                        try:
                            yield
                        finally:
                            self._owner, self._quiet = None, False
                        return
                finally:
                    GATE.open()
                    GATE.uninstall()
            finally:
                self.lock.release()
            if time.monotonic() > deadline:
                raise BusyError(
                    f"iienv: cannot {what} while another thread is importing "
                    f"{loading[0]!r}; nothing was changed, try again when it has finished"
                )
            time.sleep(0.005)  # (their loads run now)

    @contextmanager
    def _activated(self, env: Environment) -> Iterator[None]:
        if self._layers and self._layers[-1].env is env:
            self._layers[-1].depth += 1
            try:
                yield
            finally:
                self._layers[-1].depth -= 1
            return
        outermost = not self._layers and not self._quiet  # (quiet(): the gate is closed)
        if self._before_lay is not None:
            self._before_lay(env)  # may refuse (raise) before anything is held or laid
        if outermost:
            self._close_gate(
                f"iienv: the environment {env.name!r} could not import: other threads "
                f"kept loading modules for {QUIESCE_GIVE_UP_SECONDS:.0f} s; try again (iienv "
                f"does not lay an environment out while another thread runs a module "
                f"body: that thread could get the environment's modules)"
            )
            self._owner = threading.get_ident()
        try:
            layer = _lay(env)
            self._layers.append(layer)
            failed = True
            try:
                layer.cache_stash = self._caches.lay(env, layer.tops)
                layer.sys = lay_sys(env)
                layer.search = search_paths.lay(env)
                yield
                if self._before_collect is not None:
                    self._before_collect(env)
                failed = False
            finally:
                self._layers.pop()
                _collect(layer)
                self._caches.collect(env, layer.tops, layer.cache_stash)
                collect_sys(env, layer.sys, failed)
                if layer.search is not None:
                    search_paths.collect(env, layer.search, failed)
        finally:
            if outermost:  # whatever happened: the gate is never left closed
                self._owner = None
                GATE.open()
                GATE.uninstall()


def _lay(env: Environment) -> _Layer:
    modules = sys.modules
    tops = env.top_names | env.extra_tops
    layer = _Layer(env, tops)
    # (dict.items: the routed view would answer for this thread's caller)
    stash = {name: module for name, module in dict.items(modules) if name.partition(".")[0] in tops}
    layer.stash = stash
    layer.laid = VIEWS.lay(tops, stash)  # before the dict changes: others keep seeing this
    for name in stash:
        del modules[name]
    modules.update(env.modules)
    layer.before = set(modules)
    return layer


def _strays(layer: _Layer) -> list[str]:
    """Modules the environment's code registered under names outside its top-level ones.

    Compiled modules put submodules into ``sys.modules`` under short names
    (scipy's ``_csparsetools``) and Cython registers its shared-type module
    ``_cython_3_x_y``: new during this activation, and from the environment's
    files (or without a file, for Cython's), they are the environment's.
    """
    env = layer.env
    prefixes = (str(env.home) + os.sep, str(env.site_dir) + os.sep)
    found = []
    for name in [n for n in sys.modules if n not in layer.before]:
        if name.partition(".")[0] in layer.tops:
            continue
        module = sys.modules[name]
        origin = getattr(module, "__file__", None)
        if isinstance(origin, str) and origin.startswith(prefixes):
            found.append(name)
        elif origin is None and name.startswith("_cython_"):
            found.append(name)
    return found


def _collect(layer: _Layer) -> None:
    """Move the environment's modules back into its table and restore the stash."""
    modules = sys.modules
    strays = _strays(layer)
    if strays:
        layer.env.extra_tops = layer.env.extra_tops | {n.partition(".")[0] for n in strays}
        layer.tops = layer.tops | layer.env.extra_tops
        if layer.laid is not None:
            VIEWS.widen(layer.laid, layer.tops)
    tops = layer.tops
    collected: dict[str, ModuleType] = {}
    for name in list(modules):
        if name.partition(".")[0] in tops:
            collected[name] = modules.pop(name)
    table = layer.env.modules
    for name in [n for n in table if n not in collected]:
        del table[name]
    table.update(collected)
    layer.env.reindex()
    modules.update(layer.stash)
    if layer.laid is not None:
        VIEWS.lift(layer.laid)  # the dict holds what it held before: nothing to announce
