"""Parser of ``drbdsetup events2 --now [--statistics] [--timestamps] [--diff]`` into a DrbdStatus.

Each line is ``[TIMESTAMP] VERB OBJECT key:value...`` (drbd-utils ``tests/v9/events2-*.test``); the
events are applied in order (``exists``/``create``/``change`` update, ``destroy`` removes), so a dump that
goes on after ``exists -`` (a stream) ends in its final state, and an event for an object not seen yet
creates it (drbdsetup may print lines out of order). ``--diff`` values ``a->b`` keep ``b``. ``call``/
``response`` helper lines and ``path`` objects do not change the state. Indented lines, and lines that
begin with ``key:value`` rather than a verb, continue the previous line (documentation wrapping).
``exists -`` ends the initial dump: without it the dump was cut short and ``complete`` is False.
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.kv import device, fields, number, peer_device, reasons
from nagios_herd.parsers.drbd.model import Connection, DrbdParseError, DrbdStatus, Resource

_VERBS = ("exists", "create", "change", "destroy", "call", "response")
_OBJECTS = ("resource", "device", "connection", "peer-device", "path", "helper", "-")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Event lines with their wrapped tails joined: an indented line, or one that starts with
    ``key:value`` instead of a verb (a wrap whose indentation was lost in a paste)."""
    lines: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if not words:
            continue
        starts_event = words[0] in _VERBS or (len(words) > 1 and words[1] in _VERBS)
        if lines and (raw[0].isspace() or (not starts_event and ":" in words[0])):
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + raw.strip())
        else:
            lines.append((lineno, raw.strip()))
    return lines


class _State:
    """Objects by key while the events are applied; insertion order is kept for output."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, str]] = {}
        self.devices: dict[tuple[str, int], dict[str, str]] = {}
        self.connections: dict[tuple[str, int], dict[str, str]] = {}
        self.peer_devices: dict[tuple[str, int, int], dict[str, str]] = {}

    def apply(self, verb: str, kind: str, values: dict[str, str], where: str) -> None:
        name = values.get("name")
        if not name:
            raise DrbdParseError(f"{where}: {kind} event without name:")
        table: dict = {"resource": self.resources, "device": self.devices,
                       "connection": self.connections, "peer-device": self.peer_devices}[kind]
        peer = number(values, "peer-node-id", where)
        volume = number(values, "volume", where)
        key: object = {"resource": name, "device": (name, volume), "connection": (name, peer),
                       "peer-device": (name, peer, volume)}[kind]
        if None in (key if isinstance(key, tuple) else (key,)):
            raise DrbdParseError(f"{where}: {kind} event without its volume:/peer-node-id:")
        if verb == "destroy":
            table.pop(key, None)
            if kind == "resource":
                for other in (self.devices, self.connections, self.peer_devices):
                    for stale in [k for k in other if k[0] == name]:
                        del other[stale]
            return
        self.resources.setdefault(name, {"name": name})
        if kind == "peer-device":
            self.connections.setdefault((name, peer), {"name": name, "peer-node-id": str(peer)})
        table.setdefault(key, {}).update(values)

    def status(self, complete: bool) -> DrbdStatus:
        resources = []
        for name, attrs in self.resources.items():
            where = f"resource {name}"
            devices = [device(f, volume, where) for (res, volume), f in sorted(self.devices.items())
                       if res == name]
            connections = []
            for (res, peer), f in self.connections.items():
                if res != name:
                    continue
                peer_devices = [peer_device(p, volume, where, replication="Off")
                                for (r, n, volume), p in sorted(self.peer_devices.items())
                                if (r, n) == (name, peer)]
                connections.append(Connection(f.get("conn-name", str(peer)), f.get("connection", "Unknown"),
                                              f.get("role", "Unknown"), peer_devices, node_id=peer))
            resources.append(Resource(name, attrs.get("role", "Unknown"), suspended=reasons(attrs.get("suspended")),
                                      devices=devices, connections=connections))
        return DrbdStatus("events2", None, resources, complete=complete)


def parse(text: str) -> DrbdStatus:
    """Apply every event line in order and return the resulting state."""
    state = _State()
    complete = False
    for lineno, line in _logical_lines(text):
        where = f"line {lineno}"
        words = line.split()
        if words[0] not in _VERBS and len(words) > 1 and words[1] in _VERBS:
            words = words[1:]  # --timestamps prefix
        if words[0] not in _VERBS or len(words) < 2 or words[1] not in _OBJECTS:
            raise DrbdParseError(f"{where}: not an events2 line: {line[:60]!r}")
        verb, kind = words[0], words[1]
        if kind == "-":
            complete = complete or verb == "exists"
            continue
        if verb in ("call", "response") or kind in ("path", "helper"):
            continue
        state.apply(verb, kind, fields(words[2:], where), where)
    return state.status(complete)
