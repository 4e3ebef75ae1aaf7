"""Is an environment on disk what pip installed? Its files against pip's ``RECORD``.

Every installed distribution lists its files with a hash in ``RECORD``. A file
that changed (edited, truncated by a full disk, half-copied by a farm's sync
job) or went missing is found by hashing it again. Two kinds of files differ
from the wheel on purpose and are read as the wheel had them:

* shared libraries iienv gave names of their own (sonames.py): their bytes with
  the wheel's names put back (``Record.as_in_wheel``), and the new names must
  be the same files as the wheel's;
* compiled ``.pyc`` files, which Python rewrites when a source's timestamp
  changes: not checked (their sources are).

``pip install --target`` moves console scripts to ``<target>/bin`` and a wheel's
data files to ``<target>/share``, ... while ``RECORD`` still says ``../../bin/``,
``../../share/`` (relative to the site-packages of pip's temporary prefix): read
them there. uv writes the paths relative to the target (``bin/``, ``share/``).
A ``../../`` file that is not under the target either (headers pip left out)
is not checked.

With a lock file (lockfile.py), the installed distributions must also be
exactly the ones it pins, at its versions.
"""

from __future__ import annotations

import base64
import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .environment import is_loadable_image
from .requirements import Requirement, canonicalize_name
from .sonames import Record

__iienv_machinery__ = True

_PREFIX = "../../"  # pip --target's RECORD: the temporary prefix, moved into the target


@dataclass
class IntegrityReport:
    """What ``check_site`` found: ``problems`` is empty when all is as installed."""

    site_dir: Path
    distributions: dict[str, str] = field(default_factory=dict)  # canonical name -> version
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_site(site: Path, locked: tuple[Requirement, ...] | None = None) -> IntegrityReport:
    """Hash every file ``RECORD`` lists in ``site``; with ``locked``, compare the pins too."""
    report = IntegrityReport(site)
    record = Record.read(site)
    for dist_info in sorted(site.glob("*.dist-info")):
        name, version = _name_and_version(dist_info)
        report.distributions[canonicalize_name(name)] = version
        listing = dist_info / "RECORD"
        try:
            rows = list(csv.reader(listing.read_text(encoding="utf-8").splitlines()))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            report.problems.append(f"{name} {version}: its RECORD cannot be read ({exc})")
            continue
        for row in rows:
            if len(row) < 2 or not row[1]:
                continue  # RECORD itself, and files pip lists without a hash
            problem = _check_file(site, record, row[0], row[1])
            report.files_checked += problem is not _SKIPPED
            if problem and problem is not _SKIPPED:
                report.problems.append(f"{name} {version}: {problem}")
    for new, wheel_name in sorted(record.files.items()):
        try:
            same = (site / new).samefile(site / wheel_name)
        except OSError:
            same = False
        if not same:
            report.problems.append(
                f"{new}: iienv's name for {wheel_name} is not the same file as it any more"
            )
    if locked is not None:
        report.problems += _compare_pins(report.distributions, locked)
    return report


_SKIPPED = "skipped"


def _check_file(site: Path, record: Record, listed: str, digest: str) -> str | None:
    if listed.endswith(".pyc"):
        return _SKIPPED
    if listed.startswith(_PREFIX) and ".." not in listed[len(_PREFIX) :].split("/"):
        path = site / listed[len(_PREFIX) :]
        if not path.is_file() and not listed.startswith(_PREFIX + "bin/"):
            return _SKIPPED  # not moved into the target by pip (headers)
    elif listed.startswith("../") or listed.startswith("/"):
        return _SKIPPED  # outside the site dir: not where --target installs
    else:
        path = site / listed
    algorithm, _, encoded = digest.partition("=")
    if algorithm not in hashlib.algorithms_guaranteed:
        return f"{listed}: RECORD names an unknown hash {algorithm!r}"
    try:
        data = record.as_in_wheel(path) if is_loadable_image(str(path)) else path.read_bytes()
    except FileNotFoundError:
        return f"{listed} is missing"
    except OSError as exc:
        return f"{listed} cannot be read ({exc.strerror or exc})"
    want = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    if hashlib.new(algorithm, data).digest() != want:
        return f"{listed} differs from what was installed"
    return None


def _name_and_version(dist_info: Path) -> tuple[str, str]:
    """From METADATA (the folder name is normalised differently by each tool)."""
    name, version = dist_info.name.removesuffix(".dist-info").rpartition("-")[::2]
    try:
        for line in (dist_info / "METADATA").read_text(encoding="utf-8").splitlines():
            if line.startswith("Name:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("Version:"):
                version = line.partition(":")[2].strip()
            elif not line.strip():
                break
    except (OSError, UnicodeDecodeError):
        pass
    return name, version


def _compare_pins(installed: dict[str, str], locked: tuple[Requirement, ...]) -> list[str]:
    problems = []
    pinned: dict[str, str] = {}
    for requirement in locked:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        versions = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        pinned[canonicalize_name(requirement.name)] = versions[0] if versions else ""
    for name, version in sorted(pinned.items()):
        have = installed.get(name)
        if have is None:
            problems.append(f"{name} {version} is in the lock file but not installed")
        elif version and have != version:
            problems.append(f"{name} is {have}, the lock file pins {version}")
    for name in sorted(set(installed) - set(pinned)):
        problems.append(f"{name} {installed[name]} is installed but not in the lock file")
    return problems
