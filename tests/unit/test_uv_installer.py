"""Issue 20: uv as iienv's installer, with pip's guarantees and pip's result.

Real uv (the binary of uv's own wheel from the package index, the file the
per-platform extension zips carry, unpacked as iienv unpacks it), real wheels
from the local wheelhouse, a real HTTP package index on this machine.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import importlib
import importlib.metadata
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iienv_addon.core import InstallError, Manager
from iienv_addon.core.errors import InstallCancelledError, InvalidSettingError
from iienv_addon.core.install_tools import InstallerSettings, search_uv
from iienv_addon.core.installer import installed_versions
from iienv_addon.core.uv_tool import EXECUTABLE, binary_entry, find_uv, unpack
from tests.helpers import (
    ENV_SETS,
    UV_WHEELS,
    WHEELHOUSE,
    SiteCache,
    process_gone,
    script_executable,
    tree_listing,
    uv_settings,
    uv_wheel,
    write_package,
)
from tests.unit.test_binary_only import _sdist
from tests.versions import NEW_MSGPACK, NEW_NUMPY, OLD_NUMPY

OFFLINE = {"find_links": [str(WHEELHOUSE)], "no_index": True}


@pytest.fixture
def settings(uv_dir: Path) -> InstallerSettings:
    """uv only from the bundled wheel (never a uv on PATH), as the extension carries it.

    (pip's errors under uv, pip's guarantees under uv: test_installer.py and
    test_binary_only.py, whose EACH_INSTALLER tests run with both.)
    """
    return uv_settings(uv_dir)  # type: ignore[no-any-return]


@pytest.fixture
def manager(tmp_path: Path, settings: InstallerSettings, wheelhouse: Path) -> Iterator[Manager]:
    m = Manager(tmp_path / "root", installer=settings)
    m.enable()
    yield m
    m.disable()


@pytest.fixture
def uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of the test's own (UV_CACHE_DIR is a where-from variable iienv hands on)."""
    cache = tmp_path / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    return cache


def _six(manager: Manager, owner_dir: Path, version: str = "1.16.0") -> Path:
    write_package(owner_dir, "uv_six", "import six\nVERSION = six.__version__\n")
    manager.create("six", owners=["uv_six"])
    return manager.install("six", [f"six=={version}"], **OFFLINE)


# ---- the installer that runs ------------------------------------------------------


def test_uv_installs_and_says_so(manager: Manager, owner_dir: Path) -> None:
    phases: list[tuple[str, str, float]] = []
    write_package(owner_dir, "uv_np", "import numpy\nVERSION = numpy.__version__\n")
    manager.create("np", owners=["uv_np"])
    job = manager.start_install(
        "np",
        [f"numpy=={OLD_NUMPY}", "six==1.17.0"],
        progress=lambda p: phases.append((p.phase, p.message, p.fraction)),
        **OFFLINE,
    )
    assert job.installer.startswith("uv 0.13.9 (the bundled uv")
    site = job.wait()
    assert installed_versions(site) == {"numpy": OLD_NUMPY, "six": "1.17.0"}
    assert importlib.import_module("uv_np").VERSION == OLD_NUMPY
    names = [p[0] for p in phases]
    assert names[0] == "preparing" and names[-1] == "done"
    # progress read from uv's own lines ("Resolved 2 packages", "Installed 2 packages")
    assert any(m.startswith("Resolved 2 packages") for _, m, _ in phases), phases
    assert any(m.startswith("Installed 2 packages") for _, m, _ in phases), phases
    fractions = [f for _, _, f in phases]
    assert fractions == sorted(fractions)
    assert not (site / ".lock").exists()  # uv's lock file of the --target dir


