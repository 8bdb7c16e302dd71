"""A tiny deterministic TOML writer for inventory documents (tables of scalars and arrays of tables).

A table inside an array-of-tables entry (an adopted host's ``nagios`` directives) is written as the entry's
sub-table (``[hosts.nagios]`` right after its ``[[hosts]]``), one directive a line, so a diff shows which one changed.

The standard library reads TOML but cannot write it; inventory documents only need strings, integers, booleans,
lists of strings, plain tables and arrays of tables, so a writer this small is easier to trust than a dependency.
Output depends only on the input (key order as given, no timestamps), so re-running adopt gives the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def key(name: str) -> str:
    return name if _BARE_KEY.match(name) else string(name)


def string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def value(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, (list, tuple)):
        return "[" + ", ".join(value(element) for element in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as a TOML value")


def _body(table: dict[str, Any], path: str = "") -> list[str]:
    lines = [f"{key(name)} = {value(item)}" for name, item in table.items() if not isinstance(item, dict)]
    for name, item in table.items():
        if isinstance(item, dict):
            lines += [f"[{path}.{key(name)}]", *_body(item, f"{path}.{key(name)}")]
    return lines


def dumps(document: dict[str, Any], header: str = "") -> str:
    """``document`` maps names to tables (dicts) or arrays of tables (lists of dicts), written in that order."""
    blocks: list[str] = [header.rstrip("\n")] if header else []
    for name, section in document.items():
        if isinstance(section, dict):
            blocks.append("\n".join([f"[{key(name)}]", *_body(section, key(name))]))
        elif isinstance(section, list):
            blocks.extend("\n".join([f"[[{key(name)}]]", *_body(table, key(name))]) for table in section)
        else:
            raise TypeError(f"top-level {name!r} must be a table or an array of tables")
    return "\n\n".join(blocks) + "\n"
