"""A parser of the xl.cfg(5) syntax, because ``xl`` itself refuses to run without a hypervisor.

Grammar (libxlu's ``libxlu_cfg_y.y``): ``NAME = VALUE`` or ``NAME += VALUE`` settings separated by newlines or ``;``;
``#`` comments; a VALUE is a number (decimal or 0x hex), a string in ``"..."`` or ``'...'`` (C-style backslash
escapes), or a list ``[ VALUE, ... ]`` that may span lines and end with a comma. Pure: text in, dict out.

:func:`parse` returns ``{name: value}`` (str, int or list) or raises :class:`XlConfigError` with the line.
:func:`check_domain` adds what nagios-herd needs from a domain config (keys, types, the DRBD root disk).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+)
  | (?P<comment>\#[^\n]*)
  | (?P<newline>\n)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>0x[0-9A-Fa-f]+|[0-9]+)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>\+=|[=;,\[\]])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
            "v": "\v"}

Value = str | int | list["Value"]


class XlConfigError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def _unquote(literal: str, line: int) -> str:
    body = literal[1:-1]
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        nxt = body[index + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            index += 2
        elif nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", body[index + 2:index + 4]):
            out.append(chr(int(body[index + 2:index + 4], 16)))
            index += 4
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[index + 1:])
            assert digits is not None
            out.append(chr(int(digits.group(), 8)))
            index += 1 + len(digits.group())
        else:
            raise XlConfigError(line, f"unknown escape \\{nxt} in string")
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    line = 1
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            raise XlConfigError(line, "unterminated string" if char in "\"'" else f"unexpected character {char!r}")
        kind = match.lastgroup or ""
        if kind == "newline":
            tokens.append(("end", "\n", line))
            line += 1
        elif kind not in ("space", "comment"):
            tokens.append((kind, match.group(), line))
        position = match.end()
    tokens.append(("end", "", line))
    return tokens


def parse(text: str) -> dict[str, Value]:
    """Every setting of an xl.cfg file; a repeated ``=`` setting is an error (xl would silently keep the last)."""
    tokens = _tokens(text)
    settings: dict[str, Value] = {}
    index = 0

    def value(at: int) -> tuple[Value, int]:
        kind, token, line = tokens[at]
        if kind == "number":
            return int(token, 0), at + 1
        if kind == "string":
            return _unquote(token, line), at + 1
        if token == "[":
            items: list[Value] = []
            at += 1
            while True:
                while tokens[at][0] == "end" and tokens[at][1]:
                    at += 1
                if tokens[at][1] == "]":
                    return items, at + 1
                item, at = value(at)
                items.append(item)
                while tokens[at][0] == "end" and tokens[at][1]:
                    at += 1
                if tokens[at][1] == ",":
                    at += 1
                elif tokens[at][1] != "]":
                    raise XlConfigError(tokens[at][2], "expected ',' or ']' in list")
        raise XlConfigError(line, f"expected a value, found {token!r}" if token else "expected a value")

    while index < len(tokens):
        kind, token, line = tokens[index]
        if kind == "end" or token == ";":
            index += 1
            continue
        if kind != "name":
            raise XlConfigError(line, f"expected a setting name, found {token!r}")
        operator = tokens[index + 1][1]
        if operator not in ("=", "+="):
            raise XlConfigError(line, f"expected '=' after {token!r}")
        parsed, index = value(index + 2)
        if tokens[index][0] != "end" and tokens[index][1] != ";":
            raise XlConfigError(tokens[index][2], f"unexpected {tokens[index][1]!r} after the value of {token!r}")
        if operator == "+=":
            previous = settings.get(token, [])
            if not isinstance(previous, list) or not isinstance(parsed, list):
                raise XlConfigError(line, f"'+=' needs lists for {token!r}")
            settings[token] = previous + parsed
        elif token in settings:
            raise XlConfigError(line, f"{token!r} is set twice")
        else:
            settings[token] = parsed
    return settings


def check_domain(settings: dict[str, Value], *, name: str) -> list[str]:
    """What is wrong with a nagios-herd domain config (empty when fine)."""
    problems = []
    for key, kind in (("name", str), ("memory", int), ("maxmem", int), ("vcpus", int), ("disk", list),
                      ("vif", list), ("on_crash", str)):
        if key not in settings:
            problems.append(f"missing {key}")
        elif not isinstance(settings[key], kind):
            problems.append(f"{key} must be a {kind.__name__}")
    if settings.get("name") != name:
        problems.append(f"name is {settings.get('name')!r}, the file is for domain {name!r}")
    disks = settings.get("disk")
    if isinstance(disks, list):
        root = f"phy:/dev/drbd/by-res/{name}/0,xvda,w"
        if not disks or disks[0] != root:
            problems.append(f"first disk must be {root!r}")
        for disk in disks:
            if not isinstance(disk, str) or len(disk.split(",")) < 3:
                problems.append(f"disk {disk!r} is not 'target,vdev,access'")
    if "bootloader" not in settings and "kernel" not in settings:
        problems.append("neither bootloader nor kernel is set")
    if isinstance(settings.get("memory"), int) and isinstance(settings.get("maxmem"), int):
        if settings["maxmem"] < settings["memory"]:  # type: ignore[operator]
            problems.append("maxmem is below memory")
    return problems
