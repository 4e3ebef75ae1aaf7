"""``blender -c iienv ...``: environments from the command line (render farms, scripts).

Registered with ``bpy.utils.register_cli_command`` (Blender 4.2+) by
registration.py; ``main(argv)`` itself needs no ``bpy`` and returns the exit
code: 0 done, 1 a failure (named on stderr, or in the JSON), 2 bad usage.
Progress goes to stderr, so ``--json`` output on stdout stays one document.

    blender -b -c iienv list [--json]
    blender -b -c iienv install [ADDON ...|--all] [--from DIR] [--force] [--json]
    blender -b -c iienv export [ADDON ...|--all] --to DIR [--json]
    blender -b -c iienv verify [ADDON ...|--all] [--from DIR] [--json]
    blender -b -c iienv purge|uninstall|repair ADDON [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import api, farm
from .core import IienvError
from .core.installer import Progress

OK, FAILED, USAGE = 0, 1, 2


class _Usage(Exception):
    """Bad usage: argparse's message, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the whole Blender
        raise _Usage(f"{self.prog}: {message}")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="blender -c iienv", description="iienv: add-ons' Python environments")
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, text: str, many: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        if many:
            sub.add_argument("addons", nargs="*", metavar="ADDON")
            sub.add_argument("--all", action="store_true", help="every add-on iienv knows")
        else:
            sub.add_argument("addon", metavar="ADDON")
        sub.add_argument("--json", action="store_true", help="one JSON document on stdout")
        return sub

    listing = commands.add_parser("list", help="environments, state, packages, disk use")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    install = command(
        "install",
        "install what the add-ons declare (or an export, offline), unless installed already",
    )
    install.add_argument("--from", dest="folder", metavar="DIR", help="an export folder")
    install.add_argument("--force", action="store_true", help="install again even if installed")
    install.add_argument(
        "--installer",
        choices=("auto", "uv", "pip"),
        help="the program that installs (default: the Preferences' setting, Automatic: uv "
        "where one is found, else pip)",
    )
    export = command("export", "a lock file and the wheels of each environment, into DIR")
    export.add_argument("--to", dest="folder", metavar="DIR", required=True)
    verify = command("verify", "installed files against pip's RECORD (and an export's lock)")
    verify.add_argument("--from", dest="folder", metavar="DIR", help="compare with its lock")
    command("purge", "forget the add-on's loaded modules", many=False)
    command("uninstall", "delete the add-on's environment", many=False)
    command("repair", "install the add-on's environment anew", many=False)
    return top


def main(argv: Sequence[str]) -> int:
    try:
        args = parser().parse_args(list(argv))
    except _Usage as exc:
        print(exc, file=sys.stderr)
        return USAGE
    except SystemExit as exc:  # --help
        return OK if exc.code in (0, None) else USAGE
    try:
        addons = _addons(args)
    except _Usage as exc:
        print(f"blender -c iienv {args.command}: {exc}", file=sys.stderr)
        return USAGE
    except IienvError as exc:
        return _finish(args, {"ok": False, "error": str(exc)}, FAILED)
    handler: Callable[[argparse.Namespace, list[str]], tuple[dict[str, Any], bool]]
    handler = _HANDLERS[args.command]
    document, ok = handler(args, addons)
    return _finish(args, document, OK if ok else FAILED)


def _addons(args: argparse.Namespace) -> list[str]:
    if args.command == "list":
        return []
    if not hasattr(args, "addons"):
        return [args.addon]
    if args.all and args.addons:
        raise _Usage("give add-ons or --all, not both")
    if args.all:  # export and verify: what is installed; the others: every add-on iienv knows
        infos = api.environments()
        if args.command in ("export", "verify"):
            return [info.addon for info in infos if info.state == "installed"]
        return [info.addon for info in infos]
    if not args.addons:
        raise _Usage("name at least one add-on, or --all")
    return list(args.addons)


