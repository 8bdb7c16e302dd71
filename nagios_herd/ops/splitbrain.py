"""``fab resolve-split-brain --guest G --victim HOST``: the DRBD User's Guide recovery (A5).

The victim is an operator decision, shown in the plan: its changes since the split are discarded. First an
LVM snapshot of the victim's backing LV is attempted (so the discarded writes can still be read); where LVM
cannot make one (no device-mapper, as in the lab) the run says so loudly and goes on. Then on the victim:
disconnect (make sure it is StandAlone), secondary, ``connect --discard-my-data``; on the survivor: connect if
StandAlone; then wait for the victim's bitmap resync. Refused when the domain runs on the victim (stop it, or
pick the other victim) and when the resource is not split (nothing to resolve).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest, Herd
from nagios_herd.ops.conditions import absent, secondary, synced
from nagios_herd.ops.plan import Check, GuestPlan, Step
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.runner import Options, Run, command_line, known_guest, known_host

RESYNC_WAIT = 3600


def refusals(view: GuestView, victim: str, survivor: str) -> list[str]:
    if view.down(victim) or view.down(survivor):
        return [f"both hosts must answer ({victim}: {view.down(victim) or 'up'}, "
                f"{survivor}: {view.down(survivor) or 'up'})"]
    problems = []
    if view.resource(victim) is None or view.resource(survivor) is None:
        problems.append(f"{view.guest.resource} must be up on both hosts")
    elif "StandAlone" not in (view.connection(victim), view.connection(survivor)):
        problems.append(f"not split: {victim} is {view.connection(victim)}, {survivor} is "
                        f"{view.connection(survivor)} (nothing to resolve)")
    if view.domain(victim) is not None and view.domain(survivor) is not None:
        problems.append(f"the domain runs on both hosts: shut it down on the victim by hand first "
                        f"(xl shutdown -w {view.name} on {victim}), then run this again")
    elif view.domain(victim) is not None:
        problems.append(f"the domain runs on the victim {victim}: its data would be discarded under it; "
                        f"stop it first or choose --victim {survivor}")
    if view.disk(survivor) != "UpToDate":
        problems.append(f"survivor {survivor} has {view.disk(survivor)} data")
    return problems


def steps(herd: Herd, guest: Guest, victim: str, survivor: str) -> list[Step]:
    name, vg = guest.name, herd.host(victim).volume_group
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    snapshot_mb = max(guest.root_mb // 4, 64)
    standalone = Check(f"{victim} is StandAlone", lambda v: v.connection(victim) == "StandAlone")
    return [
        Step("snapshot", name, victim, command=("lvcreate", "-s", "-L", f"{snapshot_mb}m", "-n",
                                                f"{guest.root_lv}-sb{stamp}", f"{vg}/{guest.root_lv}"),
             tolerate=True, wait=0),
        Step("disconnect", name, victim, standalone, command=("drbdadm", "disconnect", name), wait=10),
        Step("secondary", name, victim, secondary(victim), requires=(absent(victim),),
             command=("drbdadm", "secondary", name), wait=10),
        Step("discard", name, victim, Check(f"{victim} is no longer StandAlone",
                                            lambda v: v.connection(victim) != "StandAlone"),
             requires=(standalone, secondary(victim)),
             command=("drbdadm", "connect", "--discard-my-data", name), wait=10),
        Step("reconnect", name, survivor, Check(f"{survivor} is no longer StandAlone",
                                                lambda v: v.connection(survivor) != "StandAlone"),
             command=("drbdadm", "connect", name), wait=10),
        Step("resync", name, victim, synced(victim), wait=RESYNC_WAIT),
    ]


def run(options: Options, *, guest: str | None, victim: str | None, plan_only: bool,
        out: TextIO = sys.stdout) -> int:
    command = command_line("resolve-split-brain", guest=guest, victim=victim, plan=plan_only)
    run_ = Run(options, command, mutating=not plan_only)
    herd = run_.herd
    if not guest or not victim:
        raise HerdError("name the guest (--guest NAME) and the host whose changes are discarded (--victim HOST)")
    g, survivor = known_guest(herd, guest), herd.peer_of(known_host(herd, victim, "--victim")).name
    with run_:
        view = run_.prober.view(g)
        plan = GuestPlan(g.name, survivor, victim, done="split-brain changes discarded on",
                         notes=[f"the changes made on {victim} since the split are DISCARDED; "
                                f"{survivor}'s data is kept"])
        plan.refusals = refusals(view, victim, survivor)
        if not plan.refusals:
            plan.steps = steps(herd, g, victim, survivor)
        return run_.execute([plan], {g.name: view}, plan_only, out)
