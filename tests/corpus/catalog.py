"""The compatibility corpus: packages Blender add-ons ship, and what each probe exercises.

Every entry runs in two environments (its ``-old`` and ``-new`` sets from
sets-cpXY.txt of the running Python) side by side, beside the host's own copy where the host has one.
A probe is the source of an add-on module whose ``run()`` uses the package at
*run time* — lazy submodules and attributes, resources, compiled call paths,
plugins loaded by name — and returns ``{"version": ..., "checks": {...}}``.
``checks`` must not depend on the version: both environments must return the
same checks, and the version must be the one pinned in the set.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

# One file per Python: the versions must have wheels for it (cp313 from 2024 on).
SETS_FILE = (
    Path(__file__).resolve().parent / f"sets-cp{sys.version_info[0]}{sys.version_info[1]}.txt"
)


def corpus_sets() -> dict[str, list[str]]:
    """The corpus's environments (sets-cpXY.txt: "<set> <requirement>..."), by set name."""
    sets = {}
    for line in SETS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, *requirements = line.split()
            sets[name] = requirements
    return sets


@dataclass(frozen=True)
class Entry:
    name: str  # the row in the README table
    distribution: str  # whose version the probe reports (pinned in the sets)
    sets: tuple[str, str]  # (old, new) in sets-cpXY.txt
    probe: str  # the add-on module's source; run() returns {"version", "checks"}
    exercises: str  # what the probe does at run time, for the table
    host_module: str | None = None  # imported globally first where the host may have it
    # One loaded copy per process (core/exclusive.py): the second environment is
    # refused with a clear error until the first is purged.
    exclusive: bool = False


NUMPY = """
import importlib
import numpy as np

def run():
    rng = np.random.default_rng(0)
    sample = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], size=4)  # call-time import
    a = np.arange(6.0).reshape(2, 3)
    return {"version": np.__version__, "checks": {
        "by_name": importlib.import_module("numpy") is np,
        "mvn": list(sample.shape),
        "solve": np.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 4.0]).tolist(),
        "fft": float(np.fft.fft(np.ones(4))[0].real),
        "repr": repr(a).startswith("array(["),
        "polynomial": float(np.polynomial.Polynomial([1, 2])(2)),
    }}
"""

SCIPY = """
import importlib.util
import numpy as np
import scipy

def run():
    from scipy import optimize, sparse, ndimage, interpolate, stats
    from scipy.spatial import distance
    return {"version": scipy.__version__, "checks": {
        "fft": float(scipy.fft.fft(np.ones(4))[0].real),  # lazy submodule, pocketfft
        "cdist": float(distance.cdist(np.zeros((1, 2)), np.ones((1, 2)))[0, 0]),
        "sparse": float(sparse.csr_matrix(np.eye(3)).sum()),
        "label": int(ndimage.label(np.eye(3))[1]),
        "minimize": round(float(optimize.minimize(lambda x: (x[0] - 2) ** 2, [0.0]).x[0]), 3),
        "interp": float(interpolate.interp1d([0, 1], [0, 2])(0.5)),
        "norm": round(float(stats.norm.cdf(0.0)), 3),
        "find_spec": importlib.util.find_spec("scipy").origin.endswith("__init__.py"),
        "numpy_is_mine": np.__file__.startswith(scipy.__file__.rsplit("scipy", 1)[0]),
    }}
"""

PILLOW = """
import io
import PIL
from PIL import Image, ImageFont, ImageDraw

def run():
    image = Image.new("RGB", (32, 16), (255, 0, 0)).resize((8, 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # plugins are imported by name on first use
    buffer.seek(0)
    again = Image.open(buffer)
    again.load()
    draw = ImageDraw.Draw(again)
    draw.text((0, 0), "x", font=ImageFont.load_default())
    return {"version": PIL.__version__, "checks": {
        "size": list(again.size), "format": again.format, "pixel": list(again.getpixel((0, 0))),
        "jpeg_plugin": "JPEG" in Image.SAVE or Image.init() is None,
    }}
"""

