"""Packages of which one process can hold only one loaded copy, and the refusal of a second.

Some compiled packages keep state in interpreter-wide places under a fixed
name *at call time*: lxml's ``etree`` keeps its parser context in the
thread-state dict (``PyThreadState_GetDict()["_ParserDictionaryContext"]``)
and every parse, in every thread, reads it back and casts it to *its own*
type. With two copies loaded, the copy that did not create the entry gets the
other's object: ``TypeError: Cannot convert lxml.etree._ParserDictionaryContext
to lxml.etree._ParserDictionaryContext``, followed by ``free(): double free
detected`` and SIGABRT — Blender dies with the user's unsaved work. Swapping
the entry at every call cannot be done for calls iienv does not see (threads,
callbacks), so iienv refuses to load a second copy *before* it runs, with an
error that names both holders and what the user can do.

A purge releases the environment's claim: its modules are gone, and the
entries it left in *every* thread's state dict (thread_states.py) are removed
so the next copy starts clean, in the purging thread and in threads that used
the first copy: parser context, error logs (a stale ``_RotatingErrorLog`` made
the next copy's XSLT and error handling fail with a TypeError). Purge, not a
second environment, is the supported way to switch versions.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from .caller import MARKER
from .environment import Environment
from .errors import IienvError
from .thread_states import thread_dicts

__iienv_machinery__ = True

# top-level package -> (thread-state dict keys it owns, why only one copy can load)
EXCLUSIVE: dict[str, tuple[tuple[str, ...], str]] = {
    "lxml": (
        ("_ParserDictionaryContext", "_GlobalErrorLog", "_XSLTErrorLog"),
        "lxml keeps its parser context in each thread's state under a fixed name, and two "
        "copies in one process crash it",
    ),
}


class ExclusivePackageError(IienvError, ImportError):
    """A second copy of a package that one process can hold only once."""


def check_exclusive(
    package: str, env: Environment, others: Iterable[Environment], host_has_it: bool
) -> None:
    """Raise if ``package`` is exclusive and someone else has a copy loaded."""
    entry = EXCLUSIVE.get(package)
    if entry is None:
        return
    holders = [other for other in others if other is not env and package in other.modules]
    if not holders and not host_has_it:
        return
    who = (
        f"add-on {holders[0].name!r} (its environment)"
        if holders
        else "Blender itself or an add-on without an environment"
    )
    raise ExclusivePackageError(
        f"iienv: add-on {env.name!r} cannot load its own {package}: {who} already has a copy "
        f"loaded, and {entry[1]}. Choose one: disable the other add-on and purge it "
        f"(Preferences > Add-ons > iienv > Purge) before enabling {env.name!r}, give both "
        f"add-ons one environment with the same {package} version, or restart Blender with "
        f"only one of them enabled."
    )


def forget_thread_state(modules: Iterable[str]) -> list[str]:
    """Remove purged modules' entries from every thread's state dict (thread_states.py).

    An entry goes if an exclusive package names its key, or if its value's
    type was defined by one of ``modules`` (lxml's error logs, any other
    package's per-thread objects): the next copy must find nothing of the
    purged one, in any thread.
    """
    names = set(modules)
    keys = {key for name in names for key in EXCLUSIVE.get(name, ((), ""))[0]}
    removed = []
    for state in thread_dicts():
        for key, value in list(state.items()):
            owner = getattr(type(value), "__module__", None)
            if key in keys or (isinstance(owner, str) and owner in names):
                del state[key]
                removed.append(str(key))
    return removed


def host_has(package: str, stashed: Iterable[str]) -> bool:
    """True if a copy of ``package`` that is no environment's is loaded (or stashed)."""
    module = sys.modules.get(package)
    if module is not None and MARKER not in getattr(module, "__dict__", {}):
        return True
    return package in stashed
