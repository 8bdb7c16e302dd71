"""DRBD state: one normalized model for every status source (the parsers in this package fill it).

Shared by ``check_drbd_sync``, the lab simulator tests and the Fabric tasks. The model imports none of its parsers:
:mod:`nagios_herd.parsers.drbd.formats` detects a format and dispatches to the parser of that format.

Model (plain classes with ``__slots__``; ``dataclasses``/``typing`` cost too much start-up time for a check)
- ``DrbdStatus(source, version, resources, unconfigured_minors=(), complete=True)`` (raises DrbdParseError
  when a resource, a volume or a peer is listed twice) — ``source`` is one
  of ``"proc"`` (8.x ``/proc/drbd``), ``"json"`` (``drbdsetup status --json``), ``"events2"``
  (``drbdsetup events2 --now``), ``"text"`` (``drbdadm status`` / ``drbdsetup status [-vs]``).
  ``complete`` is False for an events2 dump without its ``exists -`` terminator (cut short).
  ``.find(name_or_minor) -> Resource | None`` matches a resource name or a device minor (``"3"``).
- ``Resource(name, role, suspended, devices, connections)`` — ``role`` ``Primary``/``Secondary``/
  ``Unknown``; ``suspended`` is a tuple of reasons (``("user",)``, ``("io",)``…), empty when running.
  For 8.x ``/proc/drbd`` (which has no names) ``name`` is the minor as a string.
- ``Device(volume, minor, disk_state, client=False, quorum=None, size_bytes=None)`` — ``client`` marks an
  intentional diskless client; ``quorum`` None when the source does not say.
- ``Connection(peer, state, peer_role, peer_devices, node_id=None)`` — ``state`` as printed
  (``Connected``, ``StandAlone``, ``WFConnection``, ``Connecting``…; 8.x sync states become ``Connected``
  with the 8.x ``cs:`` value kept in the peer device's ``replication_state``).
- ``PeerDevice(volume, replication_state, peer_disk_state, peer_client=False, out_of_sync_bytes=None,
  sync_done_percent=None, eta_seconds=None, stalled=False, resync_suspended=())`` — ``replication_state``
  ``Established``/``SyncSource``/``SyncTarget``/``Off``…; ``out_of_sync_bytes`` converted from KiB;
  ``eta_seconds`` None when unknown (DRBD's 987654321 included); ``stalled`` from 8.x ``stalled``.

Predicates (per resource)
- ``is_connected(r)`` every connection ``Connected`` (and at least one); ``is_uptodate(r)`` local disks and
  peer disks UpToDate (intentional diskless clients allowed); ``is_syncing(r)`` a resync/verify runs;
  ``split_brain_suspected(r)`` a StandAlone connection with UpToDate local data or out-of-sync blocks;
  ``primaries(r)`` how many nodes (local + peers) are Primary; ``out_of_sync_bytes(r)`` the sum known.
"""

from __future__ import annotations

SYNC_STATES = frozenset({
    "SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT", "VerifyS", "VerifyT",
    "StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID",
})
PAUSED_STATES = frozenset({"PausedSyncS", "PausedSyncT"})
CONNECTED_STATES = frozenset({"Connected"})
UNKNOWN_ETA = 987654321
NO_RESOURCES = "# No currently configured DRBD found."  # drbdsetup status text when nothing is configured


class DrbdParseError(ValueError):
    """The text is not a DRBD status we understand; the message names the line."""


class NoStatusSource(DrbdParseError):
    """A DRBD 9 ``/proc/drbd``: version only, the state must come from drbdsetup."""


