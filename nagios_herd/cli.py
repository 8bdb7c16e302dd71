"""The ``nagios-herd`` command: a tiny ``main`` over a reusable :class:`Program`.

Each subcommand lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``. Only the
module of the subcommand being run is imported (cron runs ``publish`` every few minutes, so start-up counts);
the one-line summaries ``--help`` lists live here so listing them imports nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple, NoReturn

from nagios_herd import __version__
from nagios_herd.errors import HerdError

DESCRIPTION = "Generate, validate and publish the files of a herd of Nagios servers run as Xen guests."


class Subcommand(NamedTuple):
    module: str
    summary: str


COMMANDS: dict[str, Subcommand] = {
    "generate": Subcommand(
        "nagios_herd.commands.generate",
        "render the herd's files (Xen, DRBD, NRPE, sudoers, volume plan, every guest's Nagios) into a build tree",
    ),
    "validate": Subcommand(
        "nagios_herd.commands.validate",
        "check every generated file with its real validator (nagios4 -v, drbdadm dump, visudo -cf, xl.cfg parser)",
    ),
    "publish": Subcommand(
        "nagios_herd.commands.publish",
        "cron mode: render, validate, swap the live tree atomically and reload, only when something changed",
    ),
    "adopt": Subcommand(
        "nagios_herd.commands.adopt",
        "move an existing Nagios server into a team's inventory file, proven equal by Nagios (--diff: show changes)",
    ),
    "watch": Subcommand(
        "nagios_herd.commands.watch",
        "cron watcher: restart a crashed guest where the herd records it (5 tries), never fail over or migrate",
    ),
    "lab": Subcommand(
        "nagios_herd.lab.command",
        "run the two-host rehearsal lab (sshd per host, LVM on loop devices, xl/drbd simulators)",
    ),
}


class Formatter(argparse.HelpFormatter):
    """argparse's help with the usage line as ``Usage:``, the form the manual page's generator (help2man) reads as
    the synopsis."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help uses :class:`Formatter` and whose usage error is one line (``nagios-herd
    publish: argument --keep: '0': must be at least 1``) and exit status 2, like every other refusal (``--help``
    still shows the usage); subcommands' parsers (and theirs) are of this class."""

    def __init__(self, *args, formatter_class: type[argparse.HelpFormatter] = Formatter, **kwargs) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


class Program:
    """Builds the argument parser from :data:`COMMANDS` and runs one subcommand."""

    def __init__(self, name: str = "nagios-herd", commands: dict[str, Subcommand] | None = None) -> None:
        self.name = name
        self.commands = dict(COMMANDS if commands is None else commands)

    def parser(self, chosen: str | None = None) -> argparse.ArgumentParser:
        """The full parser; only ``chosen``'s module is imported to add its options."""
        parser = Parser(prog=self.name, description=DESCRIPTION,
                        epilog=f"Each command's options: {self.name} COMMAND --help.")
        parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
        subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        for name, (module_name, summary) in self.commands.items():
            sub = subparsers.add_parser(name, help=summary, description=summary)
            if name == chosen:
                module = importlib.import_module(module_name)
                module.configure(sub)
                sub.set_defaults(_run=module.run)
        return parser

    def run(self, argv: Sequence[str] | None = None) -> int:
        argv = list(sys.argv[1:] if argv is None else argv)
        chosen = next((arg for arg in argv if not arg.startswith("-")), None)
        args = self.parser(chosen if chosen in self.commands else None).parse_args(argv)
        try:
            return int(args._run(args))
        except HerdError as error:
            from nagios_herd.textsafe import printable  # a message may quote what a host or guest said

            for line in error.lines():
                print(printable(f"{self.name}: {line}" if error.prefixed else line), file=sys.stderr)
            return error.exit_code
        except KeyboardInterrupt:
            print(f"{self.name}: interrupted", file=sys.stderr)
            return 130


program = Program()


def main(argv: Sequence[str] | None = None) -> int:
    return program.run(argv)


if __name__ == "__main__":
    sys.exit(main())
