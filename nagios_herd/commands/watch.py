"""``nagios-herd watch``: the cron watcher that restarts crashed guests where they belong (every 5 minutes).

``--pause SECONDS`` / ``--pause-forever`` / ``--resume`` manage its pause file instead of running it.
Exit 0 on every run that could read the inventory and its own state (cron mails only real trouble); what it
did goes to stdout, one line per guest it acted on, and to its state file, which ``check_herd_watch`` reads.
"""

from __future__ import annotations

import argparse

from nagios_herd.ops.optionvalues import SECONDS, TIMEOUT


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", metavar="FILE", help="inventory TOML (default: as for every command)")
    parser.add_argument("--known-hosts", metavar="FILE", help="known_hosts file pinning the hosts' keys")
    parser.add_argument("--identity", metavar="FILE", help="SSH private key")
    parser.add_argument("--state-dir", metavar="DIR",
                        help="the herd's state dir (lock, placements, marks; default the inventory's)")
    parser.add_argument("--connect-timeout", type=TIMEOUT, default=5, metavar="SECONDS")
    parser.add_argument("--backoff", type=SECONDS, default=300, metavar="SECONDS",
                        help="wait after the first restart of a guest before the next; doubles (default 300)")
    parser.add_argument("--reset-after", type=SECONDS, default=3600, metavar="SECONDS",
                        help="a restarted guest up this long gets its attempts back (default 3600)")
    parser.add_argument("--state-file", metavar="FILE", help="default: STATE_DIR/watch.json")
    parser.add_argument("--pause-file", metavar="FILE", help="default: STATE_DIR/watch.pause")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--pause", type=SECONDS, metavar="SECONDS", help="pause the watcher for SECONDS and exit")
    action.add_argument("--pause-forever", action="store_true", help="pause the watcher until --resume")
    action.add_argument("--resume", action="store_true", help="end a pause and exit")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nagios_herd.ops.runner import Options
    from nagios_herd.textsafe import Terminal
    from nagios_herd.watch import watcher

    options = Options(inventory=args.inventory, known_hosts=args.known_hosts, identity=args.identity,
                      state_dir=args.state_dir, connect_timeout=args.connect_timeout)
    settings = watcher.Settings(backoff=args.backoff, reset_after=args.reset_after,
                                state_file=Path(args.state_file) if args.state_file else None,
                                pause_file=Path(args.pause_file) if args.pause_file else None)
    if args.pause is not None or args.pause_forever or args.resume:
        state_dir = watcher.state_dir_of(options)
        if args.resume:
            print(watcher.resume(state_dir, settings))
        else:
            print(watcher.pause(state_dir, None if args.pause_forever else args.pause, settings))
        return 0
    return watcher.run(options, settings, out=Terminal())  # what hosts say reaches the log only sanitised
