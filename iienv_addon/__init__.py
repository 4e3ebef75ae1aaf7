"""iienv: a private Python dependency environment for every Blender add-on.

The engine (``core/``) has no ``bpy``; the Blender layer is imported only by
register(), so ``iienv_addon.core`` stays usable in plain Python. Once enabled,
``import iienv`` gives the API below (see api.py and README.md).
"""

bl_info = {
    "name": "iienv",
    "author": "iienv developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "Preferences > Add-ons > iienv",
    "description": "Per-add-on Python dependency environments inside one Blender process",
    "doc_url": "",
    "category": "System",
}

from .api import (  # noqa: E402  (the public API, usable as `import iienv`)
    EnvInfo,
    activated,
    cancel,
    ensure_env,
    env_of,
    environments,
    install,
    purge,
    reload,
    repair,
    start_install,
    uninstall,
    watch,
)
from .core import IienvError  # noqa: E402
from .farm import export, install_from, verify  # noqa: E402

__all__ = [
    "EnvInfo",
    "IienvError",
    "activated",
    "cancel",
    "ensure_env",
    "env_of",
    "environments",
    "export",
    "install",
    "install_from",
    "purge",
    "register",
    "reload",
    "repair",
    "start_install",
    "uninstall",
    "unregister",
    "verify",
    "watch",
]


def register() -> None:
    import sys

    from . import registration

    registration.register(__package__ or __name__, sys.modules[__name__])


def unregister() -> None:
    from . import registration

    registration.unregister(__package__ or __name__)
