"""Source of the probe package each test environment (and the host) runs, and its checks.

The same source runs as an owner package in environment A (numpy 1.26.4), in
environment B (numpy 2.4.6) and as a plain global module (host numpy), so any
difference in the results comes from which numpy each one really got.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

PROBE_SOURCE = """
import numpy as np


def exercise():
    out = {}
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    out["version"] = np.__version__
    out["file"] = np.__file__
    out["ufunc"] = [np.add(np.arange(4), 1).tolist(), np.sqrt(np.array([4.0, 9.0])).tolist(),
                    int(np.maximum.reduce(np.array([1, 5, 3])))]
    out["solve"] = np.linalg.solve(a, np.array([1.0, 2.0])).round(10).tolist()
    out["inv"] = np.linalg.inv(a).round(10).tolist()
    out["eig"] = sorted(np.round(np.linalg.eig(a)[0].real, 10).tolist())
    out["fft"] = [complex(z) for z in np.round(np.fft.fft(np.array([1.0, 0.0, -1.0, 0.0])), 10)]
    rng = np.random.default_rng(42)
    out["rng"] = rng.integers(0, 1000, size=5).tolist()
    out["rng_normal"] = round(float(rng.standard_normal()), 10)
    out["einsum"] = np.einsum("ij,jk->ik", a, a).tolist()
    out["datetime"] = [str(np.datetime64("2026-11-30") + np.timedelta64(1, "D")),
                       np.arange("2026-01", "2026-04", dtype="datetime64[M]").astype(str).tolist()]
    out["strings"] = [np.char.upper(np.array(["ab", "cd"])).tolist(),
                      np.array(["x", "yy"]).dtype.str]
    out["repr"] = [repr(np.array([1.5, 2.0])), repr(np.float64(0.1))]
    return out


def raise_errors():
    caught = {}

    def grab(key, fn):
        try:
            fn()
        except Exception as exc:
            caught[key] = exc
        else:
            caught[key] = None

    grab("broadcast", lambda: np.ones(3) + np.ones(4))
    grab("no_loop", lambda: np.add(np.array(["a"]), np.array([1])))
    grab("singular", lambda: np.linalg.inv(np.zeros((2, 2))))
    grab("unsafe_cast", lambda: np.add(np.arange(3), 1.5, out=np.zeros(3, dtype=np.int64)))
    grab("astype", lambda: np.arange(3.0).astype(np.int64, casting="safe"))
    return caught
"""

EXPECTED_COMMON = {
    "ufunc": [[1, 2, 3, 4], [2.0, 3.0], 5],
    "solve": [0.1, 0.6],
    "inv": [[0.3, -0.1], [-0.2, 0.4]],
    "eig": [2.0, 5.0],
    "fft": [0j, 2 + 0j, 0j, 2 + 0j],
    "einsum": [[18.0, 7.0], [14.0, 11.0]],
    "datetime": ["2026-12-01", ["2026-01", "2026-02", "2026-03"]],
    "strings": [["AB", "CD"], "<U2"],
}


def check_exercise(out: dict[str, Any], version: str, file_prefix: str) -> None:
    assert out["version"] == version
    assert out["file"].startswith(file_prefix), (out["file"], file_prefix)
    for key, value in EXPECTED_COMMON.items():
        assert out[key] == value, (version, key, out[key])
    assert len(out["rng"]) == 5 and all(0 <= v < 1000 for v in out["rng"])
    assert out["repr"][0] == "array([1.5, 2. ])"
    # numpy 2 changed scalar repr: proof that each caller formats with its own numpy.
    assert out["repr"][1] == ("np.float64(0.1)" if version.startswith("2.") else "0.1")


def exceptions_module(modules: dict[str, ModuleType], version: str) -> ModuleType:
    name = "numpy._core._exceptions" if version.startswith("2.") else "numpy.core._exceptions"
    return modules[name]


def check_errors(caught: dict[str, Any], modules: dict[str, ModuleType], version: str) -> None:
    """Each error is an instance of the classes of the caller's own numpy."""
    exc_mod = exceptions_module(modules, version)
    linalg = modules["numpy.linalg"]
    assert type(caught["broadcast"]) is ValueError
    assert "could not be broadcast" in str(caught["broadcast"])
    assert type(caught["no_loop"]) is exc_mod._UFuncNoLoopError, type(caught["no_loop"])
    assert "did not contain a loop" in str(caught["no_loop"])
    assert type(caught["singular"]) is linalg.LinAlgError
    assert "Singular matrix" in str(caught["singular"])
    assert type(caught["unsafe_cast"]) is exc_mod._UFuncOutputCastingError
    assert "Cannot cast ufunc 'add' output" in str(caught["unsafe_cast"])
    assert isinstance(caught["astype"], TypeError)
    assert "Cannot cast array data" in str(caught["astype"])


def modules_loaded_from(*directories: object) -> list[str]:
    """Names in sys.modules whose module was loaded from under one of ``directories``."""
    prefixes = tuple(str(d).rstrip("/") + "/" for d in directories)
    return sorted(
        name
        for name, mod in list(sys.modules.items())
        if (getattr(mod, "__file__", None) or "").startswith(prefixes)
    )
