"""Parser of DRBD 9 ``drbdadm status`` / ``drbdsetup status [--verbose --statistics]`` text.

The layout is indentation-based (drbd-utils ``user/v9/drbdsetup.c`` status printing)::

    home role:Secondary                      resource        (column 0)
      volume:0 disk:UpToDate                 device          (column 2; ``disk:`` alone when 1 volume)
      nina role:Secondary                    connection      (column 2, first word without ``:``)
        volume:0 peer-disk:UpToDate done:5   peer device     (column 4 under a connection)

Any other line (statistics printed deeper, or wrapped by documentation) continues the object above it.
Under a connection, ``disk:`` means the peer's disk (older drbd-utils); ``done:`` is the resync percent.
"""

from __future__ import annotations

from .drbd import Connection, DrbdParseError, DrbdStatus, Resource
from .drbd_kv import device, fields, number, peer_device, reasons

_DEVICE_KEYS = ("volume", "disk", "minor")
_PEER_DEVICE_KEYS = ("volume", "replication", "peer-disk", "disk", "done")


class _Node:
    """One object being read: its kind, key:value fields and children."""

    def __init__(self, kind: str, values: dict[str, str], name: str = "") -> None:
        self.kind, self.fields, self.name = kind, values, name
        self.children: list[_Node] = []


def _resource(node: _Node, where: str) -> Resource:
    devices, connections = [], []
    for child in node.children:
        f = child.fields
        if child.kind == "device":
            devices.append(device(f, number(f, "volume", where) or 0, where))
        else:
            connections.append(Connection(
                child.name, f.get("connection", "Connected"), f.get("role", "Unknown"),
                [peer_device(p.fields, number(p.fields, "volume", where) or 0, where, replication="Established")
                 for p in child.children],
                node_id=number(f, "node-id", where),
            ))
    return Resource(node.name, node.fields.get("role", "Unknown"), suspended=reasons(node.fields.get("suspended")),
                    devices=devices, connections=connections)


def parse(text: str) -> DrbdStatus:
    """Parse one or more resources of ``drbdadm status`` / ``drbdsetup status`` output."""
    resources: list[_Node] = []
    current: _Node | None = None  # the object continuation lines attach to
    connection: _Node | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"line {lineno}"
        indent = len(raw) - len(raw.lstrip())
        words = raw.split()
        first_key = words[0].partition(":")[0]
        if indent == 0:
            if ":" in words[0] or "role" not in fields(words[1:], where):
                raise DrbdParseError(f"{where}: expected 'NAME role:ROLE ...', got {raw.strip()[:60]!r}")
            current = _Node("resource", fields(words[1:], where), words[0])
            resources.append(current)
            connection = None
        elif not resources:
            raise DrbdParseError(f"{where}: indented line before any resource")
        elif indent == 2 and ":" not in words[0]:
            connection = current = _Node("connection", fields(words[1:], where), words[0])
            resources[-1].children.append(connection)
        elif indent == 2 and first_key in _DEVICE_KEYS:
            current = _Node("device", fields(words, where))
            resources[-1].children.append(current)
            connection = None
        elif indent == 4 and connection is not None and first_key in _PEER_DEVICE_KEYS:
            current = _Node("peer-device", fields(words, where))
            connection.children.append(current)
        else:
            target = current or resources[-1]
            target.fields = {**fields(words, where), **target.fields}
    if not resources:
        raise DrbdParseError("no resource in drbdadm/drbdsetup status text")
    return DrbdStatus("text", None, [_resource(node, f"resource {node.name}") for node in resources])