def test_uv_is_never_a_hard_link_into_its_cache(
    manager: Manager, owner_dir: Path, uv_cache: Path
) -> None:
    """Two environments with the same numpy and msgpack: files of their own, not uv's cache's.

    The dynamic loader knows a loaded library by inode. With uv's default (hard
    links from its cache) the second environment's ``dlopen`` returns the
    first's handle, and Cython's module creation hands back the module object
    it already made: the second add-on silently ran the first environment's
    ``msgpack._cmsgpack`` and ``numpy.random._generator`` (their ``__file__``
    in the first site; measured before ``--link-mode copy``).
    """
    sites = []
    source = "import numpy, numpy.random, msgpack\nVERSION = numpy.__version__\n"
    for name in ("one", "two"):
        write_package(owner_dir, f"uv_{name}", source)
        manager.create(name, owners=[f"uv_{name}"])
        request = [f"numpy=={NEW_NUMPY}", f"msgpack=={NEW_MSGPACK}"]
        sites.append(manager.install(name, request, **OFFLINE))
    cached = {(p.stat().st_dev, p.stat().st_ino) for p in uv_cache.rglob("*") if p.is_file()}
    assert cached, "uv's cache is where the test put it"
    for site in sites:
        inodes = {(p.stat().st_dev, p.stat().st_ino) for p in site.rglob("*") if p.is_file()}
        assert not inodes & cached, f"{site} shares files with uv's cache"
    assert importlib.import_module("uv_one").VERSION == NEW_NUMPY
    assert importlib.import_module("uv_two").VERSION == NEW_NUMPY  # its own copy, loaded
    for owner, site in (("uv_one", sites[0]), ("uv_two", sites[1])):
        module = sys.modules[owner]
        for compiled in (module.msgpack._cmsgpack, module.numpy.random._generator):
            assert Path(compiled.__file__).is_relative_to(site), (owner, compiled.__file__)
    one, two = sys.modules["uv_one"].numpy, sys.modules["uv_two"].numpy
    assert one.random._generator.Generator is not two.random._generator.Generator
    assert int(two.arange(4).sum()) == 6 and int(one.arange(5).sum()) == 10


def test_auto_uses_pip_where_there_is_no_uv(tmp_path: Path, owner_dir: Path) -> None:
    nothing = InstallerSettings("auto", search_path=False)
    manager = Manager(tmp_path / "root", installer=nothing)
    manager.create("six", owners=["auto_six"])
    job = manager.start_install("six", ["six==1.17.0"], **OFFLINE)
    assert job.installer == "pip"
    assert (job.wait() / "six-1.17.0.dist-info" / "INSTALLER").read_text().strip() == "pip"


def test_uv_chosen_but_missing_is_a_clear_error(tmp_path: Path) -> None:
    settings = InstallerSettings(
        "uv", uv_path=str(tmp_path / "no-such-uv"), bundled_uv=(), search_path=False
    )
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("six", owners=["missing_uv_six"])
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("six", ["six==1.17.0"], **OFFLINE)
    message = str(info.value)
    assert "installer 'uv' was chosen but no usable uv was found" in message
    assert f"the configured uv {tmp_path / 'no-such-uv'} does not exist" in message
    assert "'auto' or 'pip'" in message
    assert tree_listing(manager.root) == before
    with pytest.raises(InvalidSettingError, match="'npm' is not one of 'auto', 'uv', 'pip'"):
        manager.install("six", ["six==1.17.0"], installer="npm", **OFFLINE)
    assert tree_listing(manager.root) == before
    # the argument overrides the setting for one install
    site = manager.install("six", ["six==1.17.0"], installer="pip", **OFFLINE)
    assert installed_versions(site) == {"six": "1.17.0"}


OLD_UV = """
import sys
print("uv 0.4.30 (x86_64-unknown-linux-gnu)")
"""

NOT_UV = """
print("Python 3.11.7")
"""


def test_too_old_or_not_uv_is_passed_over_with_the_reason(tmp_path: Path) -> None:
    old = script_executable(tmp_path / "old-uv", OLD_UV)
    search = find_uv(configured=old, search_path=False)
    assert search.found is None
    assert f"the configured uv {old} is uv 0.4.30; iienv needs 0.13.0 or newer" in search.reasons()
    other = script_executable(tmp_path / "python-uv", NOT_UV)
    search = find_uv(configured=other, bundled=[uv_wheel()], unpack_to=tmp_path / "u")
    assert "is not uv (it printed 'Python 3.11.7')" in search.reasons()
    assert search.found is not None and search.found.origin.startswith("the bundled uv")


