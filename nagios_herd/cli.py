"""The ``nagios-herd`` command: a tiny ``main`` over a reusable :class:`Program`.

Each subcommand lives in its own module exposing ``HELP``, ``configure(parser)`` and
``run(args) -> int``; heavy imports happen inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import HerdError

COMMANDS: dict[str, str] = {
    "generate": "nagios_herd.commands.generate",
    "validate": "nagios_herd.commands.validate",
    "publish": "nagios_herd.commands.publish",
    "adopt": "nagios_herd.commands.adopt",
    "lab": "nagios_herd.lab.command",
}


class Program:
    """Builds the argument parser from :data:`COMMANDS` and runs one subcommand."""

    def __init__(self, name: str = "nagios-herd", commands: dict[str, str] | None = None) -> None:
        self.name = name
        self.commands = dict(COMMANDS if commands is None else commands)

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=self.name, description=__doc__.splitlines()[0])
        parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
        subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        for name, module_name in self.commands.items():
            module = importlib.import_module(module_name)
            sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
            module.configure(sub)
            sub.set_defaults(_run=module.run)
        return parser

    def run(self, argv: Sequence[str] | None = None) -> int:
        args = self.parser().parse_args(argv)
        try:
            return int(args._run(args))
        except HerdError as error:
            for line in error.lines():
                print(f"{self.name}: {line}" if error.prefixed else line, file=sys.stderr)
            return error.exit_code
        except KeyboardInterrupt:
            print(f"{self.name}: interrupted", file=sys.stderr)
            return 130


program = Program()


def main(argv: Sequence[str] | None = None) -> int:
    return program.run(argv)


if __name__ == "__main__":
    sys.exit(main())
