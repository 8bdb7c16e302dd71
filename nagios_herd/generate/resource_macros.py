"""A guest's ``$USERn$`` macros: the herd's own three, and the team's from a root-only resource secrets file.

Why a separate file: Nagios keeps ``$USERn$`` values in ``resource.cfg`` because they are secrets (database and
SNMP passwords, API tokens), while a team file is an ordinary inventory file every team reads and many keep in
version control. The team's command lines therefore keep ``$USERn$`` as written, and the values live in the file
the herd file names for that guest (``[guests.NAME] resource_secrets``, written by ``nagios-herd adopt``). It is
read at generation, refused unless it is a regular file owned by root (or the running user) that nobody else may
read, and every message about it names the file and the macro, never a value. ``generate`` writes the values into
that guest's ``etc/nagios4/resource.cfg`` and nowhere else (0600 in a build tree, root:nagios 0640 when
published: Nagios re-reads it as the nagios user on a reload).

Format (TOML)::

    [macros]
    USER7 = "…"                 # $USER7$ of the team's commands

``USER1`` to ``USER3`` are the herd's own (:func:`herd_macros`); a team's macro of the same name with another
value is moved by adopt to a free number (:func:`free_name`).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping

from nagios_herd.errors import HerdError
from nagios_herd.model import Paths
from nagios_herd.privilege import read_secrets_toml

KEYS = {"macros"}
MAX_USER_MACROS = 256  # Nagios 4's $USER1$ .. $USER256$
_NAME = re.compile(r"^USER([1-9][0-9]{0,2})$")
WHAT = "resource secrets file"


def herd_macros(paths: Paths) -> dict[str, str]:
    """The ``$USERn$`` every guest's resource.cfg defines: plugins, the herd's plugins, the watchers' credentials."""
    return {"USER1": paths.standard_plugin_dir, "USER2": paths.plugin_dir,
            "USER3": f"{paths.state_dir.rstrip('/')}/cgi-auth"}


def number(name: str) -> int:
    """``USER7`` -> 7; 0 for anything that is not a ``$USERn$`` Nagios knows."""
    match = _NAME.match(name)
    return int(match.group(1)) if match and int(match.group(1)) <= MAX_USER_MACROS else 0


def free_name(taken: Container[str]) -> str | None:
    """The lowest ``USERn`` not in ``taken`` (None when all 256 are)."""
    return next((f"USER{n}" for n in range(1, MAX_USER_MACROS + 1) if f"USER{n}" not in taken), None)


def value_problem(value: object) -> str | None:
    """Why ``value`` cannot be one ``$USERn$=value`` line Nagios reads back unchanged (never quoting it)."""
    if not isinstance(value, str):
        return "must be a string"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "holds a control character or a line break (value not shown)"
    if value != value.strip(" "):
        return "has leading or trailing spaces, which Nagios strips (value not shown)"
    if value.endswith("\\"):
        return "ends in a backslash, which would join the next line (value not shown)"
    return None


def check(macros: Mapping[str, object], where: str) -> list[str]:
    """One line per macro that cannot go into a guest's resource.cfg (``where`` names the file)."""
    problems = []
    for name, value in macros.items():
        if not number(name):
            problems.append(f"{where}: macros.{name}: not a Nagios macro name USER1 .. USER{MAX_USER_MACROS}")
        elif name in herd_macros(Paths()):
            problems.append(f"{where}: macros.{name}: ${name}$ is the herd's own (USER1 to USER3); use another "
                            "number (nagios-herd adopt moves a team's to a free one)")
        else:
            problem = value_problem(value)
            if problem:
                problems.append(f"{where}: macros.{name}: {problem}")
    return problems


def load(path: str) -> dict[str, str]:
    """The team's macros in ``path``, by number; one line naming the file and the macro on any problem."""
    table = read_secrets_toml(path, WHAT, KEYS).get("macros", {})
    if not isinstance(table, dict):
        raise HerdError(f"{path}: macros: must be a table of USERn = value")
    problems = check(table, path)
    if problems:
        raise HerdError(problems[0])
    return dict(sorted(table.items(), key=lambda item: number(item[0])))


def text(macros: Mapping[str, str], source: str) -> bytes:
    """The secrets file adopt writes: ``[macros]`` by number, under a header naming where they came from."""
    from nagios_herd.inventory.toml_writer import dumps

    header = (f"# $USERn$ of the team's commands, adopted from {source} by nagios-herd adopt.\n"
              "# Secrets: keep this file root-only (0600); generate writes them into the guest's resource.cfg only.")
    ordered = dict(sorted(macros.items(), key=lambda item: number(item[0])))
    return dumps({"macros": ordered}, header=header).encode()
