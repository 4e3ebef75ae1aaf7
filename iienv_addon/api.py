"""The public API of iienv for other add-ons (also reachable as ``import iienv``).

Every function takes the add-on's module name (its ``__package__``, e.g.
``"my_addon"`` or ``"bl_ext.user_default.my_addon"``); the add-on's environment
has the same name and the add-on's package is its owner. Errors derive from
``IienvError`` and say what to do. No ``bpy`` here: the Blender layer starts a
runtime with a host that can enable and disable add-ons.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from . import installer_choice
from .core import Environment, IienvError, Manager
from .core.errors import DamagedStateError, InstallError, UnknownEnvironmentError
from .core.installer import InstallJob, ProgressCallback, installed_versions, verify
from .core.names import check_module_name
from .core.requirements import CheckedRequest, check_request
from .core.scope import Scope
from .core.sharing import tree_bytes
from .extension_wheels import BundledInfo, infos, refresh_before_import, set_choice
from .reloading import ReloadReport, hot_reload
from .runtime import Host, Runtime
from .watcher import AddonWatcher


@dataclass(frozen=True)
class EnvInfo:
    """A snapshot of one environment, for scripts and the Preferences UI."""

    addon: str
    state: str  # "installed", "empty", "installing", "failed"
    packages: dict[str, str]
    modules_loaded: int
    disk_bytes: int
    site_dir: str
    requirements: list[str]
    message: str = ""
    progress: float = 0.0
    watched: bool = False
    reload_message: str = ""
    # Of ``disk_bytes``: files a loaded library keeps until Blender restarts (on
    # Windows a loaded .pyd/.dll and its folders cannot be deleted): old
    # generations after an update or purge, or an uninstalled environment.
    pending_bytes: int = 0


_runtime: Runtime | None = None


def start(manager: Manager, host: Host) -> Runtime:
    """Called by the add-on's register(): one global runtime per Blender process."""
    global _runtime
    _runtime = Runtime(manager, host)
    manager.prepare_owner = _prepare_owner
    return _runtime


def stop() -> None:
    global _runtime
    if _runtime is not None:
        _runtime.watchers.clear()
        for job in _runtime.jobs.values():
            job.cancel()
            with contextlib.suppress(IienvError):  # a cancelled job reports its cancellation
                job.wait()
        _runtime.manager.prepare_owner = None
    _runtime = None


def runtime() -> Runtime:
    if _runtime is None:
        raise IienvError(
            "iienv is not running: enable the iienv add-on in Preferences > Add-ons first"
        )
    return _runtime


# ---- the API ----------------------------------------------------------------
def ensure_env(
    addon: str,
    requirements: Iterable[str] | None = None,
    wheels: Iterable[str | os.PathLike[str]] = (),
    find_links: Iterable[str | os.PathLike[str]] = (),
    no_index: bool = False,
    lock_file: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    installer: str | None = None,
) -> EnvInfo:
    """Create ``addon``'s environment if needed and install only what is missing.

    Without ``requirements`` (and wheels) the add-on's declaration is used. If
    another Blender on the same profile is installing it right now, waits for
    that install and uses it. ``installer``: "auto", "uv" or "pip" for this
    call (default: the Preferences' setting). Returns the environment's info;
    raises InstallError / InvalidRequirementError.
    """
    rt = runtime()
    env, args, request = _validated_request(
        rt, addon, requirements, wheels, find_links, no_index, lock_file
    )
    if installed_versions(env.site_dir) and verify(env.site_dir, request) is None:
        return info(addon)
    # (another Blender on this profile may be installing it right now: wait, use its install)
    rt.manager.ensure(env, progress=progress, installer=installer, **args)  # type: ignore[arg-type]
    rt.failures.pop(addon, None)
    return info(addon)


