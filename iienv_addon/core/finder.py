"""The meta path finder and the loader wrappers, shaped like importlib's.

The finder claims these names:

* while an environment is activated (on the activating thread), the
  environment's top-level names and everything below them, found in its site
  dir;
* outside an activation, nothing else: a name the calling environment
  provides is loaded in the environment before importlib asks any finder
  (module_view.py routes ``sys.modules`` lookups and ``_find_and_load``);
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
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ExtensionFileLoader, ModuleSpec, NamespaceLoader, PathFinder
from importlib.metadata import DistributionFinder, MetadataPathFinder
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Protocol

from .caller import MARKER
from .environment import LOADED_LIBRARY_DIRS, BrokenEnvironment, Environment
from .errors import DamagedStateError
from .exclusive import EXCLUSIVE, check_exclusive, host_has
from .namespaces import is_namespace_spec, keep_own_portions, namespace_spec
from .overlay import Overlay
from .sys_state import env_path_entries, env_prefixes
from .workers import PRIVATE_STDLIB, adapt, private_spec

__iienv_machinery__ = True


class Environments(Protocol):
    """What the finder needs to know about the environments (the manager)."""

    root: Path
    discover_owner: Callable[[str], Environment | None] | None
    prepare_owner: Callable[[Environment], None] | None

    @property
    def known(self) -> dict[int, Environment]: ...
    def owner_env(self, module_name: str) -> Environment | None: ...
    def environments(self) -> list[Environment]: ...
    def broken_owner(self, module_name: str) -> BrokenEnvironment | None: ...
    def caller(self, frame: FrameType | None) -> Environment | None: ...


class EnvLoader:
    """Wraps a module's real loader so the module runs with its environment's import."""

    def __init__(self, loader: Any, env: Environment) -> None:
        self.loader = loader
        self.env = env
        # Called before the module is created (an owner package: its environment is
        # installed first if it is declared but empty).
        self.before_create: Callable[[], None] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        prepare, self.before_create = self.before_create, None
        if prepare is not None:
            try:
                prepare()
            except ImportError as exc:
                # What Blender's addon_utils.enable reads of an import error: ``name``
                # (it concatenates it) and ``msg``.
                if exc.name is None:
                    exc.name = spec.name
                if exc.msg is None:
                    exc.msg = str(exc)
                raise
        if isinstance(self.loader, ExtensionFileLoader):
            generation = _generation_of(self.env, spec.origin)
            self.env.dirty_site_dirs.add(generation)
            LOADED_LIBRARY_DIRS.add(generation)
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
        if not isinstance(real, (ExtensionFileLoader, NamespaceLoader)):
            namespace["__builtins__"] = self.env.builtins
        real.exec_module(module)
        adapt(module, self.env)  # (its own multiprocessing, loky: workers.py)
        if "__path__" in namespace:  # a pkgutil-style namespace took Blender's folders too
            keep_own_portions(module, env_prefixes(self.env))


def _generation_of(env: Environment, origin: str | None) -> Path:
    if origin:
        path = Path(origin)
        try:
            return env.home / path.relative_to(env.home).parts[0]
        except (ValueError, IndexError):
            pass
    return env.site_dir


class IienvFinder:
    """Meta path finder for activated environments, calling environments and owners."""

    def __init__(self, envs: Environments, overlay: Overlay) -> None:
        self._envs = envs
        self._overlay = overlay

    def __repr__(self) -> str:
        return f"<iienv finder for {self._envs.root}>"

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        overlay = self._overlay
        env = overlay.active_env()
        if env is not None and (path is None or "." not in fullname):
            # Top-level names: the environment's own sys.path entries (a package
            # put them there while loading, as opencv does), then its site dir.
            if fullname in PRIVATE_STDLIB:  # the environment's own instance (workers.py)
                return _wrap(private_spec(fullname, target), env)
            added = env_path_entries(env)
            if fullname in overlay.active_tops():
                if fullname in EXCLUSIVE:
                    check_exclusive(
                        fullname,
                        env,
                        self._envs.environments(),
                        host_has(fullname, overlay.active_stash()),
                    )
                roots = (*added, str(env.site_dir))
                return _wrap(PathFinder.find_spec(fullname, roots, target), env, roots)
            if added:
                spec = PathFinder.find_spec(fullname, added, target)
                if spec is not None:
                    return _wrap(spec, env, tuple(added))
        elif env is not None and fullname.partition(".")[0] in overlay.active_tops():
            return _wrap(PathFinder.find_spec(fullname, path, target), env, path)
        owner_env = self._envs.owner_env(fullname)
        if owner_env is None:
            broken = self._envs.broken_owner(fullname)
            if broken is not None:  # never fall back to Blender's modules for its add-on
                raise DamagedStateError(broken.name, broken.reason)
        if owner_env is None and self._envs.discover_owner is not None:
            owner_env = self._envs.discover_owner(fullname)
        if owner_env is not None:
            spec = _wrap(self._find_after_me(fullname, path, target), owner_env)
            loader = spec.loader if spec is not None else None
            prepare = self._envs.prepare_owner
            if isinstance(loader, EnvLoader) and fullname in owner_env.owners and prepare:
                # Run by the loader, not here: CPython holds its global import lock
                # around every find_spec, and preparing may run pip for minutes,
                # during which no other thread could import anything.
                env_to_prepare = owner_env
                loader.before_create = lambda: prepare(env_to_prepare)
            return spec
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
        env = self._envs.caller(sys._getframe(1))
        if env is None:
            return iter(())
        name = getattr(context, "name", None)
        local = DistributionFinder.Context(name=name, path=[str(env.site_dir)])
        return iter(MetadataPathFinder.find_distributions(local))


def _wrap(
    spec: ModuleSpec | None, env: Environment, parent_path: Sequence[str] | None = None
) -> ModuleSpec | None:
    """Make ``spec``'s module run as ``env``'s (and its namespace path ``env``'s own).

    ``parent_path``: where ``spec`` was searched (see namespaces.py).
    """
    if spec is not None and parent_path is not None and is_namespace_spec(spec):
        namespace_spec(spec, parent_path)
    if spec is not None and spec.loader is not None and not isinstance(spec.loader, EnvLoader):
        spec.loader = EnvLoader(spec.loader, env)  # type: ignore[assignment]
    return spec
