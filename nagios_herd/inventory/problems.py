"""Collect every inventory problem as one ``FILE: field.path: problem (line N)`` line.

The loader keeps going after the first problem so the operator fixes a file in one pass; line numbers come from
a cheap scan of the TOML source (tomllib does not report where a value came from), best effort.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_INDEX = re.compile(r"\[\d+\]$")


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] == '"':
        try:
            return str(tomllib.loads(f"k = {part}")["k"])  # basic strings carry escapes
        except tomllib.TOMLDecodeError:
            return part[1:-1]
    return part[1:-1] if len(part) >= 2 and part[0] == part[-1] == "'" else part


def _dotted(header: str) -> str:
    return ".".join(_unquote(part) for part in re.findall(r"""("[^"]*"|'[^']*'|[^.]+)""", header))


class LineLocator:
    """Maps ``table.key`` / ``array[i].key`` field paths to the line that defines them."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        current = ""
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                name = _dotted(header.group(2))
                if header.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    name = f"{name}[{counts[name]}]"
                current = name
                parts = current.split(".")
                for end in range(1, len(parts) + 1):  # [guests.alpha] also locates "guests"
                    self.lines.setdefault(".".join(parts[:end]), number)
                continue
            key = _KEY.match(line)
            if key:
                path = f"{current}.{_unquote(key.group(1))}" if current else _unquote(key.group(1))
                self.lines.setdefault(path, number)

    def line_of(self, path: str) -> int | None:
        """The line of ``path``, else of its closest enclosing key or table."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _INDEX.sub("", path) if path.endswith("]") else path.rpartition(".")[0]
        return None


Entry = tuple[str, int, str]  # (file, line or 0, the whole line)


class Problems:
    """Problem lines grouped by file (in the order files were read) and sorted by line within a file."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, int, int, str]] = []
        self._files: dict[str, int] = {}
        self._sources: dict[str, str | Callable[[], str | None] | LineLocator | None] = {}

    def add_source(self, file: str, text: str | Callable[[], str | None]) -> None:
        """Register ``file``; ``text`` (or a function reading it) is scanned only once a problem is found in it."""
        self._files.setdefault(file, len(self._files))
        self._sources[file] = text

    def _line(self, file: str, path: str) -> int | None:
        source = self._sources[file]
        if not isinstance(source, LineLocator):
            text = source if isinstance(source, str) or source is None else source()
            source = self._sources[file] = LineLocator(text) if text is not None else None
        return source.line_of(path) if source is not None else None

    def add(self, file: str, path: str, problem: str, line: int | None = None) -> None:
        if line is None and file in self._sources:
            line = self._line(file, path)
        suffix = f" (line {line})" if line else ""
        text = f"{file}: {path}: {problem}{suffix}"
        if not text.isprintable():  # a hostile key (a quoted TOML key may hold a newline) must not split the line
            text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
        self._append(file, line or 0, text)

    def _append(self, file: str, line: int, text: str) -> None:
        order = self._files.setdefault(file, len(self._files))
        self._entries.append((order, line, len(self._entries), text))

    def entries(self) -> list[Entry]:
        """Every problem so far in the order added, for :meth:`merge` (e.g. across processes)."""
        files = {order: file for file, order in self._files.items()}
        return [(files[order], line, text) for order, line, _, text in self._entries]

    def merge(self, entries: list[Entry]) -> None:
        """Add problems found by another :class:`Problems` as if they had been found here, now."""
        for file, line, text in entries:
            self._append(file, line, text)

    @property
    def lines(self) -> list[str]:
        return [entry[3] for entry in sorted(self._entries)]

    def __bool__(self) -> bool:
        return bool(self._entries)
