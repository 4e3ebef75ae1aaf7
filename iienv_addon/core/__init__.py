"""iienv's engine: per-add-on dependency environments inside one Python process.

Nothing here imports ``bpy``; the Blender layer lives one package up.
"""

from .environment import Environment
from .errors import (
    DamagedStateError,
    EnvironmentExistsError,
    EnvironmentPurgedError,
    FileHeldError,
    IienvError,
    InstallError,
    InvalidNameError,
    OwnerConflictError,
    SiteDirError,
    UnknownEnvironmentError,
)
from .manager import Manager, PurgeResult

__all__ = [
    "DamagedStateError",
    "Environment",
    "EnvironmentExistsError",
    "EnvironmentPurgedError",
    "FileHeldError",
    "IienvError",
    "InstallError",
    "InvalidNameError",
    "Manager",
    "OwnerConflictError",
    "PurgeResult",
    "SiteDirError",
    "UnknownEnvironmentError",
]
