"""Issue 18 item 5: after a purge of one lxml, the next copy works fully, in every thread.

lxml keeps per-thread objects under fixed names in each thread's state dict
(parser context, global and XSLT error logs). The first copy is used in the
main thread and in a long-lived thread; it is purged from the main thread; the
second copy then parses, transforms (XSLT), reports errors and iterparses in
both threads — and must return what the same code returns in a plain venv
holding only lxml's second version.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import SiteCache, plain_venv, run_in_venv, run_python, write_package

PROBE = """
import io

import lxml
from lxml import etree

XSL = (
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    '<xsl:template match="/"><r><xsl:value-of select="//b"/></r></xsl:template>'
    '</xsl:stylesheet>'
)


def run():
    root = etree.fromstring("<a><b>x</b></a>")
    transform = etree.XSLT(etree.XML(XSL))
    result = transform(root)
    try:
        etree.fromstring("<a>")
        error = None
    except etree.XMLSyntaxError as exc:
        error = [type(exc).__name__, len(exc.error_log) > 0, type(exc.error_log).__name__]
    parsed = etree.iterparse(io.BytesIO(b"<a><b/></a>"))
    events = [(event, element.tag) for event, element in parsed]
    return {
        "xpath": root.xpath("//b/text()"),
        "xslt": str(result).strip().splitlines()[-1],
        "xslt_log": type(transform.error_log).__name__,
        "error": error,
        "iterparse": events,
    }
"""

SESSION = """
import json, queue, sys, threading
from pathlib import Path
from iienv_addon.core import Manager

work = Path(sys.argv[1])
sys.path.insert(0, str(work / "addons"))
manager = Manager(work / "root")
manager.enable()
manager.create("old", owners=["lxml_old"], site_dir=sys.argv[2])
manager.create("new", owners=["lxml_new"], site_dir=sys.argv[3])
import lxml_old

tasks, answers = queue.Queue(), queue.Queue()

def worker():   # a thread that lives across the purge, as an add-on's server thread would
    while (task := tasks.get()) is not None:
        try:
            answers.put(task())
        except BaseException as exc:
            answers.put(f"{type(exc).__name__}: {exc}")

thread = threading.Thread(target=worker)
thread.start()
first = lxml_old.run()
tasks.put(lxml_old.run)
first_in_thread = answers.get(timeout=60)
manager.purge("old")
import lxml_new
out = {"main": lxml_new.run()}
tasks.put(lxml_new.run)
out["thread"] = answers.get(timeout=60)
out["first"] = first == first_in_thread
tasks.put(None)
thread.join(60)
print(json.dumps(out))
"""


def test_the_next_lxml_works_in_every_thread_after_a_purge(
    site_cache: SiteCache, tmp_path: Path
) -> None:
    old, new = site_cache.fresh_copy("lxml-old"), site_cache.fresh_copy("lxml-new")
    for side in ("old", "new"):
        write_package(tmp_path / "addons", f"lxml_{side}", PROBE)
    expected = run_in_venv(plain_venv(tmp_path / "venv", [new]), tmp_path / "addons", "lxml_new")
    proc = run_python(SESSION, str(tmp_path), str(old), str(new))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["first"] is True
    assert out["main"] == expected
    assert out["thread"] == expected
