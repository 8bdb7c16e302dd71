"""Render resource views the way DRBD 9's ``drbdsetup`` prints them (status text, ``--json``, ``events2``).

Transcribed from drbd-utils ``user/v9/drbdsetup.c`` (``resource_status``, ``device_status``,
``connection_status``, ``peer_device_status``, ``print_*_statistics`` and the ``*_status_json``
functions), ``user/v9/drbdsetup_events2.c`` (``print_changes`` order: resource, connections, devices,
peer devices; no path lines in the initial state; ``sync-state:SplitBrain`` on a StandAlone connection)
and ``user/shared/wrap_printf.c`` (status text wraps at 80 columns when stdout is not a terminal, leading
spaces dropped at the start of a line). One volume (0) per resource, quorum always yes, never suspended.
"""

from __future__ import annotations

import os
import time
from typing import Any

View = dict[str, Any]


class _Wrap:
    """``wrap_printf``: fold output at the terminal width (80 when not a terminal)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.col = 0
        self.columns = os.get_terminal_size(1).columns if os.isatty(1) else 80

    def __call__(self, indent: int, text: str) -> None:
        while text.startswith("\n"):
            self.parts.append("\n")
            self.col = 0
            text = text[1:]
        if not text:
            return
        if self.col > 0 and self.col + len(text) > self.columns:
            self.parts.append("\n")
            self.col = 0
        if self.col == 0:
            text = text.lstrip(" ")
            self.parts.append(" " * indent)
            self.col = -1  # wrap_printf.c leaves col at the post-loop value of its indent counter
        self.parts.append(text)
        self.col += len(text)
        if text.endswith("\n"):
            self.col = 0


UNKNOWN_ETA = 987654321  # drbdsetup_main.c: ``db <= 0 ? 987654321 : ...`` for estimated-seconds-to-finish


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _sync_numbers(peer: dict[str, Any]) -> dict[str, float] | None:
    sync = peer["sync"]
    if sync is None:
        return None
    total, left, rate = sync["total_kib"], sync["left_kib"], sync["rate_mib"]
    return {"done": 100.0 * (total - left) / total if total else 0.0, "rate": rate,
            "eta": left / 1024.0 / rate if rate > 0 else float("nan"),
            "total_sectors": total * 2, "left_sectors": left * 2,
            "elapsed_ms": (total - left) / 1024.0 / rate * 1000 if rate > 0 else 0.0}


def _json_eta(eta: float) -> float:
    """drbdsetup's JSON prints 987654321 for an unknown ETA (no progress in the last interval), never nan."""
    return eta if eta == eta else UNKNOWN_ETA


def status_text(views: list[View], *, verbose: bool, statistics: bool) -> str:
    if not views:
        return "# No currently configured DRBD found.\n"
    w = _Wrap()
    for v in views:
        _resource_text(w, v, verbose, statistics)
        peer = v["peer"]
        _connection_text(w, peer, verbose)
        if verbose or statistics or peer["cstate"] == "Connected":
            _peer_device_text(w, v, peer, verbose, statistics)
        w(0, "\n")
    return "".join(w.parts)


def _resource_text(w: _Wrap, v: View, verbose: bool, statistics: bool) -> None:
    w(0, v["name"])
    if verbose:
        w(4, f" node-id:{v['node_id']}")
    w(4, f" role:{v['role']}")
    if verbose:
        w(4, " suspended:no")
        w(4, " force-io-failures:no")
    if statistics and verbose:
        w(4, "\n")
        w(4, " write-ordering:flush")
    w(0, "\n")
    indent = 2
    if verbose:
        w(indent, "volume:0")
        indent = 6
        w(indent, f" minor:{v['minor']}")
    w(indent, f" disk:{v['disk']}")
    if verbose:
        w(indent, f" backing_dev:{v['backing']}")
        w(indent, " quorum:yes")
    w(indent, f" open:{_yes(v['open'])}")
    if statistics:
        w(6, "\n")
        if verbose:
            w(6, f" size:{v['size_kib']}")
        w(6, f" read:{v['read_kib']}")
        w(6, f" written:{v['written_kib']}")
        if verbose:
            for key in ("al-writes", "bm-writes", "upper-pending", "lower-pending"):
                w(6, f" {key}:0")
            w(6, " al-suspended:no")
    if verbose:
        w(6, " blocked:no")
    w(6, "\n")


