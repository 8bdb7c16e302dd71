"""A fast reader for the plain subset of TOML that inventory files are written in; tomllib does everything else.

The standard library's pure-Python ``tomllib`` reads about 1-2 MB/s, so a herd of large team files spent most of a
generate parsing. Team files (hand-written or from ``adopt``) use a few line shapes only: ``[table]`` and
``[[array]]`` headers with a bare key, ``key = value`` with a bare key and a string (basic with no escapes but
``\\"``/``\\\\``, or literal), an integer, a boolean or a one-line array of such strings, blank lines and comments.
:func:`loads` reads a document made of those lines with one regular expression and returns what ``tomllib.loads``
returns for it; at the first line outside the subset, or anything tomllib would refuse (a repeated key, a table
defined twice, ``[[a]]`` after ``a = [...]``), it returns None and the caller parses with tomllib, so results and
error messages are tomllib's by construction. ``tests/test_inventory_toml.py`` checks that against tomllib.
"""

from __future__ import annotations

import re
from typing import Any

_WS = r"[ \t]*"
_END = r"[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?(?:\r?\n|\Z)"  # trailing blanks, a comment, the line end
_KEY = r"[A-Za-z0-9_-]+"
_BASIC = r'"[^"\\\x00-\x1f\x7f]*(?:\\["\\][^"\\\x00-\x1f\x7f]*)*"'
_LITERAL = r"'[^'\x00-\x08\x0a-\x1f\x7f]*'"
_STRING = f"{_BASIC}|{_LITERAL}"
_ARRAY = rf"\[{_WS}(?:(?:{_STRING}){_WS}(?:,{_WS}(?:{_STRING}){_WS})*(?:,{_WS})?)?\]"
_LINE = re.compile(
    rf"^{_WS}(?:"
    rf"({_KEY}){_WS}={_WS}(?:({_STRING})|(-?(?:0|[1-9][0-9]*))|(true|false)|({_ARRAY}))"  # 1 = 2|3|4|5
    rf"|\[\[{_WS}({_KEY}){_WS}\]\]"  # 6: [[array of tables]]
    rf"|\[{_WS}({_KEY}){_WS}\]"  # 7: [table]
    rf")?{_END}"
    r"|([^\n]+)\n?",  # 8: any other line
    re.MULTILINE,
)
_ITEM = re.compile(_STRING)
_ESCAPE = re.compile(r"\\(.)")


def _string(token: str) -> str:
    inner = token[1:-1]
    return _ESCAPE.sub(r"\1", inner) if "\\" in inner and token[0] == '"' else inner


def loads(text: str) -> dict[str, Any] | None:
    """The document ``tomllib.loads(text)`` returns, or None when ``text`` is outside the subset read here."""
    root: dict[str, Any] = {}
    arrays: set[str] = set()  # root keys made by [[...]]: the only lists a header may append to
    table = root
    for key, string, integer, boolean, items, array, header, other in _LINE.findall(text):
        if key:
            if key in table:
                return None
            if string:
                value = string[1:-1]
                table[key] = _string(string) if "\\" in value else value
            elif integer:
                table[key] = int(integer)
            elif boolean:
                table[key] = boolean == "true"
            else:
                table[key] = [_string(item) for item in _ITEM.findall(items)]
        elif array:
            if array in arrays:
                table = {}
                root[array].append(table)
            elif array in root:
                return None
            else:
                table = {}
                root[array] = [table]
                arrays.add(array)
        elif header:
            if header in root:
                return None
            table = root[header] = {}
        elif other:
            return None
    return root
