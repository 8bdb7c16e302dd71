"""Rules that span several fields or files: uniqueness, references, roles, cycles and N+1 capacity.

They run on the well-formed fields only (a mistyped field was already reported), so one pass reports everything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nagios_herd.inventory import values
from nagios_herd.inventory.problems import Problems

Items = list[tuple[str, dict[str, Any]]]  # (path or name, well-formed fields)


@dataclass
class TeamDraft:
    file: str
    team: dict[str, Any] = field(default_factory=dict)
    contacts: Items = field(default_factory=list)
    commands: Items = field(default_factory=list)
    hosts: Items = field(default_factory=list)
    services: Items = field(default_factory=list)
    definitions: list[tuple[str, str, Any]] = field(default_factory=list)  # (path, Nagios object type, directives)


@dataclass
class HerdDraft:
    file: str
    herd: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Any] = field(default_factory=dict)
    pacemaker: dict[str, Any] = field(default_factory=dict)
    fencing: Items = field(default_factory=list)
    notifications: dict[str, Any] = field(default_factory=dict)
    lab: dict[str, Any] | None = None
    admins: Items = field(default_factory=list)
    commands: Items = field(default_factory=list)
    hosts: Items = field(default_factory=list)
    guests: Items = field(default_factory=list)
    teams: dict[str, TeamDraft] = field(default_factory=dict)  # guest name -> its team


def unique(problems: Problems, entries: Iterable[tuple[str, str, Any]], what: str) -> None:
    """Report every repeat of a value among ``(file, path, value)`` entries, pointing at the first use."""
    seen: dict[Any, tuple[str, str]] = {}
    for file, path, value in entries:
        if value is None:
            continue
        if value in seen:
            first_file, first_path = seen[value]
            where = first_path if first_file == file else f"{first_file}: {first_path}"
            problems.add(file, path, f"duplicate {what} {value!r} (already used by {where})")
        else:
            seen[value] = (file, path)


def check_herd(problems: Problems, draft: HerdDraft, checked_team: Callable[[TeamDraft], None]) -> None:
    """Every rule that spans fields or files, for the herd file and each team it includes.

    :func:`check_team` was run on each team where it was read (see :mod:`nagios_herd.inventory.files`);
    ``checked_team`` adds its problems here, in the place they belong among all the others.
    """
    file = draft.file
    hosts = dict(draft.hosts)
    guests = dict(draft.guests)
    roles = [(name, fields.get("role")) for name, fields in draft.hosts]
    if len(draft.hosts) != 2:
        problems.add(file, "hosts", f"expected exactly two hosts (one primary, one backup), found {len(draft.hosts)}")
    for wanted in ("primary", "backup"):
        having = [name for name, role in roles if role == wanted]
        if not having and all(role for _, role in roles):
            problems.add(file, "hosts", f"no host has role {wanted!r}")
        for extra in having[1:]:
            problems.add(file, f"hosts.{extra}.role", f"a second {wanted!r} host (hosts.{having[0]} is {wanted})")
    for name, fields in draft.guests:
        preferred = fields.get("preferred_host")
        if preferred is not None and preferred not in hosts:
            problems.add(file, f"guests.{name}.preferred_host", f"{preferred!r} is not a host defined under [hosts]")
    for key in ("watcher", "watcher_peer"):
        guest = draft.herd.get(key)
        if guest is not None and guest not in guests:
            problems.add(file, f"herd.{key}", f"{guest!r} is not a guest defined under [guests]")
    if draft.herd.get("watcher") and draft.herd.get("watcher") == draft.herd.get("watcher_peer"):
        problems.add(file, "herd.watcher_peer", "must be a different guest than herd.watcher (who watches the watcher?)")
    for name, _ in draft.guests:
        if name in hosts:  # both become host objects in the watcher's Nagios
            problems.add(file, f"guests.{name}", f"{name!r} is already the name of a Xen host")
    _check_addresses(problems, draft)
    _check_notifications(problems, draft)
    _check_drbd(problems, draft)
    _check_capacity(problems, draft)
    _check_fencing(problems, draft)
    for _, team in sorted(draft.teams.items()):
        checked_team(team)
    unique(problems, ((team.file, "team.name", team.team.get("name")) for _, team in sorted(draft.teams.items())),
           "team name")


def _check_fencing(problems: Problems, draft: HerdDraft) -> None:
    """Fence devices belong to hosts; a herd Pacemaker manages needs one for every host (no fencing, no failover:
    a cluster that cannot power a silent host off must not start its guests elsewhere)."""
    hosts = [name for name, _ in draft.hosts]
    fenced = [name for name, _ in draft.fencing]
    for name in fenced:
        if name not in hosts:
            problems.add(draft.file, f"fencing.{name}", f"{name!r} is not a host defined under [hosts]")
    if draft.pacemaker.get("manages_herd"):
        for name in hosts:
            if name not in fenced:
                problems.add(draft.file, f"fencing.{name}",
                             "missing: pacemaker.manages_herd is true, so every host needs a fence device")
    unique(problems, ((draft.file, f"fencing.{name}.ip", fields.get("ip")) for name, fields in draft.fencing),
           "fence device address")


def _check_addresses(problems: Problems, draft: HerdDraft) -> None:
    file = draft.file
    entries = []
    shared = draft.herd.get("replication_over_management", False)
    for name, fields in draft.hosts:
        if not shared and fields.get("address") and fields.get("replication_address") == fields.get("address"):
            problems.add(file, f"hosts.{name}.replication_address",
                         "same as the management address: DRBD would replicate over the management network; give "
                         "a dedicated replication address, or set herd.replication_over_management = true")
        entries.append((file, f"hosts.{name}.address", fields.get("address")))
        if fields.get("replication_address") != fields.get("address"):  # a host may replicate over its own address
            entries.append((file, f"hosts.{name}.replication_address", fields.get("replication_address")))
    entries += [(file, f"guests.{name}.address", fields.get("address")) for name, fields in draft.guests]
    unique(problems, entries, "IP address")
    unique(problems, ((file, f"guests.{name}.mac", fields.get("mac")) for name, fields in draft.guests), "MAC")
    unique(problems, ((file, f"guests.{name}.resource_secrets", fields.get("resource_secrets"))  # a team's secrets
                      for name, fields in draft.guests), "resource secrets file")  # reach its own guest only


def _check_notifications(problems: Problems, draft: HerdDraft) -> None:
    """Admins are contacts on the watchers beside that team's own; one way to notify."""
    file = draft.file
    unique(problems, ((file, f"{path}.name", fields.get("name")) for path, fields in draft.admins), "admin name")
    chosen = sorted(key for key in ("capture", "host_command") if key in draft.notifications)
    if len(chosen) > 1:
        problems.add(file, "notifications.capture", "capture replaces the notification commands; set one or the other")


