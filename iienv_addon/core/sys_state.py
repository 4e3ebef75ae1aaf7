"""What an environment's code leaves in ``sys`` while it loads: path entries, attributes.

opencv's ``cv2/__init__.py`` sets ``sys.OpenCV_LOADER``, inserts its own
folder into ``sys.path``, pops ``sys.modules["cv2"]`` and imports ``cv2`` again
to get ``cv2/cv2.abi3.so``; then it restores ``sys.path`` and deletes the
attribute. Two things follow for an environment:

* while it is laid out, the finder searches the ``sys.path`` entries that lie
  inside the environment (in ``sys.path`` order) before its site dir, so
  ``import cv2`` from there finds the native module as in a plain venv
  (finder.py), and modules found there belong to the environment;
* when the activation ends, entries and ``sys`` attributes the environment's
  code added and left are taken out of ``sys``: kept with the environment and
  put back while it is laid out again if the import succeeded, dropped if it
  failed — a failed load must not poison the next attempt (cv2's leftover
  ``OpenCV_LOADER`` makes every later ``import cv2`` in the process fail with
  "recursion is detected"). A purge drops them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .environment import Environment

__iienv_machinery__ = True


@dataclass
class SysSnapshot:
    path: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    laid_paths: list[str] = field(default_factory=list)
    laid_attributes: list[str] = field(default_factory=list)


def env_prefixes(env: Environment) -> tuple[str, ...]:
    return (str(env.site_dir) + os.sep, str(env.home) + os.sep)


def env_path_entries(env: Environment) -> list[str]:
    """``sys.path`` entries inside ``env`` (its packages put them there), in order."""
    prefixes = env_prefixes(env)
    return [p for p in sys.path if isinstance(p, str) and p.startswith(prefixes)]


def lay_sys(env: Environment) -> SysSnapshot:
    """Record ``sys`` before ``env`` runs, and put back what it kept from earlier loads."""
    snapshot = SysSnapshot(path=set(_str_entries()), attributes=set(vars(sys)))
    for entry in env.sys_path:
        if entry not in snapshot.path:
            sys.path.insert(0, entry)
            snapshot.laid_paths.append(entry)
    for name, value in env.sys_attributes.items():
        if name not in snapshot.attributes:
            setattr(sys, name, value)
            snapshot.laid_attributes.append(name)
    return snapshot


def collect_sys(env: Environment, snapshot: SysSnapshot, failed: bool) -> None:
    """Take what ``env``'s code added to ``sys`` out again (kept with ``env`` unless failed)."""
    prefixes = env_prefixes(env)
    added_paths = [p for p in _str_entries() if p not in snapshot.path and p.startswith(prefixes)]
    for entry in added_paths:
        while entry in sys.path:
            sys.path.remove(entry)
    added_attributes: dict[str, Any] = {
        name: value for name, value in vars(sys).items() if name not in snapshot.attributes
    }
    for name in added_attributes:
        delattr(sys, name)
    if failed:
        env.sys_path = []
        env.sys_attributes = {}
    else:
        env.sys_path = list(reversed(added_paths))
        env.sys_attributes = added_attributes


def _str_entries() -> list[str]:
    return [p for p in sys.path if isinstance(p, str)]
