"""Load the herd inventory (``herd.toml`` and the team files it includes) into the immutable model.

Everything is validated before anything else runs: every problem in every file is collected and raised together
as :class:`~nagios_herd.errors.InventoryError` (``FILE: field.path: problem (line N)``), so callers that get a
:class:`~nagios_herd.model.Herd` back can trust every name, number and reference in it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import inventory_schema as schema
from . import inventory_toml
from . import inventory_values as values
from .errors import InventoryError
from .inventory_checks import HerdDraft, TeamDraft, check_herd
from .inventory_problems import Problems
from .model import Command, Contact, Guest, Herd, MonitoredHost, Paths, Service, Team, XenHost

HERD_KEYS = {"herd": True, "paths": False, "commands": False, "hosts": True, "guests": True}
TEAM_KEYS = {"team": True, "contacts": False, "commands": False, "hosts": False, "services": False}
_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def read_toml(problems: Problems, path: Path, file: str,
              replace: Mapping[Path, str] | None = None) -> dict[str, Any] | None:
    """The parsed document (``replace`` gives candidate texts by resolved path), or None after recording why not."""
    try:
        if replace and path.resolve() in replace:
            text = replace[path.resolve()]
        else:
            text = path.read_bytes().decode("utf-8")
    except OSError as error:
        problems.add(file, "file", f"cannot read: {error.strerror or error}")
        return None
    except UnicodeDecodeError as error:
        problems.add(file, "file", f"not UTF-8 text (byte {error.start})")
        return None
    problems.add_source(file, text)
    document = inventory_toml.loads(text)  # the plain subset fast; everything else, and every error, from tomllib
    if document is not None:
        return document
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = _AT_LINE.search(message)
        problems.add(file, "syntax", _AT_LINE.sub("", message), int(where.group(1)) if where else None)
        return None
    except RecursionError:  # tomllib recurses per nesting level: a hostile file must not become a traceback
        problems.add(file, "syntax", "arrays or tables nested too deeply")
        return None


def _document(problems: Problems, path: Path, file: str, keys: dict[str, bool],
              replace: Mapping[Path, str] | None) -> dict[str, Any] | None:
    """The parsed file with its top-level keys checked against ``keys`` (name -> required)."""
    document = read_toml(problems, path, file, replace)
    if document is None:
        return None
    for key in document:
        if key not in keys:
            problems.add(file, key, "unknown key" + schema.did_you_mean(key, list(keys)))
    for key, required in keys.items():
        if required and key not in document:
            problems.add(file, key, f"missing required table [{key}]")
    return document


def _read_team(problems: Problems, path: Path, file: str, replace: Mapping[Path, str] | None) -> TeamDraft | None:
    document = _document(problems, path, file, TEAM_KEYS, replace)
    if document is None:
        return None
    draft = TeamDraft(file)
    if "team" in document:
        draft.team = schema.read_table(problems, file, "team", document["team"], schema.TEAM)
    draft.contacts = schema.read_array(problems, file, "contacts", document, schema.CONTACT)
    draft.commands = schema.read_array(problems, file, "commands", document, schema.TEAM_COMMAND)
    draft.hosts = schema.read_array(problems, file, "hosts", document, schema.MONITORED_HOST)
    draft.services = schema.read_array(problems, file, "services", document, schema.SERVICE)
    return draft


def team_file_name(main: Path, include: str) -> str:
    """How messages name a team file: the inventory's directory joined with the include, normalised."""
    return os.path.normpath(str(main.parent / include))


def _include(problems: Problems, main: Path, file: str, guest: str, include: str) -> tuple[Path, str] | None:
    """The team file of ``guest``: relative to the inventory, inside its directory, present."""
    base = main.parent
    target = base / include
    shown = team_file_name(main, include)
    if not target.resolve().is_relative_to(base.resolve()):
        problems.add(file, f"guests.{guest}.team", f"include {include!r} is outside the inventory directory")
        return None
    if not target.is_file():
        problems.add(file, f"guests.{guest}.team", f"include {include!r} not found ({shown})")
        return None
    return target, shown


def _read_herd(problems: Problems, path: Path, replace: Mapping[Path, str] | None) -> HerdDraft | None:
    file = str(path)
    document = _document(problems, path, file, HERD_KEYS, replace)
    if document is None:
        return None
    draft = HerdDraft(file)
    if "herd" in document:
        draft.herd = schema.read_table(problems, file, "herd", document["herd"], schema.HERD)
    if "paths" in document:
        draft.paths = schema.read_table(problems, file, "paths", document["paths"], schema.PATHS)
    draft.commands = schema.read_named_tables(problems, file, "commands", document, schema.HERD_COMMAND,
                                              values.nagios_name)
    draft.hosts = schema.read_named_tables(problems, file, "hosts", document, schema.XEN_HOST, values.name)
    draft.guests = schema.read_named_tables(problems, file, "guests", document, schema.GUEST, values.name)
    included: dict[Path, str] = {}
    for guest, fields in draft.guests:
        if "team" not in fields:
            continue
        found = _include(problems, path, file, guest, fields["team"])
        if found is None:
            continue
        target, shown = found
        if target.resolve() in included:
            problems.add(file, f"guests.{guest}.team",
                         f"{fields['team']!r} is already the team of guest {included[target.resolve()]!r}")
            continue
        included[target.resolve()] = guest
        team = _read_team(problems, target, shown, replace)
        if team is not None:
            draft.teams[guest] = team
    return draft


def _team(draft: TeamDraft) -> Team:
    return Team(
        name=draft.team["name"],
        alias=draft.team["alias"],
        contacts=tuple(sorted((Contact(**fields) for _, fields in draft.contacts), key=lambda c: c.name)),
        hosts=tuple(sorted((MonitoredHost(**fields) for _, fields in draft.hosts), key=lambda h: h.name)),
        services=tuple(sorted((Service(**fields) for _, fields in draft.services),
                              key=lambda s: (s.host, s.description))),
        commands=tuple(sorted((Command(**fields) for _, fields in draft.commands), key=lambda c: c.name)),
        source=draft.file,
    )


def _assemble(draft: HerdDraft) -> Herd:
    hosts = sorted((XenHost(name=name, **fields) for name, fields in draft.hosts), key=lambda h: h.role != "primary")
    guests = sorted((Guest(name=name, team=_team(draft.teams[name]),
                           **{key: value for key, value in fields.items() if key != "team"})
                     for name, fields in draft.guests), key=lambda g: g.name)
    return Herd(
        name=draft.herd["name"],
        hosts=tuple(hosts),
        guests=tuple(guests),
        watcher=draft.herd["watcher"],
        watcher_peer=draft.herd["watcher_peer"],
        commands=tuple(sorted((Command(name, fields["line"]) for name, fields in draft.commands),
                              key=lambda c: c.name)),
        drbd_protocol=draft.herd.get("drbd_protocol", "C"),
        paths=Paths(**draft.paths),
        source=draft.file,
    )


def load(path: str | os.PathLike[str], *, replace: Mapping[Path, str] | None = None) -> Herd:
    """The validated herd in ``path``; raises InventoryError listing every problem in every file.

    ``replace`` maps resolved file paths to candidate texts read instead of the files, so an edit (adopt) is
    validated as part of the whole inventory before it is written.
    """
    problems = Problems()
    draft = _read_herd(problems, Path(path), replace)
    if draft is not None:
        check_herd(problems, draft)
    if problems or draft is None:
        raise InventoryError(problems.lines)
    return _assemble(draft)
