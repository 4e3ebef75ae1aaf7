"""Extensions' bundled wheels in a running Blender: isolate, follow, let go.

bundled.py judges which extensions need their own copy of the wheels they
bundle; this module acts on it inside Blender. An isolated extension's wheels
become its environment's declaration (registration.py creates the environment
and re-enables the extension under it). The environment then follows the
extension: an update that bundles other versions reinstalls it before the
new code's first import (``refresh_before_import``), an uninstall removes it
(``follow_repos``, run by Blender's extension-repository handler), and
disabling iienv hands every isolated extension back to Blender's shared
site-packages (``let_go_all``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .bundled import Bundled, Choices, Verdict, declaration_for, judge, read_bundled, scan_bundled
from .core import Environment, IienvError
from .core.installer import installed_versions
from .runtime import Host, Runtime

__iienv_machinery__ = True


def judge_all(rt: Runtime, folders: list[tuple[str, Path]]) -> None:
    """Read every extension's bundled wheels; declare the isolated ones (at iienv's start).

    Environments of extensions uninstalled while iienv was not running go first.
    """
    forget_uninstalled(rt, folders)
    found, problems = scan_bundled(folders)
    rt.declaration_problems.update(problems)
    choices = Choices(rt.manager.root).load()
    for addon, bundled in found.items():
        if addon not in rt.declarations:  # an [iienv] table of its own wins
            _record(rt, bundled, choices.get(addon, "auto"))


def _record(rt: Runtime, bundled: Bundled, choice: str | None = None) -> Verdict:
    """Judge ``bundled`` and keep the verdict; an isolated extension gets its declaration."""
    if choice is None:
        choice = Choices(rt.manager.root).get(bundled.addon)
    verdict = judge(bundled, choice)
    rt.bundled[bundled.addon] = verdict
    if verdict.isolated:
        rt.declarations[bundled.addon] = declaration_for(bundled)
    return verdict


def _remove_env(rt: Runtime, addon: str, why: str) -> bool:
    """Remove ``addon``'s environment; busy in another Blender: it stays until next time."""
    try:
        rt.manager.remove(addon)
    except IienvError as exc:
        rt.failures[addon] = str(exc)
        return False
    print(f"iienv: {addon!r} {why}: its environment is removed")
    return True


def forget_uninstalled(rt: Runtime, folders: list[tuple[str, Path]]) -> list[str]:
    """Remove environments made from the wheels of an extension that is gone.

    Recognised by what they were installed from: wheels that all lay inside
    that extension's folder, which no longer exists. Declared environments
    of add-ons that are merely missing are left alone.
    """
    removed = []
    for env in rt.manager.environments():
        repo, _, ext_id = env.name.rpartition(".")
        wheels = env.request.get("wheels") or []
        if not repo.startswith("bl_ext.") or not wheels or env.name in rt.declarations:
            continue
        for prefix, folder in folders:
            directory = folder / ext_id
            if prefix != repo + "." or directory.exists():
                continue
            in_it = all(Path(str(w)).is_relative_to(directory) for w in wheels)
            if in_it and _remove_env(rt, env.name, "is no longer installed"):
                removed.append(env.name)
    return removed


def discover(rt: Runtime, addon: str, directory: Path) -> Verdict | None:
    """An extension installed after iienv started, at its first import."""
    bundled = read_bundled(addon, directory)
    return None if bundled is None else _record(rt, bundled)


def refresh_before_import(rt: Runtime, env: Environment) -> None:
    """An updated extension bundles other wheels: its environment follows, before its import.

    Blender disables the extension, replaces its files and enables it again,
    so this runs at the new code's first import. The old packages are purged
    (the extension's old modules are gone already) and the new wheels
    installed as a new generation, offline.
    """
    declared = rt.declarations.get(env.name)
    if declared is None or declared.kind != "bundled":
        return
    bundled = read_bundled(env.name, declared.source.parent)
    if bundled is None:  # it bundles nothing any more: nothing to follow
        return
    have = installed_versions(env.site_dir)
    if have and all(have.get(name) == version for name, version in bundled.versions.items()):
        return
    _record(rt, bundled)
    fresh = declaration_for(bundled)
    rt.declarations[env.name] = fresh  # it has an environment: it follows the new wheels
    if have:
        print(f"iienv: {env.name!r} bundles other wheels now: reinstalling its environment")
        if env.modules:
            rt.manager.purge(env)
    rt.manager.install(env, wheels=fresh.wheels, find_links=fresh.find_links, no_index=True)


