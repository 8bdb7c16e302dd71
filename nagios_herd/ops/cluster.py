"""Pacemaker manages the herd: the fab tasks act through the cluster, or refuse with the command to run.

Why: with Pacemaker in charge, an ``xl``/``drbdadm`` change made behind its back is fought — it restarts what it
believes stopped and fences what it believes failed. So when the inventory says ``pacemaker.manages_herd``:
``status`` reads ``crm_mon``; a move (failover, failback, migrate) is a location constraint (``crm_resource
--move``, and ``--clear`` once the guest runs there, so stickiness keeps it and it may fail over again), live
when ``pacemaker.live_migration`` (DRBD Primary on both hosts for the length of the move only); evacuate and
restore are node standby and online. Every other mutating task runs only while the cluster is in maintenance mode
(Pacemaker then starts, stops and moves nothing) and is otherwise refused with the command that enables it; in
maintenance mode the moves too run the classic way.

:func:`route` is called in front of each task: None means "not Pacemaker's business, run the task as usual".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Herd
from nagios_herd.ops import crm
from nagios_herd.ops.runner import Options, Run, command_line, known_guest, known_host, load_herd
from nagios_herd.parsers.crm_mon import ClusterStatus

POLL = 2.0  # seconds between two looks at the cluster while waiting for it
XEN_AGENT = "ocf:heartbeat:Xen"
MOVES = ("failover", "failback", "migrate")
ACTIONS = (*MOVES, "evacuate", "restore")
Wait = Callable[[ClusterStatus], bool]


@dataclass
class Step:
    """One command on a cluster node (``where``: a host, or "" for any node), then what to wait for."""

    what: str
    argv: list[str]
    where: str = ""
    until: Wait | None = None
    awaits: str = ""


@dataclass
class Plan:
    subject: str  # the guest or host
    steps: list[Step] = field(default_factory=list)
    refusal: str = ""


def manages(herd: Herd) -> bool:
    return herd.cluster.manages_herd


def _runs_on(status: ClusterStatus, guest: str) -> list[str]:
    return [node for node, role in status.where(crm.vm(guest)) if role == "Started"]


def _promoted(status: ClusterStatus, guest: str) -> list[str]:
    return sorted(node for node, role in status.where(crm.clone(guest)) if role == "Promoted")


def _usable(status: ClusterStatus, host: str) -> str:
    """Why ``host`` cannot take a guest now ("" when it can)."""
    node = status.node(host)
    if node is None or not node.online:
        return f"{host} is not online in the cluster"
    if node.standby:
        return f"{host} is in standby (fab restore --host {host})"
    return ""


def move_plan(herd: Herd, status: ClusterStatus, guest: str, target: str, live: bool) -> Plan:
    """Send ``guest`` to ``target`` through Pacemaker; live: via a temporary second DRBD Primary."""
    plan = Plan(guest)
    where = _runs_on(status, guest)
    if where == [target]:
        plan.refusal = f"already runs on {target}"
        return plan
    if len(where) != 1:
        plan.refusal = (f"runs on {' and '.join(where)}: let the cluster recover it first (crm_mon --one-shot)"
                        if where else "the cluster has it stopped: see crm_mon --one-shot --inactive")
        return plan
    if why := _usable(status, target):
        plan.refusal = why
        return plan
    def on_target(status: ClusterStatus) -> bool:
        return _runs_on(status, guest) == [target]

    if live:
        plan.steps += [Step(f"allow a second Primary on {host.name}", crm.two_primaries(guest, True), host.name)
                       for host in herd.hosts]
        plan.steps.append(Step("let Pacemaker promote DRBD on both hosts", crm.promoted_max(guest, 2),
                               until=lambda s: len(_promoted(s, guest)) == 2, awaits="DRBD Promoted on both"))
    plan.steps.append(Step(f"move to {target}" + (" (live migration)" if live else ""), crm.move(guest, target),
                           until=on_target, awaits=f"{crm.vm(guest)} Started on {target} only"))
    if live:
        plan.steps.append(Step("back to one Primary", crm.promoted_max(guest, 1),
                               until=lambda s: _promoted(s, guest) == [target], awaits=f"Promoted on {target} only"))
        plan.steps += [Step(f"forbid a second Primary on {host.name}", crm.two_primaries(guest, False), host.name)
                       for host in herd.hosts]
    plan.steps.append(Step("drop the move's constraint (stickiness keeps the guest there)", crm.clear(guest)))
    return plan


def host_plan(status: ClusterStatus, host: str, on: bool) -> Plan:
    """evacuate (standby on: the cluster moves every guest away) or restore (standby off)."""
    plan = Plan(host)
    node = status.node(host)
    if node is None:
        plan.refusal = f"{host} is not a node of the cluster"
        return plan
    def emptied(status: ClusterStatus) -> bool:
        return not any(host in item.nodes for item in status.instances if item.agent == XEN_AGENT)

    def back(status: ClusterStatus) -> bool:
        node = status.node(host)
        return node is not None and node.online and not node.standby

    if on:
        plan.steps.append(Step(f"put {host} in standby: the cluster moves its guests away", crm.standby(host, True),
                               until=emptied, awaits=f"no guest on {host}"))
    else:
        plan.steps.append(Step(f"bring {host} back online (guests stay where they are: fab failback moves them)",
                               crm.standby(host, False), until=back, awaits=f"{host} online"))
    return plan


def render(plans: Sequence[Plan], title: str) -> str:
    lines = [title]
    for plan in plans:
        lines.append(f"{plan.subject}:" + (f" REFUSED: {plan.refusal}" if plan.refusal else ""))
        for number, step in enumerate(plan.steps, start=1):
            where = f" on {step.where}" if step.where else ""
            wait = f"; wait for {step.awaits}" if step.awaits else ""
            lines.append(f"  {number}. {step.what}: {crm.show(step.argv)}{where}{wait}")
    return "\n".join(lines)


class Executor:
    """Runs plans on the cluster's nodes and waits for the cluster after each step that needs it."""

    def __init__(self, nodes: dict[str, crm.Node], timeout: float, out: TextIO, poll: float = POLL) -> None:
        self.nodes = nodes
        self.timeout = timeout
        self.out = out
        self.poll = poll

    def _node(self, where: str) -> crm.Node:
        if where:
            node = self.nodes[where]
            if node.down:
                raise HerdError(f"{where} is unreachable ({node.down})")
            return node
        return crm.reachable(list(self.nodes.values()))[0]

    def step(self, step: Step) -> None:
        node = self._node(step.where)
        result = node.run(step.argv, timeout=60)
        if result.exited != 0:  # type: ignore[attr-defined]
            raise HerdError(f"{node.name}: {crm.show(step.argv)} failed ({result.why()})")  # type: ignore[attr-defined]
        if step.until is None:
            return
        deadline = time.monotonic() + self.timeout
        while True:
            status = crm.reachable(list(self.nodes.values()))[1]
            if step.until(status):
                return
            if time.monotonic() > deadline:
                raise HerdError(f"the cluster did not reach '{step.awaits}' within {self.timeout:g} s")
            time.sleep(self.poll)

    def run(self, plan: Plan) -> bool:
        for number, step in enumerate(plan.steps, start=1):
            try:
                self.step(step)
            except HerdError as error:
                done = [crm.show(s.argv) for s in plan.steps[:number - 1]]
                print(f"{plan.subject}: FAILED at step {number} ({step.what}): {error}", file=self.out)
                if done:
                    print(f"{plan.subject}: already done: {'; '.join(done)}. To undo a move's constraint: "
                          f"{crm.show(crm.clear(plan.subject))}; to end a dual Primary: "
                          f"{crm.show(crm.promoted_max(plan.subject, 1))}", file=self.out)
                return False
            print(f"{plan.subject}: {step.what}: done", file=self.out)
        return True


