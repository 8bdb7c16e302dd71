"""The verify checks V1-V15 (docs/operator-guide.md) as pure functions over probed state.

Each returns :class:`Finding` s (ERROR or WARN, the V-number, a one-line message). Pure, so they are
unit-tested on parsed real-format text; ``verify.py`` does the probing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from nagios_herd.generate.buildtree import SUDOERS_DIR, SUDOERS_MODE
from nagios_herd.model import Herd
from nagios_herd.ops.facts import AUDITED_DIRS, DRBD_DIR, HostFacts
from nagios_herd.ops.probe import GuestView, Snapshot
from nagios_herd.parsers import ip_addr

ERROR, WARN = "ERROR", "WARN"


@dataclass(frozen=True)
class Finding:
    severity: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity:<5} {self.check:<4} {self.message}"


def split_brain_hint(view: GuestView, herd: Herd) -> str | None:
    """The recovery command for a guest whose resource looks split-brained, else None."""
    if not any(view.split_brain(host.name) for host in herd.hosts):
        return None
    runs = view.runs_on()
    survivor = runs[0] if len(runs) == 1 else view.guest.preferred_host
    victim = herd.peer_of(survivor).name
    return (f"{view.name}: split brain suspected; keep the data of {survivor} (where it runs) with: "
            f"fab resolve-split-brain --guest {view.name} --victim {victim}")


def resources(herd: Herd, views: list[GuestView]) -> list[Finding]:
    """V5 (configured on both, no unknown resource) and V6 (one Primary, Connected, UpToDate/UpToDate)."""
    out = []
    for view in views:
        name = view.name
        hosts = [h.name for h in herd.hosts if not view.down(h.name)]
        for host in hosts:
            if view.resource(host) is None:
                out.append(Finding(ERROR, "V5", f"{name}: DRBD resource not up on {host}"))
        live = [h for h in hosts if view.resource(h) is not None]
        primaries = [h for h in live if view.role(h) == "Primary"]
        if len(primaries) > 1:
            out.append(Finding(ERROR, "V6", f"{name}: Primary on {' and '.join(primaries)} (two Primaries)"))
        elif not primaries and len(live) == len(herd.hosts):
            out.append(Finding(ERROR, "V6", f"{name}: no Primary anywhere (guest down)"))
        for host in live:
            out += _resource_on(view, host, herd)
    known = {guest.resource for guest in herd.guests}
    for view in views[:1]:
        for host, snap in view.snaps.items():
            status = None if snap.down else snap.drbd
            for resource in status.resources if status else ():
                if resource.name not in known:
                    out.append(Finding(WARN, "V5", f"{host}: DRBD resource {resource.name} belongs to no guest"))
    return out


def _resource_on(view: GuestView, host: str, herd: Herd) -> list[Finding]:
    name, state = view.name, view.connection(host)
    if view.split_brain(host) or state == "StandAlone":
        hint = split_brain_hint(view, herd) or f"{name}: StandAlone (not connecting) on {host}"
        return [Finding(ERROR, "V6", f"{hint} [StandAlone on {host}]")]
    if state != "Connected":
        return [Finding(ERROR, "V6", f"{name}: {state} on {host}, not Connected (degraded)")]
    if view.syncing(host):
        percent = view.sync_percent(host)
        done = "?" if percent is None else f"{percent:.1f}"
        return [Finding(WARN, "V6", f"{name}: {view.replication(host)} on {host}, {done}% done")]
    if view.disk(host) != "UpToDate":
        severity = WARN if view.role(host) == "Secondary" else ERROR
        return [Finding(severity, "V6", f"{name}: disk {view.disk(host)} on {host}")]
    if view.out_of_sync(host):
        return [Finding(WARN, "V6", f"{name}: {view.out_of_sync(host)} bytes out of sync on {host}")]
    return []


def domains(herd: Herd, views: list[GuestView], snaps: dict[str, Snapshot],
            placements: dict[str, str]) -> list[Finding]:
    """V7: each domain runs on one host, where DRBD is Primary; no unknown domains; V13 placement record."""
    out = []
    for view in views:
        where = view.runs_on()
        if len(where) > 1:
            out.append(Finding(ERROR, "V7", f"{view.name}: domain exists on {' and '.join(where)}"))
        elif not where and not any(view.down(h.name) for h in herd.hosts):
            out.append(Finding(ERROR, "V7", f"{view.name}: not running anywhere"))
        for host in where:
            if not view.alive_on(host):
                out.append(Finding(ERROR, "V7", f"{view.name}: domain on {host} is {view.domain(host).condition}"))
            if view.role(host) != "Primary":
                out.append(Finding(ERROR, "V7", f"{view.name}: runs on {host} where DRBD is {view.role(host)}"))
        recorded = placements.get(view.name)
        if recorded and where and where[0] != recorded:
            out.append(Finding(WARN, "V13", f"{view.name}: recorded on {recorded}, runs on {where[0]}"))
    known = {guest.name for guest in herd.guests}
    for host, snap in snaps.items():
        for domain in snap.domains:
            if not domain.is_dom0 and domain.base_name not in known:
                out.append(Finding(WARN, "V7", f"unknown domain {domain.name} on {host}"))
    return out


def volumes(herd: Herd, facts: dict[str, HostFacts]) -> list[Finding]:
    """V3 (VG present, not partial) and V4 (LVs on both hosts, equal root sizes; orphans)."""
    out = []
    present = [host for host in herd.hosts if facts[host.name].lvs is not None]
    for host in present:
        report = facts[host.name].lvs
        vg = report.vg(host.volume_group)
        if vg is not None and vg.partial:
            out.append(Finding(ERROR, "V3", f"{host.name}: volume group {vg.name} is partial (missing PV)"))
        expected = {v.name for g in herd.guests for v in g.volumes}
        for lv in report.lvs:
            if lv.vg == host.volume_group and lv.name not in expected and not lv.is_snapshot and not lv.origin:
                out.append(Finding(WARN, "V4", f"{host.name}: LV {lv.vg}/{lv.name} belongs to no guest"))
    for guest in herd.guests:
        for volume in guest.volumes:
            sizes = {}
            for host in present:
                size = facts[host.name].lv_size(host.volume_group, volume.name)
                if size is None:
                    out.append(Finding(ERROR, "V4", f"{guest.name}: LV {host.volume_group}/{volume.name} "
                                                    f"missing on {host.name}"))
                else:
                    sizes[host.name] = size
            if volume.purpose == "root" and len(set(sizes.values())) > 1:
                out.append(Finding(ERROR, "V4", f"{guest.name}: {volume.name} sizes differ: {sizes}"))
    return out


def memory(herd: Herd, facts: dict[str, HostFacts], snaps: dict[str, Snapshot]) -> list[Finding]:
    """V10 N+1: each host could hold every guest (free memory plus what its own guests use)."""
    out = []
    total = sum(guest.memory_mb for guest in herd.guests)
    for host in herd.hosts:
        free = facts[host.name].free_mb
        if free is None:
            continue
        used = sum(d.memory_mb for d in snaps[host.name].domains if not d.is_dom0)
        if total > free + used:
            out.append(Finding(ERROR, "V10", f"{host.name} cannot hold all guests: they need {total} MiB, "
                                             f"it has {free + used} MiB"))
    return out


def configs(herd: Herd, facts: dict[str, HostFacts]) -> list[Finding]:
    """V8: each domU config present on every host, identical (sha256) and on the guest's DRBD device."""
    out = []
    for guest in herd.guests:
        path = f"/etc/xen/{guest.name}.cfg"
        sums = {h.name: facts[h.name].checksums.get(path) for h in herd.hosts if facts[h.name].info is not None}
        missing = [host for host, digest in sums.items() if digest is None]
        if missing:
            out.append(Finding(ERROR, "V8", f"{path} missing on {', '.join(missing)}"))
        elif len(set(sums.values())) > 1:
            out.append(Finding(ERROR, "V8", f"{path} differs between hosts"))
        for host in sums:
            if sums[host] and path not in facts[host].on_drbd:
                out.append(Finding(ERROR, "V8", f"{host}: {path} does not use /dev/drbd/by-res/{guest.name}/ "
                                                f"(the guest would bypass DRBD)"))
    return out


