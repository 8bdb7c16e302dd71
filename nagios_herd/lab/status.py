"""``lab status``: what each lab host and guest is doing, read the way an operator would read it.

Each host is asked with its own tools (the simulators through the host's shims, the real LVM tools
with the host's LVM config) and the answers go through the project's parsers (:mod:`nagios_herd.parsers.xen`,
:mod:`nagios_herd.parsers.drbd.model`, :mod:`nagios_herd.parsers.lvm`), so the status shows what the checks would see.
"""

from __future__ import annotations

import subprocess
from typing import Any

from nagios_herd.errors import HerdError
from nagios_herd.lab import guests, volumes
from nagios_herd.lab.layout import read_json
from nagios_herd.lab.lab import Lab
from nagios_herd.parsers import lvm, xen
from nagios_herd.parsers.drbd import formats as drbd_formats
from nagios_herd.parsers.drbd import model as drbd

GIB = 1024 ** 3


def _tool(lab: Lab, host: str, argv: list[str]) -> str | None:
    """Run a simulator as ``host``; None when it does not answer (a crashed host answers nothing)."""
    shim = lab.layout.host_bin(host) / argv[0]
    try:
        done = subprocess.run([str(shim), *argv[1:]], capture_output=True, text=True, timeout=10,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _volumes(lab: Lab, host: str, vg_name: str) -> str:
    try:
        report = lvm.parse_report(volumes.report(lab.layout.lvm_dir(host)))
    except (HerdError, lvm.LvmParseError) as error:
        return f"LVM unreadable: {error}"
    vg = report.vg(vg_name)
    if vg is None:
        return f"VG {vg_name} missing"
    lvs = ", ".join(lv.name for lv in report.lvs_of(vg_name))
    return (f"VG {vg.name} {(vg.size or 0) / GIB:.2f} GiB, {(vg.free or 0) / GIB:.2f} GiB free; "
            f"LVs: {lvs}")


def _drbd_summary(resource: drbd.Resource) -> str:
    disks = "/".join(device.disk_state for device in resource.devices) or "-"
    links = []
    for connection in resource.connections:
        peer = "/".join(f"{pd.replication_state}:{pd.peer_disk_state}" + (
            f" {pd.sync_done_percent:.1f}%" if pd.sync_done_percent is not None else "")
            for pd in connection.peer_devices)
        links.append(f"{connection.peer} {connection.state} {connection.peer_role} {peer}")
    return f"{resource.role}/{disks} " + "; ".join(links)


def report(lab: Lab) -> list[str]:
    """The status lines printed by ``nagios-herd lab status``."""
    record = lab.record() or {}
    lines = [f"lab {lab.layout.root} (inventory {record.get('inventory', '?')})"]
    domains: dict[str, list[str]] = {}
    resources: dict[str, dict[str, str]] = {}
    for host in lab.herd.hosts:
        fields = record.get("hosts", {}).get(host.name, {})
        state = f"up (sshd pid {fields.get('pid')})" if lab.host_up(host.name) else "DOWN"
        lines.append(f"host {host.name}: {state}, {host.address}:{host.ssh_port}, "
                     f"loop {fields.get('loop', '-')}, {_volumes(lab, host.name, host.volume_group)}")
        listing = _tool(lab, host.name, ["xl", "list"])
        status = _tool(lab, host.name, ["drbdsetup", "status", "--json"])
        if listing is None or status is None:
            lines.append(f"  {host.name}: simulators do not answer (host crashed?)")
            continue
        for domain in xen.parse_list(listing):
            if not domain.is_dom0:
                domains.setdefault(domain.name, []).append(f"{host.name} ({domain.condition})")
        for resource in drbd_formats.detect_and_parse(status).resources:
            resources.setdefault(resource.name, {})[host.name] = _drbd_summary(resource)
    for guest in lab.herd.guests:
        where = ", ".join(domains.get(guest.name, []))
        lines.append(f"guest {guest.name}: {'runs on ' + where if where else 'runs nowhere'}; "
                     f"{guests.describe(lab.layout, guest.name)}")
        for host_name, summary in sorted(resources.get(guest.name, {}).items()):
            lines.append(f"  drbd on {host_name}: {summary}")
    return lines



def report_json(lab: Lab) -> dict[str, Any]:
    """``lab status --json``: the hosts, and per guest where it runs, its statusjson URL, its notification capture
    file and its pids (null when not served or not running), for scripts and tests that drive the lab."""
    record = lab.record() or {}
    hosts = {}
    for host in lab.herd.hosts:
        fields = record.get("hosts", {}).get(host.name, {})
        hosts[host.name] = {"address": host.address, "ssh_port": host.ssh_port, "up": lab.host_up(host.name),
                            "sshd_pid": fields.get("pid"), "loop": fields.get("loop")}
    return {"state_dir": str(lab.layout.root), "inventory": record.get("inventory"), "hosts": hosts,
            "guests": {guest.name: _guest_json(lab, guest.name) for guest in lab.herd.guests}}


def _guest_json(lab: Lab, name: str) -> dict[str, Any]:
    run = read_json(lab.layout.guest_run(name))
    if not run:
        return {"host": None, "statusjson": None, "notifications": None,
                "pids": {"sshd": None, "nagios": None, "lighttpd": None}}
    return {"host": run.get("host"), "statusjson": run.get("web"), "notifications": run.get("notifications"),
            "pids": guests.live_pids(run)}
