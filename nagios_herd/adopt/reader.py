"""Turn an existing Nagios server's object configuration into a team's inventory content (``nagios-herd adopt``).

:func:`read_objects` uses pynag's parser (it resolves ``use=`` templates); :func:`team_content` is a pure mapping
from those resolved objects to the team file's ``contacts``, ``commands``, ``hosts`` and ``services`` arrays, each
entry remembering the Nagios object it came from so a rejected value can be reported where the operator can fix it.
What the inventory has no field for (check periods, intervals, notification options, host checks) is not carried.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

NagiosObject = dict[str, Any]  # one resolved pynag object (attributes plus "meta")


@dataclass(frozen=True)
class Origin:
    """Where an adopted entry was defined: ``host 'web01'`` in FILE at LINE."""

    kind: str
    name: str
    file: str
    line: int | None


@dataclass
class Adopted:
    contacts: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    origins: dict[str, list[Origin]] = field(default_factory=dict)  # array name -> origin of each entry
    renamed: dict[str, str] = field(default_factory=dict)  # Nagios command name -> team command name


def read_objects(cfg_file: str) -> tuple[dict[str, list[NagiosObject]], list[str]]:
    """Every object of the server whose main config is ``cfg_file``, templates applied, plus its problems.

    pynag silently skips a ``cfg_file=`` that does not exist (Nagios refuses to start): that is a problem here too.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pynag 1.1.2 carries invalid escape sequences
        from pynag.Parsers import config

        parser = config(cfg_file=cfg_file)
        parser.parse()
    data = {kind[4:]: list(items) for kind, items in parser.data.items() if kind.startswith("all_")}
    problems = [parser_error(error, cfg_file) for error in parser.errors]
    problems += [f"{cfg_file}: cfg_file: {parser.abspath(value)} does not exist"
                 for key, value in parser.maincfg_values if key == "cfg_file" and not parser.isfile(parser.abspath(value))]
    return data, problems


def parser_error(error: Any, cfg_file: str) -> str:
    """One ``FILE: definition: message (line N)`` line for a pynag ParserError (its str() is a repr)."""
    message = " ".join(str(getattr(error, "message", None) or error).split())
    where = f" (line {error.line_start})" if getattr(error, "line_start", None) else ""
    return f"{getattr(error, 'filename', None) or cfg_file}: definition: {message}{where}"


def _registered(objects: list[NagiosObject], name_key: str) -> list[NagiosObject]:
    return [item for item in objects if item.get("register", "1") != "0" and item.get(name_key)]


def _split(value: str | None) -> list[str]:
    """A Nagios comma list; a leading '+' (additive inheritance) is dropped."""
    return [part.strip() for part in (value or "").lstrip("+").split(",") if part.strip()]


def _origin(kind: str, name: str, item: NagiosObject) -> Origin:
    meta = item.get("meta", {})
    return Origin(kind, name, str(meta.get("filename", "?")), meta.get("line_start"))


class _Groups:
    """Host group and contact group membership: ``members``, the hosts' own ``hostgroups``, nested groups."""

    def __init__(self, objects: dict[str, list[NagiosObject]], hosts: list[NagiosObject]) -> None:
        self.hostgroups = {g["hostgroup_name"]: g for g in _registered(objects.get("hostgroup", []), "hostgroup_name")}
        self.contactgroups = {g["contactgroup_name"]: g
                              for g in _registered(objects.get("contactgroup", []), "contactgroup_name")}
        self.all_hosts = {host["host_name"] for host in hosts}
        self.joined: dict[str, set[str]] = {}  # group -> hosts naming it in their own hostgroups
        for host in hosts:
            for group in _split(host.get("hostgroups")):
                self.joined.setdefault(group, set()).add(host["host_name"])

    def _members(self, groups: dict[str, NagiosObject], name: str, nested_key: str, seen: set[str]) -> set[str]:
        if name in seen:
            return set()
        seen.add(name)
        group = groups.get(name, {})
        members = set(_split(group.get("members"))) | (self.joined.get(name, set()) if groups is self.hostgroups else set())
        for child in _split(group.get(nested_key)):
            members |= self._members(groups, child, nested_key, seen)
        return members

    def hosts_of(self, group: str) -> set[str]:
        members = self._members(self.hostgroups, group, "hostgroup_members", set())
        return set(self.all_hosts) if "*" in members else members

    def groups_of(self, host: str) -> list[str]:
        return sorted(group for group in set(self.hostgroups) | set(self.joined) if host in self.hosts_of(group))

    def contacts_of(self, group: str) -> set[str]:
        return self._members(self.contactgroups, group, "contactgroup_members", set())


