"""What ``drbdsetup`` on one host sees of a resource: the engine's state turned into the fields DRBD
reports (roles, disk states, connection and replication state, out-of-sync, resync progress), for
:mod:`nagios_herd.lab.sim.drbd_format` to print."""

from __future__ import annotations

import math
from typing import Any

from nagios_herd.lab.sim.engine import Lab


def resource_view(lab: Lab, res_name: str, host: str) -> dict[str, Any]:
    """What ``drbdsetup`` on ``host`` reports about one resource (assumes it is up there)."""
    res, side = lab.resource(res_name), lab.side(res_name, host)
    peer_host = lab.peer_of(host)
    peer = lab.side(res_name, peer_host)
    connected, sync = res["connected"], res["sync"]
    if connected:
        cstate = "Connected"
    else:
        cstate = "StandAlone" if side["net"] == "standalone" else "Connecting"
    repl = "Off"
    paused = sync is not None and lab.sync_paused(res_name)
    if connected and sync is not None:
        source = sync["source"] == host
        if paused:  # resync-after: waiting for the resource before it
            repl = "PausedSyncS" if source else "PausedSyncT"
        else:
            repl = "SyncSource" if source else "SyncTarget"
    elif connected:
        repl = "Established"
    if sync is not None:
        oos = int(math.ceil(sync["left_kib"] / 4) * 4)
    else:
        oos = 0 if connected else side["oos_kib"]
    port = res["port"]
    return {
        "name": res_name, "node_id": lab.host(host)["node_id"], "role": side["role"],
        "minor": res["minor"], "disk": side["disk"], "open": lab.is_open(res_name, host),
        "backing": f"/dev/{lab.host(host)['volume_group']}/{res_name}-root", "size_kib": res["size_kib"],
        "written_kib": side["written_kib"], "read_kib": 0,
        "peer": {
            "name": peer_host, "node_id": lab.host(peer_host)["node_id"], "cstate": cstate,
            "role": peer["role"] if connected else "Unknown", "repl": repl,
            "disk": peer["disk"] if connected else "DUnknown", "oos_kib": oos,
            "received_kib": side["received_kib"], "sent_kib": side["sent_kib"],
            "split_brain": side["split_brain"], "established": connected,
            "resync_suspended": "dependency" if paused else "no",
            "sync": None if sync is None else {
                "total_kib": sync["total_kib"], "left_kib": sync["left_kib"],
                "rate_mib": lab.data["settings"]["resync_rate_mib"]},
            "local": (lab.host(host)["address"], port), "remote": (lab.host(peer_host)["address"], port),
        },
    }
