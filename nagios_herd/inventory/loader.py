"""Load the herd inventory (``herd.toml`` and the team files it includes) into the immutable model.

Everything is validated before anything else runs: every problem in every file is collected and raised together
as :class:`~nagios_herd.errors.InventoryError` (``FILE: field.path: problem (line N)``), so callers that get a
:class:`~nagios_herd.model.Herd` back can trust every name, number and reference in it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from nagios_herd.errors import InventoryError
from nagios_herd.inventory import schema, values
from nagios_herd.inventory.crosschecks import HerdDraft, check_herd
from nagios_herd.inventory.files import TeamResult, read_document, read_teams, read_text
from nagios_herd.inventory.problems import Problems
from nagios_herd.model import (
    Cluster,
    Command,
    Contact,
    FenceDevice,
    Guest,
    Herd,
    LabTuning,
    Notifications,
    Paths,
    Team,
    XenHost,
)
from nagios_herd.parallel import gc_paused

HERD_KEYS = {"herd": True, "paths": False, "commands": False, "hosts": True, "guests": True, "pacemaker": False,
             "fencing": False, "admins": False, "notifications": False, "lab": False}


def team_file_name(main: Path, include: str) -> str:
    """How messages name a team file: the inventory's directory joined with the include, normalised."""
    return os.path.normpath(str(main.parent / include))


def _includes(main: Path, draft: HerdDraft) -> list[tuple[str, str | None, Path, str]]:
    """``(guest, problem or None, team file, its name in messages)``: relative to the inventory, inside its
    directory, present, and nobody else's team."""
    base = main.parent
    included: dict[Path, str] = {}
    plan = []
    for guest, fields in draft.guests:
        if "team" not in fields:
            continue
        include = fields["team"]
        target = base / include
        shown = team_file_name(main, include)
        problem = None
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (before Python 3.13)
            resolved = None
        if resolved is None:
            problem = f"include {include!r} is a symlink loop ({shown})"
        elif not resolved.is_relative_to(base.resolve()):
            problem = f"include {include!r} is outside the inventory directory"
        elif not target.is_file():
            problem = f"include {include!r} not found ({shown})"
        elif resolved in included:
            problem = f"{include!r} is already the team of guest {included[resolved]!r}"
        else:
            included[resolved] = guest
        plan.append((guest, problem, target, shown))
    return plan


def _text(path: Path, replace: Mapping[Path, str] | None) -> str | None:
    try:
        return read_text(path, replace)
    except (OSError, UnicodeDecodeError):
        return None


def _read_herd(problems: Problems, path: Path, replace: Mapping[Path, str] | None,
               parallel: bool | None) -> tuple[HerdDraft, dict[str, TeamResult]] | None:
    file = str(path)
    document = read_document(problems, path, file, HERD_KEYS, replace)
    if document is None:
        return None
    draft = HerdDraft(file)
    if "herd" in document:
        draft.herd = schema.read_table(problems, file, "herd", document["herd"], schema.HERD)
    if "paths" in document:
        draft.paths = schema.read_table(problems, file, "paths", document["paths"], schema.PATHS)
    if "notifications" in document:
        draft.notifications = schema.read_table(problems, file, "notifications", document["notifications"],
                                                schema.NOTIFICATIONS)
    if "lab" in document:
        draft.lab = schema.read_table(problems, file, "lab", document["lab"], schema.LAB)
    draft.admins = schema.read_array(problems, file, "admins", document, schema.ADMIN)
    draft.commands = schema.read_named_tables(problems, file, "commands", document, schema.HERD_COMMAND,
                                              values.nagios_name)
    draft.hosts = schema.read_named_tables(problems, file, "hosts", document, schema.XEN_HOST, values.name)
    if "pacemaker" in document:
        draft.pacemaker = schema.read_table(problems, file, "pacemaker", document["pacemaker"], schema.PACEMAKER)
    draft.fencing = schema.read_named_tables(problems, file, "fencing", document, schema.FENCING, values.name)
    draft.guests = schema.read_named_tables(problems, file, "guests", document, schema.GUEST, values.name)
    plan = _includes(path, draft)
    read = read_teams([(target, shown) for _, problem, target, shown in plan if problem is None], draft, replace,
                      parallel)
    teams: dict[str, TeamResult] = {}
    for guest, problem, target, shown in plan:
        if problem is not None:
            problems.add(file, f"guests.{guest}.team", problem)
            continue
        problems.add_source(shown, lambda target=target: _text(target, replace))  # read again only for a line
        problems.merge(read[target].read)  # number
        if read[target].draft is not None:
            draft.teams[guest] = read[target].draft  # type: ignore[assignment]
            teams[guest] = read[target]
    return draft, teams


def _assemble(draft: HerdDraft, teams: dict[str, Team]) -> Herd:
    hosts = sorted((XenHost(name=name, **fields) for name, fields in draft.hosts), key=lambda h: h.role != "primary")
    guests = sorted((Guest(name=name, team=teams[name],
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
        drbd_secrets=draft.herd.get("drbd_secrets", ""),
        web_secrets=draft.herd.get("web_secrets", ""),
        replication_over_management=draft.herd.get("replication_over_management", False),
        paths=Paths(**draft.paths),
        cluster=_cluster(draft, [host.name for host in hosts]),
        source=draft.file,
        admins=tuple(sorted((Contact(**fields) for _, fields in draft.admins), key=lambda c: c.name)),
        notifications=Notifications(**draft.notifications),
        lab=None if draft.lab is None else LabTuning(**draft.lab),
    )


def _cluster(draft: HerdDraft, host_order: list[str]) -> Cluster:
    fencing = dict(draft.fencing)
    devices = tuple(FenceDevice(host=name, **fencing[name]) for name in host_order if name in fencing)
    return Cluster(**draft.pacemaker, fencing=devices)


def load(path: str | os.PathLike[str], *, replace: Mapping[Path, str] | None = None,
         parallel: bool | None = None) -> Herd:
    """The validated herd in ``path``; raises InventoryError listing every problem in every file.

    ``replace`` maps resolved file paths to candidate texts read instead of the files, so an edit (adopt) is
    validated as part of the whole inventory before it is written. ``parallel``: read the team files in two
    processes (None: when there are two CPUs and enough team text to gain from it).
    """
    problems = Problems()
    with gc_paused():
        read = _read_herd(problems, Path(path), replace, parallel)
        if read is not None:
            draft, teams = read
            checked = {result.draft.file: result.checked for result in teams.values() if result.draft}
            check_herd(problems, draft, lambda team: problems.merge(checked[team.file]))
        if problems or read is None:
            raise InventoryError(problems.lines)
        return _assemble(draft, {guest: result.team for guest, result in teams.items()})  # type: ignore[misc]
