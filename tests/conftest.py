from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import SiteCache, require_wheelhouse, uv_settings

# The tests choose their installer: pip by default ("auto" with no uv found), uv where a
# test configures it (test_uv_installer.py). A uv on this machine's PATH would otherwise
# turn every "auto" install into a uv install.
os.environ["PATH"] = os.pathsep.join(
    p
    for p in os.environ.get("PATH", "").split(os.pathsep)
    if not (p and os.path.isfile(os.path.join(p, "uv.exe" if os.name == "nt" else "uv")))
)


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    return require_wheelhouse()


@pytest.fixture(scope="session")
def site_cache(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> SiteCache:
    return SiteCache(tmp_path_factory.mktemp("sites"))


@pytest.fixture(scope="module", autouse=True)
def _drop_module_site_copies() -> Iterator[None]:
    """Site copies made by a module's fixtures go when the module's tests end."""
    mark = len(SiteCache.made)
    yield
    SiteCache.drop_copies_since(mark)


@pytest.fixture(autouse=True)
def _drop_test_site_copies() -> Iterator[None]:
    """Site copies made by one test go when it ends (set up after wider fixtures)."""
    mark = len(SiteCache.made)
    yield
    SiteCache.drop_copies_since(mark)


@pytest.fixture
def owner_dir(tmp_path: Path):
    """A directory on sys.path for the test's owner (add-on) packages."""
    path = tmp_path / "addons"
    path.mkdir()
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MB filesystem (tmpfs; CI runs as root like this machine)."""
    if sys.platform != "linux":  # pragma: no cover - the Windows/macOS runners
        pytest.skip("a small tmpfs needs Linux; WinError 112 is matched in test_pip_errors")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture(scope="session")
def uv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests' uv binary is unpacked (once per session)."""
    return tmp_path_factory.mktemp("uv-bin")


@pytest.fixture
def settings(request: pytest.FixtureRequest, uv_dir: Path) -> object:
    """The installer a test's Manager uses: pip, unless parametrized (helpers.EACH_INSTALLER)."""
    from iienv_addon.core.install_tools import InstallerSettings

    if getattr(request, "param", "pip") == "uv":
        return uv_settings(uv_dir)
    return InstallerSettings("pip")