def install(
    addon: str,
    requirements: Iterable[str] | None = None,
    wheels: Iterable[str | os.PathLike[str]] = (),
    find_links: Iterable[str | os.PathLike[str]] = (),
    no_index: bool = False,
    lock_file: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    installer: str | None = None,
) -> EnvInfo:
    """(Re)install ``addon``'s environment into a new generation, blocking until done.

    Without requirements: what the add-on declared, else what it was installed
    from last time (Update). Loaded modules keep running until purge/reload.
    ``installer``: "auto", "uv" or "pip" (default: the Preferences' setting).
    """
    job = start_install(
        addon, requirements, wheels, find_links, no_index, lock_file, progress, installer
    )
    rt = runtime()
    try:
        job.wait()
    except IienvError as exc:
        rt.failures[addon] = str(exc)
        raise
    finally:
        if rt.jobs.get(addon) is job:  # finished here: not a running install any more
            del rt.jobs[addon]
    return info(addon)


def start_install(
    addon: str,
    requirements: Iterable[str] | None = None,
    wheels: Iterable[str | os.PathLike[str]] = (),
    find_links: Iterable[str | os.PathLike[str]] = (),
    no_index: bool = False,
    lock_file: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    installer: str | None = None,
) -> InstallJob:
    """Start an install without blocking; ``poll_jobs()`` (a timer) finishes it.

    ``job.installer`` says which program runs ('uv 0.13.9 (the bundled uv ...)', 'pip').
    """
    rt = runtime()
    running = rt.jobs.get(addon)
    if running is not None and not running.done:
        raise InstallError(
            f"iienv: add-on {addon!r} is being installed already; wait or cancel it first"
        )
    env, args, _request = _validated_request(
        rt, addon, requirements, wheels, find_links, no_index, lock_file
    )
    job = rt.manager.start_install(
        env,
        progress=progress,
        installer=installer,
        **args,  # type: ignore[arg-type]
    )
    rt.jobs[addon] = job
    rt.failures.pop(addon, None)
    return job


def configure_installer(installer: str = "auto", uv_path: str = "") -> str:
    """Choose the installer for every later install: "auto" (uv where found, else pip),
    "uv" or "pip"; ``uv_path`` a uv executable to prefer. Returns what will run.

    The Preferences call this when their settings change; a script may too.
    """
    rt = runtime()
    rt.manager.installer_settings = installer_choice.settings(installer, uv_path, rt.manager.root)
    return installer_description()


def installer_description() -> str:
    """Which installer runs now, in words (the Preferences show it)."""
    return installer_choice.describe(runtime().manager.installer_settings)


def cancel(addon: str) -> bool:
    """Cancel ``addon``'s running install; True if there was one."""
    job = runtime().jobs.get(addon)
    if job is None or job.done:
        return False
    job.cancel()
    return True


def poll_jobs() -> bool:
    """Advance running installs; True while any is still running (for a timer)."""
    rt = runtime()
    running = False
    for addon, job in list(rt.jobs.items()):
        if job.poll():
            del rt.jobs[addon]
            if job.error is not None:
                rt.failures[addon] = str(job.error)
        else:
            running = True
    return running


def uninstall(addon: str) -> list[str]:
    """Purge ``addon``'s environment and delete its files (the add-on is disabled first).

    A broken environment (damaged state on disk) is deleted as it is. Files a
    loaded library holds (Windows: a ``.pyd``/``.dll`` and its folders) are
    deleted at the next start; ``info(addon).pending_bytes`` says how much.
    """
    rt = runtime()
    check_module_name(addon, "add-on module name")
    if rt.manager.broken_owner(addon) is not None and rt.manager.find(addon) is None:
        if rt.host.is_enabled(addon):
            rt.host.disable(addon)
        return list(rt.manager.remove(addon))
    env = _env_for(rt, addon)
    if rt.host.is_enabled(addon):
        rt.host.disable(addon)
    return list(rt.manager.remove(env))


