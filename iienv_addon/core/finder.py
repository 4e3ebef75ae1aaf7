"""The meta path finder and the loader wrapper, shaped like importlib's.

The finder claims two kinds of names:

* while an environment is activated (on the activating thread), the
  environment's top-level names and everything below them, found in its site
  dir;
* always, the packages of an environment's *owners* (the add-ons that use it),
  found by the finders after this one, so that their ``import`` statements use
  the environment even when the add-on itself was imported by
  ``importlib.import_module`` (as Blender does).

Each claimed spec's loader is wrapped for one call: before the module executes,
its namespace gets the environment's builtins (whose ``__import__`` is the
environment's hook) and the ``__iienv__`` marker, and the real loader is put
back on the module and spec so nothing after the import sees the wrapper.

The finder also answers ``importlib.metadata`` queries from environment code
with the environment's distributions first.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from importlib.machinery import ExtensionFileLoader, ModuleSpec, PathFinder
from importlib.metadata import DistributionFinder, MetadataPathFinder
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from .environment import Environment

if TYPE_CHECKING:
    from .manager import Manager

MARKER = "__iienv__"


class EnvLoader:
    """Wraps a module's real loader so the module runs with its environment's import."""

    def __init__(self, loader: Any, env: Environment) -> None:
        self.loader = loader
        self.env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        if isinstance(self.loader, ExtensionFileLoader):
            self.env.dirty_site_dirs.add(_generation_of(self.env, spec.origin))
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        real = self.loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = real
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = real
        namespace = module.__dict__
        namespace[MARKER] = self.env
        if not isinstance(real, ExtensionFileLoader):
            namespace["__builtins__"] = self.env.builtins
        real.exec_module(module)


def _generation_of(env: Environment, origin: str | None) -> Path:
    if origin:
        path = Path(origin)
        try:
            return env.home / path.relative_to(env.home).parts[0]
        except (ValueError, IndexError):
            pass
    return env.site_dir


class IienvFinder:
    """Meta path finder for activated environments and owners' packages."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager

    def __repr__(self) -> str:
        return f"<iienv finder for {self._manager.root}>"

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        overlay = self._manager._overlay
        env = overlay.active_env()
        if env is not None and fullname.partition(".")[0] in overlay.active_tops():
            search = [str(env.site_dir)] if path is None or "." not in fullname else path
            spec = PathFinder.find_spec(fullname, search, target)
            return _wrap(spec, env)
        owner_env = self._manager._owner_env(fullname)
        if owner_env is None and self._manager.discover_owner is not None:
            owner_env = self._manager.discover_owner(fullname)
        if owner_env is not None:
            prepare = self._manager.prepare_owner
            if prepare is not None and fullname in owner_env.owners:
                prepare(owner_env)
            return _wrap(self._find_after_me(fullname, path, target), owner_env)
        return None

    def _find_after_me(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def invalidate_caches(self) -> None:
        """Nothing cached here; PathFinder's caches are invalidated by importlib."""

    def find_distributions(
        self, context: DistributionFinder.Context | None = None
    ) -> Iterator[Any]:
        """The calling environment's distributions, so its metadata wins."""
        env = self._manager._calling_env(sys._getframe(1))
        if env is None:
            return iter(())
        name = getattr(context, "name", None)
        local = DistributionFinder.Context(name=name, path=[str(env.site_dir)])
        return iter(MetadataPathFinder.find_distributions(local))


def _wrap(spec: ModuleSpec | None, env: Environment) -> ModuleSpec | None:
    if spec is not None and spec.loader is not None and not isinstance(spec.loader, EnvLoader):
        spec.loader = EnvLoader(spec.loader, env)  # type: ignore[assignment]
    return spec


def calling_env(frame: FrameType | None, known: dict[int, Environment]) -> Environment | None:
    """The innermost environment whose code is on the stack above ``frame``."""
    while frame is not None:
        env = frame.f_globals.get(MARKER)
        if env is not None and id(env) in known:
            return env
        frame = frame.f_back
    return None