def bridges(herd: Herd, facts: dict[str, HostFacts]) -> list[Finding]:
    """V9: the guests' bridge on every host; ERROR when only one host lacks it (a failover there loses the
    network), WARN when no host has one (a machine without Xen networking, like the lab)."""
    missing = [h.name for h in herd.hosts if facts[h.name].bridge is False]
    asked = [h.name for h in herd.hosts if facts[h.name].bridge is not None]
    if not missing:
        return []
    severity = WARN if len(missing) == len(asked) else ERROR
    return [Finding(severity, "V9", f"{host}: bridge {herd.host(host).bridge} not found") for host in missing]


def drbd_safety(host: str, config_text: str) -> list[Finding]:
    """V11 over the host's DRBD configuration text (``/etc/drbd.d``; ``#`` comments ignored)."""
    out = []
    text = "\n".join(line.split("#", 1)[0] for line in config_text.splitlines())
    words = " ".join(text.replace(";", " ; ").split())
    for policy in ("after-sb-1pri", "after-sb-2pri"):
        if f"{policy} disconnect" not in words:
            out.append(Finding(ERROR, "V11", f"{host}: {policy} is not 'disconnect' (auto split-brain recovery "
                                             f"can discard data)"))
    two = "allow-two-primaries" in words and "allow-two-primaries no" not in words
    for bad, present in (("allow-two-primaries", two), ("become-primary-on", "become-primary-on" in words),
                         ("auto-promote yes", "auto-promote yes" in words)):
        if present:
            out.append(Finding(ERROR, "V11", f"{host}: '{bad}' set in the DRBD configuration"))
    if "auto-promote no" not in words:
        out.append(Finding(WARN, "V11", f"{host}: 'auto-promote no' not set (DRBD 9 promotes a resource when "
                                        f"anything opens it for writing)"))
    if not re.search(r'(^|[\s{;])split-brain\s+"?[^\s;"]', words):
        out.append(Finding(ERROR, "V11", f"{host}: no split-brain handler (a split brain would go unnoticed)"))
    if "shared-secret" not in words or "cram-hmac-alg" not in words:
        out.append(Finding(WARN, "V11", f"{host}: DRBD peers do not authenticate (no cram-hmac-alg and "
                                        f"shared-secret: set herd.drbd_secrets)"))
    return out


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def overlapping_networks(address: str, replication_address: str,
                         configured: Sequence[ip_addr.Address]) -> tuple[Network, Network] | None:
    """The management and the replication network when they overlap (one is the other or holds it), else None.

    Each address's network is the one the host configures it with (``configured``: ``ip -json address show``);
    an address the host does not show counts as itself alone (/32, /128), so without the host's answer this is
    the plain address comparison. Networks of different IP versions never overlap."""
    ours = ipaddress.ip_address(address), ipaddress.ip_address(replication_address)
    management, replication = ([entry.configured.network for entry in configured if entry.configured.ip == ip]
                               or [ipaddress.ip_network(ip)] for ip in ours)
    return next(((m, r) for m in management for r in replication if m.version == r.version and m.overlaps(r)),
                None)