@pytest.mark.skipif(sys.platform == "win32", reason="a file's execute bit is POSIX")
def test_auto_falls_back_to_pip_when_uv_cannot_start(tmp_path: Path, uv_dir: Path) -> None:
    """A uv that passed the probe but cannot be executed any more (a noexec profile)."""
    copy = tmp_path / "bin" / EXECUTABLE
    copy.parent.mkdir()
    shutil.copy(unpack(uv_wheel(), uv_dir), copy)
    settings = InstallerSettings("auto", uv_path=str(copy), search_path=False)
    assert search_uv(settings).found is not None
    copy.chmod(0o644)  # found, then not executable
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("six", owners=["fallback_six"])
    job = manager.start_install("six", ["six==1.17.0"], **OFFLINE)
    site = job.wait()
    assert job.installer == "pip"
    assert any("could not start" in line for line in job.output), job.output
    assert installed_versions(site) == {"six": "1.17.0"}
    # "uv" itself does not fall back: the error says what failed
    before = tree_listing(manager.root)
    with pytest.raises(InstallError, match=r"could not start uv 0\.13\.9 .*Permission denied"):
        manager.install("six", ["six==1.16.0"], installer="uv", **OFFLINE)
    assert tree_listing(manager.root) == before
    # and a fresh look says why that uv is no use
    search = find_uv(configured=str(copy), search_path=False)
    assert search.found is None and "does not run" in search.reasons()


