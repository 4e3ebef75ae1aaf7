"""An environment's home on disk: made and taken away without a half state.

Made: built in a ``.new-*`` dir and renamed into place (a kill leaves the
``.new-*`` dir, cleared at the next start); or, where an uninstall left the
home because a loaded library holds files in it, written *into* that home.

Taken away: renamed aside (``.trash-*``) and deleted. Where a loaded library
holds a file (Windows: neither it nor a directory above it can be renamed or
deleted while loaded), the home is marked removed (``.removed``), emptied of
everything else and deleted at the next start (layout.py); it is never loaded
again. The caller holds the environment lock throughout.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from .environment import LOADED_LIBRARY_DIRS, STATE_FILE, Environment
from .errors import FileHeldError, SiteDirError
from .layout import REMOVED_MARKER, TRASH_PREFIX, new_dir_name
from .sharing import RETRY_DELAYS, describe, remove_tree, rename

__iienv_machinery__ = True


def create_aside(
    root: Path, name: str, home: Path, owners: frozenset[str], adopted: bool, site: Path
) -> None:
    """Build the new environment in a ``.new-*`` dir and rename it into place.

    A kill leaves the ``.new-*`` dir (cleared at the next start), never a
    half environment under the add-on's name.
    """
    building = root / new_dir_name(name, uuid.uuid4().hex[:8])
    try:
        staged = Environment(name, building, owners, site if adopted else building / site.name)
        if not adopted:
            staged.site_dir.mkdir(parents=True)
        staged.save_state()
        if home.exists():
            home.rmdir()  # empty (checked by the caller)
        rename(building, home, f"the new environment {name!r}")
    except OSError as exc:
        remove_tree(building)
        raise SiteDirError(
            f"iienv: could not create the environment {name!r} in {str(root)!r} "
            f"({describe(exc)}); nothing was created. Check free space and permissions"
        ) from None


def create_in_place(
    name: str, home: Path, owners: frozenset[str], adopted: bool, site: Path
) -> None:
    """Create ``name`` in the home an uninstall left behind (a library there is loaded).

    Such a home cannot be replaced by a rename, so the environment is
    written into it: a new generation (never a loaded one's path), then
    ``state.json``, and only then the removal marker goes. A kill before
    that leaves the marker: the next start removes the whole home.
    """
    staged = Environment(name, home, owners, site)
    try:
        if not adopted:
            site.mkdir(parents=True)
        staged.save_state()
        (home / REMOVED_MARKER).unlink()
    except OSError as exc:
        raise SiteDirError(
            f"iienv: could not create the environment {name!r} in {str(home)!r} "
            f"({describe(exc)}); restart Blender and try again"
        ) from None


def delete_home(root: Path, env: Environment) -> bool:
    """Delete an uninstalled environment's home; False if some of it must wait.

    Renamed aside first: a kill leaves a ``.trash-*`` dir (cleared at the
    next start), never a generation without its state.json.
    """
    trash = root / f"{TRASH_PREFIX}{env.name}-{uuid.uuid4().hex[:8]}"
    loaded = any(d.is_relative_to(env.home) for d in LOADED_LIBRARY_DIRS)
    try:
        # (a loaded library will not let go: one attempt is enough then)
        rename(env.home, trash, f"the environment {env.name!r}", () if loaded else RETRY_DELAYS)
    except FileHeldError:
        pass
    except OSError as exc:
        raise SiteDirError(
            f"iienv: could not remove {str(env.home)!r} ({describe(exc)}); check "
            f"permissions. The add-on's environment is no longer used"
        ) from None
    else:
        remove_tree(trash)
        return True
    try:
        (env.home / REMOVED_MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    except OSError as exc:
        raise SiteDirError(
            f"iienv: could not remove {str(env.home)!r} ({describe(exc)}); delete it by "
            f"hand after closing Blender. The add-on's environment is no longer used"
        ) from None
    with contextlib.suppress(OSError):
        (env.home / STATE_FILE).unlink()
    return empty_removed_home(env.home)


def empty_removed_home(home: Path) -> bool:
    """Delete what can be deleted of an uninstalled environment's home; True if it is gone.

    The removal marker goes last, so a home that keeps a loaded library's
    files keeps saying it was removed (and is never loaded again).
    """
    left = [
        child
        for child in list(home.iterdir())
        if child.name != REMOVED_MARKER and not remove_tree(child, delays=())
    ]
    if left:
        return False
    return remove_tree(home)