def _select(names: list[str], universe: list[str], expand: Any) -> set[str]:
    """Nagios list semantics: '*' is everything, '!x' excludes x; ``expand`` maps an entry to names."""
    chosen: set[str] = set()
    excluded: set[str] = set()
    for name in names:
        target = excluded if name.startswith("!") else chosen
        target |= set(universe) if name.lstrip("!") == "*" else expand(name.lstrip("!"))
    return chosen - excluded


def _contacts(item: NagiosObject, groups: _Groups) -> list[str]:
    names = set(_split(item.get("contacts")))
    for group in _split(item.get("contact_groups")):
        names |= groups.contacts_of(group)
    return sorted(names)


def _put(entry: dict[str, Any], key: str, items: list[str]) -> None:
    if items:
        entry[key] = items


def team_content(objects: dict[str, list[NagiosObject]], herd_commands: dict[str, str], team: str) -> Adopted:
    """The adopted arrays. A used command whose name is herd-wide with another line becomes ``<name>_<team>``."""
    adopted = Adopted()
    hosts = _registered(objects.get("host", []), "host_name")
    host_names = [host["host_name"] for host in hosts]
    groups = _Groups(objects, hosts)
    origins: dict[str, list[Origin]] = {"contacts": [], "commands": [], "hosts": [], "services": []}
    for contact in _registered(objects.get("contact", []), "contact_name"):
        name = contact["contact_name"]
        entry = {"name": name, "alias": contact.get("alias") or name}
        for key in ("email", "pager"):
            if contact.get(key):
                entry[key] = contact[key]
        adopted.contacts.append(entry)
        origins["contacts"].append(_origin("contact", name, contact))
    for host in hosts:
        name = host["host_name"]
        entry = {"name": name, "address": host.get("address") or name, "alias": host.get("alias") or name}
        _put(entry, "groups", groups.groups_of(name))
        _put(entry, "parents", _split(host.get("parents")))
        _put(entry, "contacts", _contacts(host, groups))
        adopted.hosts.append(entry)
        origins["hosts"].append(_origin("host", name, host))
    used: list[str] = []
    for service in _registered(objects.get("service", []), "service_description"):
        on = _select(_split(service.get("host_name")), host_names, lambda name: {name})
        on |= _select(_split(service.get("hostgroup_name")), host_names, groups.hosts_of)
        command, *args = (service.get("check_command") or "").split("!")
        for host in sorted(on):
            entry = {"host": host, "description": service["service_description"], "command": command}
            _put(entry, "args", args)
            _put(entry, "contacts", _contacts(service, groups))
            adopted.services.append(entry)
            origins["services"].append(_origin("service", f"{host}/{service['service_description']}", service))
        if command and command not in used:
            used.append(command)
    defined = {item["command_name"]: item for item in _registered(objects.get("command", []), "command_name")}
    for command in used:
        if command not in defined or herd_commands.get(command) == defined[command].get("command_line"):
            continue  # undefined: the inventory check reports it; identical: the herd-wide one serves
        name = f"{command}_{team}" if command in herd_commands else command
        adopted.renamed[command] = name
        adopted.commands.append({"name": name, "line": defined[command].get("command_line", "")})
        origins["commands"].append(_origin("command", command, defined[command]))
    for entry in adopted.services:
        entry["command"] = adopted.renamed.get(entry["command"], entry["command"])
    for array, sort_key in (("contacts", "name"), ("commands", "name"), ("hosts", "name"), ("services", "host")):
        pairs = sorted(zip(getattr(adopted, array), origins[array]),  # pynag reads cfg_dir in listdir order
                       key=lambda pair: (pair[0][sort_key], pair[0].get("description", "")))
        setattr(adopted, array, [entry for entry, _ in pairs])
        adopted.origins[array] = [origin for _, origin in pairs]
    return adopted
