"""Real-format tool output for plan tests: ``xl list`` rows as xl prints them and ``drbdsetup status --json``
with the keys of drbd-utils (layout of tests/fixtures/ha_cluster_exporter/fake_drbdsetup.sh). The tests parse
this text with the project's parsers, exactly as the probes do, instead of building state objects by hand.
"""

from __future__ import annotations

import json

from nagios_herd.ops.probe import GuestView, Snapshot
from nagios_herd.parsers import xen
from nagios_herd.parsers.drbd import formats as drbd_formats
from nagios_herd.parsers.drbd import model as drbd

XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"


def xl_list(*domains: tuple[str, int, str]) -> str:
    """``xl list`` text: Domain-0 plus (name, memory, state) rows, formatted like xl_info.c."""
    rows = [("Domain-0", 0, 256, "r-----")] + [(n, i + 1, m, s) for i, (n, m, s) in enumerate(domains)]
    return XL_HEADER + "".join(f"{name:<40} {domid:5d} {mem:5d} {1:5d}     {state}  {12.5:8.1f}\n"
                               for name, domid, mem, state in rows)


def resource(name: str, minor: int, role: str, disk: str, *, connection: str = "Connected",
             peer_role: str = "Secondary", peer_disk: str = "UpToDate", replication: str = "Established",
             out_of_sync_kib: int = 0, done: float | None = None) -> dict:
    peer = {"volume": 0, "replication-state": replication, "peer-disk-state": peer_disk,
            "peer-client": False, "resync-suspended": "no", "received": 0, "sent": 0,
            "out-of-sync": out_of_sync_kib, "pending": 0, "unacked": 0, "has-sync-details": done is not None,
            "has-online-verify-details": False, "percent-in-sync": 100 if done is None else done}
    if done is not None:
        peer.update({"percent-resync-done": done, "estimated-seconds-to-finish": 60})
    connections = [] if connection == "StandAlone-none" else [{
        "peer-node-id": 1, "name": "peer", "connection-state": connection, "congested": False,
        "peer-role": peer_role, "ap-in-flight": 0, "rs-in-flight": 0,
        "peer_devices": [peer] if connection == "Connected" else [
            {**peer, "replication-state": "Off", "peer-disk-state": "DUnknown"}]}]
    return {"name": name, "node-id": 0, "role": role, "suspended": False, "write-ordering": "flush",
            "devices": [{"volume": 0, "minor": minor, "disk-state": disk, "client": False, "quorum": True,
                         "size": 1048540, "read": 0, "written": 0, "al-writes": 0, "bm-writes": 0,
                         "upper-pending": 0, "lower-pending": 0}],
            "connections": connections}


def snapshot(host: str, xl_text: str | None, resources: list[dict] | None, down: str | None = None) -> Snapshot:
    if down:
        return Snapshot(host, 0.0, down=down)
    return Snapshot(host, 0.0, domains=tuple(xen.parse_list(xl_text)),
                    drbd=drbd_formats.parse_status_json(json.dumps(resources, indent=2)))


def view(guest, snaps: dict[str, Snapshot]) -> GuestView:
    return GuestView(guest, snaps)
