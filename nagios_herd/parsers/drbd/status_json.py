"""Parser of DRBD 9 ``drbdsetup status --json`` into :class:`nagios_herd.parsers.drbd.model.DrbdStatus`.

Keys follow drbd-utils ``user/v9/drbdsetup.c`` (``peer_devices`` with an underscore; sizes and
``out-of-sync`` in KiB; ``estimated-seconds-to-finish`` 987654321 = unknown). String values are stripped:
drbdsetup prints some with a trailing space.
"""

from __future__ import annotations

import json

from nagios_herd.parsers.drbd.kv import reasons
from nagios_herd.parsers.drbd.model import (
    SYNC_STATES,
    UNKNOWN_ETA,
    Connection,
    Device,
    DrbdParseError,
    DrbdStatus,
    PeerDevice,
    Resource,
    percent,
)

_SUSPENDED_KEYS = (("suspended-user", "user"), ("suspended-no-data", "no-data"),
                   ("suspended-fencing", "fencing"), ("suspended-quorum", "quorum"))


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise DrbdParseError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _list(item: dict[str, object], key: str, where: str) -> list[dict[str, object]]:
    value = item.get(key, [])
    if not isinstance(value, list):
        raise DrbdParseError(f"{where}: {key!r} is not a list")
    return [_object(entry, f"{where}.{key}[{index}]") for index, entry in enumerate(value)]


def _text(item: dict[str, object], key: str, where: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise DrbdParseError(f"{where}: {key!r} missing or not a string")
    return value.strip()


def _int(item: dict[str, object], key: str, where: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise DrbdParseError(f"{where}: {key!r} is not a count: {value!r}")
    return int(value)


def _flag(item: dict[str, object], key: str) -> bool | None:
    value = item.get(key)
    if isinstance(value, str):
        return value.strip() in ("yes", "true")
    return None if value is None else bool(value)


def _peer_device(item: dict[str, object], where: str) -> PeerDevice:
    replication = _text(item, "replication-state", where)
    oos = _int(item, "out-of-sync", where)
    done = item.get("percent-resync-done")
    if done is None and replication in SYNC_STATES:
        done = item.get("percent-in-sync")
    eta = _int(item, "estimated-seconds-to-finish", where)
    return PeerDevice(
        _int(item, "volume", where) or 0, replication, _text(item, "peer-disk-state", where),
        peer_client=bool(_flag(item, "peer-client")),
        out_of_sync_bytes=None if oos is None else oos * 1024,
        sync_done_percent=None if done is None else percent(done, f"{where}: sync percentage"),
        eta_seconds=None if eta is None or eta == UNKNOWN_ETA else eta,
        resync_suspended=reasons(str(item.get("resync-suspended", "no")).strip()),
    )


def _resource(item: dict[str, object], where: str) -> Resource:
    name = _text(item, "name", where)
    where = f"resource {name}"
    devices = []
    for index, device in enumerate(_list(item, "devices", where)):
        at = f"{where} device {index}"
        size = _int(device, "size", at)
        devices.append(Device(
            _int(device, "volume", at) or 0, _int(device, "minor", at), _text(device, "disk-state", at),
            client=bool(_flag(device, "client")), quorum=_flag(device, "quorum"),
            size_bytes=None if size is None else size * 1024,
        ))
    connections = []
    for index, connection in enumerate(_list(item, "connections", where)):
        at = f"{where} connection {index}"
        peer = str(connection.get("name") or connection.get("peer-node-id", index)).strip()
        connections.append(Connection(
            peer, _text(connection, "connection-state", at), _text(connection, "peer-role", at, "Unknown"),
            [_peer_device(p, f"{at} peer_device {i}") for i, p in enumerate(_list(connection, "peer_devices", at))],
            node_id=_int(connection, "peer-node-id", at),
        ))
    suspended = tuple(reason for key, reason in _SUSPENDED_KEYS if _flag(item, key))
    if not suspended and _flag(item, "suspended"):
        suspended = ("io",)
    return Resource(name, _text(item, "role", where, "Unknown"), suspended=suspended,
                    devices=devices, connections=connections)


def parse(text: str) -> DrbdStatus:
    """Parse the JSON array (one object per resource) printed by ``drbdsetup status --json``."""
    try:
        data = json.loads(text, strict=False)
    except ValueError as error:
        raise DrbdParseError(f"invalid JSON: {error}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise DrbdParseError("JSON status is not a list of resources")
    return DrbdStatus("json", None, [_resource(_object(item, f"resource {i}"), f"resource {i}")
                                     for i, item in enumerate(data)])
