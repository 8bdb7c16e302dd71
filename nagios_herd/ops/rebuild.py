"""``fab rebuild --host R | --guest G``: recreate a replaced host's disks from the survivor S (A6).

Refused as a whole when R still runs a guest or is Primary for one (``--host``: it is not a replaced host) or
when the DRBD versions of R and S differ (A6.1). A guest whose resource is already healthy is a no-op (every
step's postcondition holds; the plan says so). Per guest, on R only: create the LVs (the root LV at least the
survivor's size, swap as planned), write fresh DRBD metadata over whatever is on the LV (``create-md
--force``: a replaced disk's stale metadata must never be taken for valid), ``up``, and wait until the full
sync from S has finished. R is never promoted and no guest is started there. At most ``--parallel``
(default 2) resyncs run at a time, so the replication link is not saturated. The host's offline mark is
cleared only when every resource is UpToDate on both sides and ``verify`` finds no error.
"""

from __future__ import annotations

import sys
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest, Herd
from nagios_herd.ops import herdstate, verify, verify_checks
from nagios_herd.ops.conditions import synced
from nagios_herd.ops.facts import HostFacts, lvs_command
from nagios_herd.ops.plan import Check, GuestPlan, Step
from nagios_herd.ops.probe import GuestView, run_parsed
from nagios_herd.ops.remote import Link
from nagios_herd.ops.runner import Options, Run, command_line, known_guest, known_host
from nagios_herd.parsers import lvm

SYNC_WAIT = 6 * 3600  # a full sync of a few GB over a busy link can take hours


def lv_size(link: Link, vg: str, name: str) -> int | None:
    report_ = run_parsed(link, lvs_command(vg), lvm.parse_report, "lvs")
    return next((lv.size for lv in report_.lvs if lv.vg == vg and lv.name == name), None)


def refusals(view: GuestView, rebuilt: str, survivor: str, facts: dict[str, HostFacts], herd: Herd) -> list[str]:
    guest = view.guest
    if view.down(rebuilt) or view.down(survivor):
        return [f"both hosts must answer ({rebuilt}: {view.down(rebuilt) or 'up'}, "
                f"{survivor}: {view.down(survivor) or 'up'})"]
    problems = []
    if view.domain(rebuilt) is not None:
        problems.append(f"the domain runs on {rebuilt}, the host being rebuilt")
    if view.role(rebuilt) == "Primary":
        problems.append(f"{guest.resource} is Primary on {rebuilt}: rebuild the other host")
    if view.role(survivor) != "Primary" and view.disk(survivor) != "UpToDate":
        problems.append(f"survivor {survivor} has {view.disk(survivor)} data, neither Primary nor UpToDate")
    if view.resource(rebuilt) is not None and view.connection(rebuilt) == "StandAlone":
        problems.append(f"{guest.resource} is StandAlone on {rebuilt}: split brain? "
                        f"fab resolve-split-brain --guest {guest.name} --victim {rebuilt}")
    elif view.resource(rebuilt) is not None and view.connection(rebuilt) != "Connected":
        problems.append(f"{guest.resource} is up on {rebuilt} but {view.connection(rebuilt)}: no resync can "
                        f"start; restore the replication link (rebuild cannot help)")
    wanted = facts[survivor].lv_size(herd.host(survivor).volume_group, guest.root_lv)
    have = facts[rebuilt].lv_size(herd.host(rebuilt).volume_group, guest.root_lv)
    if wanted is None:
        problems.append(f"survivor {survivor} has no LV {guest.root_lv}")
    elif have is not None and have < wanted:
        problems.append(f"LV {guest.root_lv} on {rebuilt} is {have} bytes, smaller than the survivor's {wanted}")
    return problems


