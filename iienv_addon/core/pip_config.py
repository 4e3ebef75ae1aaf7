"""What iienv keeps of the user's pip configuration: where packages come from, nothing else.

Blender ignores the user's Python configuration; pip does not. A ``pip.ini`` /
``pip.conf`` or ``PIP_*`` variable meant for the user's own Python can send an
add-on's packages elsewhere or nowhere: ``user = true`` (pip then refuses
``--target``), ``prefix`` (cannot be combined with ``--target``), ``dry-run``,
``no-deps``, ``require-virtualenv``, a global ``constraint`` file that re-pins
the add-on's versions. pip's own switch, ``PIP_CONFIG_FILE=os.devnull``,
turns every configuration file off — but a studio's index mirror,
certificate or proxy must keep working.

So the real pip is asked what the configuration says
(``pip config list``: every file pip would read, in pip's own order), and only
the *where from* keys (``SOURCE_KEYS``) are handed on, as ``PIP_*``
variables, to a pip that loads no configuration file. ``PIP_*`` variables
are filtered the same way. pip is asked once per Blender session (and again
when a ``PIP_*`` variable changes): a configuration file edited meanwhile is
read at the next start.
"""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Mapping

from .process_tree import creation_flags

__iienv_machinery__ = True

# pip options that say where packages come from and how to reach it.
SOURCE_KEYS = frozenset(
    {
        "index-url", "extra-index-url", "find-links", "no-index", "cert", "client-cert",
        "trusted-host", "proxy", "timeout", "default-timeout", "retries", "keyring-provider",
        "pre", "cache-dir", "no-cache-dir",
    }
)  # fmt: skip
# The sections `pip install` reads, in pip's order (later wins); ":env:" is PIP_* variables.
_SECTIONS = ("global", "install", ":env:")
FIXED = {"PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _variable(key: str) -> str:
    return "PIP_" + key.upper().replace("-", "_")


def source_settings(python: str, flags: tuple[str, ...], base: Mapping[str, str]) -> dict[str, str]:
    """``PIP_*`` variables for the source keys the user's configuration sets (pip's answer)."""
    key = (
        python,
        flags,
        tuple(sorted((k, v) for k, v in base.items() if k.upper().startswith("PIP_"))),
    )
    cached = _ASKED.get(key)
    if cached is None:
        cached = _ASKED[key] = _ask_pip(python, flags, base)
    return dict(cached)


_ASKED: dict[object, dict[str, str]] = {}


def _ask_pip(python: str, flags: tuple[str, ...], base: Mapping[str, str]) -> dict[str, str]:
    try:
        listing = subprocess.run(
            [python, *flags, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
            check=False,
            env=dict(base),
            stdin=subprocess.DEVNULL,
            creationflags=creation_flags(),
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[str, dict[str, str]] = {section: {} for section in _SECTIONS}
    for line in listing.splitlines():
        name, sep, value = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not (sep and dot) or section not in found or key not in SOURCE_KEYS:
            continue
        try:
            text = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(text, str):
            found[section][key] = text
    settings: dict[str, str] = {}
    for section in _SECTIONS:
        for key, text in found[section].items():
            settings[_variable(key)] = text
    return settings


def pip_environment(base: Mapping[str, str], python: str, flags: tuple[str, ...]) -> dict[str, str]:
    """The process environment pip runs with: no configuration file, no ``PYTHON*``, only the
    user's where-from settings among ``PIP_*``."""
    env = {k: v for k, v in base.items() if not k.upper().startswith(("PIP_", "PYTHON"))}
    sources = {_variable(key) for key in SOURCE_KEYS}
    asked = {k: v for k, v in base.items() if not k.upper().startswith("PYTHON")}
    env.update(source_settings(python, flags, asked))
    env.update({k: v for k, v in base.items() if k.upper() in sources})
    env.update(FIXED, PIP_CONFIG_FILE=os.devnull)
    return env
