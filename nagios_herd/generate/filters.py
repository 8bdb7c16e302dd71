"""Quoting filters: the only way a value reaches a generated file, one filter per file format.

Each file format has its own injection hazards (a newline starts a new Nagios ``define``, an unescaped ``;`` cuts a
Nagios value, ``!`` splits check_command arguments, ``$`` starts a macro, ``,``/``:``/``=`` are sudoers syntax,
``;{}"`` end a DRBD statement, NRPE command lines run through ``/bin/sh``), so every template pipes every model value
through the filter of its format. A filter either returns the text to write or raises :class:`FilterError`; the
renderer adds the name of the file being rendered. Every filter rejects newline, carriage return and NUL.
"""

from __future__ import annotations

import functools
import json
import re
import shlex

_LINE_BREAKERS = ("\n", "\r", "\0")
_SHELL_META = frozenset("!$`;|&<>()\\\"'{}*?[]#~")
_XL_STRING = re.compile(r"[ -~]*")  # printable ASCII; quotes and backslashes refused separately
_DRBD_BARE = re.compile(r"[A-Za-z0-9_.:/-]+")
_SUDO_WILDCARDS = frozenset("*?[]")
_SUDO_SPECIAL = re.compile(r"([\\,:=])")


class FilterError(ValueError):
    """A value cannot be written safely in this format; ``str()`` is ``reason: 'value'``."""

    def __init__(self, filter_name: str, value: object, reason: str) -> None:
        super().__init__(f"{filter_name}: {reason}: {value!r}")
        self.filter_name = filter_name
        self.value = value
        self.reason = reason


def _text(name: str, value: object) -> str:
    """The common gate: a non-empty string (ints are fine) with no line breakers."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FilterError(name, value, f"expected text, got {type(value).__name__}")
    text = str(value)
    if not text:
        raise FilterError(name, value, "empty value")
    for bad in _LINE_BREAKERS:
        if bad in text:
            raise FilterError(name, value, "newline, carriage return or NUL in value")
    return text


def nagval(value: object, *, command: bool = False) -> str:
    """A Nagios object directive value: ``;`` escaped as ``\\;``, no macros or argument splits in user data.

    ``command=True`` is for ``command_line`` only, where ``$MACRO$`` and ``!`` are the point of the value.
    """
    return _nagval(value if type(value) is str else _text("nagval", value), command)


@functools.lru_cache(maxsize=1 << 16)  # a big herd repeats host names, descriptions and commands many times
def _nagval(value: str, command: bool) -> str:
    text = _text("nagval", value)
    if text != text.strip():
        raise FilterError("nagval", value, "leading or trailing whitespace")
    refused = "`" if command else "!$`"
    for char in refused:
        if char in text:
            raise FilterError("nagval", value, f"{char!r} is not allowed in a Nagios value")
    return text.replace(";", "\\;")


def nagarg(value: object) -> str:
    """One ``check_command`` argument (``$ARGn$``): Nagios splits on ``!`` and hands it to ``/bin/sh`` verbatim."""
    return _nagarg(value if type(value) is str else _text("nagarg", value))


@functools.lru_cache(maxsize=1 << 16)
def _nagarg(value: str) -> str:
    text = _text("nagarg", value)
    if text != text.strip():
        raise FilterError("nagarg", value, "leading or trailing whitespace")
    bad = sorted(set(text) & _SHELL_META)
    if bad:
        raise FilterError("nagarg", value, f"shell or Nagios metacharacter {''.join(bad)!r} in an argument")
    return text


_DIRECTIVE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ :/-]*")


def nagkey(value: object) -> str:
    """The name of a directive a team table sets (validated at load; still never more than a key)."""
    text = _text("nagkey", value)
    if not _DIRECTIVE_KEY.fullmatch(text) or text != text.strip():
        raise FilterError("nagkey", value, "not a Nagios directive name")
    return text


@functools.lru_cache(maxsize=1 << 12)
def nagdirectives(directives: tuple[tuple[str, str], ...]) -> str:
    """A team object's ``nagios`` directives as its indented lines (adopted teams repeat the same tables a lot,
    so each distinct table is written once)."""
    return "\n".join(f"    {nagkey(key)}    {nagteam(value)}" for key, value in directives)


def nagteam(value: object) -> str:
    """A value of a team's own Nagios object (adopted as that Nagios had it): one line, ``;`` escaped as ``\\;``.

    Unlike :func:`nagval` it keeps ``$`` and ``!``: a team's event handler, custom variable or command line is
    the team's own, and its Nagios reads it exactly as the server it came from did.
    """
    return _nagteam(value if type(value) is str else _text("nagteam", value))


@functools.lru_cache(maxsize=1 << 16)
def _nagteam(value: str) -> str:
    text = _text("nagteam", value)
    if text != text.strip():
        raise FilterError("nagteam", value, "leading or trailing whitespace")
    return text.replace(";", "\\;")


@functools.lru_cache(maxsize=1 << 12)
def nagteamlist(values: tuple[str, ...]) -> str:
    """A comma list of team object names (contacts, parents, groups): the same lists repeat on many objects."""
    return ",".join(nagteam(value) for value in values)


def nagteamarg(value: object) -> str:
    """An argument of a team's own check command: one line, no ``!`` (it splits arguments), ``;`` escaped."""
    if type(value) is not str or any(char in value for char in "\n\r\0!"):
        raise FilterError("nagteamarg", value, "newline, NUL or '!' in a check_command argument")
    return value.replace(";", "\\;")


