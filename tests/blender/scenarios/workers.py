"""Issue 18 item 1 in Debian's blender 3.4 binary (legacy form, Python 3.11).

Its ``sys.executable`` is whatever ``python3.11`` comes first on ``PATH`` (on this
machine a pyenv shim): workers must run a Python the interpreter probe accepts,
with the add-on's numpy, for each start method and ProcessPoolExecutor.
"""

import sys

from common import OLD_NUMPY, REPO, enable, install_legacy, run


def main() -> None:
    sys.path.append(str(REPO))
    import numpy as blender_numpy

    from tests.workers_addon import NAME, SOURCE

    addons = install_legacy(names=())
    (addons / NAME).mkdir()
    (addons / NAME / "__init__.py").write_text(SOURCE)
    (addons / NAME / "iienv.toml").write_text(f'[iienv]\nrequirements = ["numpy=={OLD_NUMPY}"]\n')
    enable("iienv")
    module = enable(NAME)
    import iienv

    site = {info.addon: str(info.site_dir) for info in iienv.environments()}[NAME]
    result = module.run_workers()
    print("sys.executable", sys.executable, result)
    assert result["parent"].startswith(site), result
    for where in ("spawn", "forkserver", "fork", "executor"):
        path, version, total, array_module = result[where]
        assert path.startswith(site) and version == OLD_NUMPY, (where, path, version)
        assert total == (6.0 if where != "executor" else 3.0) and array_module == "numpy"
    for method in ("spawn", "forkserver", "fork"):
        assert result[method + " array back"] == [True, [0, 1, 2]], method
    assert sys.modules["numpy"] is blender_numpy
    assert not blender_numpy.__file__.startswith(site)


run(main)
