"""Door functions: a callable that runs another one inside a scope (scope.py).

A host wraps the entry points through which it hands control to an add-on
(Blender: an operator's ``execute``, a panel's ``draw``, a property's
``update``, a handler, a timer). Blender checks the *argument count* of the
functions it is given (``co_argcount`` of the code object: "expected Operator
class "execute" function to have 2 args") and keeps handlers across file loads
only if the function's ``__dict__`` has ``_bpy_persistent``, so a door is a
real Python function with the wrapped one's parameters, defaults, name,
qualname, module and ``__dict__`` — not a ``*args`` closure and not a callable
object.
"""

from __future__ import annotations

import functools
import inspect
import keyword
from contextlib import AbstractContextManager
from types import FunctionType
from typing import Any

__iienv_machinery__ = True

DOOR_ATTRIBUTE = "__iienv_door__"
MACHINERY_NAME = "__iienv_machinery__"


def is_door(fn: object) -> bool:
    return getattr(fn, DOOR_ATTRIBUTE, None) is not None


def unwrap_door(fn: Any) -> Any:
    """The function a door wraps (or ``fn`` itself)."""
    inner = getattr(fn, DOOR_ATTRIBUTE, None)
    return fn if inner is None else inner


def make_door(fn: FunctionType, scope: AbstractContextManager[Any]) -> FunctionType:
    """A function with ``fn``'s signature that runs ``fn`` inside ``scope``."""
    if is_door(fn):
        return fn
    parameters = list(inspect.signature(fn).parameters.values())
    names = [p.name for p in parameters]
    if any(not name.isidentifier() or keyword.iskeyword(name) for name in names):
        raise ValueError(f"cannot make a door for {fn!r}: unusual parameter names")
    header: list[str] = []
    call: list[str] = []
    seen_keyword_only = False
    for index, p in enumerate(parameters):
        if p.kind is p.VAR_POSITIONAL:
            header.append(f"*{p.name}")
            call.append(f"*{p.name}")
            seen_keyword_only = True
        elif p.kind is p.VAR_KEYWORD:
            header.append(f"**{p.name}")
            call.append(f"**{p.name}")
        elif p.kind is p.KEYWORD_ONLY:
            if not seen_keyword_only:
                header.append("*")
                seen_keyword_only = True
            header.append(p.name)
            call.append(f"{p.name}={p.name}")
        else:
            header.append(p.name)
            call.append(p.name)
            is_last_positional_only = p.kind is p.POSITIONAL_ONLY and (
                index + 1 == len(parameters) or parameters[index + 1].kind is not p.POSITIONAL_ONLY
            )
            if is_last_positional_only:
                header.append("/")
    source = (
        f"def door({', '.join(header)}):\n"
        f"    with __iienv_scope__:\n"
        f"        return __iienv_inner__({', '.join(call)})\n"
    )
    namespace: dict[str, Any] = {
        "__iienv_scope__": scope,
        "__iienv_inner__": fn,
        "__name__": fn.__module__,
        MACHINERY_NAME: True,
    }
    exec(compile(source, f"<iienv door for {fn.__qualname__}>", "exec"), namespace)
    door: FunctionType = namespace["door"]
    functools.update_wrapper(door, fn)  # name, qualname, module, doc, __dict__ (persistent)
    door.__defaults__ = fn.__defaults__
    door.__kwdefaults__ = fn.__kwdefaults__
    setattr(door, DOOR_ATTRIBUTE, fn)
    return door


def door_for(value: Any, scope: AbstractContextManager[Any]) -> Any:
    """``value`` wrapped as a door if it is a function (or a class/static method of one)."""
    if isinstance(value, classmethod) and isinstance(value.__func__, FunctionType):
        return classmethod(make_door(value.__func__, scope))
    if isinstance(value, staticmethod) and isinstance(value.__func__, FunctionType):
        return staticmethod(make_door(value.__func__, scope))
    if isinstance(value, FunctionType):
        return make_door(value, scope)
    return value