def _moves(herd: Herd, status: ClusterStatus, task: str, guest: str | None, everything: bool,
           away_from: str | None) -> list[Plan]:
    live = task == "migrate" or herd.cluster.live_migration
    if guest:
        chosen = [known_guest(herd, guest)]
    elif everything:
        chosen = list(herd.guests)
    else:
        raise HerdError("name a guest (--guest NAME) or --all")
    plans = []
    for item in chosen:
        where = _runs_on(status, item.name)
        if task == "failback":
            if where == [item.preferred_host] and not guest:
                continue
            target = item.preferred_host
        else:
            source = away_from or (where[0] if guest and len(where) == 1 else item.preferred_host)
            if not guest and where != [source]:
                continue
            target = herd.peer_of(source).name
        plans.append(move_plan(herd, status, item.name, target, live))
    return plans


def route(options: Options, task: str, *, out: TextIO = sys.stdout, plan_only: bool = False,
          guest: str | None = None, everything: bool = False, host: str | None = None,
          away_from: str | None = None, fenced: str | None = None) -> int | None:
    """Do ``task`` through Pacemaker, refuse it, or return None when the task should run as usual."""
    herd = load_herd(options.inventory)
    if not manages(herd):
        return None
    command = command_line(task, guest=guest, all=everything, host=host, away_from=away_from, plan=plan_only)
    with Run(options, command, mutating=not plan_only) as run_:
        return act(herd, dict(run_.links), task, out=out, plan_only=plan_only, guest=guest, everything=everything,
                   host=host, away_from=away_from, fenced=fenced,
                   record=lambda subject, ok: run_.journal.write(subject, "end", "done" if ok else "stopped",
                                                                 command=command, detail="through Pacemaker"))