OPENCV = """
from importlib.metadata import version
import numpy as np
import cv2

def run():
    image = np.zeros((8, 8), dtype=np.uint8)
    image[4, 4] = 255
    small = cv2.resize(image, (4, 4), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(image.astype(np.float32), (3, 3), 0)
    assert cv2.__version__ == version("opencv-python-headless").rsplit(".", 1)[0]
    return {"version": version("opencv-python-headless"), "checks": {
        "resize": list(small.shape), "blur_sum": round(float(blurred.sum()), 3),
        "array_type_is_my_numpy": type(small) is np.ndarray,
    }}
"""

PYDANTIC = """
import pydantic

def run():
    class Point(pydantic.BaseModel):  # defined at run time (pydantic 1: compiled)
        x: int
        y: int = 0
    p = Point(x="3")
    if pydantic.VERSION.startswith("1."):
        schema, dumped = Point.schema(), p.dict()
    else:
        schema, dumped = Point.model_json_schema(), p.model_dump()
        assert pydantic.TypeAdapter(int).validate_python("5") == 5  # lazy attribute
    return {"version": pydantic.VERSION, "checks": {
        "dumped": dumped, "title": schema["title"], "required": schema["required"],
    }}
"""

REQUESTS = """
import http.server
import threading
import requests
import certifi

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = "h\\u00e9llo".encode("latin-1")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

def run():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        response = requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=10)
    finally:
        thread.join(10)
        server.server_close()
    bundle = requests.utils.DEFAULT_CA_BUNDLE_PATH
    return {"version": requests.__version__, "checks": {
        "status": response.status_code,
        "text": response.apparent_encoding is not None and len(response.text) == 5,
        "ca_bundle_is_mine": bundle == certifi.where()
            and bundle.startswith(requests.__file__.rsplit("requests", 1)[0]),
    }}
"""

URLLIB3 = """
import urllib3

def run():
    url = urllib3.util.parse_url("http://example.invalid:8080/a?b=c")
    pool = urllib3.PoolManager(num_pools=1)
    return {"version": urllib3.__version__, "checks": {
        "port": url.port, "path": url.path, "pools": type(pool).__name__,
        "retry": urllib3.util.Retry(total=2).total,
    }}
"""

CERTIFI = """
import importlib.resources
import certifi

def run():
    where = certifi.where()
    data = importlib.resources.files("certifi").joinpath("cacert.pem").read_bytes()
    return {"version": certifi.__version__, "checks": {
        "where_is_mine": where.startswith(certifi.__file__.rsplit("certifi", 1)[0]),
        "same_bytes": open(where, "rb").read() == data,
        "contents": certifi.contents().startswith("\\n# Issuer") or "BEGIN CERTIFICATE" in certifi.contents(),
    }}
"""

IDNA = """
import idna

def run():
    from idna import package_data
    return {"version": package_data.__version__, "checks": {
        "encode": idna.encode("ドメイン.テスト").decode(), "decode": idna.decode("xn--eckwd4c7c.xn--zckzah"),
    }}
"""

CHARSET = """
import charset_normalizer

def run():
    text = "Blender’s add-ons — héllo wörld, ça va très bien, grüße aus München. " * 4
    best = charset_normalizer.from_bytes(text.encode("utf-8")).best()
    return {"version": charset_normalizer.__version__, "checks": {
        "decoded": str(best) == text, "encoding": best.encoding,
        "md_module": charset_normalizer.md.__name__,
    }}
"""

SHAPELY = """
import shapely
from shapely.geometry import Point, Polygon

def run():
    from shapely import wkt, ops
    circle = Point(0, 0).buffer(1.0)
    union = ops.unary_union([Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(0, 0), (0, 1), (1, 1)])])
    return {"version": shapely.__version__, "checks": {
        "area": round(circle.area, 2), "wkt": wkt.loads("POINT (1 2)").x,
        "union": round(union.area, 3), "vectorized": int(shapely.contains_xy(circle, [0.0], [0.0])[0]),
    }}
"""

TRIMESH = """
import io
import trimesh

def run():
    box = trimesh.creation.box(extents=(1, 2, 3))
    data = box.export(file_type="stl")  # exporter looked up at run time
    again = trimesh.load(io.BytesIO(data), file_type="stl")
    return {"version": trimesh.__version__, "checks": {
        "volume": round(float(box.volume), 6), "faces": len(again.faces),
        "watertight": bool(again.is_watertight),
    }}
"""

