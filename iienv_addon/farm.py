"""Render farms: environments exported once and reproduced offline, then verified.

The API behind ``blender -c iienv export|install --from|verify`` (cli.py), also
``iienv.export``, ``iienv.install_from`` and ``iienv.verify`` for scripts. No
``bpy`` here: the runtime's manager does the work (core/lockfile.py and
core/integrity.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from . import api
from .core.errors import InstallError
from .core.integrity import IntegrityReport
from .core.lockfile import WHEELS, Export, lock_path
from .core.names import check_module_name


def export(addon: str, to: str | os.PathLike[str]) -> Export:
    """Write ``to/<addon>.lock`` (what the environment holds, pinned, with the hashes of
    its wheels) and the wheels to ``to/wheels/``, fetched from pip's cache or its
    configured index once. An export that fails leaves ``to`` as it was."""
    rt = api.runtime()
    check_module_name(addon, "add-on module name")
    env = api._env_for(rt, addon)
    return rt.manager.export(env, to)


def install_from(
    addon: str,
    folder: str | os.PathLike[str],
    progress: api.ProgressCallback | None = None,
    force: bool = False,
    installer: str | None = None,
) -> api.EnvInfo:
    """Install ``addon``'s environment from an export folder alone: no index, each wheel
    checked against the lock's hash; the environment is unchanged if anything fails.

    Nothing is installed if the environment already holds exactly what the lock
    pins (``force`` reinstalls); if another worker on the same profile is
    installing it right now, this waits for it and uses its install.
    ``installer``: "auto", "uv" or "pip" (default: the Preferences' setting).
    """
    lock = lock_path(Path(folder), addon)
    if not lock.is_file():
        raise InstallError(
            f"iienv: {str(folder)!r} holds no export of add-on {addon!r} (no {lock.name}); "
            f"export it there first (blender -b -c iienv export {addon} --to FOLDER)"
        )
    wheels = [Path(folder) / WHEELS]
    install = api.install if force else api.ensure_env
    return install(
        addon,
        (),
        find_links=wheels,
        no_index=True,
        lock_file=lock,
        progress=progress,
        installer=installer,
    )


def verify(addon: str, folder: str | os.PathLike[str] | None = None) -> IntegrityReport:
    """Check ``addon``'s installed files against pip's RECORD and its distributions against
    a lock: ``folder``'s (an export), else the one it was installed from if that file is
    still there. Changes nothing."""
    rt = api.runtime()
    check_module_name(addon, "add-on module name")
    env = api._env_for(rt, addon)
    lock: Path | None = None
    if folder is not None:
        lock = lock_path(Path(folder), addon)
        if not lock.is_file():
            raise InstallError(f"iienv: {str(folder)!r} holds no lock of add-on {addon!r}")
    else:
        recorded = env.request.get("lock_file")
        lock = Path(recorded) if isinstance(recorded, str) and Path(recorded).is_file() else None
    return rt.manager.verify(env, lock)
