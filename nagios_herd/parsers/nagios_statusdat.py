"""Pure parser of Nagios 4 ``status.dat`` (the file the core rewrites every status_update_interval).

Used where the status file itself is at hand (the test harness, the lab, a host's own core) rather
than the JSON CGI. API: :func:`parse_status_dat` ``(text) -> StatusDat`` with ``.program``
(:class:`nagios_status.ProgramStatus`), ``.hosts[name]`` and ``.services[(host, description)]``
(:class:`ObjectStatus`: ``current_state``, ``state_type``, ``has_been_checked``, ``last_check``,
``plugin_output``; ``.fields`` has every raw key), and ``.blocks``: every block in file order as
``(kind, fields)``. Errors: :class:`nagios_status.StatusError` with a one-line message (line number
where there is one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nagios_herd.parsers.nagios_status import ProgramStatus, StatusError

__all__ = ["ObjectStatus", "StatusDat", "StatusError", "parse_status_dat"]


@dataclass(frozen=True)
class ObjectStatus:
    """A ``hoststatus`` or ``servicestatus`` block (``description`` is "" for a host)."""

    host_name: str
    description: str
    current_state: int
    state_type: int
    has_been_checked: bool
    last_check: int
    plugin_output: str
    fields: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class StatusDat:
    """Everything of one status.dat that callers look up by name."""

    program: ProgramStatus
    hosts: Mapping[str, ObjectStatus]
    services: Mapping[tuple[str, str], ObjectStatus]
    blocks: tuple[tuple[str, Mapping[str, str]], ...] = field(repr=False)


def _status_blocks(text: str) -> list[tuple[str, dict[str, str]]]:
    blocks: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if current is None:
            if not line or line.startswith("#"):
                continue
            if not line.endswith("{"):
                raise StatusError(f"status.dat line {number}: expected 'NAME {{', got {line[:40]!r}")
            current = {}
            blocks.append((line[:-1].strip(), current))
        elif line == "}":
            current = None
        elif "=" in line:
            key, value = raw.lstrip().split("=", 1)
            current[key] = value
        elif line:
            raise StatusError(f"status.dat line {number}: expected 'key=value', got {line[:40]!r}")
    if current is not None:
        raise StatusError("status.dat is truncated: the last block is not closed")
    return blocks


def _int(fields: Mapping[str, str], key: str, kind: str) -> int:
    try:
        return int(fields[key])
    except KeyError:
        raise StatusError(f"status.dat {kind} block has no {key}") from None
    except ValueError:
        raise StatusError(f"status.dat {kind} {key}={fields[key]!r} is not a number") from None


def _object(fields: Mapping[str, str], kind: str) -> ObjectStatus:
    if "host_name" not in fields:
        raise StatusError(f"status.dat {kind} block has no host_name")
    return ObjectStatus(
        host_name=fields["host_name"],
        description=fields.get("service_description", ""),
        current_state=_int(fields, "current_state", kind),
        state_type=_int(fields, "state_type", kind),
        has_been_checked=_int(fields, "has_been_checked", kind) == 1,
        last_check=_int(fields, "last_check", kind),
        plugin_output=fields.get("plugin_output", ""),
        fields=fields,
    )


def parse_status_dat(text: str) -> StatusDat:
    """Parse a Nagios 4 status.dat into the program status and every host/service status."""
    blocks = _status_blocks(text)
    kinds = {kind: fields for kind, fields in blocks}
    if "programstatus" not in kinds:
        raise StatusError("status.dat has no programstatus block")
    program = kinds["programstatus"]
    status = ProgramStatus(
        nagios_pid=_int(program, "nagios_pid", "programstatus"),
        program_start=float(_int(program, "program_start", "programstatus")),
        daemon_mode=_int(program, "daemon_mode", "programstatus") == 1,
        active_service_checks=_int(program, "active_service_checks_enabled", "programstatus") == 1,
        active_host_checks=_int(program, "active_host_checks_enabled", "programstatus") == 1,
        version=kinds.get("info", {}).get("version", ""),
    )
    hosts: dict[str, ObjectStatus] = {}
    services: dict[tuple[str, str], ObjectStatus] = {}
    for kind, fields in blocks:
        if kind == "hoststatus":
            host = _object(fields, kind)
            hosts[host.host_name] = host
        elif kind == "servicestatus":
            service = _object(fields, kind)
            services[(service.host_name, service.description)] = service
    return StatusDat(program=status, hosts=hosts, services=services,
                     blocks=tuple((kind, fields) for kind, fields in blocks))
