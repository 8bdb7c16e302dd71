"""``nagios-herd generate [--inventory FILE] [--output DIR] [--publish ...]``: render every file the herd needs.

The tree is written atomically (see :mod:`nagios_herd.generate.buildtree`); an invalid inventory writes nothing (exit 2).
``--publish`` is the cron mode and behaves exactly like ``nagios-herd publish`` (``--live``, ``--keep``, ...).
"""

from __future__ import annotations

import argparse

DEFAULT_OUTPUT = "build"


def configure(parser: argparse.ArgumentParser) -> None:
    from nagios_herd.commands import publish

    parser.add_argument("--inventory", metavar="FILE", help=publish.INVENTORY_HELP)
    parser.add_argument("--output", metavar="DIR", default=DEFAULT_OUTPUT,
                        help=f"build tree to (re)write (default {DEFAULT_OUTPUT}/)")
    parser.add_argument("--publish", action="store_true",
                        help="cron mode: publish into the live tree instead (same as 'nagios-herd publish')")
    publish.add_options(parser, with_inventory=False)


def run(args: argparse.Namespace) -> int:
    import gc
    from pathlib import Path

    from nagios_herd.generate.buildtree import replaceable, write_tree
    from nagios_herd.generate.render import build
    from nagios_herd.locate import find_inventory

    if args.publish:
        from nagios_herd.commands import publish

        return publish.run(args)
    gc.disable()  # a run builds a million acyclic objects and then exits: cycle collection would only rescan them
    inventory = find_inventory(args.inventory)
    replaceable(Path(args.output), "--output")  # refused before the render, not after
    result = build(inventory)
    write_tree(Path(args.output), result.files, herd=result.herd.name, inputs_sha256=result.digests.all)
    return 0