def _check_admin_names(problems: Problems, team: TeamDraft, draft: HerdDraft) -> None:
    """The watchers' Nagios define the herd's admins beside their team's contacts: no name may be both."""
    watchers = {draft.herd.get("watcher"), draft.herd.get("watcher_peer")}
    base = os.path.dirname(draft.file)
    if not any(name in watchers and os.path.normpath(os.path.join(base, fields.get("team", ""))) == team.file
               for name, fields in draft.guests):
        return
    admins = {fields.get("name") for _, fields in draft.admins}
    for path, fields in team.contacts:
        if fields.get("name") in admins:
            problems.add(team.file, f"{path}.name", f"{fields['name']!r} is also one of the herd's [[admins]] in "
                         f"{draft.file}; this team's guest watches the herd, so its Nagios cannot hold both")


def _check_drbd(problems: Problems, draft: HerdDraft) -> None:
    file = draft.file
    unique(problems, ((file, f"guests.{name}.drbd_minor", fields.get("drbd_minor")) for name, fields in draft.guests),
           "DRBD minor")
    ssh_ports = {fields.get("ssh_port", 22): name for name, fields in draft.hosts}
    unique(problems, ((file, f"guests.{name}.drbd_port", fields.get("drbd_port")) for name, fields in draft.guests),
           "DRBD port")
    for name, fields in draft.guests:
        port = fields.get("drbd_port")
        if port in ssh_ports:
            problems.add(file, f"guests.{name}.drbd_port", f"{port} is the SSH port of host {ssh_ports[port]!r}")


def _check_capacity(problems: Problems, draft: HerdDraft) -> None:
    """N+1: either host alone must hold dom0 plus every guest, or a failover cannot complete."""
    total = sum(fields.get("memory_mb", 0) for _, fields in draft.guests)
    for name, fields in draft.hosts:
        memory, dom0 = fields.get("memory_mb"), fields.get("dom0_memory_mb")
        if memory is None or dom0 is None:
            continue
        if dom0 >= memory:
            problems.add(draft.file, f"hosts.{name}.dom0_memory_mb", f"{dom0} MB leaves nothing of the host's {memory} MB")
        elif dom0 + total > memory:
            problems.add(draft.file, f"hosts.{name}.memory_mb",
                         f"N+1 capacity: dom0 {dom0} MB + {len(draft.guests)} guests {total} MB = {dom0 + total} MB "
                         f"exceeds host {name!r} capacity of {memory} MB (each host must hold every guest)")


