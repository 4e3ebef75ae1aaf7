"""The process environment uv installs with: the user's *where from*, nothing else.

The same rule as pip_config.py, for uv. uv reads ``uv.toml`` files (user,
system, and any in Blender's working directory) and ``UV_*`` variables; a
``[pip]`` table or ``UV_SYSTEM_PYTHON``, ``UV_CONSTRAINT``, ``UV_NO_DEPS``,
``UV_LINK_MODE`` meant for the user's own projects must not change what an
add-on gets. So uv runs with ``--no-config`` and only the ``UV_*`` variables
that say where packages come from and how to reach it (``SOURCE_VARIABLES``).

Where packages come from stays the same whichever installer runs: a studio's
index mirror, certificate or proxy set up for pip (``pip.conf`` / ``pip.ini``,
``PIP_*``, as pip itself reports them) is handed to uv in uv's words
(``from_pip``); a ``UV_*`` variable the user set wins over the translation.
Two of pip's habits need care: pip skips a ``find-links`` folder that does not
exist where uv stops with an error (such folders are left out), and pip's
``cache-dir`` holds pip's cache format, not uv's (not handed on).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .pip_config import source_settings

__iienv_machinery__ = True

# uv's variables that say where packages come from and how to reach it.
SOURCE_VARIABLES = frozenset(
    {
        "UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS",
        "UV_NO_INDEX", "UV_OFFLINE", "UV_CACHE_DIR", "UV_NO_CACHE", "UV_NATIVE_TLS",
        "UV_SYSTEM_CERTS", "UV_INSECURE_HOST", "UV_HTTP_TIMEOUT", "UV_REQUEST_TIMEOUT",
        "UV_HTTP_RETRIES", "UV_KEYRING_PROVIDER", "UV_PRERELEASE", "UV_CONCURRENT_DOWNLOADS",
    }
)  # fmt: skip
# Never a Python download, never colour codes or progress bars in the output iienv parses.
FIXED = {
    "UV_NO_CONFIG": "1",
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_NO_PROGRESS": "1",
    "NO_COLOR": "1",
}
# What tells uv (or the Python it asks) which environment to use: iienv says it.
_DROPPED = ("UV_", "PIP_", "PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX")
_TRUE = {"1", "true", "yes", "on", "y", "t"}


def from_pip(settings: Mapping[str, str]) -> dict[str, str]:
    """pip's source settings (``PIP_*`` names, pip_config.source_settings) in uv's variables."""
    out: dict[str, str] = {}
    if value := settings.get("PIP_INDEX_URL"):
        out["UV_INDEX_URL"] = value
    if value := settings.get("PIP_EXTRA_INDEX_URL"):
        out["UV_EXTRA_INDEX_URL"] = " ".join(value.split())
    if value := settings.get("PIP_FIND_LINKS"):
        kept = [link for link in value.split() if "://" in link or Path(link).is_dir()]
        if kept:
            out["UV_FIND_LINKS"] = ",".join(kept)  # (uv splits this variable at commas)
    if settings.get("PIP_NO_INDEX", "").strip().lower() in _TRUE:
        out["UV_NO_INDEX"] = "1"
    if value := settings.get("PIP_CERT"):
        out["SSL_CERT_FILE"] = value
    if value := settings.get("PIP_CLIENT_CERT"):
        out["SSL_CLIENT_CERT"] = value
    if value := settings.get("PIP_TRUSTED_HOST"):
        out["UV_INSECURE_HOST"] = " ".join(value.split())
    if value := settings.get("PIP_PROXY"):
        out["HTTPS_PROXY"] = out["HTTP_PROXY"] = value
    if value := settings.get("PIP_TIMEOUT") or settings.get("PIP_DEFAULT_TIMEOUT"):
        out["UV_HTTP_TIMEOUT"] = value
    if value := settings.get("PIP_RETRIES"):
        out["UV_HTTP_RETRIES"] = value
    if value := settings.get("PIP_KEYRING_PROVIDER"):
        out["UV_KEYRING_PROVIDER"] = value
    if settings.get("PIP_PRE", "").strip().lower() in _TRUE:
        out["UV_PRERELEASE"] = "allow"
    if settings.get("PIP_NO_CACHE_DIR", "").strip().lower() in _TRUE:
        out["UV_NO_CACHE"] = "1"
    return out


def uv_environment(
    base: Mapping[str, str], pip_python: str | None, pip_flags: tuple[str, ...]
) -> dict[str, str]:
    """The environment uv runs with (see the module's docstring).

    ``pip_python``: a Python with pip to ask for the user's pip settings, or
    None where there is none (then only ``UV_*`` and the generic proxy and
    certificate variables say where packages come from).
    """
    env = {k: v for k, v in base.items() if not k.upper().startswith(_DROPPED)}
    # generic variables the user set (HTTPS_PROXY, SSL_CERT_FILE) win over pip's
    pip: dict[str, str] = {}
    if pip_python is not None:
        asked = {k: v for k, v in base.items() if not k.upper().startswith("PYTHON")}
        pip = source_settings(pip_python, pip_flags, asked)
        # PIP_* variables are pip's highest layer (pip_config.pip_environment does the same)
        pip.update({k: v for k, v in base.items() if k.upper().startswith("PIP_")})
    for key, value in from_pip(pip).items():
        if key.startswith("UV_") or key not in env:
            env[key] = value
    env.update({k: v for k, v in base.items() if k.upper() in SOURCE_VARIABLES})
    env.update(FIXED)
    return env


def sources(env: Mapping[str, str], find_links: tuple[str, ...], no_index: bool) -> list[str]:
    """Where uv looks for wheels with ``env`` and the request's ``find_links``, as locations
    (folders and index URLs) for wheel_listing.versions_with_wheels."""
    places = list(find_links)
    places += [p for p in env.get("UV_FIND_LINKS", "").split(",") if p]
    if no_index or env.get("UV_NO_INDEX", "").lower() in _TRUE:
        return places
    index = env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL") or "https://pypi.org/simple"
    places.append(index)
    places += env.get("UV_EXTRA_INDEX_URL", "").split()
    places += [i.partition("=")[2] or i for i in env.get("UV_INDEX", "").split()]
    return places
