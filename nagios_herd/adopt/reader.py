"""A team's Nagios objects as Nagios itself resolved them, mapped to the team file's arrays (``nagios-herd adopt``).

The input is the precached object file of ``nagios4 -v -p`` (:mod:`nagios_herd.adopt.oracle`): templates, multiple
``use``, ``+`` additive inheritance, regular-expression and wildcard members and service-per-hostgroup are already
expanded there exactly as the team's Nagios does it, so nothing here re-implements inheritance. :func:`team_content`
is a pure mapping: each host, service and contact keeps every directive that differs from Nagios' own default (the
herd's templates are not used for them, so the herd adds nothing the team did not say); contact groups become the
effective set of contacts; timeperiods, dependencies and escalations are carried whole. Names only change where
they would collide with the herd's own objects (a command or timeperiod of the same name and another meaning
becomes ``NAME_TEAM``). ``$USERn$`` macros stay macros: their values are the server's secrets, so they go to the
guest's resource secrets file (:attr:`Adopted.macros`), never into the team file; a team macro whose number the
herd uses for another value (``$USER1$`` to ``$USER3$``) is moved to the lowest free number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nagios_herd.errors import InventoryError
from nagios_herd.generate.resource_macros import MAX_USER_MACROS, free_name
from nagios_herd.parsers.nagios_objects import NagiosObject

Resolved = list[tuple[str, NagiosObject]]
_FLOAT = re.compile(r"^(-?\d+)\.(\d*?)0*$")
_ATOI = re.compile(r"^[ \t\n\v\f\r]*([+-]?[0-9]+)")  # what C's atoi reads
_WEEK = {day: "00:00-24:00" for day in ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
                                        "saturday")}
HERD_TIMEPERIODS = {"24x7": _WEEK}  # the herd's own timeperiods (its guest template), by directives

# What Nagios 4 uses when a directive is not given (read from its precached output of a bare object): adopt leaves
# these out, so a team file says only what the team chose.
_OBJECT_DEFAULTS = {
    "initial_state": "o", "importance": "0", "check_interval": "5", "retry_interval": "1",
    "active_checks_enabled": "1", "passive_checks_enabled": "1", "obsess": "1", "event_handler_enabled": "1",
    "low_flap_threshold": "0", "high_flap_threshold": "0", "flap_detection_enabled": "1",
    "flap_detection_options": "a", "freshness_threshold": "0", "check_freshness": "0", "notification_options": "a",
    "notifications_enabled": "1", "notification_interval": "30", "first_notification_delay": "0",
    "stalking_options": "n", "process_perf_data": "1", "retain_status_information": "1",
    "retain_nonstatus_information": "1",
}
DEFAULTS = {
    "host": _OBJECT_DEFAULTS,
    "service": {**_OBJECT_DEFAULTS, "is_volatile": "0", "parallelize_check": "1"},
    "contact": {"service_notification_options": "n", "host_notification_options": "n", "minimum_importance": "0",
                "host_notifications_enabled": "1", "service_notifications_enabled": "1", "can_submit_commands": "1",
                "retain_status_information": "1", "retain_nonstatus_information": "1"},
}
# directives that are fields of the team file's entries, not entries of their ``nagios`` table
_FIELDS = {
    "host": {"host_name", "alias", "address", "parents", "contacts", "contact_groups"},
    "service": {"host_name", "service_description", "check_command", "contacts", "contact_groups"},
    "contact": {"contact_name", "alias", "email", "pager"},
}
_PERIODS = ("check_period", "notification_period", "host_notification_period", "service_notification_period",
            "escalation_period", "dependency_period")
_COMMANDS = ("check_command", "event_handler", "host_notification_commands", "service_notification_commands")
DEFINITION_ARRAYS = {"timeperiod": "timeperiods", "hostdependency": "host_dependencies",
                     "servicedependency": "service_dependencies", "hostescalation": "host_escalations",
                     "serviceescalation": "service_escalations"}


@dataclass(frozen=True)
class Origin:
    """Which resolved object an adopted entry came from: ``host 'web01'``."""

    kind: str
    name: str


@dataclass
class Adopted:
    arrays: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # team file array -> entries
    origins: dict[str, list[Origin]] = field(default_factory=dict)  # array name -> origin of each entry
    renamed: dict[str, str] = field(default_factory=dict)  # "command NAME"/"timeperiod NAME" -> new name
    counts: dict[str, int] = field(default_factory=dict)  # Nagios object kind -> how many the server has
    # the team's $USERn$ the guest's resource.cfg must carry (secrets: never in the team file, never in a repr)
    macros: dict[str, str] = field(default_factory=dict, repr=False)
    moved: dict[str, str] = field(default_factory=dict)  # the server's $USERn$ -> the guest's, where they differ


def split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def number(value: str) -> str:
    """``5.000000`` as ``5``, ``2.500000`` as ``2.5``: what Nagios prints, as a person would write it."""
    match = _FLOAT.match(value)
    if not match:
        return value
    return f"{match.group(1)}.{match.group(2)}" if match.group(2) else match.group(1)


def user_macro(name: str) -> str | None:
    """``USER7`` for what Nagios reads as ``$USER7$`` (it takes ``atoi`` of what follows ``USER``: ``USER07`` and
    ``USER7x`` are ``USER7`` too), None for anything else."""
    match = _ATOI.match(name[4:]) if name.startswith("USER") else None
    index = int(match.group(1)) if match else 0
    return f"USER{index}" if 0 < index <= MAX_USER_MACROS else None


def user_macros(macros: dict[str, str]) -> dict[str, str]:
    """A resource file's ``$USERn$`` under the names :func:`user_macro` gives them (the last one wins)."""
    return {canonical: value for name, value in macros.items() if (canonical := user_macro(name))}


