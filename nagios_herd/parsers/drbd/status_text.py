"""Parser of DRBD 9 ``drbdadm status`` / ``drbdsetup status [--verbose --statistics]`` text.

The layout (drbd-utils ``user/v9/drbdsetup.c`` ``resource_status``/``device_status``/
``connection_status``/``peer_device_status``)::

    home role:Secondary                      resource     (column 0, a name then key:value words)
      volume:0 disk:UpToDate                 device       (``disk:`` alone when 1 volume)
      nina role:Secondary                    connection   (a name; ``node-id:N`` when it has none)
        volume:0 peer-disk:UpToDate done:5   peer device  (``peer-disk:`` alone when 1 volume)

Objects are told apart by their first word, not by their indentation: devices come before the
connections of their resource, peer devices after their connection. Indentation only separates a
resource (the least indented named line) from a connection; a paste that lost its indentation is read
with the blank line drbdsetup prints after each resource instead. Any other line continues the object
above it: ``wrap_printf`` breaks lines at 80 columns when stdout is not a terminal (statistics,
``write-ordering:``, a long connection line). Under a connection, ``disk:`` means the peer's disk
(older drbd-utils); ``done:`` is the resync percent. ``# No currently configured DRBD found.`` is the
whole output when no resource exists.
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.kv import device, fields, number, peer_device, reasons
from nagios_herd.parsers.drbd.model import NO_RESOURCES, Connection, DrbdParseError, DrbdStatus, Resource

_DEVICE_KEYS = ("volume", "disk", "minor")
_PEER_DEVICE_KEYS = ("volume", "replication", "peer-disk", "disk")


class _Node:
    """One object being read: its kind, key:value fields and children."""

    def __init__(self, kind: str, values: dict[str, str], name: str = "") -> None:
        self.kind, self.fields, self.name = kind, values, name
        self.children: list[_Node] = []


def _resource(node: _Node) -> Resource:
    where = f"resource {node.name}"
    if "role" not in node.fields:
        raise DrbdParseError(f"{where}: no role: on its line (expected 'NAME role:ROLE ...')")
    devices, connections = [], []
    for child in node.children:
        f = child.fields
        if child.kind == "device":
            devices.append(device(f, number(f, "volume", where) or 0, where))
        else:
            connections.append(Connection(
                child.name or f.get("node-id", "?"), f.get("connection", "Connected"), f.get("role", "Unknown"),
                [peer_device(p.fields, number(p.fields, "volume", where) or 0, where, replication="Established")
                 for p in child.children],
                node_id=number(f, "node-id", where),
            ))
    return Resource(node.name, node.fields["role"], suspended=reasons(node.fields.get("suspended")),
                    devices=devices, connections=connections)


def _lines(text: str) -> list[tuple[int, int, list[str], bool]]:
    """(line number, indentation, words, follows a blank line) of every line that says something."""
    found = []
    blank = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if not words or raw.strip() == NO_RESOURCES:
            blank = True
            continue
        found.append((lineno, len(raw) - len(raw.lstrip()), words, blank))
        blank = False
    return found


def parse(text: str) -> DrbdStatus:
    """Parse zero or more resources of ``drbdadm status`` / ``drbdsetup status`` output."""
    lines = _lines(text)
    if not lines:
        if NO_RESOURCES in text:
            return DrbdStatus("text", None, [])
        raise DrbdParseError("no resource in drbdadm/drbdsetup status text")
    base = lines[0][1]
    indented = any(indent > base for _, indent, _, _ in lines)
    resources: list[_Node] = []
    current: _Node | None = None  # the object continuation lines attach to
    connection: _Node | None = None
    for lineno, indent, words, after_blank in lines:
        where = f"line {lineno}"
        first_key = words[0].partition(":")[0]
        named = ":" not in words[0]
        if named and indent <= base and (indented or after_blank):
            current = _Node("resource", fields(words[1:], where), words[0])
            resources.append(current)
            connection = None
        elif current is None:
            raise DrbdParseError(f"{where}: expected 'NAME role:ROLE ...', got {' '.join(words)[:60]!r}")
        elif named or (first_key == "node-id" and current.kind != "resource"):
            name = words[0] if named else ""
            connection = current = _Node("connection", fields(words[1:] if named else words, where), name)
            resources[-1].children.append(connection)
        elif connection is None and first_key in _DEVICE_KEYS:
            current = _Node("device", fields(words, where))
            resources[-1].children.append(current)
        elif connection is not None and first_key in _PEER_DEVICE_KEYS:
            current = _Node("peer-device", fields(words, where))
            connection.children.append(current)
        else:
            current.fields = {**fields(words, where), **current.fields}
    return DrbdStatus("text", None, [_resource(node) for node in resources])
