"""What a purge + re-import cycle keeps: RSS slope and tracemalloc's growth by line.

The bench (``make bench``) reports the RSS slope of 20 cycles; this looks closer,
for the environment of 31 pure-Python distributions the bench uses:

    python scripts/purge_memory.py [--cycles 40] [--warmup 5]

RSS is sampled after every cycle (slope by least squares over the cycles after
the warm-up); tracemalloc compares a snapshot taken after the warm-up with one
at the end and prints the lines whose allocations grew most (Python-level
memory only: what a C library keeps does not show here, but does in RSS).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.bench import PURE_LEAK_REQS, pip_target, slope  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=40, help="RSS samples")
    parser.add_argument("--traced", type=int, default=10, help="cycles under tracemalloc")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    wheelhouse = Path(os.environ.get("IIENV_WHEELHOUSE", REPO / "wheelhouse" / "cp311"))

    from iienv_addon.core import Manager
    from iienv_addon.core.environment import scan_top_names

    work = Path(tempfile.mkdtemp(prefix="iienv-purge-memory-"))
    site = work / "site"
    pip_target(site, PURE_LEAK_REQS, wheelhouse)
    tops = sorted(scan_top_names(site) - {"bin"})
    owner = work / "addons" / "leak_owner"
    owner.mkdir(parents=True)
    (owner / "__init__.py").write_text(
        f"import importlib\nMODS = [importlib.import_module(n) for n in {tops!r}]\n"
        "import bs4, copy\ncopy.deepcopy(bs4.BeautifulSoup('<p>x</p>', 'html.parser'))\n"
    )
    sys.path.insert(0, str(work / "addons"))
    manager = Manager(work / "root")
    manager.enable()
    manager.create("leak", owners=["leak_owner"], site_dir=site)

    def cycle() -> int:
        importlib.import_module("leak_owner")
        loaded = len(manager.get("leak").modules)
        manager.purge("leak")
        gc.collect()
        return loaded

    for _ in range(args.warmup):
        loaded = cycle()
    samples = []
    for _ in range(args.cycles):
        cycle()
        samples.append(rss_mb())
    print(f"{loaded} modules per cycle, {args.cycles} cycles after {args.warmup} warm-up")
    half = samples[len(samples) // 2 :]
    print(
        f"RSS slope: {slope(samples):+.3f} MB/cycle (second half: {slope(half):+.3f}); "
        f"RSS {samples[0]:.1f} -> {samples[-1]:.1f} MB"
    )
    tracemalloc.start(30)
    before = tracemalloc.take_snapshot()
    for _ in range(args.traced):
        cycle()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    skip = (tracemalloc.Filter(False, tracemalloc.__file__),)
    stats = after.filter_traces(skip).compare_to(before.filter_traces(skip), "traceback")
    grown = sum(s.size_diff for s in stats)
    per_cycle = grown / args.traced / 1e3
    print(
        f"Python allocations over {args.traced} traced cycles: {grown / 1e6:+.3f} MB "
        f"({per_cycle:+.1f} kB/cycle); the lines that grew most (a dict's table that grew "
        f"shows as one block):"
    )
    for stat in stats[: args.top]:
        if stat.size_diff <= 0:
            break
        # the allocating line (the most recent frame) and its nearest caller that is
        # neither the import machinery nor iienv
        frames = list(stat.traceback)
        first = frames[-1]
        caller = next(
            (f for f in reversed(frames) if not f.filename.startswith(("<frozen", str(REPO)))),
            first,
        )
        size, count = stat.size_diff / 1e3, stat.count_diff
        print(f"  {size:+9.1f} kB {count:+6d} blocks  {first}  <- {caller}")
    manager.disable()


if __name__ == "__main__":
    main()
