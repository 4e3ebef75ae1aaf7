"""Every thread's state dict, not just the calling thread's.

Compiled packages keep per-thread state in ``PyThreadState_GetDict()`` under
fixed names: lxml its parser context (``_ParserDictionaryContext``), its
error logs (``_GlobalErrorLog``, ``_XSLTErrorLog``). After a purge, a thread
that used the purged copy still holds those objects; the next copy reads
them back under the same names and casts them to *its own* types
(``TypeError: Cannot convert lxml.etree._RotatingErrorLog to
lxml.etree._BaseErrorLog``, or worse). A purge must therefore clear them in
*every* thread, and C offers only the calling thread's dict.

The other threads' dicts are reached through the public thread-state list
(``PyInterpreterState_ThreadHead``, ``PyThreadState_Next``) and the ``dict``
field of each ``PyThreadState``. Its offset is not public and differs
between Python versions, so it is *measured*: the calling thread's state is
scanned for the address of its own dict (exactly one word must match), and
the same offset holds in every thread state of the process. A word read
there is NULL or a dict (checked by its type pointer before it is used).
This runs with the GIL held: no thread state can be created or deleted
meanwhile (CPython deletes a thread's state while holding the GIL).
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from functools import lru_cache

__iienv_machinery__ = True

_WORD = ctypes.sizeof(ctypes.c_void_p)
_SCAN_WORDS = 512  # (PyThreadState is a few hundred bytes in 3.11-3.13)
_api = ctypes.pythonapi


def _function(name: str, restype: object, argtypes: list[object]) -> object:
    function = getattr(_api, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


def _own_dict_address() -> int:
    """The calling thread's state dict, created if missing (a borrowed pointer; 0: none)."""
    address = _function("PyThreadState_GetDict", ctypes.c_void_p, [])()  # type: ignore[operator]
    return int(address or 0)


@lru_cache(maxsize=1)
def _dict_offset() -> int | None:
    """Where ``PyThreadState`` keeps its ``dict`` (measured once; None: not found)."""
    state = _function("PyThreadState_Get", ctypes.c_void_p, [])()  # type: ignore[operator]
    own = _own_dict_address()
    if not state or not own:
        return None
    words = (ctypes.c_void_p * _SCAN_WORDS).from_address(state)
    hits = [index for index in range(_SCAN_WORDS) if words[index] == own]
    return hits[0] * _WORD if len(hits) == 1 else None


def thread_dicts() -> Iterator[dict[object, object]]:
    """The state dict of every thread of this interpreter that has one."""
    offset = _dict_offset()
    if offset is None:  # (not measurable: the calling thread's alone)
        mine = _own_dict_address()
        own = ctypes.cast(mine, ctypes.py_object).value if mine else None
        if isinstance(own, dict):
            yield own
        return
    interpreter = _function("PyInterpreterState_Get", ctypes.c_void_p, [])()  # type: ignore[operator]
    head = _function("PyInterpreterState_ThreadHead", ctypes.c_void_p, [ctypes.c_void_p])
    following = _function("PyThreadState_Next", ctypes.c_void_p, [ctypes.c_void_p])
    found = []
    state = head(interpreter)  # type: ignore[operator]
    while state:
        address = ctypes.c_void_p.from_address(state + offset).value
        if address and ctypes.c_void_p.from_address(address + _WORD).value == id(dict):
            found.append(ctypes.cast(address, ctypes.py_object).value)
        state = following(state)  # type: ignore[operator]
    yield from found  # (collected first: nothing runs Python code while the list is walked)