def act(herd: Herd, nodes: dict[str, crm.Node], task: str, *, out: TextIO, plan_only: bool = False,
        guest: str | None = None, everything: bool = False, host: str | None = None, away_from: str | None = None,
        fenced: str | None = None, record: Callable[[str, bool], object] = lambda subject, ok: None,
        poll: float = POLL) -> int | None:
    """:func:`route` on open node connections (the tests give it nodes that run the tools on a saved state)."""
    if away_from:
        known_host(herd, away_from, "--away-from")
    if host:
        known_host(herd, host, "--host")
    _, status = crm.reachable(list(nodes.values()))
    if status.maintenance_mode:
        print(f"{task}: the cluster is in maintenance mode: running the task directly (Pacemaker acts on "
              f"nothing until {crm.show(crm.maintenance(False))})", file=out)
        return None
    if fenced:
        raise HerdError(f"Pacemaker manages this herd: it fences {fenced} and restarts its guests itself. If "
                        f"{fenced}'s fence device cannot reach it and you know it is powered off, tell the "
                        f"cluster: {crm.show(crm.confirm_fenced(fenced))}")
    if task not in ACTIONS:
        raise HerdError(f"Pacemaker manages this herd: fab {task} would act behind its back. Put the cluster "
                        f"in maintenance mode first: {crm.show(crm.maintenance(True))}; afterwards: "
                        f"{crm.show(crm.maintenance(False))}")
    if task in MOVES:
        plans = _moves(herd, status, task, guest, everything, away_from)
    else:
        if not host:
            raise HerdError(f"fab {task} needs --host NAME")
        plans = [host_plan(status, host, task == "evacuate")]
    print(render(plans, f"plan for: fab {task} (through Pacemaker)"), file=out)
    if plan_only or not plans:
        return 1 if any(plan.refusal for plan in plans) else 0
    executor = Executor(nodes, herd.cluster.migrate_timeout + herd.cluster.stop_timeout + 240, out, poll)
    failed = 0
    for plan in plans:
        if plan.refusal:
            failed += 1
            continue
        ok = executor.run(plan)
        record(plan.subject, ok)
        failed += not ok
    return 1 if failed else 0


def status_table(herd: Herd, status: ClusterStatus) -> list[str]:
    """One row per guest: where Pacemaker runs it, where it prefers, the DRBD roles it manages."""
    rows = [["guest", "runs on", "preferred", "DRBD (Pacemaker)"]]
    for guest in herd.guests:
        where = _runs_on(status, guest.name)
        runs = ",".join(where) or "stopped"
        if len(where) > 1:
            runs += " !BOTH"
        elif where and where[0] != guest.preferred_host:
            runs += " (away)"
        roles = ", ".join(f"{node} {role}" for node, role in sorted(status.where(crm.clone(guest.name)))) or "-"
        rows.append([guest.name, runs, guest.preferred_host, roles])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def run_status(options: Options, out: TextIO = sys.stdout) -> int | None:
    """``fab status`` for a herd Pacemaker manages (None: it does not, use the classic status)."""
    herd = load_herd(options.inventory)
    if not manages(herd):
        return None
    with Run(options, "fab status", mutating=False) as run_:
        return show_status(herd, dict(run_.links), out)


def show_status(herd: Herd, nodes: dict[str, crm.Node], out: TextIO) -> int:
    """The cluster line, the guest table, failed actions; exit 1 when a guest runs on both hosts."""
    node, status = crm.reachable(list(nodes.values()))
    states = ", ".join(f"{n.name} " + ("UNCLEAN" if n.unclean else "standby" if n.standby and n.online
                                       else "online" if n.online else "OFFLINE") for n in status.nodes)
    quorum = "quorum" if status.quorum else "NO QUORUM" if status.quorum is False else "no DC"
    print(f"cluster (Pacemaker, read on {node.name}; DC {status.dc or '-'}, {quorum}"
          f"{', MAINTENANCE MODE' if status.maintenance_mode else ''}): {states}", file=out)
    for line in status_table(herd, status):
        print(line, file=out)
    for failure in status.failures:
        print(f"failed action: {failure.resource} {failure.task} on {failure.node}: {failure.exitstatus} "
              f"(clean up: {crm.show(['crm_resource', '--cleanup', '--resource', failure.resource])})", file=out)
    both = [guest.name for guest in herd.guests if len(_runs_on(status, guest.name)) > 1]
    for name in both:
        print(f"ERROR: {name} runs on {' and '.join(_runs_on(status, name))}", file=out)
    return 1 if both else 0
