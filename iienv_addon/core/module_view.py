"""``sys.modules`` as seen by the code that asks.

Compiled code imports by literal name and reads ``sys.modules`` itself:
Cython's function-level ``from numpy.linalg import svd`` is
``PyImport_ImportModuleLevelObject``, which looks the name up in the
interpreter's module dict and never calls ``__import__``; numpy's
``PyImport_Import`` calls ``__import__`` and then reads the dict again. When
an add-on's environment and Blender both have ``numpy.linalg``, the dict holds
one of them, and that lookup hands the add-on Blender's module (a
RecursionError in numpy 1.26, a TypeError in 2.x) or hands Blender the
add-on's.

Earlier versions entered a *scope* at each door through which Blender calls
an add-on and took Blender's colliding modules out of ``sys.modules`` for its
length. That took them away from every other thread too (a long-lived add-on
thread broke Blender's own numpy for the session), and code called outside a
door (a script, another add-on, a driver, a draw callback) had no scope at
all.

Instead, the one dict answers each lookup for whoever asks. CPython reads the
interpreter's module dict with ``PyDict_GetItem`` only when it is exactly a
``dict``; for a subclass it calls ``__getitem__`` (``import_get_module`` in
``import.c``: ``PyObject_GetItem`` on 3.11, ``PyMapping_GetOptionalItem`` on
3.13), and importlib uses ``get``, ``in`` and ``[]``. So, while iienv is
enabled, the *existing* ``sys.modules`` object is given the type
``ModuleTable``: a ``dict`` subclass with the same memory layout (no
``__dict__``, no weak references) whose three lookups route names under an
environment's top-level names:

* the thread that has an environment laid out (overlay.py) sees the dict as
  it is, as before;
* code of an environment (the innermost frame that is not import machinery,
  caller.py; or a thread inside an explicit ``activated`` block) sees that
  environment's own table for the names it provides;
* everyone else sees Blender's modules: the dict as it is, or, while another
  thread has an environment laid out over a name, what was there before.

Nothing is ever taken out of the dict for a call, so global code on any
thread reads exactly what it would without iienv, whenever it asks; and an
add-on's code gets its modules whoever called it. Names outside every
environment's top-level names take one set lookup on top of CPython's (about
0.1 µs per import statement of global code; ``make bench``).

The type is changed by writing the object's type pointer (``ob_type``, the
word after the reference count in a standard build; checked before it is
written), because ``__class__`` assignment is refused for ``dict``. Its
identity never changes: every reference to ``sys.modules`` (importlib's, C
code's, Blender's) stays valid. The last enabled manager out writes ``dict``
back, and so does an ``atexit`` handler, so the interpreter finalizes a plain
dict.
"""

from __future__ import annotations

import atexit
import ctypes
import sys
import threading
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any, Protocol

from .caller import MACHINERY, MARKER, STDLIB
from .environment import Environment
from .errors import IienvError

__iienv_machinery__ = True

_MISSING: Any = object()
_dict_getitem = dict.__getitem__
_dict_get = dict.get
_getframe = sys._getframe
_get_ident = threading.get_ident

# Every environment's top-level names (with the ones its compiled code
# registered: scope of what is routed at all). Replaced whole, never mutated.
_TOPS: frozenset[str] = frozenset()
# id() of every environment an enabled manager knows (their code's markers count).
_LIVE: frozenset[int] = frozenset()
# Names looked up since _TOPS last changed that lie outside it (no routing to
# think about: one set lookup). Replaced, never cleared, after _TOPS is replaced.
_PLAIN: set[Any] = set()
# No environment laid out and no activated block anywhere: the asking frame alone
# decides, read inline (the common case, on every lookup of a colliding name).
_FRAMES_DECIDE = True
# Bumped when a layer is announced, before the dict changes: a lookup that read the
# dict while the number moved reads again, through the layer (no stale answer).
_EPOCH = 0


class ViewSource(Protocol):
    """What the views ask an enabled manager (manager.py)."""

    @property
    def known(self) -> dict[int, Environment]: ...
    def caller(self, frame: FrameType | None) -> Environment | None: ...
    def top_names(self) -> frozenset[str]: ...
    def import_in(self, env: Environment, name: str) -> ModuleType: ...


