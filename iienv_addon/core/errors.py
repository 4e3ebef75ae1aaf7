"""Errors iienv raises.

Every error names what it is about (environment, add-on, requirement) and says
what to do, because the people reading them are add-on authors and artists, not
iienv developers.
"""

from __future__ import annotations

__iienv_machinery__ = True  # caller.py looks through iienv's frames


class IienvError(Exception):
    """Base class of every error iienv raises on purpose."""


class UnknownEnvironmentError(IienvError, KeyError):
    """An environment name that the manager does not know."""

    def __init__(self, name: str, known: list[str], hint: str | None = None) -> None:
        self.name = name
        self.known = known
        listing = ", ".join(sorted(known)) if known else "none yet"
        hint = hint or f"create it first with Manager.create({name!r}, owners=[...])"
        super().__init__(
            f"iienv: there is no environment named {name!r} (known: {listing}); {hint}"
        )

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class DamagedStateError(IienvError, ImportError):
    """An environment whose state on disk is damaged: listed as broken, never guessed at."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"iienv: the environment of {name!r} is damaged ({reason}); nothing was changed "
            f"or deleted. Repair it (reinstall) or Remove it in Preferences > Add-ons > iienv, "
            f"or with iienv.repair({name!r}) / iienv.uninstall({name!r})"
        )


class InvalidNameError(IienvError, ValueError):
    """A module, package or environment name that cannot be used."""


class OwnerConflictError(IienvError, ValueError):
    """An add-on package claimed by two environments."""


class SiteDirError(IienvError, FileNotFoundError):
    """A site directory that does not exist or is not a directory."""


class EnvironmentExistsError(IienvError, FileExistsError):
    """An environment created twice."""


class EnvironmentPurgedError(IienvError, ImportError):
    """Code of a removed environment tried to import."""

    @classmethod
    def importing(cls, env_name: str, module: str) -> EnvironmentPurgedError:
        return cls(
            f"iienv: environment {env_name!r} was removed; code that it loaded (importing "
            f"{module!r}) can no longer import. Enable the add-on again."
        )

    @classmethod
    def stale(cls, env_name: str, caller: object, module: str) -> EnvironmentPurgedError:
        return cls(
            f"iienv: module {caller!r} of environment {env_name!r} was purged, but its code "
            f"still ran (a finalizer, a thread, or an object kept from before the purge) and "
            f"tried to import {module!r}: that would load it into the environment's next "
            f"generation, beside the purged one. Make such objects again from the re-imported "
            f"add-on, and stop the add-on's threads before purging it."
        )


class InvalidSettingError(IienvError, ValueError):
    """A setting (the installer, a uv path) that iienv cannot use as given."""


class InstallError(IienvError, RuntimeError):
    """pip could not install an environment's requirements."""


class InvalidRequirementError(IienvError, ValueError):
    """A requirement, wheel, lock file or link that cannot be installed as given."""


class InstallCancelledError(InstallError):
    """The user cancelled an install; the environment is as it was."""


class InterpreterNotFoundError(InstallError):
    """No Python matching the running one could be found to run pip."""


class FileHeldError(IienvError, OSError):
    """A file or folder another program (or a loaded library) keeps from being changed.

    Raised after retries (sharing.py); ``errno`` is EACCES, ``str()`` the message.
    """

    def __str__(self) -> str:
        return str(self.args[1]) if len(self.args) > 1 else str(self.args[0])
