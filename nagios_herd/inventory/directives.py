"""The directives Nagios 4 knows per object type, with the type of each value, for a team's ``nagios`` tables.

adopt carries every resolved directive of a team's hosts, services and contacts (and whole timeperiods,
dependencies and escalations) into the team file; this is what such a table is checked against, so a typo or a
value Nagios would refuse is one problem line at load time instead of a guest Nagios that does not start.
Custom variables (``_NAME``) take any one-line value. Identity and membership (names, address, contacts, groups,
parents, check command) have their own fields and are not directives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nagios_herd.inventory import values

_INT = re.compile(r"^-?\d{1,9}$")
_FLOAT = re.compile(r"^-?\d{1,9}(?:\.\d{1,9})?$")
_CUSTOM = re.compile(r"^_[A-Za-z0-9_-]{1,64}$")
_RANGES = re.compile(r"^[0-9:,\- ]*$")
_TIMEPERIOD_KEY = re.compile(r"^[A-Za-z0-9 :/-]{1,80}$")


def _int(value: str) -> str | None:
    return None if _INT.match(value) else f"{value!r} is not an integer"


def _float(value: str) -> str | None:
    return None if _FLOAT.match(value) else f"{value!r} is not a number"


def _bool(value: str) -> str | None:
    return None if value in ("0", "1") else f"{value!r} is not 0 or 1"


def _options(letters: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        parts = value.split(",")
        if all(len(part) == 1 and part in letters for part in parts):
            return None
        return f"{value!r} is not a comma list of {','.join(letters)}"
    return check


def _names(value: str) -> str | None:
    return next((problem for part in value.split(",") if (problem := values.object_name(part))), None)


_COMMAND = values.team_command_line  # ``name!arg!...``: the name is checked against the commands at generate
_TEXT = values.nagios_text
_COMMON = {
    "display_name": _TEXT, "check_period": values.object_name, "max_check_attempts": _int,
    "check_interval": _float, "retry_interval": _float, "active_checks_enabled": _bool,
    "passive_checks_enabled": _bool, "obsess": _bool, "obsess_over_host": _bool, "obsess_over_service": _bool,
    "check_freshness": _bool, "freshness_threshold": _int, "event_handler": _COMMAND, "event_handler_enabled": _bool,
    "low_flap_threshold": _float, "high_flap_threshold": _float, "flap_detection_enabled": _bool,
    "process_perf_data": _bool, "retain_status_information": _bool, "retain_nonstatus_information": _bool,
    "notification_interval": _float, "first_notification_delay": _float, "notification_period": values.object_name,
    "notifications_enabled": _bool, "notes": _TEXT, "notes_url": _TEXT, "action_url": _TEXT, "icon_image": _TEXT,
    "icon_image_alt": _TEXT, "importance": _int, "hourly_value": _int,
}
HOST = {
    **_COMMON, "check_command": _COMMAND, "initial_state": _options("oduz"), "flap_detection_options": _options("oduna"),
    "notification_options": _options("durfsn"), "stalking_options": _options("oduNn"), "vrml_image": _TEXT,
    "statusmap_image": _TEXT, "2d_coords": _TEXT, "3d_coords": _TEXT,
}
SERVICE = {
    **_COMMON, "is_volatile": _int, "parallelize_check": _bool, "initial_state": _options("owucz"),
    "flap_detection_options": _options("owcuna"), "notification_options": _options("wucrfsn"),
    "stalking_options": _options("owucNn"),
}
CONTACT = {
    "host_notification_period": values.object_name, "service_notification_period": values.object_name,
    "host_notification_options": _options("durfsn"), "service_notification_options": _options("wucrfsn"),
    "host_notification_commands": _COMMAND, "service_notification_commands": _COMMAND,
    "host_notifications_enabled": _bool, "service_notifications_enabled": _bool, "can_submit_commands": _bool,
    "retain_status_information": _bool, "retain_nonstatus_information": _bool, "minimum_importance": _int,
    "minimum_value": _int, **{f"address{n}": _TEXT for n in range(1, 7)},
}
_DEPENDENCY = {
    "host_name": values.object_name, "dependent_host_name": values.object_name, "inherits_parent": _bool,
    "dependency_period": values.object_name,
}
HOST_DEPENDENCY = {**_DEPENDENCY, "execution_failure_options": _options("oudpn"),
                   "notification_failure_options": _options("oudpn")}
SERVICE_DEPENDENCY = {**_DEPENDENCY, "service_description": values.object_name,
                      "dependent_service_description": values.object_name,
                      "execution_failure_options": _options("owucpn"), "notification_failure_options": _options("owucpn")}
_ESCALATION = {
    "host_name": values.object_name, "first_notification": _int, "last_notification": _int,
    "notification_interval": _float, "escalation_period": values.object_name, "contacts": _names,
}
HOST_ESCALATION = {**_ESCALATION, "escalation_options": _options("durfsa")}
SERVICE_ESCALATION = {**_ESCALATION, "service_description": values.object_name,
                      "escalation_options": _options("wucrfsa")}
TIMEPERIOD: dict[str, Callable[[str], str | None]] = {}  # free keys (weekdays, dates): see _timeperiod
REQUIRED = {
    "host_dependencies": ("host_name", "dependent_host_name"),
    "service_dependencies": ("host_name", "service_description", "dependent_host_name",
                             "dependent_service_description"),
    "host_escalations": ("host_name", "first_notification", "last_notification", "notification_interval"),
    "service_escalations": ("host_name", "service_description", "first_notification", "last_notification",
                            "notification_interval"),
    "timeperiods": ("timeperiod_name", "alias"),
}


def _timeperiod(key: str, value: str) -> str | None:
    if key in ("timeperiod_name", "exclude"):
        return values.object_name(value) if key == "timeperiod_name" else _names(value)
    if key == "alias":
        return _TEXT(value)
    if not _TIMEPERIOD_KEY.match(key):
        return "is not a weekday, date or day-of-month range"
    return None if _RANGES.match(value) else f"{value!r} is not a list of HH:MM-HH:MM ranges"


def checker(known: dict[str, Callable[[str], str | None]],
            required: tuple[str, ...] = ()) -> Callable[[object], str | None]:
    """A check of a whole directives table against ``known``: the first problem as ``DIRECTIVE: problem``.

    Adopted teams repeat the same tables (every service of a template alike), so a table found fine is
    remembered whole, and each fine ``(directive, value)`` pair too.
    """
    fine_pairs: set[tuple[str, str]] = set()
    fine_tables: set[tuple[tuple[str, str], ...]] = set()

    def check(table: object) -> str | None:
        if not isinstance(table, dict):
            return f"expected a table of Nagios directives, got {type(table).__name__}"
        try:
            whole = tuple(table.items())
            if whole in fine_tables:
                return None
        except TypeError:  # a list or table as a value: reported below
            whole = None
        missing = [key for key in required if key not in table]
        if missing:
            return f"{missing[0]}: missing required directive"
        for key, value in table.items():
            if not isinstance(value, str):
                return f"{key}: expected a string, got {type(value).__name__}"
            if (key, value) in fine_pairs:
                continue
            if known is TIMEPERIOD:  # every weekday and date range is a directive
                problem = _timeperiod(key, value)
            elif _CUSTOM.match(key):
                problem = values.one_line(value)
            elif key in known:
                problem = known[key](value)
            else:
                problem = "is not a Nagios directive of this object type"
            if problem:
                return f"{key}: {problem}"
            fine_pairs.add((key, value))
        if whole is not None and len(fine_tables) < 1 << 16:
            fine_tables.add(whole)
        return None
    return check
