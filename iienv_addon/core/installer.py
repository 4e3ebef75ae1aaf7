"""Installing an environment's packages with real pip.

pip installs into a staging directory next to the environment's generations;
only a complete install is renamed into place as the next generation and made
current by rewriting the state file. A failed install leaves the current
generation as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .environment import STAGING_PREFIX, Environment
from .errors import InstallError


def pip_command(
    target: Path,
    requirements: Sequence[str] = (),
    wheels: Sequence[str | os.PathLike[str]] = (),
    find_links: Sequence[str | os.PathLike[str]] = (),
    no_index: bool = False,
    python: str | None = None,
) -> list[str]:
    cmd = [
        python or sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--disable-pip-version-check",
        "--no-input",
        "--no-warn-script-location",
    ]
    if no_index:
        cmd.append("--no-index")
    for link in find_links:
        cmd += ["--find-links", str(link)]
    cmd += [str(w) for w in wheels]
    cmd += list(requirements)
    return cmd


def install(
    env: Environment,
    requirements: Sequence[str] = (),
    wheels: Sequence[str | os.PathLike[str]] = (),
    find_links: Sequence[str | os.PathLike[str]] = (),
    no_index: bool = False,
) -> Path:
    """Install into a new generation of ``env`` and make it current; return its path."""
    if not requirements and not wheels:
        raise InstallError(
            f"iienv: nothing to install into environment {env.name!r}: "
            f"give requirements or wheel files"
        )
    new_site = env.next_generation_dir()
    staging = env.home / f"{STAGING_PREFIX}{new_site.name}"
    shutil.rmtree(staging, ignore_errors=True)
    cmd = pip_command(staging, requirements, wheels, find_links, no_index)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise InstallError(
            f"iienv: pip could not install {list(requirements) + [str(w) for w in wheels]} "
            f"into environment {env.name!r} (exit {proc.returncode}); the environment is "
            f"unchanged. pip said:\n{tail}"
        )
    os.replace(staging, new_site)
    old_site = env.site_dir
    env.site_dir = new_site
    env.rescan()
    env.save_state()
    if (
        old_site.parent == env.home
        and old_site not in env.dirty_site_dirs
        and not _loaded_from(env, old_site)
    ):
        shutil.rmtree(old_site, ignore_errors=True)
    return new_site


def _loaded_from(env: Environment, site: Path) -> bool:
    prefix = str(site) + os.sep
    return any(
        (getattr(m, "__file__", None) or "").startswith(prefix) for m in env.modules.values()
    )