def _connection_text(w: _Wrap, peer: dict[str, Any], verbose: bool) -> None:
    w(2, peer["name"])
    if verbose:
        w(6, f" node-id:{peer['node_id']}")
    if verbose or peer["cstate"] != "Connected":
        w(6, f" connection:{peer['cstate']}")
    if verbose or peer["cstate"] == "Connected":
        w(6, f" role:{peer['role']}")
        if verbose:
            w(6, " tls:no")
    if verbose:
        w(6, " congested:no")
        w(6, " ap-in-flight:0")
        w(6, " rs-in-flight:0")
    w(0, "\n")


def _peer_device_text(w: _Wrap, v: View, peer: dict[str, Any], verbose: bool, statistics: bool) -> None:
    indent = 4
    if verbose:
        w(indent, "volume:0")
        indent = 8
    if verbose or peer["repl"] not in ("Off", "Established"):  # L_ESTABLISHED < every sync state
        w(indent, f" replication:{peer['repl']}")
        indent = 8
    if verbose or statistics or peer["repl"] != "Off" or peer["disk"] != "DUnknown":
        w(indent, f" peer-disk:{peer['disk']}")
        indent = 8
        sync = _sync_numbers(peer)
        if sync is not None:
            w(indent, f" done:{sync['done']:.2f}")
        if verbose or peer["resync_suspended"] != "no":
            w(indent, f" resync-suspended:{peer['resync_suspended']}")
        if statistics:
            w(indent, "\n")
            for item in _peer_statistics(peer, verbose, sync):
                w(indent, item)
    w(0, "\n")


def _peer_statistics(peer: dict[str, Any], verbose: bool, sync: dict[str, float] | None) -> list[str]:
    items = [f" received:{peer['received_kib']}", f" sent:{peer['sent_kib']}"]
    if verbose or peer["oos_kib"]:
        items.append(f" out-of-sync:{peer['oos_kib']}")
    if not verbose:
        return items
    items += [" pending:0", " unacked:0"]
    if sync is not None:
        items += [f" dbdt1:{sync['rate']:.2f}", f" eta:{sync['eta']:.0f}"]
    return items


def status_json(views: list[View]) -> str:
    """``[``, each resource as ``status_cmd`` prints it (``puts`` adds the newlines), ``]`` and a blank line."""
    out = ["[\n"]
    for index, v in enumerate(views):
        if index:
            out.append(",\n")
        peer = v["peer"]
        out.append(
            "{\n"
            f'  "name": "{v["name"]}",\n  "node-id": {v["node_id"]},\n  "role": "{v["role"]}",\n'
            '  "suspended": false,\n  "suspended-user": false,\n  "suspended-no-data": false,\n'
            '  "suspended-fencing": false,\n  "suspended-quorum": false,\n  "force-io-failures": false,\n'
            '  "write-ordering": "flush",\n  "devices": [\n'
            f'    {{\n      "volume": 0,\n      "minor": {v["minor"]},\n      "disk-state": "{v["disk"]}",\n'
            f'      "client": false,\n      "open": {str(v["open"]).lower()},\n      "quorum": true,\n'
            f'      "size": {v["size_kib"]},\n      "read": {v["read_kib"]},\n'
            f'      "written": {v["written_kib"]},\n      "al-writes": 0,\n      "bm-writes": 0,\n'
            '      "upper-pending": 0,\n      "lower-pending": 0\n    } ],\n  "connections": [\n'
            f'    {{\n      "peer-node-id": {peer["node_id"]},\n      "name": "{peer["name"]}",\n'
            f'      "connection-state": "{peer["cstate"]}", \n      "congested": false,\n'
            f'      "peer-role": "{peer["role"]}",\n      "tls": false,\n'
            '      "ap-in-flight": 0,\n      "rs-in-flight": 0,\n      "paths": [\n'
            + _path_json(peer) + " ],\n      \"peer_devices\": [\n" + _peer_device_json(v, peer)
            + " ]\n    } ]\n}\n")
    out.append("]\n\n")
    return "".join(out)


def _path_json(peer: dict[str, Any]) -> str:
    (laddr, lport), (raddr, rport) = peer["local"], peer["remote"]
    return ('        {\n          "this_host": {\n'
            f'            "address": "{laddr}",\n            "port": {lport},\n            "family": "ipv4"\n'
            '          },\n          "remote_host": {\n'
            f'            "address": "{raddr}",\n            "port": {rport},\n            "family": "ipv4"\n'
            f'          }},\n          "established": {str(peer["established"]).lower()}\n        }}')