NETWORKX = """
import networkx as nx

def run():
    graph = nx.path_graph(5)
    graph.add_edge(0, 4)
    return {"version": nx.__version__, "checks": {
        "path": nx.shortest_path(graph, 0, 3),  # dispatched through networkx's backends
        "components": nx.number_connected_components(graph),
        "cycle": sorted(nx.cycle_basis(graph)[0]),
    }}
"""

MATPLOTLIB = """
import io
import matplotlib

def run():
    matplotlib.use("Agg")
    from matplotlib import pyplot  # switches backend by importlib.import_module
    figure, axes = pyplot.subplots()
    axes.plot([0, 1, 2], [0, 1, 4])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    from matplotlib import font_manager
    return {"version": matplotlib.__version__, "checks": {
        "png": buffer.getvalue()[:4] == b"\\x89PNG", "backend": matplotlib.get_backend().lower(),
        "font_is_mine": font_manager.findfont("DejaVu Sans").startswith(
            matplotlib.__file__.rsplit("matplotlib", 1)[0]),
    }}
"""

PANDAS = """
import io
import numpy as np
import pandas as pd

def run():
    frame = pd.read_csv(io.StringIO("a,b\\n1,2\\n3,4\\n1,6"))
    grouped = frame.groupby("a")["b"].sum()
    from pandas.compat._optional import import_optional_dependency
    optional_numpy = import_optional_dependency("numpy")
    from pandas._libs import lib
    return {"version": pd.__version__, "checks": {
        "groupby": grouped.to_dict(), "json": frame.to_json(orient="records")[:20],
        "optional_numpy_is_mine": optional_numpy is np,
        "arraylike": bool(lib.is_all_arraylike([np.zeros(1), np.zeros(2)])),  # call-time import
        "dtype": str(frame["a"].astype("category").dtype),
    }}
"""

LXML = """
import lxml
from lxml import etree

def run():
    root = etree.fromstring(b"<a><b n='1'>x</b><b n='2'>y</b></a>")
    out = {}
    for _ in range(20):  # parser contexts live per thread: alternate parses must keep working
        out = {
            "xpath": root.xpath("//b[@n='2']/text()"),
            "tostring": etree.tostring(etree.fromstring(b"<c><d/></c>")).decode(),
        }
    return {"version": lxml.__version__, "checks": out}
"""

PYYAML = """
import yaml

def run():
    text = yaml.dump({"a": [1, 2], "b": {"c": None}}, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    return {"version": yaml.__version__, "checks": {
        "roundtrip": yaml.safe_load(text), "libyaml": yaml.__with_libyaml__,
        "loaded": yaml.load("x: [1, 2]", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)),
    }}
"""

JSONSCHEMA = """
import jsonschema
from importlib.metadata import version

def run():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    validator = jsonschema.Draft7Validator(schema)  # meta-schemas read as resources at run time
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [e.message for e in validator.iter_errors({"n": "x"})]
    return {"version": version("jsonschema"), "checks": {
        "errors": errors, "valid": validator.is_valid({"n": 1}),
    }}
"""

ATTRS = """
import attrs

def run():
    @attrs.define
    class Item:
        name: str
        count: int = attrs.field(default=0, converter=int)
    item = Item("a", "3")
    return {"version": attrs.__version__, "checks": {
        "asdict": attrs.asdict(item), "evolve": attrs.evolve(item, count=5).count,
    }}
"""

MSGPACK = """
import msgpack

def run():
    packed = msgpack.packb({"a": [1, 2.5, None]})
    return {"version": ".".join(map(str, msgpack.version)), "checks": {
        "roundtrip": msgpack.unpackb(packed), "compiled": msgpack.Packer.__module__,
    }}
"""

ZSTANDARD = """
import zstandard

def run():
    data = b"blender " * 100
    compressed = zstandard.ZstdCompressor(level=3).compress(data)
    return {"version": zstandard.__version__, "checks": {
        "roundtrip": zstandard.ZstdDecompressor().decompress(compressed) == data,
        "backend": zstandard.backend,
    }}
"""

