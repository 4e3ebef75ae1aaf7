"""A legacy add-on whose code starts worker processes, for real Blender binaries.

Its environment holds numpy (iienv.toml); the module imports no ``bpy`` at its
top, since every worker imports the module of the function it runs (Blender's
rule: a worker cannot import ``bpy``). ``run_workers()`` reports, per start
method and for ``ProcessPoolExecutor``, which numpy the worker ran and whether
an array came back as the add-on's numpy.
"""

NAME = "iienv_workers"

SOURCE = """
bl_info = {"name": "iienv workers", "blender": (4, 2, 0), "category": "Development"}

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np  # the add-on's (its environment's); no bpy at the top: workers import this


def seen(x):
    import numpy
    return numpy.__file__, numpy.__version__, float(np.asarray(x).sum()), type(x).__module__


def run_workers():
    out = {"parent": np.__file__}
    for method in ("spawn", "forkserver", "fork"):
        with mp.get_context(method).Pool(2) as pool:
            out[method] = list(pool.apply_async(seen, (np.arange(4),)).get(timeout=120))
            back = pool.apply_async(np.arange, (3,)).get(timeout=120)
            out[method + " array back"] = [type(back) is np.ndarray, back.tolist()]
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as executor:
        out["executor"] = list(executor.submit(seen, np.arange(3)).result(timeout=120))
    return out


def register():
    pass


def unregister():
    pass

"""
