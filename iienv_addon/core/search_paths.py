"""Library search paths an environment's code adds to the process, taken back at purge.

Packages with bundled native libraries make them findable while they load:

* opencv's ``cv2/__init__.py`` prepends ``<site>/cv2/../../lib64`` to
  ``LD_LIBRARY_PATH`` on Linux and to ``PATH`` on Windows (for the processes
  it starts), and calls ``os.add_dll_directory`` for it on Windows;
* delvewheel-patched Windows wheels (``<pkg>.libs``) call
  ``os.add_dll_directory`` in their ``__init__.py`` and drop the handle, so the
  directory stays in the DLL search path for the rest of the process.

Left alone, every purge and re-import adds another generation's folder: the
process environment (and every program Blender starts) keeps pointing at
purged generations, and a purged generation's DLL folder stays searched. So,
while an environment loads, the entries it adds to the search variables
inside its own home and the DLL directories it adds are recorded
(``lay``/``collect``, around the same activation that records ``sys``
changes, sys_state.py) and taken back when it is purged (``forget``) — or at
once if the load failed. Entries of other origin are never touched.

What this cannot undo: a DLL already loaded stays loaded, and Windows binds a
later load of the same base name to it (delvewheel mangles names for that).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .environment import Environment

__iienv_machinery__ = True

SEARCH_VARIABLES = ("PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH")


@dataclass
class SearchSnapshot:
    values: dict[str, str | None]
    real_add_dll_directory: Callable[[str], Any] | None = None
    added_dll_directories: list[Any] = field(default_factory=list)


def lay(env: Environment) -> SearchSnapshot:
    """Record the search variables before ``env``'s code runs; record its DLL directories.

    ``os.add_dll_directory`` (Windows only) is wrapped for as long as the
    environment is laid out: the import gate is closed then, so no other
    thread is loading modules (overlay.py).
    """
    snapshot = SearchSnapshot({name: os.environ.get(name) for name in SEARCH_VARIABLES})
    real = getattr(os, "add_dll_directory", None)
    if real is not None:
        snapshot.real_add_dll_directory = real

        def add_dll_directory(path: str) -> Any:
            handle = real(path)
            if _inside(os.fspath(path), env):
                snapshot.added_dll_directories.append(handle)
            return handle

        os.add_dll_directory = add_dll_directory  # type: ignore[attr-defined]
    return snapshot


def collect(env: Environment, snapshot: SearchSnapshot, failed: bool) -> None:
    """Keep what ``env``'s code added (to be taken back at purge); take it back now if failed."""
    if snapshot.real_add_dll_directory is not None:
        os.add_dll_directory = snapshot.real_add_dll_directory  # type: ignore[attr-defined]
    for name, before in snapshot.values.items():
        now = os.environ.get(name)
        if now == before or now is None:
            continue
        had = _entries(before)
        for entry in _entries(now):
            if entry not in had and _inside(entry, env):
                env.search_entries.append((name, entry, before is None))
    env.dll_directories.extend(snapshot.added_dll_directories)
    if failed:
        forget(env)


def forget(env: Environment) -> list[str]:
    """Take ``env``'s recorded entries out of the search variables and close its DLL
    directories; returns what was taken out (``VARIABLE=entry``)."""
    removed = []
    for name, entry, created in env.search_entries:
        value = os.environ.get(name)
        if value is None:
            continue
        entries = value.split(os.pathsep)
        if entry not in entries:
            continue
        entries.remove(entry)
        removed.append(f"{name}={entry}")
        if created and not any(entries):
            del os.environ[name]  # it did not exist before the environment set it
        else:
            os.environ[name] = os.pathsep.join(entries)
    for handle in env.dll_directories:
        with contextlib.suppress(OSError, AttributeError):
            handle.close()
            removed.append(f"dll directory {getattr(handle, 'path', handle)}")
    env.search_entries = []
    env.dll_directories = []
    return removed


def _entries(value: str | None) -> list[str]:
    return value.split(os.pathsep) if value else []


def _inside(entry: str, env: Environment) -> bool:
    """An entry in ``env``'s home or site dir, by its text (``<site>/cv2/../../lib64`` counts)."""
    prefixes = tuple(
        {str(d) + os.sep for d in (env.home, env.site_dir)}
        | {os.path.realpath(d) + os.sep for d in (env.home, env.site_dir)}
    )
    return entry.startswith(prefixes) or os.path.abspath(entry).startswith(prefixes)
