"""Nagios object files as Nagios writes them back: the precached object file of ``nagios4 -vp``.

In that file every object is already resolved (templates applied, ``+`` merged, groups and regular expressions
expanded, one service per host, one dependency or escalation per pair), one ``<TAB>directive<TAB>value`` line each.
Reading it instead of the source files is what lets adopt and its round-trip check take Nagios' own word for what a
configuration means. Also the two ``key=value`` formats around it: the main config file and ``resource.cfg``.
"""

from __future__ import annotations

import re

NagiosObject = dict[str, str]
_USER_MACRO = re.compile(r"^\$(USER\d{1,3})\$=(.*)$")


def parse_objects(text: str) -> list[tuple[str, NagiosObject]]:
    """``(kind, directives)`` for each ``define KIND {`` block, in file order; values are taken verbatim.

    The precached file has no comments (a ``;`` there is data) and one directive per line; a key may hold spaces
    (timeperiod ranges such as ``december 25``), so a line splits at its first TAB after the indentation.
    """
    objects: list[tuple[str, NagiosObject]] = []
    current: NagiosObject | None = None
    for raw in text.splitlines():
        line = raw.strip("\t ")
        if current is None:
            if line.startswith("define ") and line.endswith("{"):
                current = {}
                objects.append((line[7:-1].strip(), current))
        elif line == "}":
            current = None
        elif line:
            key, _, value = raw.lstrip("\t ").partition("\t")
            current[key.strip()] = value.strip()
    return objects


def parse_main(text: str) -> list[tuple[str, str]]:
    """The ``key=value`` lines of a Nagios main config file (comments and blank lines dropped), in order."""
    pairs = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_resource(text: str) -> dict[str, str]:
    """``{"USER1": value}`` from a resource file (Nagios keeps the value verbatim after the ``=``)."""
    macros = {}
    for raw in text.splitlines():
        match = _USER_MACRO.match(raw.strip())
        if match:
            macros[match.group(1)] = match.group(2)
    return macros
