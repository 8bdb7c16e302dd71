"""What each inventory table may contain: field type, whether it is required, its range or allowlist.

:func:`read_table` checks one TOML table against its spec and returns the fields that passed, so the
cross-field rules can still run on a partly broken inventory and every problem is reported in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nagios_herd.inventory import directives, values
from nagios_herd.inventory.problems import Problems


@dataclass(frozen=True)
class Field:
    kind: type  # str, int, bool, list (a list of strings) or dict (a table of Nagios directives)
    required: bool = True
    check: Callable[[Any], str | None] | None = None  # for str, each item of a list, or a whole dict
    low: int | None = None
    high: int | None = None
    unit: str = ""
    unique: bool = True  # a list may not repeat an item (check_command arguments may)


def _accepts(spec: Field) -> Callable[[Any], object]:
    """For a string field, or a list field as a tuple: truthy only if :func:`_check_value` finds no problem."""
    accepts = values.accepts(spec.check) if spec.check else lambda value: True
    if spec.kind is dict:
        return lambda value: spec.check(value) is None  # type: ignore[misc]
    if spec.kind is list:
        return lambda value: all(type(item) is str and accepts(item) for item in value) \
            and (not spec.unique or len(set(value)) == len(value))
    return accepts


class Spec(dict[str, Field]):
    """The fields of one kind of table, with a test that a whole table is fine precomputed per field.

    Almost every table of a real inventory is fine; :func:`read_table` tests that first (no message or path is
    built) and walks the problem-reporting path only for a table that fails the test. The checks are pure, so the
    strings (lists of strings, directive tables) a field accepted are remembered: large inventories repeat them
    a lot, and an adopted team repeats whole directive tables, which then share one tuple in the model.
    """

    MEMORY = 1 << 16  # remembered values per field, at most

    def __init__(self, fields: dict[str, Field]) -> None:
        super().__init__(fields)
        self.names = frozenset(fields)
        self.required = frozenset(key for key, spec in fields.items() if spec.required)
        self._plans = {key: (spec.kind, spec.low, spec.high, _accepts(spec), {} if spec.kind is dict else set())
                       for key, spec in fields.items()}
        self._strings = {key: plan[4] for key, plan in self._plans.items() if plan[0] is str}

    def fine(self, table: dict[str, Any]) -> dict[str, Any] | None:
        """The fields of ``table`` (lists as tuples) if every one is fine and none is missing, else None."""
        keys = table.keys()
        if not (keys <= self.names and keys >= self.required):
            return None
        fine = dict(table)
        strings = self._strings
        try:
            for key, value in table.items():
                seen = strings.get(key)
                if seen is not None and value in seen:  # only strings are remembered, and only a string equals one
                    continue
                kind, low, high, accepts, seen = self._plans[key]
                if type(value) is not kind:
                    return None
                if kind is int:
                    if not low <= value <= high:
                        return None
                elif kind is dict:  # remembered as its items, one shared tuple per distinct table
                    items = tuple(value.items())
                    shared = seen.get(items) if seen else None
                    if shared is None:
                        if not accepts(value):
                            return None
                        if len(seen) >= self.MEMORY:
                            seen.clear()
                        shared = seen[items] = items
                    fine[key] = shared
                elif kind is not bool:
                    if kind is list:
                        value = fine[key] = tuple(value)
                    if value not in seen:  # TypeError: a list holding a table
                        if not accepts(value):
                            return None
                        if len(seen) >= self.MEMORY:
                            seen.clear()
                        seen.add(value)
        except TypeError:  # an unhashable value where a string belongs, or inside a list
            return None
        return fine


def _str(check: values.Check, required: bool = True) -> Field:
    return Field(str, required, check)


def _int(low: int, high: int, unit: str = "", required: bool = True) -> Field:
    return Field(int, required, None, low, high, unit)


HERD = Spec({
    "name": _str(values.name),
    "watcher": _str(values.name),
    "watcher_peer": _str(values.name),
    "drbd_protocol": _str(values.drbd_protocol, required=False),
    # replication security: the root-only file with the DRBD peer secrets, and the explicit opt-in to
    # replicating over the management network
    "drbd_secrets": _str(values.abs_path, required=False),
    "web_secrets": _str(values.abs_path, required=False),
    "replication_over_management": Field(bool, required=False),
})
PATHS = Spec({
    "plugin_dir": _str(values.abs_path, required=False),
    "standard_plugin_dir": _str(values.abs_path, required=False),
    "state_dir": _str(values.abs_path, required=False),
    "nagios_cgi_path": _str(values.abs_path, required=False),
})
PACEMAKER = Spec({
    "manages_herd": Field(bool, required=False),
    "shutdown_timeout": _int(10, 3600, " s", required=False),
    "stickiness": _int(0, 1000000, required=False),
    "migration_threshold": _int(1, 1000, required=False),
    "failure_timeout": _int(0, 86400, " s", required=False),
    "live_migration": Field(bool, required=False),
    "fence_credentials": _str(values.abs_path, required=False),
})
FENCING = Spec({
    "agent": _str(values.fence_agent),
    "ip": _str(values.host_address),
    "ipport": _int(1, 65535, required=False),
    "lanplus": Field(bool, required=False),
})
ADMIN = Spec({
    "name": _str(values.object_name),
    "alias": _str(values.nagios_text),
    "email": _str(values.email),
    "pager": _str(values.pager, required=False),
})
NOTIFICATIONS = Spec({
    "host_command": _str(values.command_line, required=False),
    "service_command": _str(values.command_line, required=False),
    "capture": _str(values.abs_path, required=False),
})
LAB = Spec({
    "interval_length": _int(1, 60, " s", required=False),
    "check_interval": _int(1, 1440, required=False),
    "retry_interval": _int(1, 1440, required=False),
    "max_check_attempts": _int(1, 10, required=False),
    "notification_interval": _int(0, 1440, required=False),
    "first_notification_delay": _int(0, 1440, required=False),
    "web_scheme": _str(values.web_scheme, required=False),
})
HERD_COMMAND = Spec({"line": _str(values.command_line)})
XEN_HOST = Spec({
    "role": _str(values.role),
    "address": _str(values.ipv4),
    "replication_address": _str(values.ipv4),
    "memory_mb": _int(256, 4 * 1024 * 1024, " MB"),
    "dom0_memory_mb": _int(128, 64 * 1024, " MB"),
    "volume_group": _str(values.volume_group),
    "bridge": _str(values.bridge),
    "ssh_port": _int(1, 65535, required=False),
    "ssh_user": _str(values.unix_user, required=False),
})
GUEST = Spec({
    "team": _str(values.include),
    "preferred_host": _str(values.name),
    "memory_mb": _int(64, 4096, " MB"),
    "vcpus": _int(1, 32),
    "address": _str(values.ipv4),
    "mac": _str(values.mac),
    "root_mb": _int(1024, 100 * 1024, " MB"),
    "swap_mb": _int(64, 8192, " MB"),
    "drbd_minor": _int(0, 1048575),
    "drbd_port": _int(1, 65535),
    "serve_nagios": Field(bool, required=False),
    # the root-only file with the team's $USERn$ values: named here, in the herd's file, not in the team's
    # (a team naming it could have root copy any such file into its own guest)
    "resource_secrets": _str(values.abs_path, required=False),
})
TEAM = Spec({"name": _str(values.name), "alias": _str(values.text)})
CONTACT = Spec({
    "name": _str(values.object_name),
    "alias": _str(values.nagios_text),
    "email": _str(values.email, required=False),
    "pager": _str(values.pager, required=False),
    "nagios": Field(dict, False, directives.checker(directives.CONTACT)),
})
TEAM_COMMAND = Spec({"name": _str(values.object_name), "line": _str(values.team_command_line)})
MONITORED_HOST = Spec({
    "name": _str(values.object_name),
    "address": _str(values.host_address),
    "alias": _str(values.nagios_text),
    "groups": Field(list, False, values.object_name),
    "parents": Field(list, False, values.object_name),
    "contacts": Field(list, False, values.object_name),
    "nagios": Field(dict, False, directives.checker(directives.HOST)),
})
SERVICE = Spec({
    "host": _str(values.object_name),
    "description": _str(values.object_name),
    "command": _str(values.object_name),
    "args": Field(list, False, values.team_arg, unique=False),
    "contacts": Field(list, False, values.object_name),
    "groups": Field(list, False, values.object_name),
    "nagios": Field(dict, False, directives.checker(directives.SERVICE)),
})
# whole Nagios objects of a team: array name -> (Nagios object type, check of the table)
DEFINITIONS = {
    "timeperiods": ("timeperiod", directives.checker(directives.TIMEPERIOD, directives.REQUIRED["timeperiods"])),
    "host_dependencies": ("hostdependency", directives.checker(directives.HOST_DEPENDENCY,
                                                               directives.REQUIRED["host_dependencies"])),
    "service_dependencies": ("servicedependency", directives.checker(directives.SERVICE_DEPENDENCY,
                                                                     directives.REQUIRED["service_dependencies"])),
    "host_escalations": ("hostescalation", directives.checker(directives.HOST_ESCALATION,
                                                              directives.REQUIRED["host_escalations"])),
    "service_escalations": ("serviceescalation", directives.checker(directives.SERVICE_ESCALATION,
                                                                    directives.REQUIRED["service_escalations"])),
}

_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean (true/false)", list: "a list", dict: "a table"}


def type_name(value: Any) -> str:
    for kind, label in _TYPE_NAMES.items():
        if type(value) is kind:
            return label
    return {float: "a number with a fraction"}.get(type(value), type(value).__name__)


def did_you_mean(key: str, known: list[str]) -> str:
    import difflib  # only a file with an unknown key pays for it

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_value(problems: Problems, file: str, path: str, spec: Field, value: Any) -> bool:
    if type(value) is not spec.kind:
        problems.add(file, path, f"expected {_TYPE_NAMES[spec.kind]}, got {type_name(value)}")
        return False
    if spec.kind is int and not spec.low <= value <= spec.high:  # type: ignore[operator]
        problems.add(file, path, f"{value}{spec.unit} is outside {spec.low}..{spec.high}{spec.unit}")
        return False
    if spec.kind in (str, dict) and spec.check:
        problem = spec.check(value)
        if problem:
            problems.add(file, path, problem)
            return False
    if spec.kind is list:
        good = True
        for index, item in enumerate(value):
            problem = (spec.check(item) if spec.check else None) if type(item) is str else \
                f"expected a string, got {type_name(item)}"
            if problem:
                problems.add(file, f"{path}[{index}]", problem)
                good = False
        if good and spec.unique and len(set(value)) != len(value):
            problems.add(file, path, "lists the same value twice")
            good = False
        return good
    return True


def read_table(problems: Problems, file: str, path: str, table: Any, spec: Spec) -> dict[str, Any]:
    """The fields of ``table`` that are well-formed; every problem (unknown, missing, mistyped) is recorded."""
    fine = spec.fine(table) if type(table) is dict else None
    return read_reporting(problems, file, path, table, spec) if fine is None else fine


def read_reporting(problems: Problems, file: str, path: str, table: Any, spec: Spec) -> dict[str, Any]:
    """:func:`read_table` for a table that is not fine: each field checked and each problem recorded."""
    if not isinstance(table, dict):
        problems.add(file, path, f"expected a table, got {type_name(table)}")
        return {}
    good: dict[str, Any] = {}
    suggested: set[str] = set()
    for key, value in table.items():
        field_path = f"{path}.{key}" if path else key
        if key not in spec:
            hint = did_you_mean(key, [name for name in spec if name not in table])
            suggested.add(hint.split("'")[1] if hint else "")
            problems.add(file, field_path, "unknown key" + hint)
        elif _check_value(problems, file, field_path, spec[key], value):
            good[key] = tuple(value) if isinstance(value, list) else \
                tuple(value.items()) if isinstance(value, dict) else value
    for key, field_spec in spec.items():
        if field_spec.required and key not in table and key not in suggested:  # a typo is reported once
            problems.add(file, f"{path}.{key}" if path else key, "missing required field")
    return good


def read_array(problems: Problems, file: str, key: str, document: dict[str, Any],
               spec: Spec) -> list[tuple[str, dict[str, Any]]]:
    """Each table of the array of tables ``key`` as ``(path, good fields)``."""
    items = document.get(key, [])
    if not isinstance(items, list):
        problems.add(file, key, f"expected an array of tables ([[{key}]]), got {type_name(items)}")
        return []
    return [(f"{key}[{index}]", read_table(problems, file, f"{key}[{index}]", item, spec))
            for index, item in enumerate(items)]


def read_named_tables(problems: Problems, file: str, key: str, document: dict[str, Any],
                      spec: Spec, check_name: values.Check) -> list[tuple[str, dict[str, Any]]]:
    """Each ``[key.NAME]`` table as ``(NAME, good fields)``; NAME itself must pass ``check_name``."""
    tables = document.get(key, {})
    if not isinstance(tables, dict):
        problems.add(file, key, f"expected a table of tables ([{key}.NAME]), got {type_name(tables)}")
        return []
    result = []
    for name, table in tables.items():
        problem = check_name(name)
        if problem:
            problems.add(file, f"{key}.{name}", problem)
        result.append((name, read_table(problems, file, f"{key}.{name}", table, spec)))
    return result


def read_definitions(problems: Problems, file: str, key: str, document: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each table of the array ``key`` (one of :data:`DEFINITIONS`) as ``(path, directives)`` when it is fine."""
    items = document.get(key, [])
    if not isinstance(items, list):
        problems.add(file, key, f"expected an array of tables ([[{key}]]), got {type_name(items)}")
        return []
    check = DEFINITIONS[key][1]
    good = []
    for index, table in enumerate(items):
        problem = check(table)
        if problem:
            problems.add(file, f"{key}[{index}]", problem)
        else:
            good.append((f"{key}[{index}]", tuple(table.items())))
    return good