def purge(addon: str) -> list[str]:
    """Forget every module of ``addon`` and its environment; returns the names removed.

    An enabled add-on is disabled first (its unregister() runs while its code
    is still loaded); enable it again to load everything afresh.
    """
    rt = runtime()
    env = _env_for(rt, addon)
    if rt.host.is_enabled(addon):
        rt.host.disable(addon)
    return list(rt.manager.purge(env))


def repair(addon: str) -> EnvInfo:
    """Reinstall ``addon``'s environment; a broken one is deleted first and made anew.

    Installs what the add-on declares, else what the environment was last
    installed from (if its state could still be read). The add-on is enabled
    again afterwards if it was enabled.
    """
    rt = runtime()
    check_module_name(addon, "add-on module name")
    broken = rt.manager.broken_owner(addon)
    if broken is None or rt.manager.find(addon) is not None:
        return install(addon)
    if addon not in rt.declarations:
        raise InstallError(
            f"iienv: cannot repair {addon!r}: it declares no requirements and its damaged "
            f"state cannot be trusted; Remove it and install it again with ensure_env()"
        )
    was_enabled = rt.host.is_enabled(addon)
    if was_enabled:
        rt.host.disable(addon)
    rt.manager.remove(broken.name)
    info_ = ensure_env(addon)
    if was_enabled:
        rt.host.enable(addon)
    return info_


def reload(addon: str) -> ReloadReport:
    """Reload ``addon`` without restarting Blender (the same path the watcher takes).

    Unregister, drop its modules, import and register again. Its environment's
    packages stay loaded unless its declared requirements changed, in which case
    the new ones are installed first (a failed install keeps the add-on running
    as it was). A syntax or import error leaves the add-on disabled with the
    error's location; the next reload tries again.
    """
    rt = runtime()
    _env_for(rt, addon)  # an unknown add-on: the error says what to check
    return hot_reload(rt, addon, (), True, install)


def watch(
    addon: str, enabled: bool = True, debounce: float = 0.3, patch_functions: bool = False
) -> None:
    """Start (or stop) reloading ``addon`` whenever its files or requirements change.

    ``patch_functions`` (opt-in): after each reload, functions saved from the
    old modules (timers, msgbus callbacks, references held elsewhere) run the
    new code (see code_patch.py).
    """
    rt = runtime()
    check_module_name(addon, "add-on module name")
    if patch_functions:
        rt.patching.add(addon)
    else:
        rt.patching.discard(addon)
    if not enabled:
        rt.watchers.pop(addon, None)
        rt.patching.discard(addon)
        return
    rt.watchers[addon] = AddonWatcher(addon, _addon_dir(rt, addon), debounce)


def watched() -> list[str]:
    return sorted(runtime().watchers)


def poll_watchers() -> list[ReloadReport]:
    """Check every watched add-on once and reload the changed ones (timer callback)."""
    rt = runtime()
    reports = []
    for addon, watcher in list(rt.watchers.items()):
        change = watcher.poll()
        if change is not None:
            reports.append(
                hot_reload(
                    rt, addon, tuple(map(str, change.files)), change.declaration_changed, install
                )
            )
    return reports


def activated(addon: str) -> Scope:
    """``with iienv.activated(__package__):`` runs the block as ``addon``'s code.

    The add-on's own code needs no block: however Blender, a script or another
    add-on calls it (operators, handlers, timers, drivers, draw callbacks,
    msgbus, threads), its lookups are its environment's. The block is for code
    that is not the add-on's but should run as if it were: a script that calls
    an environment's compiled functions directly, or a library that calls back
    into the environment's compiled code from its own Python frames. Every
    by-name lookup in the block (imports, ``importlib``, compiled code
    importing at call time, ``sys.modules``) gets the add-on's environment for
    the names it provides. Other threads see nothing of it and no lock is
    held: the block may run long, start threads and wait for them.
    """
    rt = runtime()
    return rt.manager.activated(_env_for(rt, addon))


