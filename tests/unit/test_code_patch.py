"""The opt-in patching of saved functions after a reload (plain Python, no bpy)."""

from __future__ import annotations

import types

from iienv_addon.code_patch import patch


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


OLD = """
FACTOR = 1
def scaled(x, k=1):
    return x * FACTOR * k
class Tool:
    def run(self):
        return "old"
    @staticmethod
    def kind():
        return "old"
def make():
    n = 1
    def inner():
        return n
    return inner
"""

NEW = """
FACTOR = 10
def scaled(x, k=2):
    return x * FACTOR * k + 1
class Tool:
    def run(self):
        return "new"
    @staticmethod
    def kind():
        return "new"
def make():
    def inner():
        return 2
    return inner
"""


def test_saved_functions_run_new_code_with_new_globals() -> None:
    old, new = _module("addon.mod", OLD), _module("addon.mod", NEW)
    saved_fn, saved_cls = old.scaled, old.Tool
    saved_static = old.Tool.kind
    closure = old.make()
    count = patch({"addon.mod": old}, {"addon.mod": new})
    assert saved_fn(3) == 3 * 10 * 2 + 1  # new code, new default, new global FACTOR
    assert saved_cls().run() == "new" and saved_static() == "new"
    assert closure() == 1  # inner() is not a module-level function: untouched
    assert old.make is new.make  # the old module's namespace now holds the new objects
    assert count == 4  # scaled, Tool.run, Tool.kind, make


def test_nothing_patched_without_counterpart() -> None:
    old = _module("addon.a", OLD)
    saved = old.scaled
    assert patch({"addon.a": old}, {}) == 0
    assert saved(2) == 2
