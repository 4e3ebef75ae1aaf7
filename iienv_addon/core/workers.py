"""Worker processes of an environment's code run in that environment.

An add-on's code that starts workers — ``multiprocessing`` (spawn, forkserver,
fork), ``multiprocessing.Pool``, ``concurrent.futures.ProcessPoolExecutor``,
joblib's loky backend (scikit-learn's ``n_jobs``) — meets three walls:

* **Who pickles.** Tasks and results are pickled by multiprocessing's own
  threads (``Pool._handle_tasks``, ``Queue._feed``, the executor's manager
  thread): standard-library code on a stack with no frame of the add-on, so
  the pickler's ``sys.modules`` lookups (``numpy.core.multiarray`` for an
  array) resolve globally and an environment's array fails to pickle ("not
  the same object"), or a received one is rebuilt with Blender's numpy.
* **One registry for everybody.** joblib's loky puts its start method into
  ``multiprocessing.context._concrete_contexts`` at import: the last joblib
  imported wins for every add-on, and the entry survives a purge.
* **What the child knows.** A spawn or forkserver child gets the parent's
  ``sys.path`` (``spawn.get_preparation_data``) and imports the add-on and
  its packages from there: Blender's numpy, silently. loky starts
  ``python -m joblib.externals.loky...``: without the environment on the
  child's path it cannot even start (``BrokenProcessPool``).

So every environment gets *its own instance* of ``multiprocessing`` and
``concurrent`` (``PRIVATE_STDLIB``), loaded from the standard library's files
like any module of the environment: marked, with the environment's import.
Their threads' frames are then the environment's code, and so are their
pickles; their registries are the environment's and go with its purge;
Blender's own ``multiprocessing`` is never touched. Into the environment's
instances (and its copies of loky), ``adapt`` puts what a child needs:

* ``get_preparation_data`` hands the child a ``sys.path`` with the
  environment's roots right after the standard library — where a venv's
  site-packages would be — so the worker imports the environment's packages
  first (names it lacks still come from the rest of the parent's path, as
  they do in the parent);
* the children run a Python with Blender's version, build and standard library
  (``set_executable``; Blender's ``sys.executable`` differs by platform and
  form), or, where there is none, spawn and forkserver raise a clear error
  before any worker starts;
* a loky process gets ``PYTHONPATH`` with the environment's roots (its child
  imports loky by ``-m`` before any data arrives).

A fork child is a copy of the parent: the environment's tables and routing
come with it.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable
from functools import lru_cache
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import IienvError

if TYPE_CHECKING:
    from .environment import Environment

__iienv_machinery__ = True

# What a spawn child runs of the parent's ``__main__`` before it unpickles anything.
# In Blender that is Blender's main script, or the script Blender was told to run,
# which imports ``bpy``: no worker can import it, the worker dies, and
# ``multiprocessing.Pool`` waits forever. An add-on's code is never ``__main__``, and
# its workers need only modules importable by name, so the environment's children
# skip it (as loky's do by default).
MAIN_KEYS = ("init_main_from_path", "init_main_from_name")

# Standard-library packages each environment gets its own instance of.
PRIVATE_STDLIB = frozenset({"multiprocessing", "concurrent"})
_STDLIB_DIR = os.path.dirname(os.__file__)


@lru_cache(maxsize=1)
def _stdlib_entries() -> frozenset[str]:
    """The ``sys.path`` entries of the standard library (the zip, the dir, lib-dynload)."""
    paths = sysconfig.get_paths()
    entries = {paths.get("stdlib", ""), paths.get("platstdlib", ""), _STDLIB_DIR}
    entries |= {os.path.join(p, "lib-dynload") for p in list(entries) if p}
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    for prefix in {sys.prefix, sys.base_prefix}:
        entries.add(os.path.join(prefix, "lib", f"python{version}.zip"))
        entries.add(os.path.join(prefix, f"python{version}.zip"))
    return frozenset(os.path.normcase(os.path.abspath(e)) for e in entries if e)


def private_spec(fullname: str, target: ModuleType | None = None) -> ModuleSpec | None:
    """The spec of a ``PRIVATE_STDLIB`` package, from the standard library's own folder."""
    return PathFinder.find_spec(fullname, [_STDLIB_DIR], target)


def env_roots(env: Environment) -> list[str]:
    """Where a child finds the environment's packages: its own path entries, its site dir."""
    return [*env.sys_path, str(env.site_dir)]