def environments() -> list[EnvInfo]:
    """Every environment, declared ones not installed yet included."""
    rt = runtime()
    names = {e.name for e in rt.manager.environments()} | set(rt.declarations)
    names |= {b.name for b in rt.manager.broken()}
    return [info(name) for name in sorted(names)]


def env_of(module_or_name: ModuleType | str) -> EnvInfo | None:
    """The environment a module (or module name) belongs to, or None for global code."""
    env = runtime().manager.env_of(module_or_name)
    return None if env is None else info(env.name)


def info(addon: str) -> EnvInfo:
    rt = runtime()
    job = rt.jobs.get(addon)
    env = rt.manager.find(addon)
    declared = rt.declarations.get(addon)
    requirements = list(declared.requirements) if declared else []
    broken = rt.manager.broken_owner(addon)
    if env is None and broken is not None:
        return EnvInfo(addon, "broken", {}, 0, 0, "", requirements, broken.reason)
    if env is None:
        state = "installing" if job else ("failed" if addon in rt.failures else "empty")
        pending = rt.manager.pending_deletion().get(addon, 0)
        message = rt.failures.get(addon, "") or (_pending_message(pending) if pending else "")
        return EnvInfo(
            addon, state, {}, 0, pending, "", requirements, message, pending_bytes=pending
        )
    packages, disk_bytes = _site_facts(env)
    pending = env.leftover_bytes()
    requirements = list(env.request.get("requirements") or requirements)
    if job is not None:
        state, message, fraction = "installing", job.progress.message, job.progress.fraction
    elif addon in rt.failures:
        state, message, fraction = "failed", rt.failures[addon], 0.0
    else:
        state, message, fraction = ("installed" if packages else "empty"), "", 0.0
        if rt.manager.updated_elsewhere(env):
            message = "updated by another Blender: Reload (or Purge) to use the new packages"
        elif pending:
            message = _pending_message(pending)
    loaded = len(env.modules) + sum(1 for n in list(sys.modules) if env.owns_name(n))
    reload = rt.reloads.get(addon)
    return EnvInfo(
        addon, state, packages, loaded, disk_bytes + pending, str(env.site_dir),
        requirements, message, fraction, addon in rt.watchers,
        reload.message if reload else "", pending,
    )  # fmt: skip


def _pending_message(pending: int) -> str:
    return (
        f"{pending / 1e6:.1f} MB of an older install are still in use (a loaded library, or "
        f"another Blender) and will be deleted later, at the latest when Blender restarts"
    )


# ---- internals --------------------------------------------------------------
def _addon_dir(rt: Runtime, addon: str) -> Path:
    declared = rt.declarations.get(addon)
    if declared is not None:
        return declared.source.parent
    module = sys.modules.get(addon)
    locations = getattr(getattr(module, "__spec__", None), "submodule_search_locations", None)
    if locations:
        return Path(next(iter(locations)))
    raise IienvError(
        f"iienv: cannot watch {addon!r}: it is not loaded and declares no environment; "
        f"enable it first"
    )


def _env_for(rt: Runtime, addon: str, create: bool = False) -> Environment:
    check_module_name(addon, "add-on module name")
    env = rt.manager.find(addon)
    if env is not None:
        return env
    broken = rt.manager.broken_owner(addon)
    if broken is not None:
        raise DamagedStateError(broken.name, broken.reason)
    if not create:
        raise UnknownEnvironmentError(
            addon,
            [e.name for e in rt.manager.environments()],
            "check the add-on's module name, or install its environment first "
            "(ensure_env / Install in Preferences > Add-ons > iienv)",
        )
    return rt.manager.create(addon, owners=[addon])


def _validated_request(
    rt: Runtime,
    addon: str,
    requirements: Iterable[str] | None,
    wheels: Iterable[str | os.PathLike[str]],
    find_links: Iterable[str | os.PathLike[str]],
    no_index: bool,
    lock_file: str | os.PathLike[str] | None,
) -> tuple[Environment, dict[str, object], CheckedRequest]:
    """Resolve and check what to install; only then create the environment if needed."""
    check_module_name(addon, "add-on module name")
    args = _request_args(rt, addon, requirements, wheels, find_links, no_index, lock_file)
    request = check_request(
        addon, args["requirements"], args["wheels"], args["find_links"], args["lock_file"]
    )
    return _env_for(rt, addon, create=True), args, request


