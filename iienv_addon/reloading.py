"""Hot reload of one add-on without restarting Blender (the watcher, reload(), the operator).

Unregister, drop the add-on's own modules (its environment's packages stay
loaded unless its declared requirements changed: then the new ones are
installed first and the environment purged), import, register. A package
that keeps a registry by name (pydantic 1 records validators by qualified
name) refuses the reloaded code; when the failure comes from the
environment's own package, the packages are reloaded too, once. A syntax or
import error in the add-on keeps it disabled with the error's location.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from . import code_patch
from .core import Environment, IienvError, Manager
from .core.caller import MARKER
from .declarations import Declaration, read_declaration


@dataclass(frozen=True)
class ReloadReport:
    """The outcome of one (hot) reload, for the UI and scripts."""

    addon: str
    ok: bool
    message: str
    seconds: float
    files: tuple[str, ...] = ()
    leftover_callbacks: tuple[str, ...] = ()


class ReloadHost(Protocol):
    def is_enabled(self, addon: str) -> bool: ...
    def enable(self, addon: str) -> None: ...
    def disable(self, addon: str) -> None: ...
    def remove_leftover_callbacks(self, addon: str, keep_timers: bool = False) -> list[str]: ...


class Reloadable(Protocol):
    """What a reload reads and records (the runtime)."""

    @property
    def manager(self) -> Manager: ...
    @property
    def host(self) -> ReloadHost: ...
    @property
    def declarations(self) -> dict[str, Declaration]: ...
    @property
    def reloads(self) -> dict[str, ReloadReport]: ...
    @property
    def broken(self) -> set[str]: ...
    @property
    def patching(self) -> set[str]: ...


def hot_reload(
    rt: Reloadable,
    addon: str,
    files: tuple[str, ...],
    declaration_changed: bool,
    install: Callable[[str], object],
) -> ReloadReport:
    """Reload ``addon``: the one path of the watcher, ``reload()`` and the operator.

    ``install(addon)`` installs its declared requirements when they changed.
    """
    start = time.perf_counter()
    env = rt.manager.get(addon)
    for path in files:  # a same-second, same-size edit would otherwise reuse a stale .pyc
        if path.endswith(".py"):
            with contextlib.suppress(OSError, ValueError):
                os.remove(importlib.util.cache_from_source(path))
    requirements_changed = False
    if declaration_changed and addon in rt.declarations:
        try:
            fresh = read_declaration(addon, rt.declarations[addon].source.parent)
        except IienvError as exc:
            return _report(rt, addon, False, str(exc), start, files)
        if fresh is not None and fresh != rt.declarations[addon]:
            rt.declarations[addon] = fresh
            requirements_changed = list(fresh.requirements) != list(
                env.request.get("requirements") or []
            )
    if requirements_changed:
        try:
            install(addon)
        except IienvError as exc:
            return _report(rt, addon, False, str(exc), start, files)
    was_enabled = rt.host.is_enabled(addon) or addon in rt.broken
    if rt.host.is_enabled(addon):
        rt.host.disable(addon)
    leftovers = rt.host.remove_leftover_callbacks(addon, keep_timers=addon in rt.patching)
    old_modules = {n: m for n, m in list(sys.modules.items()) if env.owns_name(n)}
    if requirements_changed:
        rt.manager.purge(env)
    else:
        rt.manager.forget_owners(env)
    if not was_enabled:
        return _report(rt, addon, True, "reloaded (add-on is disabled)", start, files, leftovers)
    message = "reloaded"
    try:
        try:
            rt.host.enable(addon)
        except Exception as exc:
            if requirements_changed or not _raised_in_environment(env, exc):
                raise
            # Its packages refused the add-on's code a second time: they keep
            # registries by name (pydantic 1 validators: "duplicate validator
            # function"). Reload the packages too, once.
            with contextlib.suppress(Exception):
                rt.host.disable(addon)
            rt.manager.purge(env)
            rt.host.enable(addon)
            message = (
                f"reloaded with its packages (kept loaded, they refused the new code: "
                f"{type(exc).__name__}: {exc})"
            )
    except Exception as exc:  # the add-on's own code failed: keep it off, say where
        rt.broken.add(addon)
        with contextlib.suppress(Exception):
            rt.host.disable(addon)
        return _report(rt, addon, False, _describe(exc), start, files, leftovers)
    rt.broken.discard(addon)
    if addon in rt.patching:
        new_modules = {n: m for n, m in list(sys.modules.items()) if env.owns_name(n)}
        message += f"; {code_patch.patch(old_modules, new_modules)} saved function(s) patched"
    if leftovers:
        message += (
            f"; removed {len(leftovers)} callback(s) its unregister() left behind "
            f"({', '.join(leftovers)}): remove them in unregister()"
        )
    return _report(rt, addon, True, message, start, files, leftovers)


def _report(
    rt: Reloadable,
    addon: str,
    ok: bool,
    message: str,
    start: float,
    files: tuple[str, ...],
    leftovers: list[str] | None = None,
) -> ReloadReport:
    report = ReloadReport(
        addon, ok, f"iienv: {addon!r}: {message}", time.perf_counter() - start, files,
        tuple(leftovers or ()),
    )  # fmt: skip
    rt.reloads[addon] = report
    print(report.message)
    return report


def _raised_in_environment(env: Environment, exc: BaseException) -> bool:
    """True if ``exc`` was raised by ``env``'s packages (not by the add-on's own code).

    Judged by the innermost frame's module, whose namespace carries the
    environment's marker (compiled modules too: Cython's frames report a
    relative file name, but their globals are the module's).
    """
    tb = exc.__traceback__
    namespace: dict[str, object] = {}
    while tb is not None:
        namespace = tb.tb_frame.f_globals
        tb = tb.tb_next
    name = namespace.get("__name__")
    return namespace.get(MARKER) is env and isinstance(name, str) and env.provides(name)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return (
            f"disabled: syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}. "
            f"Fix the file; the next change reloads it"
        )
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        where = f" ({tb.tb_frame.f_code.co_filename}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return f"disabled: {type(exc).__name__}: {exc}{where}. Fix it; the next change reloads it"
