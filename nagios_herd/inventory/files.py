"""Reading inventory files: a TOML document with its top-level keys checked, and each team file read, checked
against the herd and built into a :class:`~nagios_herd.model.Team`.

Team files are independent of each other (the one rule across teams, unique team names, stays with the caller),
so :func:`read_teams` reads a large herd's teams in two processes (:mod:`nagios_herd.parallel`). Each team's
problems come back as entries and are merged by the caller at the point a one-process read would have found them,
so the problem lines and their order do not depend on where a team was read.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from nagios_herd.inventory import schema
from nagios_herd.inventory import toml_reader as inventory_toml
from nagios_herd.inventory.crosschecks import HerdDraft, TeamDraft, check_team
from nagios_herd.inventory.problems import Entry, Problems
from nagios_herd.model import Command, Contact, Definition, MonitoredHost, Service, Team
from nagios_herd.parallel import Child, cores

TEAM_KEYS = {"team": True, "contacts": False, "commands": False, "hosts": False, "services": False,
             **{key: False for key in schema.DEFINITIONS}}
PARALLEL_BYTES = 1 << 20  # below this much team text a second process costs more than it saves
_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_NAME = attrgetter("name")
_SERVICE = attrgetter("host", "description")


def read_text(path: Path, replace: Mapping[Path, str] | None) -> str:
    """``replace``'s candidate text for ``path`` if it has one, else the file as UTF-8 (OSError, UnicodeError)."""
    if replace and path.resolve() in replace:
        return replace[path.resolve()]
    return path.read_bytes().decode("utf-8")


def read_toml(problems: Problems, path: Path, file: str,
              replace: Mapping[Path, str] | None = None) -> dict[str, Any] | None:
    """The parsed document (``replace`` gives candidate texts by resolved path), or None after recording why not."""
    try:
        text = read_text(path, replace)
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


def read_document(problems: Problems, path: Path, file: str, keys: dict[str, bool],
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
    document = read_document(problems, path, file, TEAM_KEYS, replace)
    if document is None:
        return None
    draft = TeamDraft(file)
    if "team" in document:
        draft.team = schema.read_table(problems, file, "team", document["team"], schema.TEAM)
    draft.contacts = schema.read_array(problems, file, "contacts", document, schema.CONTACT)
    for index, table in enumerate(document.get("contacts", []) if isinstance(document.get("contacts"), list) else ()):
        if isinstance(table, dict) and "email" not in table and "nagios" not in table:
            problems.add(file, f"contacts[{index}].email", "missing: the herd's notification commands mail the "
                         "contact (one without e-mail needs its own notification directives in a nagios table)")
    draft.commands = schema.read_array(problems, file, "commands", document, schema.TEAM_COMMAND)
    draft.hosts = schema.read_array(problems, file, "hosts", document, schema.MONITORED_HOST)
    draft.services = schema.read_array(problems, file, "services", document, schema.SERVICE)
    for key, (kind, _) in schema.DEFINITIONS.items():
        draft.definitions += [(path, kind, table) for path, table in schema.read_definitions(problems, file, key,
                                                                                             document)]
    return draft


def build_team(draft: TeamDraft) -> Team:
    """The model of a team file that had no problem."""
    return Team(
        name=draft.team["name"],
        alias=draft.team["alias"],
        contacts=tuple(sorted((Contact(**fields) for _, fields in draft.contacts), key=_NAME)),
        hosts=tuple(sorted((MonitoredHost(**fields) for _, fields in draft.hosts), key=_NAME)),
        services=tuple(sorted((Service(**fields) for _, fields in draft.services), key=_SERVICE)),
        commands=tuple(sorted((Command(**fields) for _, fields in draft.commands), key=_NAME)),
        source=draft.file,
        definitions=tuple(Definition(kind, table) for _, kind, table in draft.definitions),
    )


@dataclass(frozen=True)
class TeamResult:
    draft: TeamDraft | None  # file and [team] table only: what the rules across teams read
    read: list[Entry]  # problems found reading the file
    checked: list[Entry]  # problems found checking it against the herd (check_team)
    team: Team | None  # built when neither found a problem


def _read_and_check(path: Path, file: str, herd: HerdDraft, replace: Mapping[Path, str] | None) -> TeamResult:
    problems = Problems()
    draft = _read_team(problems, path, file, replace)
    read = problems.entries()
    if draft is None:
        return TeamResult(None, read, [], None)
    check_team(problems, draft, herd)
    checked = problems.entries()[len(read):]
    team = None if read or checked else build_team(draft)
    return TeamResult(TeamDraft(draft.file, draft.team), read, checked, team)


def read_teams(files: list[tuple[Path, str]], herd: HerdDraft, replace: Mapping[Path, str] | None,
               parallel: bool | None = None) -> dict[Path, TeamResult]:
    """Read and check each ``(path, name in messages)``; ``parallel`` None: two processes for a large herd."""
    def work(share: list[tuple[Path, str]]) -> Callable[[], dict[Path, TeamResult]]:
        return lambda: {path: _read_and_check(path, file, herd, replace) for path, file in share}

    sizes = {path: _size(path, replace) for path, _ in files}
    if parallel is None:
        parallel = cores() > 1 and sum(sizes.values()) >= PARALLEL_BYTES
    if not parallel or len(files) < 2:
        return work(files)()
    shares: tuple[list[tuple[Path, str]], list[tuple[Path, str]]] = ([], [])
    loads = [0, 0]
    for item in sorted(files, key=lambda item: -sizes[item[0]]):  # largest first onto the lighter share
        lighter = loads.index(min(loads))
        shares[lighter].append(item)
        loads[lighter] += sizes[item[0]]
    child = Child(lambda: {path: _pack(result) for path, result in work(shares[1])().items()})
    mine = work(shares[0])()
    return {**mine, **{path: _unpack(packed) for path, packed in child.result().items()}}


_ROWS = {kind: attrgetter(*(field.name for field in fields(kind))) for kind in (Contact, MonitoredHost, Service, Command)}


def _pack(result: TeamResult) -> tuple[Any, ...]:
    """A result as plain tuples: ten thousand dataclass instances cost several times more to pickle and load."""
    team = result.team
    if team is None:
        return result.draft, result.read, result.checked, None
    rows = [[_ROWS[type(item)](item) for item in items] for items in (team.contacts, team.hosts, team.services,
                                                                       team.commands)]
    return result.draft, result.read, result.checked, (team.name, team.alias, team.source, team.definitions, *rows)


def _unpack(packed: tuple[Any, ...]) -> TeamResult:
    draft, read, checked, team = packed
    if team is None:
        return TeamResult(draft, read, checked, None)
    name, alias, source, definitions, contacts, hosts, services, commands = team
    return TeamResult(draft, read, checked, Team(
        name=name, alias=alias, contacts=tuple(Contact(*row) for row in contacts),
        hosts=tuple(MonitoredHost(*row) for row in hosts), services=tuple(Service(*row) for row in services),
        commands=tuple(Command(*row) for row in commands), source=source, definitions=definitions))


def _size(path: Path, replace: Mapping[Path, str] | None) -> int:
    try:
        return len(replace[path.resolve()]) if replace and path.resolve() in replace else path.stat().st_size
    except OSError:
        return 0