def _peer_device_json(v: View, peer: dict[str, Any]) -> str:
    sync = _sync_numbers(peer)
    in_sync = 100 * (1 - peer["oos_kib"] / v["size_kib"]) if v["size_kib"] else 0.0
    text = ('        {\n          "volume": 0,\n'
            f'          "replication-state": "{peer["repl"]}",\n          "peer-disk-state": "{peer["disk"]}",\n'
            f'          "peer-client": false,\n          "resync-suspended": "{peer["resync_suspended"]}",\n'
            f'          "received": {peer["received_kib"]},\n          "sent": {peer["sent_kib"]},\n'
            f'          "out-of-sync": {peer["oos_kib"]},\n          "pending": 0,\n          "unacked": 0,\n'
            f'          "has-sync-details": {str(sync is not None).lower()},\n'
            '          "has-online-verify-details": false,\n'
            f'          "percent-in-sync": {in_sync:.2f}{"," if sync else ""}\n')
    if sync is not None:
        rate_sectors = int(sync["rate"] * 2048)
        text += (f'          "rs-total": {int(sync["total_sectors"])},\n'
                 f'          "rs-dt-start-ms": {int(sync["elapsed_ms"])},\n          "rs-paused-ms": 0,\n'
                 f'          "rs-dt0-ms": 1000,\n          "rs-db0-sectors": {rate_sectors},\n'
                 f'          "rs-dt1-ms": 1000,\n          "rs-db1-sectors": {rate_sectors},\n'
                 '          "rs-failed": 0,\n          "rs-same-csum": 0,\n'
                 f'          "want": {sync["rate"]:.2f},\n          "db0/dt0 [MiB/s]": {sync["rate"]:.2f},\n'
                 f'          "db1/dt1 [MiB/s]": {sync["rate"]:.2f},\n'
                 f'          "estimated-seconds-to-finish": {_json_eta(sync["eta"]):.0f},\n'
                 f'          "db/dt [MiB/s]": {sync["rate"]:.2f},\n'
                 f'          "percent-resync-done": {sync["done"]:.2f}\n')
    return text + "        }"


def _promotion(v: View) -> tuple[bool, int]:
    """``compute_promotion_info`` of drbdsetup_events2.c for one volume."""
    peer = v["peer"]
    local_ok = v["disk"] == "UpToDate"
    replicas = int(local_ok) + int(peer["disk"] == "UpToDate")
    if replicas == 0:
        return False, 0
    have_primary = v["role"] == "Primary" or peer["role"] == "Primary"
    has_disk = v["disk"] in ("UpToDate", "Consistent", "Inconsistent")
    return not have_primary, int(has_disk) * 10000 + int(local_ok) * 100 + min(replicas, 99)


def _timestamp() -> str:
    now = time.time()
    tm = time.localtime(now)
    offset = tm.tm_gmtoff
    return (time.strftime("%Y-%m-%dT%H:%M:%S", tm) + f".{int(now % 1 * 1e6):06d}"
            + f"{int(offset / 3600):+03d}:{abs(offset) // 60 % 60:02d} ")


def events2_now(views: list[View], *, statistics: bool, timestamps: bool) -> str:
    lines = []
    for v in views:
        peer = v["peer"]
        may, score = _promotion(v)
        res = f"resource name:{v['name']} role:{v['role']} suspended:no force-io-failures:no"
        if statistics:
            res += " write-ordering:flush"
        lines.append(res + f" may_promote:{_yes(may)} promotion_score:{score}")
        conn = (f"connection name:{v['name']} peer-node-id:{peer['node_id']} conn-name:{peer['name']}"
                f" connection:{peer['cstate']} role:{peer['role']}")
        if peer["cstate"] == "StandAlone" and peer["split_brain"]:
            conn += " sync-state:SplitBrain"
        if statistics:
            conn += " congested:no ap-in-flight:0 rs-in-flight:0"
        lines.append(conn)
        dev = (f"device name:{v['name']} volume:0 minor:{v['minor']} backing_dev:{v['backing']}"
               f" disk:{v['disk']} client:no open:{_yes(v['open'])} quorum:yes")
        if statistics:
            dev += (f" size:{v['size_kib']} read:{v['read_kib']} written:{v['written_kib']} al-writes:0"
                    " bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no")
        lines.append(dev)
        pdev = (f"peer-device name:{v['name']} peer-node-id:{peer['node_id']} conn-name:{peer['name']} volume:0"
                f" replication:{peer['repl']} peer-disk:{peer['disk']} peer-client:no"
                f" resync-suspended:{peer['resync_suspended']}")
        sync = _sync_numbers(peer)
        if sync is not None:
            pdev += f" done:{sync['done']:.2f}"
        if statistics:
            pdev += "".join(_peer_statistics(peer, True, sync))
        lines.append(pdev)
    prefix = _timestamp() if timestamps else ""
    return "".join(f"{prefix}exists {line}\n" for line in lines) + f"{prefix}exists -\n"