class ModuleTable(dict):
    """The type ``sys.modules`` has while iienv is enabled (see the module docstring)."""

    __slots__ = ()

    def __getitem__(self, name: Any) -> Any:
        # CPython's C import calls this for every import statement, so the common
        # cases are decided inline, as ModuleViews.lookup would decide them: a
        # name outside every environment (one set lookup), a marked frame of a
        # live environment, a frame of global code that is not machinery to look
        # through. Layers, activated blocks and machinery frames go to lookup.
        plain = _PLAIN
        if name in plain:
            return _dict_getitem(self, name)
        if name.__class__ is not str or name.partition(".")[0] not in _TOPS:
            plain.add(name)
            return _dict_getitem(self, name)
        epoch = _EPOCH  # (read first: see _EPOCH)
        frame = _getframe(1)
        if _FRAMES_DECIDE:
            namespace = frame.f_globals
            env = namespace.get(MARKER)
            if env is not None:  # an environment's code: its names are its own
                as_it_is = id(env) in _LIVE  # (names not its own: the dict as it is)
                if as_it_is:
                    top = name.partition(".")[0]
                    if top in env.top_names or top in env.extra_tops:
                        return env.modules[name]
            else:  # global code, unless machinery to look through (caller.is_machinery)
                owner = namespace.get("__name__")
                as_it_is = MACHINERY not in namespace and (
                    owner.__class__ is not str or owner.partition(".")[0] not in STDLIB
                )
            if as_it_is:
                found = _dict_get(self, name, _MISSING)
                if epoch == _EPOCH:
                    if found is _MISSING:
                        raise KeyError(name)
                    return found
        found = VIEWS.lookup(self, name, frame)
        if found is _MISSING:
            raise KeyError(name)
        return found

    def get(self, name: Any, default: Any = None) -> Any:
        try:
            return self[name]  # (this frame is machinery: the caller's decides)
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    # Code that *walks* the table (the C pickler's ``whichmodule`` for an object
    # without ``__module__``, numpy 1.x's ufuncs: iterate, then ``[]`` each name;
    # ``pickle.whichmodule``, ``inspect.getmodule`` and cloudpickle: ``copy()``)
    # must see the same table its ``[]`` answers from: an environment's code walks
    # its environment's modules (and the names outside them), so a name it is
    # handed is never one its ``[]`` refuses with a raw ``KeyError``. Everyone
    # else walks the dict as it is.
    def __iter__(self) -> Any:
        view = VIEWS.walked_by(self, _getframe(1))
        return dict.__iter__(self if view is None else view)

    def copy(self) -> dict[Any, Any]:
        view = VIEWS.walked_by(self, _getframe(1))
        return dict.copy(self) if view is None else view

    def keys(self) -> Any:
        view = VIEWS.walked_by(self, _getframe(1))
        return dict.keys(self if view is None else view)

    def items(self) -> Any:
        view = VIEWS.walked_by(self, _getframe(1))
        return dict.items(self if view is None else view)

    def values(self) -> Any:
        view = VIEWS.walked_by(self, _getframe(1))
        return dict.values(self if view is None else view)


class _Laid:
    """One environment laid over ``sys.modules`` by an activation, as other threads see it."""

    __slots__ = ("host", "tops")

    def __init__(self, tops: frozenset[str], host: dict[str, ModuleType]) -> None:
        self.tops = tops
        self.host = host  # what the dict held under ``tops`` before it was laid out