def steps(herd: Herd, guest: Guest, rebuilt: str, size: int, link: Link) -> list[Step]:
    vg, name = herd.host(rebuilt).volume_group, guest.name
    swap_size = guest.swap_mb * 1024 * 1024

    def has_lv(lv: str, minimum: int) -> Check:
        return Check(f"LV {vg}/{lv} on {rebuilt} is at least {minimum} bytes",
                     lambda v: (lv_size(link, vg, lv) or 0) >= minimum)

    is_up = Check(f"{name} is up on {rebuilt}", lambda v: v.resource(rebuilt) is not None)
    return [
        Step("lv-root", name, rebuilt, has_lv(guest.root_lv, size),
             command=("lvcreate", "-y", "-Wy", "-Zy", "-L", f"{size}b", "-n", guest.root_lv, vg), wait=10),
        Step("lv-swap", name, rebuilt, has_lv(guest.swap_lv, swap_size),
             command=("lvcreate", "-y", "-Wy", "-Zy", "-L", f"{swap_size}b", "-n", guest.swap_lv, vg), wait=10),
        Step("create-md", name, rebuilt, is_up, command=("drbdadm", "create-md", "--force", name), wait=0),
        Step("up", name, rebuilt, is_up, requires=(Check(f"not Primary on {rebuilt}",
                                                         lambda v: v.role(rebuilt) != "Primary"),),
             command=("drbdadm", "up", name), wait=10),
        Step("resync", name, rebuilt, synced(rebuilt), wait=SYNC_WAIT),
    ]


def run(options: Options, *, host: str | None, guest: str | None, plan_only: bool,
        out: TextIO = sys.stdout) -> int:
    command = command_line("rebuild", host=host, guest=guest, plan=plan_only)
    run_ = Run(options, command, mutating=not plan_only)
    herd = run_.herd
    if bool(host) == bool(guest):
        raise HerdError("name the replaced host with --host NAME, or one guest with --guest NAME")
    if host:
        known_host(herd, host, "--host")
        guests = list(herd.guests)
    else:
        guests = [known_guest(herd, guest)]
    with run_:
        facts = run_.facts()
        plans, snaps = [], run_.prober.everything()
        views = {g.name: GuestView(g, snaps) for g in guests}
        up = [h.name for h in herd.hosts if not run_.links[h.name].down]
        mismatch = [f"{line}: install the same DRBD on both hosts first (A6.1)" for line in
                    verify_checks.version_mismatch(verify.drbd_versions(run_.links, up))] if len(up) > 1 else []
        for g in guests:
            view = views[g.name]
            rebuilt = host or _secondary_side(herd, view)
            survivor = herd.peer_of(rebuilt).name
            plan = GuestPlan(g.name, survivor, rebuilt, notes=[f"resync {survivor} -> {rebuilt}; "
                                                               f"{rebuilt} is never promoted"], done="rebuilt on")
            plan.refusals = (refusals(view, rebuilt, survivor, facts, herd) or _busy(herd, views, host)
                             or mismatch)
            if not plan.refusals and view.handshake_done(rebuilt):
                plan.notes.append("healthy on both hosts: nothing to rebuild (every step is already true)")
            if not plan.refusals:
                size = facts[survivor].lv_size(herd.host(survivor).volume_group, g.root_lv)
                plan.steps = steps(herd, g, rebuilt, size, run_.links[rebuilt])
            plans.append(plan)
        code = run_.execute(plans, views, plan_only, out)
        if host is not None and code == 0 and not plan_only:
            code = _release(run_, host, out)
    return code


def _busy(herd: Herd, views: dict[str, GuestView], host: str | None) -> list[str]:
    """``--host``: a host that runs a guest or holds a Primary is not a replaced host; nothing on it is touched."""
    if host is None:
        return []
    busy = [name for name, view in views.items() if view.domain(host) is not None or view.role(host) == "Primary"]
    if not busy:
        return []
    return [f"{host} runs or is Primary for {', '.join(busy)}: it is not a replaced host, nothing on it is "
            f"rebuilt (fail those guests over first, or rebuild the other host)"]


def _secondary_side(herd: Herd, view: GuestView) -> str:
    """For ``--guest``: the host that is not Primary (where it runs, or its preferred host, is the survivor)."""
    for h in herd.hosts:
        if view.role(h.name) == "Primary":
            return herd.peer_of(h.name).name
    return herd.peer_of(view.guest.preferred_host).name


def _release(run_: Run, host: str, out: TextIO) -> int:
    """Clear the offline mark only when verify is clean (A6.5)."""
    errors = [f for f in verify.findings(run_) if f.severity == verify.ERROR]
    if errors:
        for finding in errors:
            print(finding, file=out)
        print(f"{host} stays marked offline: verify found {len(errors)} error(s)", file=out)
        return 1
    herdstate.clear_offline(run_.state_dir, host)
    print(f"{host}: every resource UpToDate and verify clean; it is a failover target again", file=out)
    return 0
