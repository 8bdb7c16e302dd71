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

from .drbd import SYNC_STATES, Connection, Device, DrbdParseError, DrbdStatus, PeerDevice, Resource

_DEVICE_KEYS = ("volume", "disk", "minor")
_PEER_DEVICE_KEYS = ("volume", "replication", "peer-disk", "disk", "done")


def _fields(words: list[str], where: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for word in words:
        key, colon, value = word.partition(":")
        if not colon or not key:
            raise DrbdParseError(f"{where}: expected key:value, got {word!r}")
        fields.setdefault(key, value)
    return fields


def _int(fields: dict[str, str], key: str, where: str, default: int | None = None) -> int | None:
    value = fields.get(key)
    if value is None:
        return default
    if not value.isdigit():
        raise DrbdParseError(f"{where}: {key}:{value} is not a number")
    return int(value)


class _Node:
    """One object being read: its kind, key:value fields and children."""

    def __init__(self, kind: str, fields: dict[str, str], name: str = "") -> None:
        self.kind, self.fields, self.name = kind, fields, name
        self.children: list[_Node] = []


def _peer_device(node: _Node, where: str) -> PeerDevice:
    f = node.fields
    replication = f.get("replication", "Established")
    done = f.get("done")
    try:
        percent = float(done) if done is not None else None
    except ValueError:
        raise DrbdParseError(f"{where}: done:{done} is not a percentage") from None
    oos = _int(f, "out-of-sync", where)
    suspended = f.get("resync-suspended", "no")
    return PeerDevice(
        _int(f, "volume", where, 0) or 0, replication, f.get("peer-disk", f.get("disk", "DUnknown")),
        peer_client=f.get("peer-client") == "yes",
        out_of_sync_bytes=None if oos is None else oos * 1024,
        sync_done_percent=percent if replication in SYNC_STATES else None,
        resync_suspended=tuple(r for r in suspended.split(",") if r and r != "no"),
    )


def _resource(node: _Node, where: str) -> Resource:
    devices, connections = [], []
    for child in node.children:
        f = child.fields
        if child.kind == "device":
            size = _int(f, "size", where)
            devices.append(Device(
                _int(f, "volume", where, 0) or 0, _int(f, "minor", where), f.get("disk", "DUnknown"),
                client=f.get("client") == "yes", quorum=None if "quorum" not in f else f["quorum"] == "yes",
                size_bytes=None if size is None else size * 1024,
            ))
        else:
            connections.append(Connection(
                child.name, f.get("connection", "Connected"), f.get("role", "Unknown"),
                [_peer_device(p, where) for p in child.children], node_id=_int(f, "node-id", where),
            ))
    suspended = node.fields.get("suspended", "no")
    return Resource(node.name, node.fields.get("role", "Unknown"),
                    suspended=tuple(r for r in suspended.split(",") if r and r != "no"),
                    devices=devices, connections=connections)


def parse(text: str) -> DrbdStatus:
    """Parse one or more resources of ``drbdadm status`` / ``drbdsetup status`` output."""
    resources: list[_Node] = []
    current: _Node | None = None  # the object continuation lines attach to
    connection: _Node | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"line {number}"
        indent = len(raw) - len(raw.lstrip())
        words = raw.split()
        first_key = words[0].partition(":")[0]
        if indent == 0:
            if ":" in words[0] or "role" not in _fields(words[1:], where):
                raise DrbdParseError(f"{where}: expected 'NAME role:ROLE ...', got {raw.strip()[:60]!r}")
            current = _Node("resource", _fields(words[1:], where), words[0])
            resources.append(current)
            connection = None
        elif not resources:
            raise DrbdParseError(f"{where}: indented line before any resource")
        elif indent == 2 and ":" not in words[0]:
            connection = current = _Node("connection", _fields(words[1:], where), words[0])
            resources[-1].children.append(connection)
        elif indent == 2 and first_key in _DEVICE_KEYS:
            current = _Node("device", _fields(words, where))
            resources[-1].children.append(current)
            connection = None
        elif indent == 4 and connection is not None and first_key in _PEER_DEVICE_KEYS:
            current = _Node("peer-device", _fields(words, where))
            connection.children.append(current)
        else:
            target = current or resources[-1]
            for key, value in _fields(words, where).items():
                target.fields.setdefault(key, value)
    if not resources:
        raise DrbdParseError("no resource in drbdadm/drbdsetup status text")
    return DrbdStatus("text", None, [_resource(node, f"resource {node.name}") for node in resources])
