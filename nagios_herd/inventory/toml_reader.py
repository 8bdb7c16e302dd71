"""A fast reader for the plain subset of TOML that inventory files are written in; tomllib does everything else.

The standard library's pure-Python ``tomllib`` reads about 1-2 MB/s, so a herd of large team files spent most of a
generate parsing. Team files (hand-written or from ``adopt``) use a few line shapes only: ``[table]`` and
``[[array]]`` headers with a bare key, ``[array.table]`` (a table of the array's last entry, adopt's ``nagios``), ``key = value`` with a bare key and a string (basic with no escapes but
``\\"``/``\\\\``, or literal), an integer, a boolean or a one-line array of such strings, blank lines and comments.
:func:`loads` matches each distinct line of such a document once against one regular expression and returns
what ``tomllib.loads`` returns for it; at the first line outside the subset, or anything tomllib would refuse (a repeated key, a table
defined twice, ``[[a]]`` after ``a = [...]``), it returns None and the caller parses with tomllib, so results and
error messages are tomllib's by construction. ``tests/test_inventory_toml.py`` checks that against tomllib.
"""

from __future__ import annotations

import re
from typing import Any

_WS = r"[ \t]*"
_KEY = r"[A-Za-z0-9_-]+"
_BASIC = r'"[^"\\\x00-\x1f\x7f]*(?:\\["\\][^"\\\x00-\x1f\x7f]*)*"'
_LITERAL = r"'[^'\x00-\x08\x0a-\x1f\x7f]*'"
_STRING = f"{_BASIC}|{_LITERAL}"
_ARRAY = rf"\[{_WS}(?:(?:{_STRING}){_WS}(?:,{_WS}(?:{_STRING}){_WS})*(?:,{_WS})?)?\]"
_LINE = re.compile(  # one line without its "\n"; a "\r" may end it only because a "\n" follows
    rf"{_WS}(?:"
    rf"({_KEY}){_WS}={_WS}(?:({_STRING})|(-?(?:0|[1-9][0-9]*))|(true|false)|({_ARRAY}))"  # 1 = 2|3|4|5
    rf"|\[\[{_WS}({_KEY}){_WS}\]\]"  # 6: [[array of tables]]
    rf"|\[{_WS}({_KEY}){_WS}\]"  # 7: [table]
    rf"|\[{_WS}({_KEY})\.({_KEY}){_WS}\]"  # 8.9: [array.table] of the array's last table
    rf")?{_WS}(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?"  # trailing blanks and a comment
)
_ITEM = re.compile(_STRING)
_ESCAPE = re.compile(r"\\(.)")
_VALUE, _ARRAY_OF_TABLES, _TABLE, _SUBTABLE, _NOTHING = range(5)


def _string(token: str) -> str:
    inner = token[1:-1]
    return _ESCAPE.sub(r"\1", inner) if "\\" in inner and token[0] == '"' else inner


def _line(line: str) -> tuple[int, str, Any] | None:
    """What one line says: (kind, key or table name, value; a tuple for an array), None if outside the subset."""
    found = _LINE.fullmatch(line)
    if found is None:
        return None
    key, string, integer, boolean, items, array, header, parent, child = found.groups()
    if key is None:
        if parent:
            return _SUBTABLE, parent, child
        return (_ARRAY_OF_TABLES, array, None) if array else (_TABLE, header, None) if header else (_NOTHING, "", None)
    if string is not None:
        return _VALUE, key, _string(string)
    if integer is not None:
        return _VALUE, key, int(integer)
    if boolean is not None:
        return _VALUE, key, boolean == "true"
    return _VALUE, key, tuple(_string(item) for item in _ITEM.findall(items))


def loads(text: str) -> dict[str, Any] | None:
    """The document ``tomllib.loads(text)`` returns, or None when ``text`` is outside the subset read here.

    Each distinct line is matched once per document (large inventories repeat many lines: ``[[services]]``,
    a service's ``host``, the same description and command for every host); arrays are copied per use.
    """
    lines = text.split("\n")
    if lines[-1].endswith("\r"):  # a carriage return that no newline follows
        return None
    root: dict[str, Any] = {}
    arrays: set[str] = set()  # root keys made by [[...]]: the only lists a header may append to
    table = root
    seen: dict[str, tuple[int, str, Any]] = {}
    for line in lines:
        said = seen.get(line)
        if said is None:
            said = _line(line)
            if said is None:
                return None
            seen[line] = said
        kind, name, value = said
        if kind == _VALUE:
            if name in table:
                return None
            table[name] = list(value) if type(value) is tuple else value
        elif kind == _ARRAY_OF_TABLES:
            if name in arrays:
                table = {}
                root[name].append(table)
            elif name in root:
                return None
            else:
                table = {}
                root[name] = [table]
                arrays.add(name)
        elif kind == _TABLE:
            if name in root:
                return None
            table = root[name] = {}
        elif kind == _SUBTABLE:
            if name not in arrays or value in root[name][-1]:
                return None
            table = root[name][-1][value] = {}
    return root
