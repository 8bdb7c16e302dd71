"""The DRBD verdict table (docs/checks.md), applied to one resource of the normalized model.

Every dimension is judged on its own and the worst wins, so out-of-sync blocks (WARNING) never hide a
lost connection or a bad disk (CRITICAL) — the check_drbd bug this replaces.
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.model import PAUSED_STATES, SYNC_STATES, PeerDevice, Resource, split_brain_suspected
from nagios_herd.plugin.runtime import State, format_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost)
if TYPE_CHECKING:
    from collections.abc import Callable

TRANSITIONAL_DISKS = frozenset({"Attaching", "Detaching", "Negotiating", "Consistent", "DUnknown"})
BAD_DISKS = frozenset({"Failed", "Outdated", "Inconsistent", "Diskless"})
CONGESTION = frozenset({"Ahead", "Behind"})

def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _disk_verdict(state: str, client: bool, syncing: bool, whose: str) -> tuple[State, str] | None:
    if state == "UpToDate" or (state == "Diskless" and client):
        return None
    if state == "Inconsistent" and syncing:
        return None  # the resync line says it
    if state in BAD_DISKS:
        extra = " without a resync" if state == "Inconsistent" else ""
        return State.CRITICAL, f"{whose} disk {state}{extra}"
    if state in TRANSITIONAL_DISKS:
        return State.WARNING, f"{whose} disk {state}"
    return State.CRITICAL, f"{whose} disk in unknown state {state}"


def _resync(key: str, peer: PeerDevice, stall: Callable[[str, PeerDevice], float | None]) -> list[tuple[State, str]]:
    state = peer.replication_state
    kind = "online verify" if state.startswith("Verify") else "resync"
    text = f"{kind} {state}"
    if peer.sync_done_percent is not None:
        text += f" {peer.sync_done_percent:g}% done"
    if peer.eta_seconds is not None:
        text += f", ETA {_clock(peer.eta_seconds)}"
    if peer.sync_done_percent is None and peer.out_of_sync_bytes is None:
        text += " (progress unknown)"
    if state in PAUSED_STATES:
        reasons = ",".join(peer.resync_suspended) or "paused"
        return [(State.WARNING, f"{text} paused ({reasons})")]
    if peer.stalled:
        return [(State.CRITICAL, f"{text}: resync stalled")]
    stuck = stall(key, peer)
    if stuck is not None:
        return [(State.CRITICAL, f"{text}: resync stalled, no progress for {stuck:.0f} s")]
    return [(State.WARNING, text)]


def _peer_device(key: str, where: str, peer: PeerDevice,
                 stall: Callable[[str, PeerDevice], float | None]) -> list[tuple[State, str]]:
    state = peer.replication_state
    if state in SYNC_STATES:
        return [(verdict, where + text) for verdict, text in _resync(key, peer, stall)]
    found: list[tuple[State, str]] = []
    if state in CONGESTION:
        found.append((State.WARNING, f"{where}replication {state} (congested)"))
    elif state == "Off":
        found.append((State.WARNING, f"{where}replication Off while connected"))
    elif state != "Established":
        found.append((State.CRITICAL, f"{where}replication in unknown state {state}"))
    disk = _disk_verdict(peer.peer_disk_state, peer.peer_client, False, "peer")
    if disk is not None:
        found.append((disk[0], where + disk[1]))
    if peer.out_of_sync_bytes:
        found.append((State.WARNING, f"{where}{format_bytes(peer.out_of_sync_bytes)} out of sync"))
    return found


def judge(resource: Resource, stall: Callable[[str, PeerDevice], float | None]) -> list[tuple[State, str]]:
    """Every problem of ``resource`` as (state, phrase); empty when it is OK.

    ``stall(key, peer_device)`` is asked about each running resync: the seconds it made no progress
    (across check runs), or None.
    """
    found: list[tuple[State, str]] = []
    if resource.suspended:
        found.append((State.CRITICAL, f"I/O suspended ({','.join(resource.suspended)})"))
    roles = [resource.role] + [c.peer_role for c in resource.connections]
    if roles.count("Primary") > 1:
        found.append((State.CRITICAL, f"{roles.count('Primary')} Primaries (both sides Primary)"))
    if not resource.devices:
        found.append((State.UNKNOWN, "no volume reported"))
    several_volumes = len(resource.devices) > 1
    for device in resource.devices:
        volume = f"volume {device.volume}: " if several_volumes else ""
        syncing = any(p.volume == device.volume and p.replication_state in SYNC_STATES
                      for c in resource.connections for p in c.peer_devices)
        verdict = _disk_verdict(device.disk_state, device.client, syncing, "local")
        if verdict is not None:
            found.append((verdict[0], volume + verdict[1]))
        if device.quorum is False:
            found.append((State.CRITICAL, f"{volume}quorum lost"))
    if not resource.connections:
        found.append((State.CRITICAL, "no connection to a peer"))
    if split_brain_suspected(resource):
        found.append((State.CRITICAL, "split brain suspected"))
    for connection in resource.connections:
        if connection.state != "Connected":
            found.append((State.CRITICAL, f"not connected to {connection.peer} ({connection.state})"))
            oos = sum(p.out_of_sync_bytes or 0 for p in connection.peer_devices)
            if oos:
                found.append((State.WARNING, f"{format_bytes(oos)} out of sync with {connection.peer}"))
            continue
        reported = {p.volume for p in connection.peer_devices}
        unreported = [str(d.volume) for d in resource.devices if d.volume not in reported]
        if unreported and not reported:
            found.append((State.WARNING, f"peer {connection.peer}: no volume state reported"))
        elif unreported:  # drbdsetup prints every volume under a connected peer: the output was cut
            found.append((State.WARNING, f"peer {connection.peer}: no state reported for volume {','.join(unreported)}"))
        for peer in connection.peer_devices:
            key = f"{resource.name}/{peer.volume}/{connection.peer}"
            where = f"peer {connection.peer} " if len(resource.connections) > 1 else ""
            where += f"volume {peer.volume} " if several_volumes or len(connection.peer_devices) > 1 else ""
            found.extend(_peer_device(key, where.rstrip() + ": " if where else "", peer, stall))
    return found


def facts(resource: Resource) -> str:
    """One compact description: roles, disks, connection and replication states."""
    disks = ",".join(d.disk_state + ("(client)" if d.client else "") for d in resource.devices) or "-"
    parts = [f"role:{resource.role} disk:{disks}"]
    for c in resource.connections:
        peer_disks = ",".join(p.peer_disk_state for p in c.peer_devices) or "-"
        replication = ",".join(p.replication_state for p in c.peer_devices) or "-"
        peer = "peer" if c.peer == "peer" else f"peer {c.peer}"  # 8.x /proc/drbd does not name the peer
        parts.append(f"{peer}:{c.state} role:{c.peer_role} disk:{peer_disks} repl:{replication}")
    return "; ".join(parts)
