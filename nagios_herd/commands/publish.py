"""``nagios-herd publish``: the cron job. Quiet and write-free when nothing changed; see :mod:`nagios_herd.generate.publish`.

Exit 0 when published or unchanged (one line on stdout when published), 1 with one line on stderr when rendering,
validation or the reload failed (the live tree is then as before), 2 for an invalid inventory, 75 when another
publish holds the lock for longer than ``--wait``.

``--guest NAME`` is the setting for a guest whose ``/etc/nagios4`` links to ``LIVE/current/guests/NAME/etc/nagios4``:
it validates that tree only, and on change gates the reload with ``nagios4 -v /etc/nagios4/nagios.cfg`` before
``systemctl reload nagios4``.
"""

from __future__ import annotations

import argparse

from nagios_herd.ops.optionvalues import COUNT, SECONDS

DEFAULT_LIVE = "/var/lib/nagios-herd/live"  # under model.Paths.state_dir's default; importing model costs start-up
INVENTORY_HELP = "herd inventory (default: $NAGIOS_HERD_INVENTORY, /etc/nagios-herd/herd.toml, ./etc/herd.toml)"
GUEST_NAGIOS_CFG = "/etc/nagios4/nagios.cfg"
GUEST_RELOAD = "systemctl reload nagios4"


def add_options(parser: argparse.ArgumentParser, *, with_inventory: bool = True) -> None:
    """Options shared with ``generate --publish``."""
    if with_inventory:
        parser.add_argument("--inventory", metavar="FILE", help=INVENTORY_HELP)
    parser.add_argument("--live", metavar="DIR", default=DEFAULT_LIVE, help=f"live root (default {DEFAULT_LIVE})")
    parser.add_argument("--keep", metavar="N", type=COUNT, default=5, help="generations to keep (default 5)")
    parser.add_argument("--guest", metavar="NAME", help="this machine is guest NAME: validate and reload its Nagios")
    parser.add_argument("--scope", metavar="SUBTREE",
                        help="validate only this subtree (guests/NAME, hosts/NAME) and reload only when it changed")
    parser.add_argument("--reload", metavar="CMD", action="append", default=[],
                        help="command to run after a change (repeatable; split like a shell, run without one)")
    parser.add_argument("--nagios-cfg", metavar="FILE", action="append", default=[],
                        help="live main file that must pass nagios4 -v before the reload commands (repeatable)")
    parser.add_argument("--wait", metavar="SECONDS", type=SECONDS, default=30.0,
                        help="how long to wait for another publish's lock (default 30)")


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser)


def run(args: argparse.Namespace) -> int:
    import gc
    import shlex
    from pathlib import Path

    from nagios_herd.errors import HerdError
    from nagios_herd.generate.publish import Options, publish
    from nagios_herd.locate import find_inventory

    for command in args.reload:
        try:
            if not shlex.split(command):
                raise ValueError("empty command")
        except ValueError as error:
            raise HerdError(f"--reload {command!r}: {error}", exit_code=2) from None
    scope, reload, nagios_cfg = args.scope or "", list(args.reload), list(args.nagios_cfg)
    if args.guest:
        scope = scope or f"guests/{args.guest}"
        reload = reload or [GUEST_RELOAD]
        nagios_cfg = nagios_cfg or [GUEST_NAGIOS_CFG]
    options = Options(inventory=find_inventory(args.inventory), live=Path(args.live), keep=args.keep, scope=scope,
                      reload=tuple(reload), nagios_cfg=tuple(nagios_cfg), wait=args.wait)
    gc.disable()  # a run builds a million acyclic objects and then exits: cycle collection would only rescan them
    line = publish(options)
    if line:
        print(line)
    return 0
