"""Run CPython's own test_importlib and test_import, optionally with iienv active.

With ``--iienv ROOT SITE_A SITE_B`` two environments (owners ``cpy_owner_a``
and ``cpy_owner_b`` from ADDONS_DIR) are created, their packages imported, and
the isolation stays enabled while the suites run in this same process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iienv", nargs=4, metavar=("ADDONS_DIR", "ROOT", "SITE_A", "SITE_B"))
    args = parser.parse_args()
    if args.iienv:
        addons, root, site_a, site_b = args.iienv
        sys.path.insert(0, addons)
        from iienv_addon.core import Manager

        manager = Manager(root)
        manager.enable()
        manager.create("a", owners=["cpy_owner_a"], site_dir=site_a)
        manager.create("b", owners=["cpy_owner_b"], site_dir=site_b)
        import cpy_owner_a  # type: ignore[import-not-found]
        import cpy_owner_b  # type: ignore[import-not-found]

        print(
            "iienv active; environments loaded:",
            cpy_owner_a.VERSION,
            cpy_owner_b.VERSION,
            f"({len(manager.get('a').modules)} + {len(manager.get('b').modules)} modules)",
            flush=True,
        )
    from test.libregrtest.main import main as regrtest

    sys.argv[1:] = []  # regrtest reads its own options from sys.argv

    regrtest(tests=["test_importlib", "test_import"])


if __name__ == "__main__":
    main()