def replication_network(herd: Herd, facts: dict[str, HostFacts]) -> list[Finding]:
    """V11: a host whose DRBD replication shares its management network (allowed only by
    replication_over_management): the same address, or networks that overlap as the host configures them."""
    out = []
    for host in herd.hosts:
        known = facts[host.name].addresses
        if host.replication_address == host.address:
            out.append(Finding(WARN, "V11", f"{host.name}: DRBD replicates over the management address {host.address}"))
            continue
        if known is None and facts[host.name].info is not None:
            out.append(Finding(WARN, "V11", f"{host.name}: its addresses could not be read (ip -json address show), "
                                            f"so the management and replication networks were not compared"))
        shared = overlapping_networks(host.address, host.replication_address, known or ())
        if shared:
            out.append(Finding(WARN, "V11", f"{host.name}: DRBD replicates over the management network: "
                                            f"replication_address {host.replication_address} ({shared[1]}) and "
                                            f"address {host.address} ({shared[0]}) overlap"))
    return out


def _writer_could(path: str) -> str:
    """What another user who may write ``path`` (a deployed file, or the directory holding such files) could do."""
    where = "there" if path in AUDITED_DIRS else "it"
    if path.startswith("/etc/sudoers.d"):
        return f"whoever can write {where} can give any user root"
    if path.startswith("/etc/nagios/nrpe.d"):
        return f"whoever can write {where} chooses what NRPE runs, with the nagios user's sudo rules"
    return f"whoever can write {where} chooses the handlers DRBD runs as root"


