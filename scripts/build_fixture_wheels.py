"""Write the test-only wheel ``metaprobe`` in two versions into a wheelhouse.

metaprobe reports its own version and its dependency's version through
``importlib.metadata``, which is how real packages (and pip-installed tools)
find out what is installed. Version 1.0 depends on six 1.16.0, version 2.0 on
six 1.17.0. Written directly as zip files so no build backend (and no network)
is needed.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

MODULE = '''\
"""Test package: reports versions as importlib.metadata sees them."""
from importlib.metadata import version

import six

__version__ = version("metaprobe")


def report():
    return {
        "metaprobe": version("metaprobe"),
        "six (metadata)": version("six"),
        "six (module)": six.__version__,
    }
'''


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(wheelhouse: Path, version: str, six_version: str) -> Path:
    dist_info = f"metaprobe-{version}.dist-info"
    files = {
        "metaprobe/__init__.py": MODULE.encode(),
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            "Name: metaprobe\n"
            f"Version: {version}\n"
            f"Requires-Dist: six=={six_version}\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: iienv-fixtures\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = wheelhouse / f"metaprobe-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def main() -> None:
    wheelhouse = Path(sys.argv[1] if len(sys.argv) > 1 else "wheelhouse")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for version, six_version in (("1.0", "1.16.0"), ("2.0", "1.17.0")):
        print(build(wheelhouse, version, six_version))


if __name__ == "__main__":
    main()
