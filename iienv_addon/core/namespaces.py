"""Namespace packages that belong to one environment.

A PEP 420 namespace package (``google`` from protobuf and
googleapis-common-protos) has no file: its ``__path__`` is a
``_NamespacePath`` that CPython *recomputes* from the parent's path whenever
that changes — for a top-level name the parent path is the global
``sys.path`` — or ``importlib.invalidate_caches()`` bumps its epoch. An
environment's ``google`` found in the environment's site dir would, after
any ``sys.path`` change or another environment's purge, point at Blender's
``google`` folder, and the environment's next ``import google.type`` would
load Blender's module as the environment's: a silent wrong module. So the
environment's namespace packages get a ``_NamespacePath`` whose parent path
is the environment's own roots (its site dir and the ``sys.path`` entries its
packages put inside it; for a nested namespace, the parent package's path),
fixed when the package is loaded. It still recomputes, as CPython's does, but
only ever finds the environment's portions — what a venv holding only the
environment's packages would find. A subclass, not a plain list, because
``importlib.resources`` reads namespace packages only through a path whose
``repr`` says ``_NamespacePath`` (``importlib.readers.NamespaceReader``).

PathFinder hands namespace specs out with no loader (importlib makes one
while creating the module), so the finder's loader wrapper would never see
them and they would carry no marker: ``namespace_spec`` gives them the
``NamespaceLoader`` importlib would have made, to be wrapped like any other.

pkgutil-style namespace packages (an ``__init__.py`` calling
``pkgutil.extend_path(__path__, __name__)``, as ``backports`` does) scan the
global ``sys.path`` while they execute and add every folder of the same name
— Blender's too. ``keep_own_portions`` takes the entries outside the
environment out of such a ``__path__`` once the package has executed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from importlib._bootstrap_external import _NamespacePath  # type: ignore[attr-defined]
from importlib.machinery import ModuleSpec, NamespaceLoader, PathFinder
from types import ModuleType
from typing import Any

__iienv_machinery__ = True


class EnvNamespacePath(_NamespacePath):
    """A namespace package's path recomputed from fixed roots, never ``sys.path``."""

    def __init__(self, name: str, path: list[str], parent_path: Sequence[str]) -> None:
        self._parent_path = parent_path  # (read by _get_parent_path, called by __init__)
        super().__init__(name, path, PathFinder._get_spec)  # type: ignore[attr-defined]

    def _get_parent_path(self) -> Sequence[str]:
        return self._parent_path


def namespace_spec(spec: ModuleSpec, parent_path: Sequence[str]) -> ModuleSpec:
    """Give a namespace ``spec`` found under ``parent_path`` a path fixed to it and a loader.

    ``parent_path``: the environment's roots for a top-level name (a tuple,
    captured now), the parent package's ``__path__`` object for a nested one.
    """
    found = spec.submodule_search_locations
    portions = list(getattr(found, "_path", found) or ())
    path = EnvNamespacePath(spec.name, portions, parent_path)
    spec.submodule_search_locations = path
    loader = NamespaceLoader.__new__(NamespaceLoader)
    loader._path = path  # type: ignore[attr-defined]  # (as importlib's _init_module_attrs does)
    spec.loader = loader
    return spec


def is_namespace_spec(spec: ModuleSpec) -> bool:
    """A namespace package's spec as PathFinder returns it (no loader, a search path)."""
    return spec.loader is None and spec.submodule_search_locations is not None


def keep_own_portions(module: ModuleType, prefixes: Iterable[str]) -> None:
    """Drop ``__path__`` entries outside ``prefixes`` that a pkgutil-style package added.

    Only a plain list is touched (``_NamespacePath`` is handled above), and
    only if the package's own folder stays.
    """
    path: Any = module.__dict__.get("__path__")
    if type(path) is not list or len(path) < 2:
        return
    roots = tuple(p if p.endswith(os.sep) else p + os.sep for p in prefixes)
    own = [p for p in path if isinstance(p, str) and (p + os.sep).startswith(roots)]
    if own and len(own) != len(path):
        path[:] = own  # (in place: the spec's submodule_search_locations is the same list)