CRYPTOGRAPHY = """
import cryptography
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes

def run():
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"secret")
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"abc")
    return {"version": cryptography.__version__, "checks": {
        "fernet": Fernet(key).decrypt(token).decode(), "sha256": digest.finalize().hex()[:16],
    }}
"""

TYPING_EXTENSIONS = """
import importlib
import typing_extensions
from importlib.metadata import version

def run():
    class Movie(typing_extensions.TypedDict):
        title: str
    return {"version": version("typing_extensions"), "checks": {
        "by_name": importlib.import_module("typing_extensions") is typing_extensions,
        "keys": sorted(Movie.__annotations__),
        "override": typing_extensions.override(lambda: 1)(),
    }}
"""

PACKAGING = """
import packaging
from packaging.version import Version
from packaging.specifiers import SpecifierSet

def run():
    return {"version": packaging.__version__, "checks": {
        "compare": Version("1.10") > Version("1.9"),
        "contains": Version("2.4.6") in SpecifierSet(">=2,<3"),
        "tags": __import__("packaging.tags").tags.__name__,
    }}
"""

TQDM = """
import io
import tqdm

def run():
    sink = io.StringIO()
    total = sum(tqdm.tqdm(range(5), file=sink, mininterval=0))
    from tqdm.auto import tqdm as auto  # chooses its implementation at run time
    return {"version": tqdm.__version__, "checks": {
        "total": total, "printed": "5/5" in sink.getvalue(), "auto": auto.__name__,
    }}
"""

JINJA2 = """
import importlib.util
import jinja2
import markupsafe

def run():
    environment = jinja2.Environment(autoescape=True)
    template = environment.from_string("<p>{{ name }}</p>{% for i in items %}{{ i }}{% endfor %}")
    return {"version": jinja2.__version__, "checks": {
        "render": template.render(name="<b>", items=[1, 2]),
        "escape": str(markupsafe.escape("<&>")),
        "speedups": importlib.util.find_spec("markupsafe._speedups") is not None,
    }}
"""

IMAGEIO = """
import numpy as np
import imageio
import imageio.v3 as iio

def run():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    image[1, 2] = (10, 20, 30)
    data = iio.imwrite("<bytes>", image, extension=".png")  # plugin imported by name
    again = iio.imread(data, extension=".png")
    return {"version": imageio.__version__, "checks": {
        "shape": list(again.shape), "pixel": again[1, 2].tolist(), "array_is_mine": type(again) is np.ndarray,
    }}
"""

SKLEARN = """
import multiprocessing
from importlib.metadata import version
import numpy as np
import joblib
import sklearn
from joblib import Parallel, delayed

# (Work sent to processes is library functions: a worker imports the module of the
# function it runs, and an add-on's own module imports bpy, which no worker can.)

def run():
    from sklearn.cluster import KMeans
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression
    X = np.random.default_rng(0).normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=6, n_jobs=2, random_state=0).fit(X, y)
    labels = KMeans(n_clusters=2, n_init=2, random_state=0).fit_predict(np.r_[X[:5], X[:5] + 9])
    line = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    loky = Parallel(n_jobs=2, timeout=120)(delayed(version)("numpy") for _ in range(2))
    ones = Parallel(n_jobs=2, timeout=120)(delayed(np.ones)(2) for _ in range(2))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        spawned = pool.apply_async(version, ("numpy",)).get(timeout=120)
        doubled = pool.apply_async(np.multiply, (np.ones(2), 2.0)).get(timeout=120)
    return {"version": sklearn.__version__, "checks": {
        "forest": round(float(forest.score(X, y)), 3),
        "kmeans_split": len(set(labels[:5].tolist())) == 1 and bool(labels[0] != labels[5]),
        "coef": [round(float(c), 6) for c in line.coef_],
        "loky_numpy_is_mine": loky == [np.__version__] * 2,
        "loky_arrays_are_mine": [type(a) is np.ndarray for a in ones],
        "spawn_numpy_is_mine": spawned == np.__version__,
        "spawn_array": [type(doubled) is np.ndarray, doubled.tolist()],
    }}
"""