def test_bundled_uv_is_unpacked_once_and_checked(tmp_path: Path) -> None:
    wheel = uv_wheel()
    first = unpack(wheel, tmp_path / "u")
    assert os.access(first, os.X_OK)
    stamp = first.stat().st_mtime_ns
    assert unpack(wheel, tmp_path / "u") == first and first.stat().st_mtime_ns == stamp
    # a damaged binary (same size) is replaced by the wheel's
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.write_bytes(bytes(data))
    again = unpack(wheel, tmp_path / "u")
    assert hashlib.sha256(again.read_bytes()).digest() != hashlib.sha256(data).digest()
    # several Blenders unpacking at once: one good file, no temporary left
    results: list[Path] = []
    shutil.rmtree(tmp_path / "u")
    threads = [
        threading.Thread(target=lambda: results.append(unpack(wheel, tmp_path / "u")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and [p.name for p in results[0].parent.iterdir()] == [EXECUTABLE]


def test_a_changed_bundled_wheel_is_refused(tmp_path: Path) -> None:
    import zipfile

    source = uv_wheel()
    changed = tmp_path / source.name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(changed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(f"/scripts/{EXECUTABLE}"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.writestr(item, data)
    search = find_uv(bundled=[changed], unpack_to=tmp_path / "u", search_path=False)
    assert search.found is None
    assert "does not match the hash in the wheel's RECORD" in search.reasons()
    assert not list((tmp_path / "u").rglob(EXECUTABLE))


# ---- pip's errors, from uv ---------------------------------------------------------


def test_a_damaged_wheel_is_named(manager: Manager, tmp_path: Path, owner_dir: Path) -> None:
    """A wheel damaged after the lock was made (test_installer: one of other bytes, valid).

    uv reads the zip's directory before it has hashed the whole file: the damage
    is reported as such, where pip reports a hash mismatch.
    """
    _six(manager, owner_dir)
    wheel = WHEELHOUSE / "six-1.17.0-py2.py3-none-any.whl"
    lock = tmp_path / "iienv.lock"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock.write_text(f"six==1.17.0 \\\n    --hash=sha256:{digest}\n")
    good = manager.install("six", lock_file=lock, **OFFLINE)
    assert installed_versions(good) == {"six": "1.17.0"}
    before = tree_listing(manager.root)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    data = bytearray(wheel.read_bytes())
    data[-100] ^= 0xFF
    (damaged / wheel.name).write_bytes(bytes(data))
    with pytest.raises(InstallError) as info:
        manager.install("six", lock_file=lock, find_links=[damaged], no_index=True)
    assert "a package file is damaged" in str(info.value), info.value
    assert tree_listing(manager.root) == before


HANGING_BACKEND = """
import subprocess, sys, time
from pathlib import Path

def _build(*args, **kwargs):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    Path({pid_file!r}).write_text(str(child.pid))
    time.sleep(300)

get_requires_for_build_wheel = prepare_metadata_for_build_wheel = build_wheel = _build
"""


def test_cancel_ends_uvs_whole_process_tree(
    manager: Manager, tmp_path: Path, owner_dir: Path
) -> None:
    """A real source build under uv: uv -> build backend (Python) -> its child; all end."""
    _six(manager, owner_dir)
    before = tree_listing(manager.root)
    folder, pid_file = tmp_path / "links", tmp_path / "grandchild.pid"
    folder.mkdir()
    sdist = _sdist(folder, "slowbuild", "1.0", tmp_path / "unused")
    _rewrite_backend(sdist, HANGING_BACKEND.format(pid_file=str(pid_file)))
    phases: list[str] = []
    job = manager.start_install(
        "six", ["slowbuild==1.0"], find_links=[folder], no_index=True,
        allow_source_builds=True, progress=lambda p: phases.append(p.phase),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (pid_file.is_file() and pid_file.read_text()):
        job.poll()
        assert time.monotonic() < deadline, job.output
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    job.cancel()
    with pytest.raises(InstallCancelledError, match="cancelled"):
        job.wait(timeout=60)
    deadline = time.monotonic() + 10
    while not process_gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(grandchild), "the build backend's child outlived the cancel"
    assert phases[-1] == "cancelled"
    assert tree_listing(manager.root) == before


def _rewrite_backend(sdist: Path, backend: str) -> None:
    import io
    import tarfile

    with tarfile.open(sdist) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(sdist, "w:gz") as tar:
        for member, data in members:
            if member.name.endswith("backend.py"):
                data = backend.encode()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


# ---- where packages come from ---------------------------------------------------------


def test_the_users_uv_configuration_cannot_send_packages_elsewhere(
    manager: Manager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A uv.toml and UV_* variables meant for the user's projects change nothing.

    The same request as test_installer's pip.conf test; where packages come
    from (pip's find-links and no-index in the user's pip.conf) reaches uv.
    """
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("six==1.16.0\n", encoding="utf-8")
    uv_toml = tmp_path / "xdg" / "uv" / "uv.toml"
    uv_toml.parent.mkdir(parents=True)
    uv_toml.write_text(
        f'[pip]\nno-deps = true\nconstraint = ["{constraints}"]\ntarget = "{tmp_path}/t"\n',
        encoding="utf-8",
    )
    pip_conf = tmp_path / "xdg" / "pip" / "pip.conf"
    pip_conf.parent.mkdir(parents=True)
    pip_conf.write_text(f"[global]\nfind-links = {WHEELHOUSE}\nno-index = true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # where uv and pip look on Linux
    monkeypatch.setenv("UV_CONFIG_FILE", str(uv_toml))  # (and on every OS)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(pip_conf))
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setenv("UV_NO_DEPS", "1")
    monkeypatch.setenv("UV_CONSTRAINT", str(constraints))
    monkeypatch.setenv("UV_LINK_MODE", "hardlink")
    monkeypatch.setenv("UV_SYSTEM_PYTHON", "1")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "some-venv"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    manager.create("cfg", owners=["uv_cfg"])
    site = manager.install("cfg", ["metaprobe==2.0"], **OFFLINE)  # depends on six 1.17.0
    assert installed_versions(site) == {"metaprobe": "2.0", "six": "1.17.0"}
    assert not (tmp_path / "t").exists()
    assert all(p.stat().st_nlink == 1 for p in site.rglob("*.py"))  # not UV_LINK_MODE's links
    site = manager.install("cfg", ["metaprobe==1.0"])  # only pip.conf says where
    assert installed_versions(site) == {"metaprobe": "1.0", "six": "1.16.0"}


class _Index(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    """``serve(name, wheels)``: a PEP 503 package index over HTTP on this machine; its URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(label: str, wheels: list[Path]) -> str:
        server = _serve_index(tmp_path / label, wheels)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/simple"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def index(serve: object) -> str:
    """An index with every six and numpy of the wheelhouse."""
    wheels = [*WHEELHOUSE.glob("six-*.whl"), *WHEELHOUSE.glob("numpy-*.whl")]
    return serve("index", wheels)  # type: ignore[operator,no-any-return]


def _serve_index(root: Path, wheels: list[Path]) -> http.server.ThreadingHTTPServer:
    (root / "files").mkdir(parents=True)
    for wheel in wheels:
        shutil.copy(wheel, root / "files")
    for name in {w.name.split("-")[0] for w in wheels}:
        page = root / "simple" / name / "index.html"
        page.parent.mkdir(parents=True)
        links = "".join(
            f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
            f"{w.name}</a>\n"
            for w in wheels
            if w.name.startswith(f"{name}-")
        )
        page.write_text(f"<!DOCTYPE html><html><body>{links}</body></html>")
    handler = lambda *a, **k: _Index(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_install_from_an_index_over_http(
    manager: Manager, index: str, monkeypatch: pytest.MonkeyPatch, owner_dir: Path, uv_cache: Path
) -> None:
    """Online: the index the user set for pip, over HTTP; the download is reported as
    progress; the error lists the index's versions."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", index)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    write_package(owner_dir, "uv_online", "import six\nVERSION = six.__version__\n")
    manager.create("online", owners=["uv_online"])
    phases: list[tuple[str, str]] = []
    site = manager.install(
        "online",
        ["six==1.16.0", f"numpy=={OLD_NUMPY}"],
        progress=lambda p: phases.append((p.phase, p.message)),
    )
    assert installed_versions(site) == {"six": "1.16.0", "numpy": OLD_NUMPY}
    assert importlib.import_module("uv_online").VERSION == "1.16.0"
    assert ("downloading", "Downloaded numpy") in phases, phases  # (uv's cache is new)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("online", ["numpy==1.0.0"])
    versions = sorted(
        {w.name.split("-")[1] for w in WHEELHOUSE.glob("numpy-*.whl")},
        key=lambda v: tuple(int(x) for x in v.split(".")),
    )
    assert f"versions with wheels: {', '.join(versions)}" in str(info.value)
    assert tree_listing(manager.root) == before


# ---- the same result as pip -----------------------------------------------------------


def test_the_best_version_across_indexes_as_pip_chooses(
    manager: Manager, serve: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main index has six 1.17.0, an extra one 1.16.0: pip takes the best of both.

    uv's own default would stop at the first index that knows six — and uv asks
    extra indexes first — so it would install 1.16.0.
    """
    main = serve("main", [WHEELHOUSE / "six-1.17.0-py2.py3-none-any.whl"])  # type: ignore[operator]
    extra = serve("extra", [WHEELHOUSE / "six-1.16.0-py2.py3-none-any.whl"])  # type: ignore[operator]
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", main)
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", extra)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    manager.create("best", owners=["uv_best"])
    by_pip = installed_versions(manager.install("best", ["six"], installer="pip"))
    assert by_pip == {"six": "1.17.0"}
    assert installed_versions(manager.install("best", ["six"])) == {"six": "1.17.0"}


REQUEST = [f"numpy=={OLD_NUMPY}", "metaprobe==2.0", "tqdm==4.67.1"]
# h5py bundles libraries whose names iienv changes at install (sonames.py)
H5PY = "h5py==3.12.1" if sys.version_info >= (3, 13) else "h5py==3.11.0"


def _record(site: Path) -> dict[str, set[tuple[str, str, str]]]:
    """Each distribution's RECORD rows, without what differs between installers by design.

    pip compiles and records ``.pyc``; each installer writes its name in
    INSTALLER and its own script launchers; uv adds ``uv_cache.json``; pip
    writes REQUESTED for the distributions asked for, uv for all (compared
    apart, below).
    """
    out: dict[str, set[tuple[str, str, str]]] = {}
    for record in sorted(site.glob("*.dist-info/RECORD")):
        dist = record.parent.name
        rows = set()
        with open(record, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                path, digest, size = [*row, "", ""][:3]
                name = path.rsplit("/", 1)[-1]
                if path.endswith(".pyc") or name in {"RECORD", "INSTALLER", "uv_cache.json"}:
                    continue
                if name == "REQUESTED":
                    continue  # pip compiles and records .pyc; the installer's own files
                # pip's RECORD names files outside site-packages from its temporary prefix
                # (../../bin/, ../../share/), uv's from the target; both put them in it
                path = path.removeprefix("../../")
                if path.startswith("bin/"):
                    # scripts: each installer writes its own launcher (another text, same place)
                    rows.add((path, "script", ""))
                    continue
                rows.add((path, digest, size))
        out[dist] = rows
    return out


def _metadata(site: Path) -> dict[str, object]:
    """What importlib.metadata reads of each distribution (files as in _record).

    Not a wheel's data files (``share/``): pip's RECORD names them ``../../share/``,
    outside the target, and Python 3.13's ``files`` leaves out entries that do not
    exist where RECORD says (3.11 lists them); _record compares their rows.
    """
    out: dict[str, object] = {}
    for dist in importlib.metadata.distributions(path=[str(site)]):
        files = sorted(
            str(f).removeprefix("../../") for f in dist.files or ()
            if not str(f).endswith(".pyc")
            and f.name not in {"INSTALLER", "uv_cache.json", "REQUESTED"}
            and "bin/" not in str(f)
            and not str(f).removeprefix("../../").startswith("share/")
        )  # fmt: skip
        out[dist.metadata["Name"]] = {
            "version": dist.version,
            "requires": dist.requires,
            "entry_points": sorted((e.group, e.name, e.value) for e in dist.entry_points),
            "files": files,
            "summary": dist.metadata.get("Summary"),
        }
    return out


def test_uv_and_pip_install_the_same_distributions_and_files(
    tmp_path: Path, settings: InstallerSettings
) -> None:
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("by-uv", owners=["same_uv"])
    manager.create("by-pip", owners=["same_pip"])
    request = [*REQUEST, H5PY]
    by_uv = manager.install("by-uv", request, **OFFLINE)
    by_pip = manager.install("by-pip", request, installer="pip", **OFFLINE)
    assert installed_versions(by_uv) == installed_versions(by_pip)
    assert len(installed_versions(by_uv)) >= 5
    uv_rows, pip_rows = _record(by_uv), _record(by_pip)
    assert uv_rows.keys() == pip_rows.keys()
    for dist in uv_rows:
        assert uv_rows[dist] == pip_rows[dist], dist
    assert sum(len(r) for r in uv_rows.values()) > 500  # (1054 rows on Python 3.11)
    assert (by_uv / "bin" / "tqdm").is_file() and (by_pip / "bin" / "tqdm").is_file()
    for site, installer in ((by_uv, "uv"), (by_pip, "pip")):
        marks = {p.read_text().strip() for p in site.glob("*.dist-info/INSTALLER")}
        assert marks == {installer}
    asked = {"numpy", "metaprobe", "tqdm", "h5py"}
    requested = {p.parent.name.split("-")[0] for p in by_pip.glob("*.dist-info/REQUESTED")}
    assert requested == asked
    requested = {p.parent.name.split("-")[0] for p in by_uv.glob("*.dist-info/REQUESTED")}
    assert requested == set(installed_versions(by_uv)) > asked  # (uv: every distribution)
    assert _metadata(by_uv) == _metadata(by_pip)
    # the files on disk are what RECORD says, in both (bundled libraries renamed alike)
    for name in ("by-uv", "by-pip"):
        report = manager.verify(name)
        assert report.problems == [], report.problems


def test_wheel_folders_serve_when_the_index_cannot_be_reached(
    manager: Manager, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A wheel folder beside an index that is down: pip warns and installs from the folder.

    uv stops at the index; iienv runs it once more with ``--offline`` (the folders alone).
    """
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(WHEELHOUSE / "six-1.16.0-py2.py3-none-any.whl", folder)
    manager.create("down", owners=["uv_down"])
    by_pip = manager.install("down", ["six"], find_links=[folder], installer="pip")
    assert installed_versions(by_pip) == {"six": "1.16.0"}
    job = manager.start_install("down", ["six"], find_links=[folder])
    assert installed_versions(job.wait()) == {"six": "1.16.0"}
    assert any("again with --offline" in line for line in job.output), job.output
    # nothing in the folder for it: the index is the cause (both runs quoted). (pip, told
    # PIP_RETRIES=0, says nothing of the index and reports the folder's versions instead.)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError) as info:
        manager.install("down", ["six==1.17.0"], find_links=[folder])
    assert "the package index could not be reached" in str(info.value), info.value
    assert "again with --offline" in str(info.value)
    assert tree_listing(manager.root) == before


def test_the_whole_corpus_installs_the_same_with_uv_and_pip(
    tmp_path: Path, settings: InstallerSettings, site_cache: SiteCache
) -> None:
    """Every environment of the compatibility corpus (and the tests' own sets): uv through
    iienv gives the distributions, RECORD rows and metadata plain pip gives."""
    manager = Manager(tmp_path / "root", installer=settings)
    differ: dict[str, object] = {}
    for key in sorted(ENV_SETS):
        by_pip = site_cache.installed(key)
        manager.create(key, owners=[f"corpus_owner_{key.replace('-', '_')}"])
        by_uv = manager.install(key, ENV_SETS[key], **OFFLINE)
        if installed_versions(by_uv) != installed_versions(by_pip):
            differ[key] = (installed_versions(by_uv), installed_versions(by_pip))
        elif _record(by_uv) != _record(by_pip):
            uv_rows, pip_rows = _record(by_uv), _record(by_pip)
            differ[key] = {
                d: sorted(uv_rows.get(d, set()) ^ pip_rows.get(d, set()))[:4]
                for d in uv_rows.keys() | pip_rows.keys()
                if uv_rows.get(d) != pip_rows.get(d)
            }
        elif _metadata(by_uv) != _metadata(by_pip):
            differ[key] = "importlib.metadata differs"
        elif problems := manager.verify(key).problems:
            differ[key] = problems[:4]  # its files against uv's RECORD
        manager.remove(key)  # (the corpus is several GB in copies)
    assert not differ, differ
    assert len(ENV_SETS) > 50


def test_uv_on_path_is_found(
    tmp_path: Path, uv_dir: Path, monkeypatch: pytest.MonkeyPatch, owner_dir: Path
) -> None:
    """No bundled uv, nothing configured: "auto" takes the uv on PATH."""
    from iienv_addon.core import install_tools

    # (an earlier test's Manager() may have looked with these settings and found none)
    monkeypatch.setattr(install_tools, "NOT_FOUND_SECONDS", 0.0)
    folder = tmp_path / "bin"
    folder.mkdir()
    shutil.copy(unpack(uv_wheel(), uv_dir), folder / EXECUTABLE)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    manager = Manager(tmp_path / "root", installer=InstallerSettings("auto"))
    manager.create("six", owners=["path_six"])
    job = manager.start_install("six", ["six==1.17.0"], **OFFLINE)
    assert job.installer == "uv 0.13.9 (uv on PATH)"
    assert installed_versions(job.wait()) == {"six": "1.17.0"}


DRY_UV = """
# uv that exits 0 without installing anything: real uv, told --dry-run
import subprocess, sys
dry = ["--dry-run"] if "install" in sys.argv else []
sys.exit(subprocess.call([{uv!r}, *sys.argv[1:], *dry]))
"""


def test_uv_that_installs_nothing_is_caught_by_verification(tmp_path: Path, uv_dir: Path) -> None:
    real = unpack(uv_wheel(), uv_dir)
    dry = script_executable(tmp_path / "dry-uv", DRY_UV.format(uv=str(real)))
    settings = InstallerSettings("uv", uv_path=dry, search_path=False)
    manager = Manager(tmp_path / "root", installer=settings)
    manager.create("dry", owners=["dry_uv_owner"])
    manager.install("dry", ["six==1.16.0"], installer="pip", **OFFLINE)
    before = tree_listing(manager.root)
    with pytest.raises(InstallError, match="uv finished, but six is not in the new environment"):
        manager.install("dry", ["six==1.17.0"], **OFFLINE)
    assert tree_listing(manager.root) == before


@pytest.mark.parametrize(
    "wheel", sorted(UV_WHEELS.glob("uv-*.whl")), ids=lambda w: w.name.split("-")[-1][:-4]
)
def test_every_platforms_uv_wheel_holds_what_iienv_unpacks(wheel: Path) -> None:
    """The wheels the per-platform zips carry (Windows' and macOS' read here by name only:
    ``uv.exe`` on Windows): each holds the binary iienv looks for, with a RECORD hash."""
    import zipfile

    executable = "uv.exe" if "-win_" in wheel.name else "uv"
    with zipfile.ZipFile(wheel) as zf:
        member, digest, size = binary_entry(zf, wheel.name, executable)
        assert zf.getinfo(member).file_size == size > 10_000_000
    assert member.endswith(f"/scripts/{executable}") and len(digest) == 43


def test_a_uv_put_on_path_later_is_found(
    tmp_path: Path, uv_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "No uv" is not remembered for the session: installed meanwhile, it is found."""
    from iienv_addon.core import install_tools

    settings = InstallerSettings("auto", uv_path=str(tmp_path / "later" / EXECUTABLE))
    assert search_uv(settings).found is None
    (tmp_path / "later").mkdir()
    shutil.copy(unpack(uv_wheel(), uv_dir), tmp_path / "later" / EXECUTABLE)
    assert search_uv(settings).found is None  # (believed for a few seconds)
    monkeypatch.setattr(install_tools, "NOT_FOUND_SECONDS", 0.0)
    found = search_uv(settings).found
    assert found is not None and found.origin == "the configured uv"
