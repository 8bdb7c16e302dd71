"""A tiny command-line parser for check plugins.

Why not argparse/getopt: a check starts every minute per object; ``argparse`` (and ``getopt``, through
``gettext``/``re``) cost more start-up time than the whole check budget allows. This supports what the
plugins need: ``-x VALUE``, ``-xVALUE``, ``--long VALUE``, ``--long=VALUE``, bundled flags (``-vvv``),
repeatable options and ``--`` (after which nothing is accepted: checks take no positional arguments).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

FLAG, COUNT, VALUE, APPEND = "flag", "count", "value", "append"


class UsageError(Exception):
    """Bad command line: the plugin answers UNKNOWN with this message and the usage line."""


class Option:
    """One option: ``kind`` is flag (bool), count (``-vvv``), value (last wins) or append (repeatable)."""

    __slots__ = ("short", "long", "dest", "kind", "metavar", "convert", "default", "help")

    def __init__(
        self,
        short: str | None,
        long: str,
        *,
        kind: str = VALUE,
        metavar: str = "VALUE",
        convert: Callable[[str], object] = str,
        default: object = None,
        help: str = "",
        dest: str | None = None,
    ) -> None:
        self.short, self.long, self.kind, self.metavar = short, long, kind, metavar
        self.dest = dest or long.replace("-", "_")
        self.convert, self.help = convert, help
        self.default = [] if kind == APPEND and default is None else default
        if kind == COUNT and default is None:
            self.default = 0

    @property
    def takes_value(self) -> bool:
        return self.kind in (VALUE, APPEND)

    def names(self) -> str:
        long = f"--{self.long}" + (f" {self.metavar}" if self.takes_value else "")
        return f"-{self.short}, {long}" if self.short else f"    {long}"


class Options:
    """The parsed values, one attribute per option ``dest``."""

    def __repr__(self) -> str:
        return f"Options({vars(self)!r})"


def _store(values: Options, option: Option, name: str, raw: str | None) -> None:
    if option.kind == FLAG:
        setattr(values, option.dest, True)
        return
    if option.kind == COUNT:
        setattr(values, option.dest, getattr(values, option.dest) + 1)
        return
    try:
        value = option.convert(raw)  # type: ignore[arg-type]
    except (ValueError, TypeError) as error:
        raise UsageError(f"{name}: {error}") from None
    if option.kind == APPEND:
        getattr(values, option.dest).append(value)
    else:
        setattr(values, option.dest, value)


def parse_args(argv: Sequence[str], options: Sequence[Option]) -> Options:
    """Parse ``argv`` (without the program name) against ``options``; raises :class:`UsageError`."""
    table: dict[str, Option] = {}
    values = Options()
    for option in options:
        table[f"--{option.long}"] = option
        if option.short:
            table[f"-{option.short}"] = option
        default = option.default
        setattr(values, option.dest, list(default) if isinstance(default, list) else default)
    args = list(argv)
    index = 0

    def take(name: str) -> str:
        nonlocal index
        if index >= len(args):
            raise UsageError(f"option {name} needs a value")
        index += 1
        return args[index - 1]

    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            if index < len(args):
                raise UsageError(f"unexpected argument {args[index]!r}")
            break
        if arg.startswith("--"):
            name, has_inline, inline = arg.partition("=")
            option = table.get(name)
            if option is None:
                raise UsageError(f"unknown option {name}")
            if option.takes_value:
                _store(values, option, name, inline if has_inline else take(name))
            elif has_inline:
                raise UsageError(f"option {name} takes no value")
            else:
                _store(values, option, name, None)
        elif arg.startswith("-") and len(arg) > 1:
            position = 1
            while position < len(arg):
                name = "-" + arg[position]
                option = table.get(name)
                if option is None:
                    raise UsageError(f"unknown option {name}")
                if option.takes_value:
                    rest = arg[position + 1 :]
                    _store(values, option, name, rest if rest else take(name))
                    break
                _store(values, option, name, None)
                position += 1
        else:
            raise UsageError(f"unexpected argument {arg!r}")
    return values


def help_text(usage: str, description: str, options: Sequence[Option]) -> str:
    """The ``-h`` text: usage line, description, one line per option."""
    rows = [(option.names(), option.help) for option in options]
    width = max(len(names) for names, _ in rows) + 2
    lines = [f"Usage: {usage}", "", description.strip(), "", "Options:"]
    lines += [f"  {names.ljust(width)}{text}" for names, text in rows]
    return "\n".join(lines)
