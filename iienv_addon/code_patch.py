"""Opt-in: make functions saved from an add-on's old modules run its new code.

Callbacks an add-on registered and that outlive its reload (a timer, a msgbus
subscription, a function stored by another add-on) still point at the old
function objects. As IPython's autoreload does, each old module's namespace is
updated with the new module's, and each old function gets the new function's
code, defaults and keyword defaults (when their closures have the same shape).
No ``bpy`` here.
"""

from __future__ import annotations

from types import FunctionType, ModuleType

Key = tuple[str, str]  # (module name, function qualname)


def functions_of(modules: dict[str, ModuleType]) -> dict[Key, FunctionType]:
    """Functions defined in ``modules``, top level and in their classes."""
    found: dict[Key, FunctionType] = {}
    for mod_name, module in modules.items():
        for value in list(vars(module).values()):
            candidates = [value]
            if isinstance(value, type) and value.__module__ == mod_name:
                candidates = [getattr(v, "__func__", v) for v in vars(value).values()]
            for fn in candidates:
                if isinstance(fn, FunctionType) and fn.__module__ == mod_name:
                    found[(mod_name, fn.__qualname__)] = fn
    return found


def patch(old_modules: dict[str, ModuleType], new_modules: dict[str, ModuleType]) -> int:
    """Point old modules and functions at the new code; return how many functions changed."""
    old_functions = functions_of(old_modules)
    new_functions = functions_of(new_modules)
    for name, old in old_modules.items():
        new = new_modules.get(name)
        if new is not None and new is not old:
            old.__dict__.update(new.__dict__)
    patched = 0
    for key, old_fn in old_functions.items():
        new_fn = new_functions.get(key)
        if new_fn is None or new_fn is old_fn:
            continue
        if len(old_fn.__code__.co_freevars) != len(new_fn.__code__.co_freevars):
            continue  # a closure of another shape cannot take this code
        old_fn.__code__ = new_fn.__code__
        old_fn.__defaults__ = new_fn.__defaults__
        old_fn.__kwdefaults__ = new_fn.__kwdefaults__
        patched += 1
    return patched