class _Record:
    """Equality and repr from ``__slots__`` (what dataclasses would give, without their import cost)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class PeerDevice(_Record):
    __slots__ = ("volume", "replication_state", "peer_disk_state", "peer_client", "out_of_sync_bytes",
                 "sync_done_percent", "eta_seconds", "stalled", "resync_suspended")

    def __init__(self, volume: int, replication_state: str, peer_disk_state: str, *,
                 peer_client: bool = False, out_of_sync_bytes: int | None = None,
                 sync_done_percent: float | None = None, eta_seconds: int | None = None,
                 stalled: bool = False, resync_suspended: tuple[str, ...] = ()) -> None:
        self.volume, self.replication_state, self.peer_disk_state = volume, replication_state, peer_disk_state
        self.peer_client, self.out_of_sync_bytes = peer_client, out_of_sync_bytes
        self.sync_done_percent, self.eta_seconds, self.stalled = sync_done_percent, eta_seconds, stalled
        self.resync_suspended = resync_suspended


class Connection(_Record):
    __slots__ = ("peer", "state", "peer_role", "peer_devices", "node_id")

    def __init__(self, peer: str, state: str, peer_role: str, peer_devices: list[PeerDevice] | None = None,
                 *, node_id: int | None = None) -> None:
        self.peer, self.state, self.peer_role = peer, state, peer_role
        self.peer_devices = [] if peer_devices is None else peer_devices
        self.node_id = node_id


class Device(_Record):
    __slots__ = ("volume", "minor", "disk_state", "client", "quorum", "size_bytes")

    def __init__(self, volume: int, minor: int | None, disk_state: str, *, client: bool = False,
                 quorum: bool | None = None, size_bytes: int | None = None) -> None:
        self.volume, self.minor, self.disk_state = volume, minor, disk_state
        self.client, self.quorum, self.size_bytes = client, quorum, size_bytes


class Resource(_Record):
    __slots__ = ("name", "role", "suspended", "devices", "connections")

    def __init__(self, name: str, role: str, *, suspended: tuple[str, ...] = (),
                 devices: list[Device] | None = None, connections: list[Connection] | None = None) -> None:
        self.name, self.role, self.suspended = name, role, suspended
        self.devices = [] if devices is None else devices
        self.connections = [] if connections is None else connections


def is_count(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²``, which ``int()`` then refuses."""
    return text.isascii() and text.isdigit()


def percent(value: object, where: str) -> float:
    """A sync percentage (text or number) checked to lie in 0..100, else DrbdParseError."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DrbdParseError(f"{where}: {value!r} is not a percentage") from None
    if not 0.0 <= number <= 100.0:
        raise DrbdParseError(f"{where}: percentage {value!r} outside 0..100")
    return number


def _require_unique(what: str, keys: list[object], where: str) -> None:
    """A status naming the same object twice is corrupt (and would give ambiguous verdicts)."""
    seen: set[object] = set()
    for key in keys:
        if key in seen:
            raise DrbdParseError(f"{where}: {what} {key} listed twice")
        seen.add(key)


class DrbdStatus(_Record):
    __slots__ = ("source", "version", "resources", "unconfigured_minors", "complete")

    def __init__(self, source: str, version: str | None, resources: list[Resource], *,
                 unconfigured_minors: tuple[int, ...] = (), complete: bool = True) -> None:
        _require_unique("resource", [r.name for r in resources], "status")
        for resource in resources:
            where = f"resource {resource.name}"
            _require_unique("volume", [d.volume for d in resource.devices], where)
            _require_unique("peer", [c.peer for c in resource.connections], where)
            for connection in resource.connections:
                _require_unique("volume", [p.volume for p in connection.peer_devices],
                                f"{where} peer {connection.peer}")
        self.source, self.version, self.resources = source, version, resources
        self.unconfigured_minors, self.complete = unconfigured_minors, complete

    def find(self, name: str) -> Resource | None:
        """The resource called ``name``, else the one holding minor ``name`` (digits)."""
        for resource in self.resources:
            if resource.name == name:
                return resource
        if is_count(name):
            for resource in self.resources:
                if any(device.minor == int(name) for device in resource.devices):
                    return resource
        return None


def is_connected(resource: Resource) -> bool:
    return bool(resource.connections) and all(c.state in CONNECTED_STATES for c in resource.connections)


def is_uptodate(resource: Resource) -> bool:
    local = all(d.disk_state == "UpToDate" or (d.client and d.disk_state == "Diskless")
                for d in resource.devices)
    peers = all(p.peer_disk_state == "UpToDate" or (p.peer_client and p.peer_disk_state == "Diskless")
                for c in resource.connections for p in c.peer_devices)
    return bool(resource.devices) and local and peers


def is_syncing(resource: Resource) -> bool:
    return any(p.replication_state in SYNC_STATES for c in resource.connections for p in c.peer_devices)


def out_of_sync_bytes(resource: Resource) -> int:
    return sum(p.out_of_sync_bytes or 0 for c in resource.connections for p in c.peer_devices)


def split_brain_suspected(resource: Resource) -> bool:
    """StandAlone (refused to reconnect) while holding UpToDate data or out-of-sync blocks."""
    if not any(c.state == "StandAlone" for c in resource.connections):
        return False
    return any(d.disk_state == "UpToDate" for d in resource.devices) or out_of_sync_bytes(resource) > 0


def primaries(resource: Resource) -> int:
    return (resource.role == "Primary") + sum(c.peer_role == "Primary" for c in resource.connections)