SUDOERS_MODES = (SUDOERS_MODE, 0o400)  # what Debian and sudo's documentation want of a file in /etc/sudoers.d


def file_modes(herd: Herd, facts: dict[str, HostFacts]) -> list[Finding]:
    """V15: the deployed DRBD configuration, sudoers and NRPE files and their directories are root's and nobody
    else may write them (ERROR); the DRBD files, which may hold the peers' shared secret, nobody else may read
    (WARN: fab deploy installs them 0600); the sudoers file is 0440 or 0400 (WARN otherwise: sudo still reads it,
    but nobody but root has any business with it, and fab deploy installs it 0440)."""
    out = []
    for host in herd.hosts:
        found = facts[host.name]
        if found.modes is None:
            if found.info is not None:
                out.append(Finding(WARN, "V15", f"{host.name}: the owners and modes of the deployed files could not "
                                                f"be read"))
            continue
        for path, (uid, mode) in sorted(found.modes.items()):
            if uid != 0:
                out.append(Finding(ERROR, "V15", f"{host.name}: {path} is owned by uid {uid}, not root: "
                                                 f"{_writer_could(path)}"))
            elif mode & 0o022:
                out.append(Finding(ERROR, "V15", f"{host.name}: {path} is writable by group or others (mode "
                                                 f"{mode:04o}): {_writer_could(path)}"))
            elif path.startswith(SUDOERS_DIR) and mode not in SUDOERS_MODES:
                out.append(Finding(WARN, "V15", f"{host.name}: {path} has mode {mode:04o}, not 0440 or 0400 as "
                                                f"sudo wants (fab deploy installs it {SUDOERS_MODE:04o})"))
            if path.startswith(f"{DRBD_DIR}/") and mode & 0o044:
                out.append(Finding(WARN, "V15", f"{host.name}: {path} is readable by group or others (mode "
                                                f"{mode:04o}): it may hold the DRBD peers' shared secret (fab deploy "
                                                f"installs it 0600)"))
    return out


VERSION_KEYS = ("DRBDADM_VERSION", "DRBD_KERNEL_VERSION")


def drbd_versions(text: str) -> dict[str, str]:
    """``drbdadm --version`` (KEY=VALUE lines) -> the drbd-utils and kernel module versions it names."""
    pairs = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: pairs[key].strip() for key in VERSION_KEYS if key in pairs}


def version_mismatch(versions: dict[str, dict[str, str]]) -> list[str]:
    """V2/A6.1: one line per version that differs between hosts (``{host: drbd_versions(...)}``)."""
    out = []
    for key in VERSION_KEYS:
        seen = {host: found[key] for host, found in versions.items() if key in found}
        if len(set(seen.values())) > 1:
            what = "drbd-utils" if key == "DRBDADM_VERSION" else "DRBD kernel module"
            out.append(f"{what} versions differ: " + ", ".join(f"{h} {v}" for h, v in seen.items()))
    return out


def stalled(herd: Herd, views: list[GuestView], later: list[GuestView]) -> list[Finding]:
    """V12: a resync DRBD calls stalled, or whose percentage and out-of-sync bytes both stood still."""
    out = []
    for first, second in zip(views, later):
        for host in herd.hosts:
            before, after = first.sync_percent(host.name), second.sync_percent(host.name)
            if before is None or after is None:
                continue
            peer = second.peer_device(host.name)
            still = after <= before and second.out_of_sync(host.name) >= first.out_of_sync(host.name)
            if (peer is not None and peer.stalled) or still:
                out.append(Finding(ERROR, "V12", f"{first.name}: resync on {host.name} stuck at {after:.1f}% "
                                                 f"({second.out_of_sync(host.name)} bytes to go)"))
    return out
