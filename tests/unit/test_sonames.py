"""sonames.py reads and edits real wheels' ELF files as binutils' readelf sees them."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iienv_addon.core import sonames
from iienv_addon.core.environment import is_loadable_image
from tests.helpers import SiteCache

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="ELF and binutils' readelf: Linux; elsewhere names are not edited (simulated in "
    "test_native_after_purge)",
)


def readelf(path: Path) -> dict[str, list[str]]:
    """DT_SONAME, DT_NEEDED and the version-requirement files, by readelf."""
    dynamic = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True).stdout
    versions = subprocess.run(["readelf", "-VW", str(path)], capture_output=True, text=True).stdout
    return {
        "soname": re.findall(r"\(SONAME\)\s+Library soname: \[(.*)\]", dynamic),
        "needed": re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dynamic),
        "vn_file": re.findall(r"File: (\S+)\s+Cnt:", versions),
    }


def test_names_are_read_as_readelf_reads_them(site_cache: SiteCache) -> None:
    site = site_cache.fresh_copy("h5py-new")
    images = [p for p in site.rglob("*.so*") if p.is_file()]
    assert len(images) > 10
    for path in images:
        names = sonames.read_names(path)
        want = readelf(path)
        assert names is not None, path
        assert ([names.soname] if names.soname else []) == want["soname"], path
        assert names.needed == want["needed"], path
        assert names.versioned == want["vn_file"], path


def test_a_rename_is_what_the_loader_reads(site_cache: SiteCache) -> None:
    """libhdf5 gets a new soname; h5py's modules and libhdf5_hl ask for it by that name."""
    site = site_cache.fresh_copy("h5py-new")
    hdf5 = next((site / "h5py.libs").glob("libhdf5-*"))
    old = sonames.read_names(hdf5).soname
    renames = sonames.rename_reused(site, {old}, taken=set())
    new = renames[old]
    assert set(renames) == {old} and len(new) == len(old) and new != old
    assert readelf(hdf5.with_name(new))["soname"] == [new]
    askers = [p for p in site.rglob("*.so*") if new in readelf(p)["needed"]]
    assert any(p.parent.name == "h5py" for p in askers)
    assert not [p for p in site.rglob("*.so*") if old in readelf(p)["needed"]]
    assert not [p for p in site.rglob("*.so*") if old in readelf(p)["vn_file"]]
    # the wheel's file name is the same file (a load by path gets the renamed library)
    assert hdf5.samefile(hdf5.with_name(new))
    # a library that nothing asks for by name is not renamed
    assert sonames.rename_reused(site, {"libnothing.so.1"}, taken=set()) == {}


def test_a_library_linked_from_elsewhere_is_never_changed(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    """A hard link into a cache (uv installs by linking from its cache) is not edited in place."""
    site = site_cache.fresh_copy("h5py-new")
    hdf5 = next((site / "h5py.libs").glob("libhdf5-*"))
    cache = tmp_path / "cache" / hdf5.name
    cache.parent.mkdir()
    os.link(hdf5, cache)
    before = cache.read_bytes()
    old = sonames.read_names(hdf5).soname
    new = sonames.rename_reused(site, {old}, taken=set(), in_place=True)[old]
    assert cache.read_bytes() == before
    assert readelf(cache)["soname"] == [old]
    assert readelf(site / "h5py.libs" / new)["soname"] == [new]
    assert not hdf5.samefile(cache) and hdf5.samefile(site / "h5py.libs" / new)


def test_renamed_files_are_the_wheels_files_with_names_changed(site_cache: SiteCache) -> None:
    """Every library pip's RECORD lists hashes as in the wheel once iienv's names are put
    back (what a verification of an installed environment needs): only names changed."""
    site = site_cache.fresh_copy("h5py-new")
    renames = sonames.rename_reused(site, None, taken=set())
    assert len(renames) >= 3
    record = sonames.Record.read(site)
    changed = checked = 0
    for listing in site.glob("*.dist-info/RECORD"):
        for line in csv.reader(listing.read_text(encoding="utf-8").splitlines()):
            path, digest = site / line[0], line[1]
            if not digest.startswith("sha256=") or not is_loadable_image(str(path)):
                continue  # (the shared libraries: what iienv edits)
            want = base64.urlsafe_b64decode(digest[7:] + "==")
            now = path.read_bytes()
            assert hashlib.sha256(record.as_in_wheel(path)).digest() == want, path
            changed += hashlib.sha256(now).digest() != want
            checked += 1
    assert checked > 20 and changed >= len(renames)  # the libraries and who asks for them
    # the new names are the same files as the wheel's names
    for new, wheel in record.files.items():
        assert (site / new).samefile(site / wheel)