def follow_repos(rt: Runtime) -> list[str]:
    """After Blender changed extension repositories: drop environments of removed extensions."""
    removed = []
    for addon, verdict in list(rt.bundled.items()):
        if verdict.bundled.manifest.is_file():
            continue
        del rt.bundled[addon]
        declared = rt.declarations.get(addon)
        if declared is not None and declared.kind == "bundled":
            del rt.declarations[addon]
        if rt.manager.find(addon) is not None and _remove_env(rt, addon, "was uninstalled"):
            removed.append(addon)
    return removed


def set_choice(rt: Runtime, addon: str, choice: str) -> Verdict:
    """The user's toggle: isolate ("isolate"), never ("never"), or by conflicts ("auto").

    The extension is disabled and enabled again so that it runs on its new
    footing at once: under its own environment, or on Blender's shared wheels.
    """
    verdict = rt.bundled.get(addon)
    if verdict is None:
        raise IienvError(
            f"iienv: {addon!r} is not an installed extension that bundles wheels; see "
            f"Preferences > Add-ons > iienv > Bundled wheels for the ones that do"
        )
    Choices(rt.manager.root).set(addon, choice)
    was_isolated = verdict.isolated
    verdict = Verdict(verdict.bundled, verdict.conflicts, choice)
    rt.bundled[addon] = verdict
    if verdict.isolated == was_isolated:
        return verdict
    enabled = rt.host.is_enabled(addon)
    if enabled:
        rt.host.disable(addon)
    if verdict.isolated:
        rt.declarations[addon] = declaration_for(verdict.bundled)
        if rt.manager.find(addon) is None:
            rt.manager.create(addon, owners=[addon])
        rt.manager.purge(addon)  # its global modules leave: the next import is the env's
    else:
        rt.declarations.pop(addon, None)
        if rt.manager.find(addon) is not None:
            rt.manager.remove(addon)
    if enabled:
        rt.host.enable(addon)
    return verdict


def let_go_all(rt: Runtime) -> list[str]:
    """Before iienv is disabled: isolated extensions that run now are disabled, to be
    enabled again (``take_back``) once iienv is gone, on Blender's shared wheels."""
    running = [
        addon
        for addon, verdict in rt.bundled.items()
        if verdict.isolated and rt.host.is_enabled(addon)
    ]
    for addon in running:
        rt.host.disable(addon)
    return running


def take_back(host: Host, addons: list[str]) -> None:
    """After iienv is disabled: the extensions ``let_go_all`` disabled run again, globally."""
    for addon in addons:
        try:
            host.enable(addon)
        except Exception as exc:  # iienv's own unregister must finish
            print(f"iienv: could not enable {addon!r} again after iienv was disabled: {exc}")


@dataclass(frozen=True)
class BundledInfo:
    """One extension that bundles wheels, for scripts and the "Bundled wheels" view."""

    addon: str
    bundles: dict[str, str]  # distribution -> version, the wheels that fit this Python
    shared: dict[str, str]  # the same distributions in Blender's shared site-packages
    conflicts: dict[str, tuple[str, str]]  # distribution -> (bundled, what Blender gives)
    choice: str  # "auto", "isolate" or "never"
    isolated: bool
    skipped: list[str]  # bundled wheels for other platforms or Pythons


def _shared_versions(site: Path | None) -> dict[str, str]:
    """What Blender's shared site-packages holds, read again only when it changed
    (the view asks at every Preferences redraw)."""
    try:
        stamp = site.stat().st_mtime_ns if site is not None else 0
    except OSError:
        return {}
    return dict(_read_shared(str(site), stamp)) if site is not None else {}


@functools.lru_cache(maxsize=4)
def _read_shared(site: str, _stamp: int) -> tuple[tuple[str, str], ...]:
    return tuple(installed_versions(Path(site)).items())


def infos(rt: Runtime) -> list[BundledInfo]:
    """Every installed extension that bundles wheels, by module name."""
    shared = _shared_versions(rt.shared_site)
    return [
        BundledInfo(
            addon=addon,
            bundles=dict(v.bundled.versions),
            shared={name: shared.get(name, "missing") for name in v.bundled.versions},
            conflicts=dict(v.conflicts),
            choice=v.choice,
            isolated=v.isolated,
            skipped=list(v.bundled.skipped),
        )
        for addon, v in sorted(rt.bundled.items())
    ]