class ModuleViews:
    """The process-wide switch, and the answers for each enabled manager."""

    def __init__(self) -> None:
        self.sources: list[ViewSource] = []
        self._laid: list[_Laid] = []
        self._laid_by: int | None = None
        self._lock = threading.Lock()
        self._exit_hook = False
        # Live ``activated`` blocks in the process (scope.py counts them): while there
        # are none, an unmarked frame is global code without asking the managers.
        self.explicit_blocks = 0

    # ---- switching ------------------------------------------------------
    @property
    def installed(self) -> bool:
        return type(sys.modules) is ModuleTable

    def register(self, source: ViewSource) -> None:
        """An enabled manager; the first one gives ``sys.modules`` its routing type."""
        with self._lock:
            if source not in self.sources:
                self.sources.append(source)
            if len(self.sources) == 1:
                _retype(sys.modules, ModuleTable)
                if not self._exit_hook:
                    atexit.register(self._at_exit)
                    self._exit_hook = True
        self.refresh()

    def unregister(self, source: ViewSource) -> None:
        """The last manager out makes ``sys.modules`` a plain ``dict`` again."""
        with self._lock:
            if source in self.sources:
                self.sources.remove(source)
            if not self.sources and type(sys.modules) is ModuleTable:
                _retype(sys.modules, dict)
        self.refresh()

    def _at_exit(self) -> None:
        if type(sys.modules) is ModuleTable:
            _retype(sys.modules, dict)

    def refresh(self) -> None:
        """Recompute which top-level names are routed (environments came, went or grew)."""
        global _TOPS, _LIVE, _PLAIN
        tops: set[str] = set()
        live: set[int] = set()
        for source in list(self.sources):
            tops |= source.top_names()
            live |= source.known.keys()
        for laid in list(self._laid):
            tops |= laid.tops
        _TOPS = frozenset(tops)
        _LIVE = frozenset(live)
        # After _TOPS: a lookup that read the old _PLAIN adds to a set nobody reads
        # again; one that read this new one read the new _TOPS too.
        _PLAIN = set()

    def _decide_by_frames(self) -> None:
        global _FRAMES_DECIDE
        _FRAMES_DECIDE = not self._laid and not self.explicit_blocks

    # ---- activations (overlay.py) -----------------------------------------
    def lay(self, tops: frozenset[str], host: dict[str, ModuleType]) -> _Laid:
        """Announce, before ``sys.modules`` changes, what other threads keep seeing."""
        global _EPOCH
        _EPOCH += 1  # (only the thread holding the gate lays: no lost update)
        laid = _Laid(tops, host)
        self._laid.append(laid)
        self._laid_by = _get_ident()
        self._decide_by_frames()
        if not tops <= _TOPS:
            self.refresh()
        return laid

    def widen(self, laid: _Laid, tops: frozenset[str]) -> None:
        """Names the environment's compiled code registered while it was laid out."""
        laid.tops = laid.tops | tops
        self.refresh()

    def lift(self, laid: _Laid) -> None:
        """``sys.modules`` holds what it held before ``laid`` again."""
        self._laid.remove(laid)
        if not self._laid:
            self._laid_by = None
        self._decide_by_frames()

    def block_entered(self) -> None:
        with self._lock:
            self.explicit_blocks += 1
            self._decide_by_frames()

    def block_left(self) -> None:
        with self._lock:
            self.explicit_blocks -= 1
            self._decide_by_frames()

    # ---- lookups --------------------------------------------------------
    def caller(self, frame: FrameType | None) -> tuple[ViewSource, Environment] | None:
        """The environment on whose behalf code at ``frame`` runs, and its manager."""
        for source in self.sources:
            env = source.caller(frame)
            if env is not None:
                return source, env
        return None

    def lookup(self, table: dict[str, Any], name: str, frame: FrameType | None) -> Any:
        """``table[name]`` as the code at ``frame`` sees it, or ``_MISSING``."""
        while True:
            epoch = _EPOCH
            found = self._lookup(table, name, frame)
            if epoch == _EPOCH:  # no layer announced meanwhile
                return found

    def _lookup(self, table: dict[str, Any], name: str, frame: FrameType | None) -> Any:
        laid = self._laid
        if laid and self._laid_by == _get_ident():
            return _dict_get(table, name, _MISSING)  # this thread laid it out: as it is
        top = name.partition(".")[0]
        found = self.caller(frame)
        if found is not None:
            env = found[1]
            if top in env.top_names or top in env.extra_tops:
                return env.modules.get(name, _MISSING)
        for entry in list(laid):  # another thread's activation: what was there before
            if top in entry.tops:
                return entry.host.get(name, _MISSING)
        return _dict_get(table, name, _MISSING)

    def walked_by(self, table: dict[str, Any], frame: FrameType | None) -> dict[str, Any] | None:
        """The table as the code at ``frame`` walks it: None for the dict as it is.

        For an environment's code, a snapshot: the names outside its top-level
        names as they are, then its own table.
        """
        if self._laid and self._laid_by == _get_ident():
            return None  # this thread laid an environment out: as it is
        found = self.caller(frame)
        if found is None:
            return None
        env = found[1]
        tops = env.top_names | env.extra_tops
        view = {
            name: module
            for name, module in dict.items(table)
            if name.__class__ is not str or name.partition(".")[0] not in tops
        }
        view.update(env.modules)
        return view

    def load_for_caller(self, name: str, frame: FrameType | None) -> ModuleType | None:
        """A load an environment's code asked for by name, done in the environment.

        CPython's C import calls ``_find_and_load`` when a name is missing
        from the caller's view; for a name the calling environment provides,
        the environment imports it (overlay.py) instead of importlib loading
        Blender's copy into ``sys.modules``. None: importlib loads as usual.
        """
        if name.partition(".")[0] not in _TOPS:
            return None
        if self._laid and self._laid_by == _get_ident():
            return None
        found = self.caller(frame)
        if found is None:
            return None
        source, env = found
        if not env.provides(name):  # (names its compiled code registered: not importable)
            return None
        return source.import_in(env, name)


class ModuleTableError(IienvError, RuntimeError):
    """This interpreter's ``sys.modules`` cannot be given the routing type."""


def _retype(table: dict[str, Any], new_type: type) -> None:
    """Set ``table``'s type pointer to ``new_type`` (same layout; see the module docstring)."""
    old_type = type(table)
    if old_type is new_type:
        return
    if not _layout_is_standard(table):
        raise ModuleTableError(
            "iienv: this Python's object layout is not the standard one (a debug or "
            "free-threaded build?); iienv cannot route compiled imports here. Use a "
            "release build of Python, as Blender ships"
        )
    slot = ctypes.c_void_p.from_address(id(table) + _TYPE_OFFSET)
    if new_type is not dict:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(new_type))  # held by the instance
    slot.value = id(new_type)
    if old_type is not dict:
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(old_type))


# A standard build's object header: reference count, then the type pointer.
_TYPE_OFFSET = ctypes.sizeof(ctypes.c_ssize_t)


def _layout_is_standard(table: dict[str, Any]) -> bool:
    if ModuleTable.__basicsize__ != dict.__basicsize__ or ModuleTable.__weakrefoffset__:
        return False
    if ModuleTable.__dictoffset__:
        return False
    return ctypes.c_void_p.from_address(id(table) + _TYPE_OFFSET).value == id(type(table))


VIEWS = ModuleViews()

LoadForCaller = Callable[[str, FrameType | None], ModuleType | None]
