"""Which versions of a distribution have a wheel for this Python, where an installer looks.

pip's "no version satisfies" error lists the versions it found ("from
versions: 1.16.0, 1.17.0"; with ``--only-binary=:all:`` exactly those with a
wheel that fits), and iienv's message passes that list on: it is what a user
needs to fix a pin. uv's resolver error does not list them. So for uv iienv
looks itself, in the same places: wheel folders (find-links) by file name,
and package indexes through the simple repository API (PEP 691 JSON, else
PEP 503 HTML) — one request per index, only after an install has already
failed, with a short timeout. A wheel fits when one of its tags is one of
this interpreter's (``packaging.tags.sys_tags``, the rule pip and uv apply).
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path

from .requirements import canonicalize_name, interpreter_tags

__iienv_machinery__ = True

from ._vendor.packaging.utils import InvalidWheelFilename, parse_wheel_filename
from ._vendor.packaging.version import InvalidVersion, Version

TIMEOUT_SECONDS = 10.0


class Listing:
    """Versions found with a fitting wheel, and the places that could not be read (why)."""

    def __init__(self) -> None:
        self.versions: set[Version] = set()
        self.unreadable: list[str] = []

    def text(self) -> str:
        """'1.16.0, 1.17.0' (oldest first, as pip lists them), or 'none'."""
        if not self.versions:
            return "none"
        return ", ".join(str(v) for v in sorted(self.versions))


def versions_with_wheels(
    name: str, places: Iterable[str], env: Mapping[str, str] | None = None
) -> Listing:
    """Versions of ``name`` with a wheel for this Python in ``places`` (folders, index URLs).

    ``env``: the installer's process environment (certificate, timeout).
    """
    listing = Listing()
    wanted = canonicalize_name(name)
    tags = interpreter_tags()
    for place in places:
        try:
            for filename in _filenames(place, wanted, env or {}):
                version = _fitting_version(filename, wanted, tags)
                if version is not None:
                    listing.versions.add(version)
        except (OSError, ValueError) as exc:
            listing.unreadable.append(f"{place} ({exc})")
    return listing


def _fitting_version(filename: str, wanted: str, tags: frozenset[object]) -> Version | None:
    if not filename.endswith(".whl"):
        return None
    try:
        name, version, _build, wheel_tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    if canonicalize_name(name) != wanted or not wheel_tags & tags:
        return None
    return version


def _filenames(place: str, name: str, env: Mapping[str, str]) -> list[str]:
    if "://" not in place or place.startswith("file://"):
        if "://" in place:
            folder = Path(urllib.request.url2pathname(urllib.parse.urlparse(place).path))
        else:
            folder = Path(place)
        if (folder / name).is_dir():  # a file:// simple index: <root>/<name>/
            folder = folder / name
        if not folder.is_dir():
            raise ValueError("not a folder")
        return [p.name for p in folder.iterdir()]
    url = place.rstrip("/") + f"/{name}/"
    request = urllib.request.Request(
        url, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    )
    context = ssl.create_default_context(cafile=env.get("SSL_CERT_FILE") or None)
    timeout = min(float(env.get("UV_HTTP_TIMEOUT") or TIMEOUT_SECONDS), TIMEOUT_SECONDS)
    with urllib.request.urlopen(request, timeout=timeout, context=context) as r:
        body = r.read().decode("utf-8", errors="replace")
        kind = r.headers.get("Content-Type", "")
    if "json" in kind:
        return [f.get("filename", "") for f in json.loads(body).get("files", [])]
    parser = _Links()
    parser.feed(body)
    return parser.names


class _Links(HTMLParser):
    """File names of the links on a PEP 503 page (``<a href="...whl#sha256=...">``)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = dict(attrs).get("href") or ""
        path = urllib.parse.urlparse(href).path
        self.names.append(urllib.parse.unquote(re.sub(r".*/", "", path)))
