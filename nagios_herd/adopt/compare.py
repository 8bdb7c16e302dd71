"""Does the herd's Nagios behave as the team's server did? Two resolved configurations, compared by meaning.

Both sides are what ``nagios4 -v -p`` resolved (:mod:`nagios_herd.adopt.oracle`), so templates, groups and
inheritance are already Nagios' own answer. Names that adopt may change are compared by what they stand for: a
command by its command line (``$USERn$`` from each side's resource file, in the line and in its arguments, and
``$ARGn$`` substituted), a timeperiod by its ranges and exclusions, contact groups by the effective set of
contacts. Every other directive of every host, service and contact, and every dependency and escalation, must be
equal. Objects only the herd adds (its own monitoring on the watcher) are named by the caller and ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from nagios_herd.adopt.reader import expand_users, number, split, user_macros
from nagios_herd.parsers.nagios_objects import NagiosObject

Resolved = list[tuple[str, NagiosObject]]
_ARG = re.compile(r"\$ARG(\d{1,2})\$")
_PERIODS = {"check_period", "notification_period", "host_notification_period", "service_notification_period",
            "escalation_period", "dependency_period"}
_COMMANDS = {"check_command", "event_handler", "host_notification_commands", "service_notification_commands"}
_CONTACTS = {"contacts", "contact_groups"}
_IGNORED = {"alias", "display_name", "notes", "notes_url", "action_url", "icon_image", "icon_image_alt",
            "vrml_image", "statusmap_image", "2d_coords", "3d_coords"}  # what a person reads, not what Nagios does
_KEYS = {"host": ("host_name",), "service": ("host_name", "service_description"), "contact": ("contact_name",)}


class _Side:
    """One resolved configuration, with what its names mean."""

    def __init__(self, objects: Resolved, macros: dict[str, str]) -> None:
        self.macros = user_macros(macros)
        self.by_kind: dict[str, list[NagiosObject]] = {}
        for kind, item in objects:
            self.by_kind.setdefault(kind, []).append(item)
        self.commands = {c["command_name"]: c.get("command_line", "") for c in self.by_kind.get("command", [])}
        self.periods = {t["timeperiod_name"]: t for t in self.by_kind.get("timeperiod", [])}
        self.groups = {g["contactgroup_name"]: split(g.get("members")) for g in self.by_kind.get("contactgroup", [])}

    def command(self, reference: str) -> str:
        name, *args = reference.split("!")
        if name not in self.commands:
            return f"<undefined command {name}>"
        args = [expand_users(arg, self.macros) for arg in args]  # Nagios substitutes macros in arguments too

        def arg(match: re.Match[str]) -> str:
            index = int(match.group(1))
            return args[index - 1] if 0 < index <= len(args) else ""
        return _ARG.sub(arg, expand_users(self.commands[name], self.macros))

    def period(self, name: str, seen: frozenset[str] = frozenset()) -> str:
        """A timeperiod as its ranges and, recursively, its exclusions (never its name)."""
        if name not in self.periods or name in seen:
            return f"<undefined timeperiod {name}>" if name not in self.periods else "<loop>"
        item = self.periods[name]
        ranges = sorted(f"{key} {value}" for key, value in item.items()
                        if key not in ("timeperiod_name", "alias", "exclude"))
        excluded = sorted(self.period(other, seen | {name}) for other in split(item.get("exclude")))
        return "; ".join(ranges) + (" excluding (" + " | ".join(excluded) + ")" if excluded else "")

    def contacts(self, item: NagiosObject) -> str:
        names = set(split(item.get("contacts")))
        for group in split(item.get("contact_groups")):
            names |= set(self.groups.get(group, ()))
        return ",".join(sorted(names))

    def meaning(self, item: NagiosObject) -> dict[str, str]:
        """Each directive of ``item`` as what it means (see the module docstring)."""
        meant: dict[str, str] = {}
        for key, value in item.items():
            if key in _IGNORED or key in _CONTACTS:
                continue
            if key in _PERIODS:
                meant[key] = self.period(value)
            elif key in _COMMANDS:
                meant[key] = " | ".join(self.command(reference) for reference in
                                        (split(value) if key.endswith("_commands") else [value]))
            else:
                meant[key] = number(value)
        if self.contacts(item):
            meant["contacts"] = self.contacts(item)
        return meant


def _shown(value: str | None) -> str:
    return "(not set)" if value is None else repr(value)


def compare(original: Resolved, original_macros: dict[str, str], generated: Resolved,
            generated_macros: dict[str, str], herd_only: Iterable[tuple[str, str]] = ()) -> list[str]:
    """One line per difference: ``host 'web01': max_check_attempts: '10' on the server, '3' in the herd``.

    ``herd_only``: ``(kind, name)`` of objects only the herd defines (``name`` is ``host/description`` for a
    service), which may be in ``generated`` without being in ``original``.
    """
    before, after = _Side(original, original_macros), _Side(generated, generated_macros)
    allowed = set(herd_only)
    lines: list[str] = []
    for kind, keys in _KEYS.items():
        old = {"/".join(item[key] for key in keys): item for item in before.by_kind.get(kind, [])}
        new = {"/".join(item[key] for key in keys): item for item in after.by_kind.get(kind, [])}
        for name in sorted(old):
            if name not in new:
                lines.append(f"{kind} {name!r}: missing in the herd")
                continue
            was, now = before.meaning(old[name]), after.meaning(new[name])
            for key in sorted(set(was) | set(now)):
                if was.get(key) != now.get(key):
                    lines.append(f"{kind} {name!r}: {key}: {_shown(was.get(key))} on the server, "
                                 f"{_shown(now.get(key))} in the herd")
        lines += [f"{kind} {name!r}: only in the herd" for name in sorted(set(new) - set(old))
                  if (kind, name) not in allowed]
    for kind in ("hostdependency", "servicedependency", "hostescalation", "serviceescalation"):
        was = Counter(tuple(sorted(before.meaning(item).items())) for item in before.by_kind.get(kind, []))
        now = Counter(tuple(sorted(after.meaning(item).items())) for item in after.by_kind.get(kind, []))
        for label, extra in (("missing in the herd", was - now), ("only in the herd", now - was)):
            for entry in sorted(extra.elements()):
                lines.append(f"{kind} {', '.join(f'{key}={value}' for key, value in entry)}: {label}")
    for kind, key, size in (("hostgroup", "hostgroup_name", 1), ("servicegroup", "servicegroup_name", 2)):
        old_groups, new_groups = (_members(side.by_kind.get(kind, []), key, size) for side in (before, after))
        for name in sorted(old_groups):
            if old_groups[name] and old_groups[name] != new_groups.get(name, []):
                lines.append(f"{kind} {name!r}: members: {', '.join(old_groups[name])!r} on the server, "
                             f"{', '.join(new_groups.get(name, [])) or '(none)'!r} in the herd")
    return lines


def _members(groups: list[NagiosObject], key: str, size: int) -> dict[str, list[str]]:
    """Group name -> sorted members (a service group lists host,description pairs)."""
    result = {}
    for group in groups:
        parts = split(group.get("members"))
        result[group[key]] = sorted("/".join(parts[index:index + size]) for index in range(0, len(parts), size))
    return result