NUMBA = """
import numba
import numpy as np
from numba import njit, prange

@njit
def _make(n):
    return np.arange(n) * 2.0

@njit(parallel=True)
def _fill(n):
    out = np.empty(n)
    for i in prange(n):
        out[i] = i * 3.0
    return out

def run():
    return {"version": numba.__version__, "checks": {
        "make": _make(4).tolist(), "is_my_ndarray": type(_make(2)) is np.ndarray,
        "fill": _fill(4).tolist(), "vectorize": numba.vectorize(["float64(float64)"])(
            lambda x: x + 1)(np.ones(2)).tolist(),
    }}
"""

PROTOBUF = """
import importlib.resources
import google
import google.protobuf
from google.protobuf import json_format, struct_pb2
from google.type import latlng_pb2
from google.api import annotations_pb2

def run():
    point = latlng_pb2.LatLng(latitude=1.5, longitude=-2.0)
    again = latlng_pb2.LatLng.FromString(point.SerializeToString())
    data = struct_pb2.Struct()
    data.update({"a": 1, "b": [True, "x"]})
    protos = sorted(p.name for p in importlib.resources.files("google.type").iterdir()
                    if p.name == "latlng.proto")
    importlib.invalidate_caches()   # recomputes namespace paths
    return {"version": google.protobuf.__version__, "checks": {
        "roundtrip": [again.latitude, again.longitude],
        "json": json_format.MessageToDict(data),
        "namespace_is_mine": all(p.startswith(google.protobuf.__file__.rsplit("google", 1)[0])
                                 for p in google.__path__),
        "resources": protos, "annotations": annotations_pb2.DESCRIPTOR.name,
    }}
"""

H5PY = """
import io
import h5py
import numpy as np

def run():
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f["x"] = np.arange(6.0).reshape(2, 3)
        f["x"].attrs["unit"] = "m"
        f.create_group("g").create_dataset("y", data=[1, 2, 3], compression="gzip")
    with h5py.File(buffer, "r") as f:
        x = f["x"][()]
        return {"version": h5py.__version__, "checks": {
            "x": x.tolist(), "unit": f["x"].attrs["unit"], "y": f["g/y"][()].tolist(),
            "is_my_ndarray": type(x) is np.ndarray,
            "hdf5": h5py.version.hdf5_version_tuple[0],
        }}
"""