def _each(addons: list[str], work: Callable[[str], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Run ``work`` for each add-on; a failure is reported and the others still run."""
    results: dict[str, Any] = {}
    for addon in addons:
        try:
            results[addon] = {"ok": True, **work(addon)}
        except IienvError as exc:
            results[addon] = {"ok": False, "error": str(exc)}
            print(f"iienv: {addon}: {exc}", file=sys.stderr)
    ok = all(result["ok"] for result in results.values())
    return {"ok": ok, "addons": results}, ok


def _progress(addon: str) -> Callable[[Progress], None]:
    def report(progress: Progress) -> None:
        print(
            f"iienv: {addon}: {progress.phase} {progress.fraction:4.0%} {progress.message}",
            file=sys.stderr,
        )

    return report


def _info(info: api.EnvInfo) -> dict[str, Any]:
    return {
        "state": info.state,
        "packages": info.packages,
        "disk_bytes": info.disk_bytes,
        "site_dir": info.site_dir,
        "requirements": info.requirements,
        "message": info.message,
    }


def _list(args: argparse.Namespace, addons: list[str]) -> tuple[dict[str, Any], bool]:
    infos = api.environments()
    return {"ok": True, "addons": {info.addon: _info(info) for info in infos}}, True


def _install(args: argparse.Namespace, addons: list[str]) -> tuple[dict[str, Any], bool]:
    def work(addon: str) -> dict[str, Any]:
        progress = _progress(addon)
        chosen = args.installer
        if args.folder:
            return _info(
                farm.install_from(addon, args.folder, progress, force=args.force, installer=chosen)
            )
        if args.force:
            return _info(api.install(addon, progress=progress, installer=chosen))
        return _info(api.ensure_env(addon, progress=progress, installer=chosen))

    return _each(addons, work)


def _export(args: argparse.Namespace, addons: list[str]) -> tuple[dict[str, Any], bool]:
    def work(addon: str) -> dict[str, Any]:
        print(f"iienv: {addon}: exporting to {args.folder}", file=sys.stderr)
        done = farm.export(addon, args.folder)
        wheels = sorted(str(wheel) for wheel in done.wheels.values())
        return {"lock_file": str(done.lock_file), "wheels": wheels}

    return _each(addons, work)


def _verify(args: argparse.Namespace, addons: list[str]) -> tuple[dict[str, Any], bool]:
    def work(addon: str) -> dict[str, Any]:
        report = farm.verify(addon, args.folder)
        if not report.ok:
            raise _Mismatch(addon, report.problems)
        return {"files_checked": report.files_checked, "distributions": report.distributions}

    return _each(addons, work)


class _Mismatch(IienvError):
    def __init__(self, addon: str, problems: list[str]) -> None:
        super().__init__(
            f"the environment of {addon!r} differs from what was installed: "
            + "; ".join(problems[:20])
            + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else "")
        )


def _one(work: Callable[[str], Any]) -> Callable[..., tuple[dict[str, Any], bool]]:
    def handler(args: argparse.Namespace, addons: list[str]) -> tuple[dict[str, Any], bool]:
        return _each(addons, lambda addon: {"result": _plain(work(addon))})

    return handler


def _plain(value: Any) -> Any:
    if isinstance(value, api.EnvInfo):
        return _info(value)
    return value


_HANDLERS: dict[str, Callable[[argparse.Namespace, list[str]], tuple[dict[str, Any], bool]]] = {
    "list": _list,
    "install": _install,
    "export": _export,
    "verify": _verify,
    "purge": _one(api.purge),
    "uninstall": _one(api.uninstall),
    "repair": _one(api.repair),
}


def _finish(args: argparse.Namespace, document: dict[str, Any], code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps(document, indent=1, sort_keys=True))
    elif args.command == "list":
        for addon, info in document.get("addons", {}).items():
            packages = ", ".join(f"{n} {v}" for n, v in sorted(info["packages"].items()))
            size = info["disk_bytes"] / 1e6
            line = f"{addon}: {info['state']}, {size:.1f} MB"
            print(
                line
                + (f" — {packages}" if packages else "")
                + (f" — {info['message']}" if info["message"] else "")
            )
    elif "error" in document:
        print(f"iienv: {document['error']}", file=sys.stderr)
    return code
