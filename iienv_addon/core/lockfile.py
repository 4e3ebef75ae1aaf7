"""Exporting an environment: a lock file of exactly what is installed, and its wheels.

A render farm reproduces an add-on's environment on N workers, often offline:
one export on a workstation, then ``install --from DIR`` on each worker
(``Manager.install(lock_file=DIR/<addon>.lock, find_links=[DIR/wheels],
no_index=True)``: pip with ``--require-hashes``). The lock pins every installed
distribution at its version with the ``--hash=sha256:`` of the wheel file in
``DIR/wheels``, so a worker installs those bytes or nothing.

The wheels come from one ``pip download --no-deps --only-binary=:all:`` of the
exact pins, run by the Python pip installs with (pip's cache answers what it
has; the index, or the find-links folders given, the rest). The lock and the
wheels are written through a staging folder and renamed into place: an
export that fails leaves ``DIR`` as it was.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InstallError
from .install_tools import PYTHON_FLAGS
from .installer import installed_versions
from .pip_config import pip_environment
from .pip_errors import diagnose
from .process_tree import creation_flags
from .requirements import canonicalize_name, wheel_name_and_version
from .sharing import remove_tree

__iienv_machinery__ = True

WHEELS = "wheels"


@dataclass(frozen=True)
class Export:
    """What ``export_site`` wrote: the lock file and the wheels it pins."""

    lock_file: Path
    wheels: dict[str, Path]  # canonical distribution name -> wheel file in DIR/wheels


def lock_path(folder: Path, addon: str) -> Path:
    """Where the lock of ``addon`` lives in an export folder."""
    return folder / f"{addon}.lock"


def export_site(
    addon: str,
    site: Path,
    folder: Path,
    python: str,
    find_links: Iterable[str] = (),
    no_index: bool = False,
) -> Export:
    """Write ``folder/<addon>.lock`` and ``folder/wheels/`` for what ``site`` holds."""
    installed = installed_versions(site)
    if not installed:
        raise InstallError(
            f"iienv: the environment of add-on {addon!r} holds no packages: nothing to export"
        )
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{addon}.export-{os.getpid()}"
    remove_tree(staging)
    staging.mkdir()
    try:
        _download(addon, sorted(installed.items()), staging, python, find_links, no_index)
        found: dict[str, tuple[Path, str]] = {}
        for wheel in sorted(staging.glob("*.whl")):
            name, _version = wheel_name_and_version(wheel)
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            found[canonicalize_name(name)] = (wheel, digest)
        missing = sorted(set(installed) - set(found))
        if missing:
            raise InstallError(
                f"iienv: cannot export the environment of add-on {addon!r}: pip found no wheel "
                f"of {', '.join(f'{n}=={installed[n]}' for n in missing)}; put them in a folder "
                f"and export with it as a find-links folder"
            )
        lines = [
            f"# iienv: the environment of add-on {addon!r}, exactly as installed, with the\n"
            f"# hashes of the wheels beside this file ({WHEELS}/). Install it offline with\n"
            f"# blender -b -c iienv install {addon} --from <this folder>\n"
        ]
        for name in sorted(installed):
            digest = found[name][1]
            lines.append(f"{name}=={installed[name]} \\\n    --hash=sha256:{digest}\n")
        (staging / "lock").write_text("".join(lines), encoding="utf-8")
        wheels_dir = folder / WHEELS
        wheels_dir.mkdir(exist_ok=True)
        placed: dict[str, Path] = {}
        for name, (wheel, digest) in found.items():
            target = wheels_dir / wheel.name
            if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() != digest:
                raise InstallError(
                    f"iienv: cannot export the environment of add-on {addon!r}: {target} holds "
                    f"other bytes than the wheel pip found for {name}; remove it or export to "
                    f"another folder"
                )
            os.replace(wheel, target)
            placed[name] = target
        lock = lock_path(folder, addon)
        os.replace(staging / "lock", lock)
        return Export(lock, placed)
    finally:
        remove_tree(staging)


def _download(
    addon: str,
    pins: list[tuple[str, str]],
    into: Path,
    python: str,
    find_links: Iterable[str],
    no_index: bool,
) -> None:
    cmd = [
        python, *PYTHON_FLAGS, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "-d", str(into),
    ]  # fmt: skip
    if no_index:
        cmd.append("--no-index")
    for link in find_links:
        cmd += ["--find-links", str(link)]
    cmd += [f"{name}=={version}" for name, version in pins]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=pip_environment(os.environ, python, PYTHON_FLAGS),
        creationflags=creation_flags(),
        check=False,
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).splitlines()
        raise InstallError(
            f"iienv: cannot export the environment of add-on {addon!r}: pip could not fetch "
            f"its wheels. " + diagnose(addon, output, proc.returncode, no_index, binary_only=True)
        )
