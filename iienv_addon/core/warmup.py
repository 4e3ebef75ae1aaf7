"""Warming the lazy imports of compiled packages, so their caches hold the right modules.

numpy's compiled code imports helpers (``numpy.core._dtype``, ``_methods``,
``arrayprint``, ``_exceptions`` ...) the first time a code path needs them and
caches the result in C statics for the life of the process. Which module it gets
depends on the Python frame on top of the stack at that moment: if global code
is the first to ``repr()`` an environment's dtype, the environment's numpy
caches the *host's* helper and recurses forever; the same happens to the host's
numpy when environment code is the first to touch a host array.

So every package with known lazy imports is warmed once, right after it is
loaded: inside the environment's activation for an environment's copy, and from
global code for the host's copy. Each step is best-effort; a step a version
does not support is skipped.

Warming the host's copy must not change what the host has loaded: numpy 2
made some public submodules lazy (``numpy.ctypeslib``), and touching one from
the warm-up would leave it in Blender's ``sys.modules`` after iienv is disabled.
Steps that need such a submodule run for the host only if it is already loaded.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

__iienv_machinery__ = True  # caller.py looks through iienv's frames


# Public submodules numpy 2 imports lazily -> the attribute a step uses to reach them.
_LAZY_SUBMODULE_STEPS = {"numpy.ctypeslib": "ctypeslib"}


def _numpy_steps(np: Any) -> list[Callable[[], object]]:
    a = np.arange(6.0).reshape(2, 3)
    structured = np.zeros(2, dtype=[("a", "f8"), ("b", "i4")])

    class Deferring:
        def __array_ufunc__(self, *args: object, **kwargs: object) -> object:
            return NotImplemented

        def __array_function__(self, *args: object, **kwargs: object) -> object:
            return NotImplemented

    return [
        lambda: (repr(a), str(a), repr(a[0, 0]), str(np.float32(1.5)), repr(np.int8(3))),
        lambda: (repr(np.dtype("f8")), str(np.dtype("f8")), repr(structured.dtype)),
        lambda: (str(structured.dtype), repr(structured), repr(structured[0])),
        lambda: np.dtype("f8,i4"),
        lambda: np.promote_types(structured.dtype, structured.dtype),
        lambda: np.result_type(structured.dtype, structured.dtype),
        lambda: structured.view([("a", "f8"), ("b", "i4")]),
        lambda: structured[["a"]],
        lambda: a.getfield(np.float64, 0),
        lambda: (a.sum(), a.prod(), a.mean(), a.std(), a.var(), a.any(), a.all()),
        lambda: (a.max(), a.min(), a.clip(0, 1), a.sum(axis=0), a.mean(axis=1)),
        lambda: a.dumps(),
        lambda: a.dump(io.BytesIO()),
        lambda: np.gcd(np.array([4], dtype=object), np.array([6], dtype=object)),
        lambda: np.add.__doc__,
        lambda: (repr(np.void(b"ab")), str(np.void(b"ab"))),
        lambda: np.add(np.array(["a"]), np.array([1])),  # ufunc without a loop
        lambda: np.add(np.arange(3), 1.5, out=np.zeros(3, dtype=np.int64)),  # output casting
        lambda: np.arange(3.0).astype(np.int64, casting="safe"),
        lambda: np.ones((2, 2)) @ np.ones((3, 3)),
        lambda: a.sum(axis=5),  # AxisError
        lambda: np.array([1j]).astype(float),  # ComplexWarning
        lambda: np.linalg.matrix_power(np.eye(2), 2),
        lambda: np.matrix(np.eye(2)) ** 2,
        lambda: np.add(Deferring(), 1),
        lambda: np.concatenate([Deferring()]),
        lambda: a[[0, 1], [1, 2]],
        lambda: np.asarray(memoryview(b"ab")),
        lambda: np.array(["a"], dtype="T"),  # StringDType (numpy 2)
        lambda: np.ctypeslib.as_ctypes_type(np.dtype("f8")),  # (a lazy submodule: see above)
        lambda: (np.errstate(all="ignore").__enter__(), np.seterr(**np.geterr())),
        lambda: np.frombuffer(b"\x00" * 8, dtype=[("x", "<i4"), ("y", "<i4")]).tolist(),
    ]


def warm_numpy(np: ModuleType, host: bool = False) -> int:
    """Run numpy's lazily-importing code paths once; return how many steps ran cleanly.

    ``host``: this is the host's (Blender's) numpy: leave its lazy public
    submodules alone unless they are loaded already.
    """
    ok = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            steps = _numpy_steps(np)
        except Exception:
            return 0
        for step in steps:
            if host and _loads_lazy_submodule(step, np):
                continue
            with contextlib.suppress(Exception):
                step()
                ok += 1
    return ok


def _loads_lazy_submodule(step: Callable[[], object], np: ModuleType) -> bool:
    """True if ``step`` uses a lazy public submodule that ``np`` has not loaded."""
    names = step.__code__.co_names
    return any(
        attribute in names and attribute not in vars(np) and module not in sys.modules
        for module, attribute in _LAZY_SUBMODULE_STEPS.items()
    )


# Top-level module name -> warmer(module, host). Extend as other compiled packages are met.
WARMERS: dict[str, Callable[[ModuleType, bool], int]] = {"numpy": warm_numpy}