def _request_args(
    rt: Runtime,
    addon: str,
    requirements: Iterable[str] | None,
    wheels: Iterable[str | os.PathLike[str]],
    find_links: Iterable[str | os.PathLike[str]],
    no_index: bool,
    lock_file: str | os.PathLike[str] | None,
) -> dict[str, object]:
    if requirements is not None or wheels or lock_file is not None:
        return {
            "requirements": list(requirements or []),
            "wheels": list(wheels),
            "find_links": list(find_links),
            "no_index": no_index,
            "lock_file": lock_file,
        }
    declared = rt.declarations.get(addon)
    if declared is not None:
        return {**declared.install_arguments(), "lock_file": None}
    env = rt.manager.find(addon)
    if env is not None and env.request:
        return {key: env.request.get(key) for key in _REQUEST_KEYS}
    raise InstallError(
        f"iienv: add-on {addon!r} declares no requirements and none were given; pass "
        f"requirements=[...] or add an [iienv] table to its manifest / iienv.toml"
    )


_REQUEST_KEYS = ("requirements", "wheels", "find_links", "no_index", "lock_file")


def _prepare_owner(env: Environment) -> None:
    """Before a declared add-on's first import: install its environment if it is empty.

    An extension isolated for its bundled wheels: reinstall if it now bundles
    other versions (an update; extension_wheels.py).
    """
    rt = _runtime
    if rt is None or env.name not in rt.declarations:
        return
    if rt.declarations[env.name].kind == "bundled":
        try:
            refresh_before_import(rt, env)
        except IienvError as exc:
            rt.failures[env.name] = str(exc)
            raise ImportError(str(exc)) from None
    if installed_versions(env.site_dir):
        return
    print(f"iienv: installing the environment of {env.name!r} before its first import")
    try:
        ensure_env(env.name)
    except IienvError as exc:
        rt.failures[env.name] = str(exc)
        raise ImportError(str(exc)) from None


def _site_facts(env: Environment) -> tuple[dict[str, str], int]:
    """Packages and disk use of the environment, for every Preferences redraw.

    A generation directory never changes once installed, so its facts are
    computed once (disk use is the current generation's); an adopted external
    site dir is read every time.
    """
    if env.site_dir.parent != env.home:
        return installed_versions(env.site_dir), tree_bytes(env.site_dir)
    packages, size = _generation_facts(str(env.site_dir))
    return dict(packages), size


@functools.lru_cache(maxsize=64)
def _generation_facts(site_dir: str) -> tuple[dict[str, str], int]:
    return installed_versions(Path(site_dir)), tree_bytes(Path(site_dir))


def bundled_wheels() -> list[BundledInfo]:
    """Installed extensions that bundle wheels (``wheels = [...]`` in their manifest).

    For each: what it bundles for this Python, what Blender's shared
    site-packages holds, the conflicts (a bundled version that differs from
    what the extension would import without iienv: the shared one, or one
    already loaded, such as Blender's own numpy), the user's choice and
    whether iienv isolates it. See README "Two extensions that fight over numpy".
    """
    return infos(runtime())


def isolate_bundled(addon: str, choice: str = "isolate") -> BundledInfo:
    """Run extension ``addon`` on its own bundled wheels ("isolate"), on Blender's
    shared ones ("never"), or isolate it only on conflicts ("auto", the default).

    Remembered across sessions; the extension is re-enabled at once on its new
    footing (its environment is created or removed).
    """
    rt = runtime()
    check_module_name(addon, "extension module name")
    set_choice(rt, addon, choice)
    return next(info for info in infos(rt) if info.addon == addon)
