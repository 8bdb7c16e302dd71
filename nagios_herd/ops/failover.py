"""Failover, failback and forced failover: the A1/A2/A3 step sequences and their target checks.

Why the target is derived, not remembered: ``failover`` sends a guest to the host that is *not* its preferred
one (or away from ``--from HOST``), ``failback`` to its preferred host, a forced failover away from the fenced
host. The same command run again therefore means the same thing, and the steps (each skipped when its
postcondition already holds) resume an interrupted run instead of undoing it (I10).

Everything in :func:`refusals` is checked before anything stops (I4). The steps then guard I1 (never two
Primaries, never the domain on both hosts), I2 (start only on a local Primary with UpToDate data), I3
(no ``--force`` promote unless ``--allow-stale`` and the guest named; exit 17 stops, no retry), I5 (shutdown
with a deadline, then destroy, then confirm gone) and I6 (handshake before promote).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nagios_herd.model import Guest, Herd
from nagios_herd.ops import herdstate
from nagios_herd.ops.conditions import absent, primary_uptodate, running, secondary
from nagios_herd.ops.facts import XEN_CONFIG, HostFacts
from nagios_herd.ops.nagios_confirm import confirm_step
from nagios_herd.ops.plan import Check, GuestPlan, Step
from nagios_herd.ops.probe import GuestView

PROMOTE_REFUSED = 17


@dataclass(frozen=True)
class MoveOptions:
    shutdown_timeout: float = 60
    boot_timeout: float = 60
    handshake_timeout: float = 30
    nagios_wait: float = 60
    failback: bool = False  # gate on a finished resync (A2)
    fenced: str | None = None  # forced failover away from this (dead, fenced) host (A3)
    allow_stale: bool = False
    confirm: str | None = None  # the guest name typed by the operator with --allow-stale


def refusals(view: GuestView, source: str, target: str, facts: dict[str, HostFacts],
             offline: dict[str, dict], memory_needed: dict[str, int], options: MoveOptions,
             interrupted: bool = False) -> list[str]:
    """Why this guest must not move now (empty: go). Read-only; evaluated before anything stops.

    ``interrupted``: this guest's last job in the journal was interrupted or stopped by a failed step, so a
    guest that runs nowhere is a move to converge (I10); without one it was stopped by someone else and is
    not moved (A4.3)."""
    guest, problems = view.guest, []
    if target in offline:
        problems.append(f"target {target} is marked offline since {offline[target].get('since')} "
                        f"({offline[target].get('reason')}); rebuild it first")
    if view.down(target):
        return problems + [f"target {target} is unreachable: {view.down(target)}"]
    where = view.runs_on()
    if len(where) > 1:
        return problems + [f"domain exists on both hosts ({', '.join(where)}): stop one by hand first"]
    if view.role(source) == "Primary" and view.role(target) == "Primary":
        return problems + ["both hosts are Primary (split brain): see resolve-split-brain"]
    if any(view.split_brain(host) for host in view.snaps):
        problems.append(f"split brain suspected: fab resolve-split-brain --guest {guest.name} --victim HOST")
    if view.resource(target) is None:
        return problems + [f"DRBD resource {guest.resource} is not up on {target}"]
    if where == [target] and view.role(target) == "Primary":
        return problems  # already there: the steps only confirm and record
    if not where and options.fenced is None and not interrupted and not view.down(source):
        return problems + [_stopped(view)]
    if options.fenced is None:
        problems += _planned_target(view, source, target, options)
    else:
        problems += _forced_target(view, source, target, options)
    if where != [target] and target in facts:
        free = facts[target].free_mb
        if free is not None and memory_needed.get(target, 0) > free:
            problems.append(f"{target} has {free} MiB free, the guests moving there need "
                            f"{memory_needed[target]} MiB")
    problems += files_present(guest, source, target, facts)
    if target in facts and source in facts and facts[target].bridge is False and facts[source].bridge:
        problems.append(f"the guests' bridge exists on {source} but not on {target}")
    return problems


def _stopped(view: GuestView) -> str:
    """A4.3 "don't guess": a stopped guest is not started anywhere by a move nobody interrupted."""
    primary = [host for host in view.snaps if view.role(host) == "Primary"]
    config = XEN_CONFIG.format(guest=view.name)
    where, start = ((f"Primary on {primary[0]}", f"xl create {config} on {primary[0]}") if primary else
                    ("Secondary on both hosts", f"drbdadm primary {view.name}; xl create {config} where it belongs"))
    return (f"runs nowhere ({where}) and no unfinished job of it is in the journal: not guessing where it "
            f"belongs; start it by hand ({start}), then move it")


def _planned_target(view: GuestView, source: str, target: str, options: MoveOptions) -> list[str]:
    if view.down(source):
        return [f"source {source} is unreachable ({view.down(source)}): if it is dead and fenced, use "
                f"--force --fenced {source}"]
    if view.connection(target) != "Connected" and view.role(target) != "Primary":
        return [f"target {target} is {view.connection(target)} (peer disk {view.peer_disk(target)}), not "
                f"Connected to {source}: its data may be stale; restore the replication link first"]
    problems = []
    if options.failback and view.syncing(target):
        done = view.sync_percent(target)
        return [f"resync still running on {target} ({view.replication(target)}, "
                f"{'?' if done is None else f'{done:.1f}'}% done): wait for it to finish"]
    if view.out_of_sync(target) or view.out_of_sync(source):
        problems.append(f"{max(view.out_of_sync(target), view.out_of_sync(source))} bytes out of sync: "
                        f"wait for the resync")
    if view.disk(target) != "UpToDate":
        problems.append(f"disk is {view.disk(target)} on target {target} (must be UpToDate)")
    if view.peer_disk(target) != "UpToDate" and view.role(target) != "Primary":
        problems.append(f"peer disk on {source} is {view.peer_disk(target)} (resync running?)")
    return problems


def _forced_target(view: GuestView, source: str, target: str, options: MoveOptions) -> list[str]:
    if not view.down(source):
        return [f"{source} answers SSH: it is not dead; use a planned failover (without --force)"]
    disk = view.disk(target)
    if disk == "UpToDate":
        return []
    if options.allow_stale and options.confirm == view.guest.name:
        return []
    return [f"disk on {target} is {disk}, not UpToDate: promoting it may lose data; only with "
            f"--allow-stale --confirm {view.guest.name}"]


def files_present(guest: Guest, source: str, target: str, facts: dict[str, HostFacts]) -> list[str]:
    """The guest's domain config exists on ``target`` and is the one ``source`` has."""
    path = XEN_CONFIG.format(guest=guest.name)
    target_sum = facts[target].checksums.get(path) if target in facts else None
    if target in facts and facts[target].info is not None and target_sum is None:
        return [f"{path} is missing on {target}"]
    source_sum = facts[source].checksums.get(path) if source in facts else None
    if source_sum and target_sum and source_sum != target_sum:
        return [f"{path} differs between {source} and {target}: deploy first"]
    return []


