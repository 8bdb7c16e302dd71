"""``fab verify``: the read-only health checks V1-V15 (docs/operator-guide.md); non-zero on any ERROR.

Probes what the pure checks in ``verify_checks`` need, plus the host-level checks that are one command each:
V1 reachability (pinned key, enforced by ``remote``) and clock skew, V2 same drbd-utils and Xen versions,
V9 bridges, V11 DRBD safety settings (after-sb policies, no become-primary-on / allow-two-primaries /
auto-promote yes, a split-brain handler), no ``/etc/xen/auto`` autostart links and no replication over the
management network (compared as the host configures its networks), V12 resync progress between
two samples, V13 recorded state and unfinished journal jobs, V14 the helper programs present, V15 the owners and
modes of the deployed DRBD, sudoers and NRPE files.

Read-only and lock-free by decision: an operator must be able to look while a long failover or rebuild runs.
When a mutating run holds the lock, verify says so (WARN) and reports its unclosed jobs as WARN "in progress"
instead of ERROR "interrupted".
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from nagios_herd.model import Herd
from nagios_herd.ops import herdstate, journal
from nagios_herd.ops import verify_checks as checks
from nagios_herd.ops.facts import HostFacts
from nagios_herd.ops.lock import Lock
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.remote import HostDown, Link
from nagios_herd.ops.runner import Options, Run
from nagios_herd.ops.verify_checks import ERROR, WARN, Finding

CLOCK_SKEW = 5  # seconds
HELPERS = ("xl", "drbdadm", "drbdsetup", "lvs", "vgs", "timeout")
SAMPLE_GAP = 2.0  # seconds between the two resync samples (V12)


def _host_checks(herd: Herd, link: Link, facts: HostFacts) -> list[Finding]:
    host = herd.host(link.name)
    out: list[Finding] = []
    clock = link.run(["date", "+%s"], timeout=10)
    if clock.ok and abs(float(clock.stdout.strip() or 0) - time.time()) > CLOCK_SKEW:
        out.append(Finding(WARN, "V1", f"{host.name}: clock differs from here by more than {CLOCK_SKEW}s"))
    missing = link.run(["sh", "-c", 'for t; do command -v "$t" >/dev/null || echo "$t"; done', "sh", *HELPERS])
    for name in missing.stdout.split():
        out.append(Finding(ERROR, "V14", f"{host.name}: {name} not found"))
    if facts.lvs is not None and facts.lvs.vg(host.volume_group) is None:
        out.append(Finding(ERROR, "V3", f"{host.name}: volume group {host.volume_group} not found"))
    config = link.run(["sh", "-c", "cat /etc/drbd.conf /etc/drbd.d/*.conf /etc/drbd.d/*.res 2>/dev/null"])
    out += checks.drbd_safety(host.name, config.stdout)
    auto = link.run(["sh", "-c", "ls -A /etc/xen/auto 2>/dev/null"], timeout=10)
    if auto.stdout.strip():
        out.append(Finding(ERROR, "V11", f"{host.name}: /etc/xen/auto starts guests behind the tool's back: "
                                         f"{' '.join(auto.stdout.split())}"))
    return out


def _versions(herd: Herd, links: dict[str, Link], facts: dict[str, HostFacts]) -> list[Finding]:
    up = [h.name for h in herd.hosts if not links[h.name].down]
    if len(up) < 2:
        return []
    out = [Finding(ERROR, "V2", line) for line in checks.version_mismatch(drbd_versions(links, up))]
    xen = {h: facts[h].info.values.get("xen_version") for h in up if facts[h].info is not None}
    if len(set(xen.values())) > 1:
        out.append(Finding(ERROR, "V2", f"Xen versions differ: {xen}"))
    return out


def drbd_versions(links: dict[str, Link], hosts: list[str]) -> dict[str, dict[str, str]]:
    """Each host's drbd-utils and kernel module version (``drbdadm --version``)."""
    return {h: checks.drbd_versions(links[h].run(["drbdadm", "--version"], timeout=10).stdout) for h in hosts}


def _state(run_: Run) -> list[Finding]:
    out = []
    holder = Lock.holder(run_.state_dir)
    if holder:
        out.append(Finding(WARN, "V13", f"a mutating run is in progress ({holder}): states may be mid-change"))
    for name, entry in herdstate.offline(run_.state_dir).items():
        if not run_.links[name].down:
            out.append(Finding(WARN, "V13", f"{name} is marked offline since {entry.get('since')} but answers: "
                                            f"fab rebuild --host {name} once it is safe"))
    for name, entry in herdstate.maintenance(run_.state_dir).items():
        out.append(Finding(WARN, "V13", f"{name} is in maintenance since {entry.get('since')} ({entry.get('reason')}): "
                                        f"no guest is moved there; fab restore --host {name} ends it"))
    for guest, entry in journal.unfinished(run_.state_dir).items():
        state = "is in progress, at step" if holder else "stopped after step"
        out.append(Finding(WARN if holder else ERROR, "V13", f"{guest}: the job of run {entry['run']} {state} "
                                                             f"{entry['step']} ({entry['result']})"
                                                             + ("" if holder else ": re-run it to converge")))
    return out


def findings(run_: Run) -> list[Finding]:
    herd, links = run_.herd, run_.links
    out = [Finding(ERROR, "V1", f"{name}: unreachable ({link.down})") for name, link in links.items() if link.down]
    facts = run_.facts(audit=True)
    for link in links.values():
        if not link.down:
            try:
                out += _host_checks(herd, link, facts[link.name])
            except HostDown as error:
                out.append(Finding(ERROR, "V1", str(error)))
    out += _versions(herd, links, facts) + checks.bridges(herd, facts) + checks.replication_network(herd, facts)
    snaps = run_.prober.everything()
    views = [GuestView(guest, snaps) for guest in herd.guests]
    out += checks.resources(herd, views)
    out += checks.domains(herd, views, snaps, herdstate.placements(run_.state_dir))
    out += checks.volumes(herd, facts) + checks.memory(herd, facts, snaps) + checks.configs(herd, facts)
    out += checks.file_modes(herd, facts)
    if any(view.syncing(h.name) for view in views for h in herd.hosts):
        time.sleep(SAMPLE_GAP)
        later = run_.prober.everything()
        out += checks.stalled(herd, views, [GuestView(guest, later) for guest in herd.guests])
    return out + _state(run_)


def run(options: Options, out: TextIO = sys.stdout) -> int:
    with Run(options, "fab verify", mutating=False) as run_:
        found = findings(run_)
    for finding in found:
        print(finding, file=out)
    errors = sum(f.severity == ERROR for f in found)
    print(f"verify: {errors} error(s), {len(found) - errors} warning(s)", file=out)
    return 1 if errors else 0
