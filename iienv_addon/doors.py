"""Blender's doors into an add-on, each entered in the add-on's environment.

Compiled code that imports at call time reads ``sys.modules`` directly (see
core/scope.py), so an add-on's code must *run* in its environment, not only
import there. Blender hands control to an add-on through a known set of
doors; iienv wraps each one of an add-on that has an environment so the call
runs inside the environment's scope (core/door.py keeps the signatures
Blender checks):

* ``register()`` and ``unregister()`` of the add-on's package;
* methods of the classes it registers (``execute``, ``invoke``, ``modal``,
  ``poll``, ``draw``, ...) and the callbacks of their properties (``update``,
  ``get``, ``set``, ``items``, ``poll``): ``bpy.utils.register_class`` is
  wrapped while iienv is enabled (the add-on's class is changed in place
  before Blender sees it);
* handlers the add-on's ``register()`` appended to ``bpy.app.handlers``
  (swapped back before its ``unregister()`` runs, so ``remove(fn)`` works);
* timers it registers (``bpy.app.timers.register``; ``is_registered`` and
  ``unregister`` accept the add-on's own function);
* callbacks given to ``bpy.props`` functions (``bpy.types.Scene.x =
  FloatProperty(update=fn)`` outside any class).

What no door covers — msgbus callbacks, handlers appended later at run time,
threads, callbacks handed to other libraries — can use
``iienv.activated(__package__)``.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import Any

import bpy

from .core import Environment, Manager
from .core.door import door_for, is_door, unwrap_door
from .core.scope import Scope

__iienv_machinery__ = True  # core/caller.py looks through these frames

# Methods through which Blender calls into registered classes.
DOOR_METHODS = (
    "execute", "invoke", "modal", "poll", "draw", "draw_header", "draw_header_preset",
    "draw_item", "draw_filter", "filter_items", "check", "cancel", "description",
    "update", "render", "view_update", "view_draw", "bake", "update_render_passes",
    "generate", "import_", "export",
)  # fmt: skip
PROPERTY_CALLBACKS = ("update", "get", "set", "items", "poll", "search")


class Doors:
    """Wraps the doors of add-ons that have an environment (see the module docstring)."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self._scopes: dict[int, Scope] = {}
        self._originals: dict[tuple[object, str], Any] = {}
        self._timers: dict[int, FunctionType] = {}  # id(add-on function) -> door
        self._handlers: dict[str, list[tuple[FunctionType, FunctionType]]] = {}

    # ---- install / uninstall ------------------------------------------
    def install(self) -> None:
        timers = bpy.app.timers
        for owner, attr, replacement in (
            (bpy.utils, "register_class", self._register_class),
            (timers, "register", self._register_timer),
            (timers, "is_registered", self._timer_is_registered),
            (timers, "unregister", self._unregister_timer),
        ):
            self._originals[(owner, attr)] = getattr(owner, attr)
            setattr(owner, attr, replacement)
        for attr in dir(bpy.props):
            original = getattr(bpy.props, attr)
            if attr.endswith("Property") and callable(original):
                self._originals[(bpy.props, attr)] = original
                setattr(bpy.props, attr, self._property_function(original))
        self.manager.owner_loaded = self.owner_loaded

    def uninstall(self) -> None:
        self.manager.owner_loaded = None
        for (owner, attr), original in self._originals.items():
            setattr(owner, attr, original)
        self._originals.clear()

    def _original(self, owner: object, attr: str) -> Any:
        return self._originals.get((owner, attr)) or getattr(owner, attr)

    # ---- scopes -----------------------------------------------------------
    def scope_of(self, module_name: str) -> Scope | None:
        env = self.manager.owner_env(module_name)
        if env is None:
            return None
        scope = self._scopes.get(id(env))
        if scope is None:
            scope = self._scopes[id(env)] = self.manager.scope(env)
        return scope

    # ---- register() / unregister() and handlers --------------------------
    def owner_loaded(self, env: Environment, module: ModuleType) -> None:
        """An owner package just ran: wrap its register() and unregister()."""
        scope = self.scope_of(module.__name__)
        if scope is None:
            return
        namespace = module.__dict__
        register, unregister = namespace.get("register"), namespace.get("unregister")
        if isinstance(register, FunctionType) and not is_door(register):
            registered = door_for(register, scope)

            def register_door() -> None:
                registered()
                self._wrap_handlers(module.__name__, scope)

            register_door.__wrapped__ = register  # type: ignore[attr-defined]
            register_door.__qualname__ = register.__qualname__
            register_door.__module__ = module.__name__
            namespace["register"] = register_door
        if isinstance(unregister, FunctionType) and not is_door(unregister):
            unregistered = door_for(unregister, scope)

            def unregister_door() -> None:
                self._unwrap_handlers(module.__name__)
                unregistered()

            unregister_door.__wrapped__ = unregister  # type: ignore[attr-defined]
            unregister_door.__qualname__ = unregister.__qualname__
            unregister_door.__module__ = module.__name__
            namespace["unregister"] = unregister_door

    def _wrap_handlers(self, addon: str, scope: Scope) -> None:
        swapped = self._handlers.setdefault(addon, [])
        for name in dir(bpy.app.handlers):
            handlers = getattr(bpy.app.handlers, name)
            if not isinstance(handlers, list):
                continue
            for index, fn in enumerate(list(handlers)):
                if isinstance(fn, FunctionType) and not is_door(fn) and _owned(fn, addon):
                    door = door_for(fn, scope)
                    handlers[index] = door
                    swapped.append((fn, door))

    def _unwrap_handlers(self, addon: str) -> None:
        doors = {id(door): fn for fn, door in self._handlers.pop(addon, [])}
        if not doors:
            return
        for name in dir(bpy.app.handlers):
            handlers = getattr(bpy.app.handlers, name)
            if isinstance(handlers, list):
                for index, fn in enumerate(list(handlers)):
                    if id(fn) in doors:
                        handlers[index] = doors[id(fn)]

    # ---- classes ------------------------------------------------------------
    def _register_class(self, cls: type) -> None:
        """bpy.utils.register_class, wrapping the doors of an add-on's class first."""
        scope = self.scope_of(getattr(cls, "__module__", "") or "")
        if scope is not None:
            wrap_class(cls, scope)
        self._original(bpy.utils, "register_class")(cls)

    def _property_function(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """A ``bpy.props`` function whose callbacks of add-ons become doors."""

        def property_function(*args: Any, **kwargs: Any) -> Any:
            for key in PROPERTY_CALLBACKS:
                fn = kwargs.get(key)
                if isinstance(fn, FunctionType):
                    scope = self.scope_of(fn.__module__ or "")
                    if scope is not None:
                        kwargs[key] = door_for(fn, scope)
            return original(*args, **kwargs)

        property_function.__name__ = property_function.__qualname__ = original.__name__
        property_function.__doc__ = original.__doc__
        property_function.__wrapped__ = original  # type: ignore[attr-defined]
        return property_function

    # ---- timers -------------------------------------------------------------
    def _register_timer(
        self, function: Callable[[], float | None], first_interval: float = 0.0,
        persistent: bool = False,
    ) -> None:  # fmt: skip
        scope = self.scope_of(getattr(function, "__module__", "") or "")
        target: Any = function
        if scope is not None and isinstance(function, FunctionType) and not is_door(function):
            target = self._timers.get(id(function))
            if target is None or unwrap_door(target) is not function:
                target = self._timers[id(function)] = door_for(function, scope)
        register = self._original(bpy.app.timers, "register")
        register(target, first_interval=first_interval, persistent=persistent)

    def _door_of_timer(self, function: Any) -> Any:
        door = self._timers.get(id(function))
        return door if door is not None and unwrap_door(door) is function else function

    def _timer_is_registered(self, function: Any) -> bool:
        is_registered = self._original(bpy.app.timers, "is_registered")
        return bool(is_registered(self._door_of_timer(function)))

    def _unregister_timer(self, function: Any) -> None:
        door = self._door_of_timer(function)
        self._original(bpy.app.timers, "unregister")(door)
        if door is not function:
            self._timers.pop(id(function), None)


def wrap_class(cls: type, scope: Scope) -> None:
    """Make ``cls``'s entry methods and property callbacks doors (in place)."""
    for name in DOOR_METHODS:
        for klass in cls.__mro__:
            if name in klass.__dict__:
                value = klass.__dict__[name]
                wrapped = door_for(value, scope)
                if wrapped is not value or klass is not cls:
                    setattr(cls, name, wrapped)
                break
    annotations = inspect.get_annotations(cls)
    for deferred in annotations.values():
        keywords = getattr(deferred, "keywords", None)
        if type(deferred).__name__ != "_PropertyDeferred" or not isinstance(keywords, dict):
            continue
        for key in PROPERTY_CALLBACKS:
            value = keywords.get(key)
            if isinstance(value, FunctionType):
                keywords[key] = door_for(value, scope)


def _owned(fn: FunctionType, addon: str) -> bool:
    module = fn.__module__ or ""
    return module == addon or module.startswith(addon + ".")


def loaded_owner_modules(manager: Manager) -> list[tuple[Environment, ModuleType]]:
    """Owner packages already imported (iienv enabled after them)."""
    found = []
    for env in manager.environments():
        for owner in env.owners:
            module = sys.modules.get(owner)
            if module is not None:
                found.append((env, module))
    return found