def steps(herd: Herd, guest: Guest, source: str, target: str, options: MoveOptions,
          state_dir: Path) -> list[Step]:
    """A1 (planned) or A3 (forced) as idempotent steps."""
    name, g = guest.name, guest.name
    config = XEN_CONFIG.format(guest=name)
    out: list[Step] = []
    if options.fenced is None:
        out += [
            Step("shutdown", g, source, absent(source), command=("xl", "shutdown", "-w", name),
                 timeout=options.shutdown_timeout, wait=5, tolerate=True),
            Step("destroy", g, source, absent(source), command=("xl", "destroy", name), timeout=30, wait=15),
            Step("demote", g, source, secondary(source), requires=(absent(source),),
                 command=("drbdadm", "secondary", name), timeout=30, wait=10),
            Step("handshake", g, target,
                 Check(f"{target} Connected to {source}, both UpToDate, {source} Secondary",
                       lambda v: v.handshake_done(target) and v.peer_role(target) == "Secondary"),
                 wait=options.handshake_timeout),
        ]
        promote_requires = (absent(source), Check(f"{source} is Secondary (as {target} sees it)",
                                                  lambda v: v.peer_role(target) == "Secondary"))
        promote = ("drbdadm", "primary", name)
    else:
        fenced = options.fenced
        out.append(Step("mark-offline", g, "local", action=lambda: _mark(state_dir, fenced)))
        promote_requires = (Check(f"{source} is unreachable (fenced)", lambda v: bool(v.down(source))),)
        stale = options.allow_stale and options.confirm == name
        promote = ("drbdadm", "primary", "--force", name) if stale else ("drbdadm", "primary", name)
    out += [
        Step("promote", g, target, primary_uptodate(target), requires=promote_requires, command=promote,
             timeout=30, wait=10,
             stops={PROMOTE_REFUSED: "refusing to promote: no access to UpToDate data (exit 17)"}),
        Step("start", g, target, running(target),
             requires=(primary_uptodate(target), Check(f"no domain on {source}",
                                                       lambda v: v.domain(source) is None)),
             command=("xl", "create", config), timeout=options.boot_timeout + 30, wait=options.boot_timeout,
             undo=(("xl", "destroy", name), ("drbdadm", "secondary", name))),
        confirm_step(herd, guest, target, options.nagios_wait),
        Step("record", g, "local", action=lambda: _record(state_dir, name, target)),
    ]
    return out


def _mark(state_dir: Path, host: str) -> str:
    herdstate.mark_offline(state_dir, host, "fenced by the operator (failover --force --fenced)")
    return f"{host} marked offline"


def _record(state_dir: Path, guest: str, host: str) -> str:
    herdstate.record_placement(state_dir, guest, host)
    return f"recorded on {host}"


def plan_guest(herd: Herd, view: GuestView, source: str, target: str, facts: dict[str, HostFacts],
               offline: dict[str, dict], memory_needed: dict[str, int], options: MoveOptions,
               state_dir: Path, interrupted: bool = False) -> GuestPlan:
    plan = GuestPlan(view.name, source, target)
    plan.refusals = refusals(view, source, target, facts, offline, memory_needed, options, interrupted)
    home = view.runs_on() == [target] and view.role(target) == "Primary"
    if not plan.refusals and home:
        plan.notes.append(f"already runs on {target}: nothing to move (confirmed and recorded only)")
    elif not plan.refusals and interrupted and not view.runs_on():
        plan.notes.append("runs nowhere: resuming the unfinished job recorded in the journal")
    if not plan.refusals:
        plan.steps = steps(herd, view.guest, source, target, options, state_dir)
    if not plan.refusals and home and (source in offline or view.down(source)):
        # Nothing of this guest is on the other host to stop or demote, and a fenced or unreachable host is
        # not touched: its stale side is the rebuild's to repair.
        plan.notes.append(f"{source} is offline: nothing done there")
        plan.steps = [step for step in plan.steps if step.host != source and step.name != "handshake"]
    return plan