CORPUS: tuple[Entry, ...] = (
    Entry("numpy", "numpy", ("numpy-old", "numpy-new"), NUMPY,
          "Generator.multivariate_normal (Cython call-time import), linalg, fft, "
          "polynomial, import_module", host_module="numpy"),
    Entry("scipy", "scipy", ("scipy-old", "scipy-new"), SCIPY,
          "lazy submodules, pybind11 (pocketfft, distance, HiGHS), sparse, ndimage, "
          "optimize, interpolate, stats, find_spec"),
    Entry("Pillow", "pillow", ("pillow-old", "pillow-new"), PILLOW,
          "plugins imported by name on first save/open, default font resource"),
    Entry("opencv-python-headless", "opencv-python-headless", ("opencv-old", "opencv-new"),
          OPENCV, "cv2 loader (edits sys.path, re-imports cv2), resize, GaussianBlur"),
    Entry("pydantic (1 compiled, 2)", "pydantic", ("pydantic-old", "pydantic-new"), PYDANTIC,
          "model defined at run time (Cython call-time imports in 1.x), lazy "
          "attributes (2.x), schema"),
    Entry("requests", "requests", ("requests-old", "requests-new"), REQUESTS,
          "GET to a loopback server, CA bundle from its certifi", host_module="requests"),
    Entry("urllib3", "urllib3", ("requests-old", "requests-new"), URLLIB3,
          "PoolManager, Retry, parse_url (1.26 and 2.x)", host_module="urllib3"),
    Entry("certifi", "certifi", ("requests-old", "requests-new"), CERTIFI,
          "where(), importlib.resources.files('certifi')", host_module="certifi"),
    Entry("idna", "idna", ("requests-old", "requests-new"), IDNA,
          "encode/decode (lazy uts46 data)", host_module="idna"),
    Entry("charset-normalizer", "charset-normalizer", ("requests-old", "requests-new"), CHARSET,
          "from_bytes (compiled md module)", host_module="charset_normalizer"),
    Entry("shapely", "shapely", ("shapely-old", "shapely-new"), SHAPELY,
          "buffer, wkt, ops.unary_union, vectorized contains_xy"),
    Entry("trimesh", "trimesh", ("trimesh-old", "trimesh-new"), TRIMESH,
          "STL export/load through run-time exporter lookup"),
    Entry("networkx", "networkx", ("networkx-old", "networkx-new"), NETWORKX,
          "backend dispatch, shortest_path, cycle_basis"),
    Entry("matplotlib", "matplotlib", ("matplotlib-old", "matplotlib-new"), MATPLOTLIB,
          "Agg backend chosen by import_module, pyplot.subplots, savefig, font resources"),
    Entry("pandas", "pandas", ("pandas-old", "pandas-new"), PANDAS,
          "read_csv, groupby, import_optional_dependency('numpy'), Cython "
          "is_all_arraylike"),
    Entry("lxml", "lxml", ("lxml-old", "lxml-new"), LXML,
          "fromstring, xpath, tostring in 20 rounds; the second copy is refused, then "
          "loads after the first is purged", exclusive=True),
    Entry("PyYAML", "PyYAML", ("pyyaml-old", "pyyaml-new"), PYYAML,
          "libyaml CSafeLoader/CSafeDumper"),
    Entry("jsonschema", "jsonschema", ("jsonschema-old", "jsonschema-new"), JSONSCHEMA,
          "meta-schemas read with importlib.resources at run time"),
    Entry("attrs", "attrs", ("attrs-old", "attrs-new"), ATTRS,
          "class defined at run time, converters, asdict/evolve"),
    Entry("msgpack", "msgpack", ("msgpack-old", "msgpack-new"), MSGPACK,
          "compiled Packer/unpackb"),
    Entry("zstandard", "zstandard", ("zstandard-old", "zstandard-new"), ZSTANDARD,
          "compress/decompress (C backend)", host_module="zstandard"),
    Entry("cryptography", "cryptography", ("cryptography-old", "cryptography-new"), CRYPTOGRAPHY,
          "Fernet, SHA-256 (Rust + cffi)"),
    Entry("typing_extensions", "typing_extensions",
          ("typing_extensions-old", "typing_extensions-new"), TYPING_EXTENSIONS,
          "TypedDict, override, import_module", host_module="typing_extensions"),
    Entry("packaging", "packaging", ("packaging-old", "packaging-new"), PACKAGING,
          "Version, SpecifierSet, tags", host_module="packaging"),
    Entry("tqdm", "tqdm", ("tqdm-old", "tqdm-new"), TQDM, "tqdm.auto picks its implementation"),
    Entry("Jinja2 + MarkupSafe", "Jinja2", ("jinja2-old", "jinja2-new"), JINJA2,
          "templates compiled at run time, MarkupSafe speedups"),
    Entry("imageio", "imageio", ("imageio-old", "imageio-new"), IMAGEIO,
          "v3 plugins imported by name, PNG round trip through Pillow"),
    Entry("scikit-learn + joblib", "scikit-learn", ("sklearn-old", "sklearn-new"), SKLEARN,
          "RandomForest n_jobs=2 (loky workers), KMeans, joblib Parallel and a spawn "
          "Pool: arrays to workers and back"),
    Entry("numba", "numba", ("numba-old", "numba-new"), NUMBA,
          "@njit returning arrays, prange (parallel), vectorize"),
    Entry("protobuf + googleapis-common-protos", "protobuf", ("protobuf-old", "protobuf-new"),
          PROTOBUF, "PEP 420 google namespace (invalidate_caches), upb messages, "
          "json_format, importlib.resources on google.type"),
    Entry("h5py", "h5py", ("h5py-old", "h5py-new"), H5PY,
          "in-memory file, datasets, attributes, gzip (bundled libhdf5)"),
)  # fmt: skip


def pinned_version(set_requirements: list[str], distribution: str) -> str:
    """The version ``distribution`` is pinned to in a set (``name==version``)."""
    wanted = distribution.lower().replace("_", "-")
    for requirement in set_requirements:
        name, _, version = requirement.partition("==")
        if name.lower().replace("_", "-") == wanted:
            return version
    raise KeyError(f"{distribution} is not pinned in {set_requirements}")
