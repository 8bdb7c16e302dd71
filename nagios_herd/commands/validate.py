"""``nagios-herd validate [--output DIR]``: every generated file through the real program that reads it.

One line per file, ``OK path`` or ``FAIL path: reason``; exit 1 when any file fails (2 when there is no tree).
See :mod:`nagios_herd.generate.validators` for what runs on which file.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", metavar="DIR", default="build", help="build tree to check (default build/)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the failures")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nagios_herd.errors import HerdError
    from nagios_herd.generate.buildtree import MANIFEST
    from nagios_herd.generate.validators import failures, validate

    root = Path(args.output)
    if not (root / MANIFEST).is_file():
        raise HerdError(f"{root}: no build tree here (no {MANIFEST}); run 'nagios-herd generate' first", exit_code=2)
    results = validate(root)
    for result in results:
        if not (args.quiet and result.ok):
            print(result.line())
    return 1 if failures(results) else 0