def map_users(line: str, replace: Callable[[str], str | None]) -> str:
    """``line`` with each ``$USERn$`` Nagios would see replaced by ``replace("USERn")`` (None: kept as written).

    Read as Nagios reads it: the ``$`` split the line into text and macro names in turn, so ``$$`` is an escaped
    dollar and ``$$USER1$$`` holds no macro."""
    parts = line.split("$")
    out = [parts[0]]
    for index in range(1, len(parts), 2):
        name, closed = parts[index], index + 1 < len(parts)
        canonical = user_macro(name) if closed else None
        new = replace(canonical) if canonical else None
        out.append(f"${name}$" if closed and new is None else new if closed else f"${name}")
        if closed:
            out.append(parts[index + 1])
    return "".join(out)


def expand_users(line: str, macros: dict[str, str]) -> str:
    """``line`` with each ``$USERn$`` in ``macros`` replaced by its value (as Nagios substitutes them)."""
    return map_users(line, macros.get)


class _Mapper:
    def __init__(self, objects: Resolved, herd_commands: dict[str, str], herd_macros: dict[str, str],
                 team_macros: dict[str, str], team: str) -> None:
        self.team = team
        self.by_kind: dict[str, list[NagiosObject]] = {}
        for kind, item in objects:
            self.by_kind.setdefault(kind, []).append(item)
        self.members = {group["contactgroup_name"]: split(group.get("members"))
                        for group in self.by_kind.get("contactgroup", [])}
        self.herd_commands = herd_commands
        self.herd_macros = herd_macros
        self.team_macros = user_macros(team_macros)
        self.commands: dict[str, str] = {}  # Nagios command name -> team command name (or herd's)
        self.periods: dict[str, str] = {}
        self.adopted = Adopted()

    def contacts(self, item: NagiosObject) -> list[str]:
        """The effective set: named contacts plus the members of the contact groups (already nested there)."""
        names = set(split(item.get("contacts")))
        for group in split(item.get("contact_groups")):
            names |= set(self.members.get(group, ()))
        return sorted(names)

    def guest_macro(self, name: str) -> str | None:
        """The guest's macro for the server's ``$name$`` (None: the same name), noting the value it must carry."""
        value = self.team_macros.get(name)
        if value is None or self.herd_macros.get(name) == value:
            return None  # undefined on the server (Nagios substitutes nothing), or the herd's means the same
        new = self.adopted.moved.get(name, name)
        if name in self.herd_macros and name not in self.adopted.moved:
            new = free_name({*self.herd_macros, *self.team_macros, *self.adopted.macros}) or ""
            if not new:
                raise InventoryError([f"resource file: ${name}$ means something else in the herd, and no other "
                                      f"$USERn$ (n <= {MAX_USER_MACROS}) is free for it"])
            self.adopted.moved[name] = new
        self.adopted.macros[new] = value
        return None if new == name else f"${new}$"

    def command_line(self, line: str) -> str:
        """The team's line (a command line or ``!`` arguments) with its ``$USERn$`` as the guest names them."""
        return map_users(line, self.guest_macro)

    def plan_commands(self) -> None:
        defined = {item["command_name"]: item.get("command_line", "") for item in self.by_kind.get("command", [])}
        used: list[str] = []
        for kind in ("host", "service", "contact"):
            for item in self.by_kind.get(kind, []):
                for key in _COMMANDS:
                    for reference in split(item.get(key)) if key.endswith("_commands") else [item.get(key, "")]:
                        name = reference.split("!", 1)[0]
                        if name and name in defined and name not in used:
                            used.append(name)
        for name in sorted(used):
            line = self.command_line(defined[name])
            if self.herd_commands.get(name) == line:
                self.commands[name] = name  # the herd-wide command means the same: it serves
                continue
            new = f"{name}_{self.team}" if name in self.herd_commands or name.startswith("herd_") else name
            self.commands[name] = new
            if new != name:
                self.adopted.renamed[f"command {name}"] = new
            self.add("commands", Origin("command", name), {"name": new, "line": line})

    def plan_timeperiods(self) -> None:
        for item in self.by_kind.get("timeperiod", []):
            name = item["timeperiod_name"]
            ranges = {key: value for key, value in item.items() if key not in ("timeperiod_name", "alias")}
            if HERD_TIMEPERIODS.get(name) == ranges:
                continue  # the herd's timeperiod of that name is the same
            self.periods[name] = f"{name}_{self.team}" if name in HERD_TIMEPERIODS else name
            if self.periods[name] != name:
                self.adopted.renamed[f"timeperiod {name}"] = self.periods[name]
        for item in self.by_kind.get("timeperiod", []):
            if item["timeperiod_name"] in self.periods:
                self.add("timeperiods", Origin("timeperiod", item["timeperiod_name"]), self.directives(item, ""))

    def rename(self, key: str, value: str) -> str:
        if key in _PERIODS:
            return self.periods.get(value, value)
        if key == "exclude":
            return ",".join(self.periods.get(name, name) for name in split(value))
        if key in _COMMANDS:
            parts = []
            for reference in (split(value) if key.endswith("_commands") else [value]):
                name, bang, args = reference.partition("!")
                parts.append(self.commands.get(name, name) + bang + self.command_line(args))
            return ",".join(parts)
        return value

    def directives(self, item: NagiosObject, kind: str) -> dict[str, str]:
        """``item``'s directives for a ``nagios`` table (fields and Nagios' defaults left out) or a definition."""
        defaults = DEFAULTS.get(kind, {})
        skip = _FIELDS.get(kind, set())
        table = {}
        for key, value in item.items():
            if key in skip:
                continue
            value = self.rename(key, number(value))
            if defaults.get(key) != value:
                table[key] = value
        return table

    def add(self, array: str, origin: Origin, entry: dict[str, Any]) -> None:
        self.adopted.arrays.setdefault(array, []).append(entry)
        self.adopted.origins.setdefault(array, []).append(origin)

    def run(self) -> Adopted:
        self.adopted.counts = {kind: len(items) for kind, items in self.by_kind.items()}
        self.plan_commands()
        self.plan_timeperiods()
        for contact in self.by_kind.get("contact", []):
            entry: dict[str, Any] = {"name": contact["contact_name"], "alias": contact.get("alias")
                                     or contact["contact_name"]}
            for key in ("email", "pager"):
                if contact.get(key):
                    entry[key] = contact[key]
            entry["nagios"] = self.directives(contact, "contact")
            self.add("contacts", Origin("contact", entry["name"]), entry)
        host_groups: dict[str, list[str]] = {}
        for group in self.by_kind.get("hostgroup", []):
            for host in split(group.get("members")):
                host_groups.setdefault(host, []).append(group["hostgroup_name"])
        for host in self.by_kind.get("host", []):
            name = host["host_name"]
            entry = {"name": name, "address": host.get("address") or name, "alias": host.get("alias") or name}
            for key, items in (("groups", sorted(host_groups.get(name, []))), ("parents", split(host.get("parents"))),
                               ("contacts", self.contacts(host))):
                if items:
                    entry[key] = items
            entry["nagios"] = self.directives(host, "host")
            self.add("hosts", Origin("host", name), entry)
        service_groups: dict[tuple[str, str], list[str]] = {}
        for group in self.by_kind.get("servicegroup", []):
            members = split(group.get("members"))
            for host, description in zip(members[::2], members[1::2]):
                service_groups.setdefault((host, description), []).append(group["servicegroup_name"])
        for service in self.by_kind.get("service", []):
            key = (service["host_name"], service["service_description"])
            command, *args = (service.get("check_command") or "").split("!")
            entry = {"host": key[0], "description": key[1], "command": self.commands.get(command, command)}
            args = [self.command_line(arg) for arg in args]  # Nagios substitutes macros in arguments too
            for field_name, items in (("args", args), ("groups", sorted(service_groups.get(key, []))),
                                      ("contacts", self.contacts(service))):
                if items:
                    entry[field_name] = items
            entry["nagios"] = self.directives(service, "service")
            self.add("services", Origin("service", f"{key[0]}/{key[1]}"), entry)
        for kind in ("hostdependency", "servicedependency", "hostescalation", "serviceescalation"):
            for item in self.by_kind.get(kind, []):
                table = self.directives(item, "")
                if kind.endswith("escalation"):
                    table.pop("contact_groups", None)
                    table.pop("contacts", None)
                    if self.contacts(item):
                        table["contacts"] = ",".join(self.contacts(item))
                self.add(DEFINITION_ARRAYS[kind], Origin(kind, item.get("host_name", "?")), table)
        return self.adopted


def team_content(objects: Resolved, herd_commands: dict[str, str], herd_macros: dict[str, str],
                 team_macros: dict[str, str], team: str) -> Adopted:
    """The team file's arrays for the resolved ``objects`` of a team's server (see the module docstring)."""
    return _Mapper(objects, herd_commands, herd_macros, team_macros, team).run()
