"""Read an xl.cfg(5) domain configuration (the subset the herd's generated files use): ``key = value``
lines, ``#`` comments, quoted strings, numbers and bracketed lists that may span lines.

Errors read like xl's own parser: ``FILE:LINE: config parsing error near `TOKEN': syntax error``.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+) | (?P<comment>\#[^\n]*) | (?P<newline>\n)
  | (?P<string>"[^"\n]*"|'[^'\n]*') | (?P<number>0x[0-9a-fA-F]+|\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*) | (?P<punct>[=\[\],;])
""", re.VERBOSE)


class XlConfigError(ValueError):
    """The file is not valid xl.cfg syntax; the message is xl's one line."""


def parse(text: str, path: str) -> dict[str, Any]:
    tokens = _tokenize(text, path)
    config: dict[str, Any] = {}
    pos = 0

    def fail(index: int) -> XlConfigError:
        kind, value, line = tokens[min(index, len(tokens) - 1)]
        near = value if kind != "eof" else ""
        return XlConfigError(f"{path}:{line}: config parsing error near `{near}': syntax error")

    def skip_newlines(index: int) -> int:
        while tokens[index][0] == "newline":
            index += 1
        return index

    def value(index: int) -> tuple[Any, int]:
        kind, text_value, _ = tokens[index]
        if kind == "string":
            return text_value[1:-1], index + 1
        if kind == "number":
            return (int(text_value, 0) if "." not in text_value else float(text_value)), index + 1
        if text_value != "[":
            raise fail(index)
        items: list[Any] = []
        index = skip_newlines(index + 1)
        while tokens[index][1] != "]":
            item, index = value(index)
            items.append(item)
            index = skip_newlines(index)
            if tokens[index][1] == ",":
                index = skip_newlines(index + 1)
            elif tokens[index][1] != "]":
                raise fail(index)
        return items, index + 1

    while tokens[pos][0] != "eof":
        if tokens[pos][0] == "newline" or tokens[pos][1] == ";":
            pos += 1
            continue
        if tokens[pos][0] != "ident" or tokens[pos + 1][1] != "=":
            raise fail(pos if tokens[pos][0] != "ident" else pos + 1)
        key = tokens[pos][1]
        config[key], pos = value(pos + 2)
        if tokens[pos][0] not in ("newline", "eof") and tokens[pos][1] != ";":
            raise fail(pos)
    return config


def _tokenize(text: str, path: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    line, pos = 1, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise XlConfigError(f"{path}:{line}: config parsing error near `{text[pos]}': syntax error")
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            tokens.append((kind, match.group(), line))
        line += match.group().count("\n")
        pos = match.end()
    tokens.append(("eof", "", line))
    return tokens