def check_team(problems: Problems, team: TeamDraft, draft: HerdDraft) -> None:
    """References inside one team file; its hosts may not take names the watcher's Nagios gives herd members."""
    file = team.file
    if not team.contacts:
        problems.add(file, "contacts", "a team needs at least one [[contacts]] entry")
    unique(problems, ((file, f"{path}.name", fields.get("name")) for path, fields in team.contacts), "contact name")
    herd_commands = {name for name, _ in draft.commands}
    unique(problems, ((file, f"{path}.name", fields.get("name")) for path, fields in team.commands), "command name")
    for path, fields in team.commands:
        if fields.get("name") in herd_commands:
            problems.add(file, f"{path}.name", f"{fields['name']!r} is already a herd-wide command in {draft.file}")
    reserved = {name: "a Xen host" for name, _ in draft.hosts} | {name: "a guest" for name, _ in draft.guests}
    unique(problems, ((file, f"{path}.name", fields.get("name")) for path, fields in team.hosts), "host name")
    for path, fields in team.hosts:
        if fields.get("name") in reserved:
            problems.add(file, f"{path}.name",
                         f"{fields['name']!r} is {reserved[fields['name']]} of the herd; the watcher's Nagios "
                         "defines that host name")
    _check_parents(problems, team)
    _check_admin_names(problems, team, draft)
    contacts = {fields.get("name") for _, fields in team.contacts}
    for items in (team.hosts, team.services):
        for path, fields in items:
            for index, contact in enumerate(fields.get("contacts", ())):
                if contact not in contacts:
                    problems.add(file, f"{path}.contacts[{index}]", f"{contact!r} is not a contact of this team")
    commands = herd_commands | {fields["name"] for _, fields in team.commands if "name" in fields}
    hosts = {fields.get("name") for _, fields in team.hosts}
    seen: dict[tuple[str, str], str] = {}
    plain: set[str] = set()  # arguments of herd-wide commands already found plain (a big team repeats them)
    for path, fields in team.services:
        host, description, command = fields.get("host"), fields.get("description"), fields.get("command")
        if host is not None and description is not None:
            if (host, description) in seen:
                problems.add(file, f"{path}.description", f"duplicate service {description!r} on host {host!r} "
                             f"(already defined by {seen[host, description]})")
            else:
                seen[host, description] = path
        if host is not None and host not in hosts:
            problems.add(file, f"{path}.host", f"{host!r} is not a host of this team")
        if command is not None and command not in commands:
            problems.add(file, f"{path}.command", f"{command!r} is not a herd-wide or team command")
        elif command in herd_commands:  # the herd wrote that shell line: its arguments stay plain
            for index, arg in enumerate(fields.get("args", ())):
                if arg in plain:
                    continue
                problem = values.command_arg(arg)
                if problem is None:
                    plain.add(arg)
                else:
                    problems.add(file, f"{path}.args[{index}]", f"{problem} (an argument of the herd-wide command "
                                 f"{command!r})")


def _check_parents(problems: Problems, team: TeamDraft) -> None:
    parents = {fields["name"]: fields.get("parents", ()) for _, fields in team.hosts if "name" in fields}
    for path, fields in team.hosts:
        for index, parent in enumerate(fields.get("parents", ())):
            if parent == fields.get("name"):
                problems.add(team.file, f"{path}.parents[{index}]", f"host {parent!r} cannot be its own parent")
            elif parent not in parents:
                problems.add(team.file, f"{path}.parents[{index}]", f"{parent!r} is not a host of this team")
    for cycle in (cycle for cycle in _cycles(parents) if len(cycle) > 1):  # self-parents are reported above
        path = next(path for path, fields in team.hosts if fields.get("name") == cycle[0])
        problems.add(team.file, f"{path}.parents", "parent cycle: " + " -> ".join(cycle + [cycle[0]]))


def _cycles(parents: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """The cycles of the parent graph: each back edge of an iterative depth-first walk closes one."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[list[str]] = []
    for root in sorted(parents):
        if root in state:
            continue
        trail: list[str] = [root]
        todo: list[list[str]] = [sorted(parents[root])]
        state[root] = 1
        while trail:
            if not todo[-1]:
                state[trail.pop()] = 2
                todo.pop()
                continue
            node = todo[-1].pop(0)
            if node not in parents:
                continue
            if state.get(node) == 1:
                found.append(trail[trail.index(node):])
            elif node not in state:
                state[node] = 1
                trail.append(node)
                todo.append(sorted(parents[node]))
    return found