def child_sys_path(env: Environment, parent_path: list[str]) -> list[str]:
    """``parent_path`` with ``env``'s roots after the standard library's entries."""
    roots = env_roots(env)
    path = [p for p in parent_path if p not in roots]
    last_stdlib = -1
    for index, entry in enumerate(path):
        if isinstance(entry, str) and entry:
            if os.path.normcase(os.path.abspath(entry)) in _stdlib_entries():
                last_stdlib = index
    return [*path[: last_stdlib + 1], *roots, *path[last_stdlib + 1 :]]


def child_environ(env: Environment, overrides: dict[str, str] | None) -> dict[str, str]:
    """``overrides`` (a loky process's ``env``) with ``PYTHONPATH`` led by ``env``'s roots."""
    merged = dict(overrides or {})
    roots = env_roots(env)
    existing = merged.get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    rest = [p for p in existing.split(os.pathsep) if p and p not in roots]
    merged["PYTHONPATH"] = os.pathsep.join([*roots, *rest])
    return merged


def child_command(env: Environment, args: list[str]) -> list[str]:
    """A ``python ... -c CODE`` command line whose code first puts ``env``'s roots on its path."""
    if "-c" not in args[:-1]:
        return args
    index = args.index("-c") + 1
    prefix = f"import sys; sys.path[0:0] = {env_roots(env)!r}; "
    return [*args[:index], prefix + args[index], *args[index + 1 :]]


def _adapt_spawn(module: ModuleType, env: Environment, python: str | IienvError | None) -> None:
    original: Callable[..., dict[str, Any]] = module.get_preparation_data

    def get_preparation_data(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(python, IienvError):  # before any worker starts (spawn, forkserver, loky)
            raise type(python)(str(python))
        data = original(*args, **kwargs)
        if isinstance(data.get("sys_path"), list):
            data["sys_path"] = child_sys_path(env, data["sys_path"])
        for key in MAIN_KEYS:  # Blender's __main__ is not the add-on's (see MAIN_KEYS)
            data.pop(key, None)
        return data

    get_preparation_data.__wrapped__ = original  # type: ignore[attr-defined]
    module.get_preparation_data = get_preparation_data  # type: ignore[attr-defined]
    if isinstance(python, str) and module.__name__ == "multiprocessing.spawn":
        module.set_executable(python)


def _adapt_loky_process(
    module: ModuleType, env: Environment, python: str | IienvError | None
) -> None:
    cls = getattr(module, "LokyProcess", None)
    if cls is None:
        return
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.env = child_environ(env, self.env)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    cls.__init__ = __init__


def _adapt_loky_tracker(
    module: ModuleType, env: Environment, python: str | IienvError | None
) -> None:
    original = getattr(module, "spawnv_passfds", None)
    if original is None:
        return

    def spawnv_passfds(path: str, args: list[str], passfds: Any) -> Any:
        return original(path, child_command(env, list(args)), passfds)

    spawnv_passfds.__wrapped__ = original  # type: ignore[attr-defined]
    module.spawnv_passfds = spawnv_passfds  # type: ignore[attr-defined]


_ADAPTERS: dict[str, Callable[[ModuleType, Environment, str | IienvError | None], None]] = {
    "multiprocessing.spawn": _adapt_spawn,
    "joblib.externals.loky.backend.spawn": _adapt_spawn,
    "loky.backend.spawn": _adapt_spawn,
    "joblib.externals.loky.backend.process": _adapt_loky_process,
    "loky.backend.process": _adapt_loky_process,
    "joblib.externals.loky.backend.resource_tracker": _adapt_loky_tracker,
    "loky.backend.resource_tracker": _adapt_loky_tracker,
}


def child_python() -> str | IienvError | None:
    """The interpreter children must run, if not ``sys.executable`` (None: it is right).

    Where no candidate will do (``sys.executable`` included), the error: the
    environment's spawn and forkserver raise it before any worker starts, since
    a worker on another Python dies at its first import and ``Pool`` then waits
    forever (fork needs no interpreter and works).

    Blender's ``sys.executable`` is not always a Python of its own version:
    Debian's ``blender`` reports whatever ``python3.x`` comes first on ``PATH``
    (a pyenv shim here), and a Blender whose ``sys.executable`` is the
    ``blender`` binary would start a second Blender (which reads ``-c`` as its
    own command option). The candidates are probed once per session
    (interpreter.py: version, cache tag, architecture).
    """
    from .interpreter import worker_python as probed

    try:
        python = probed()
    except IienvError as exc:
        return exc
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return None
    return python


def adapt(module: ModuleType, env: Environment) -> bool:
    """Prepare ``env``'s own instance of a module that starts workers (after it ran)."""
    adapter = _ADAPTERS.get(module.__name__)
    if adapter is None:
        return False
    adapter(module, env, child_python())
    return True