def xlval(value: object) -> str:
    """An xl.cfg(5) literal: ints bare, strings double-quoted, lists as ``['a', 'b']`` (the xl list form)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join("'" + _xl_string(item) + "'" for item in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(_xl_string(value))


def _xl_string(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise FilterError("xlval", value, "a number inside a string list")
    text = _text("xlval", value)
    if not _XL_STRING.fullmatch(text) or '"' in text or "'" in text or "\\" in text:
        raise FilterError("xlval", value, "only printable ASCII without quotes or backslashes is allowed in xl.cfg")
    return text


def drbdval(value: object, *, bare: bool = False) -> str:
    """A DRBD config value, ``"..."``-quoted; ``bare=True`` for tokens drbdadm wants unquoted (address:port)."""
    text = _text("drbdval", value)
    if bare:
        if not _DRBD_BARE.fullmatch(text):
            raise FilterError("drbdval", value, "only letters, digits and _.:/- are allowed in a bare DRBD token")
        return text
    for char in ';{}"\\':
        if char in text:
            raise FilterError("drbdval", value, f"{char!r} is not allowed in a DRBD value")
    if text != text.strip():
        raise FilterError("drbdval", value, "leading or trailing whitespace")
    return f'"{text}"'


def sudoval(value: object) -> str:
    """One word of a sudoers Cmnd (path or argument): sudoers specials escaped, wildcards and spaces refused.

    Wildcards are refused because a wildcard argument lets the caller append write options to a read-only command.
    """
    text = _text("sudoval", value)
    bad = sorted(set(text) & _SUDO_WILDCARDS)
    if bad:
        raise FilterError("sudoval", value, f"wildcard {''.join(bad)!r} in a sudoers command")
    if any(char.isspace() for char in text):
        raise FilterError("sudoval", value, "whitespace inside one sudoers word")
    return _SUDO_SPECIAL.sub(r"\\\1", text)


def nrpeval(value: object) -> str:
    """A word of an NRPE ``command[...]=`` line: NRPE runs the line with ``/bin/sh -c``, so shell-quote it."""
    if isinstance(value, (list, tuple)):
        return " ".join(nrpeval(item) for item in value)
    return shlex.quote(_text("nrpeval", value))


def xmlval(value: object) -> str:
    """An XML attribute value (the CIB): ``&<>"'`` escaped, control characters refused."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _text("xmlval", value)
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise FilterError("xmlval", value, "control character in an XML value")
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&apos;"))


def xmlcomment(value: object) -> str:
    """Text inside ``<!-- -->``: XML forbids ``--`` there."""
    text = _text("xmlcomment", value)
    while "--" in text:
        text = text.replace("--", "- -")
    return text[:-1] + "- " if text.endswith("-") else text


FILTERS = {
    "nagval": nagval,
    "nagarg": nagarg,
    "nagkey": nagkey,
    "nagdirectives": nagdirectives,
    "nagteam": nagteam,
    "nagteamlist": nagteamlist,
    "nagteamarg": nagteamarg,
    "xlval": xlval,
    "drbdval": drbdval,
    "sudoval": sudoval,
    "nrpeval": nrpeval,
    "xmlval": xmlval,
    "xmlcomment": xmlcomment,
}
