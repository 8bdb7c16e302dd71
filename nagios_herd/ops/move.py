"""The ``failover`` and ``failback`` tasks: pick guests and targets, probe, plan, then print or execute."""

from __future__ import annotations

import sys
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest, Herd
from nagios_herd.ops import herdstate, journal
from nagios_herd.ops.failover import MoveOptions, plan_guest
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.runner import Options, Run, command_line, known_guest, known_host


def select(herd: Herd, guest: str | None, everything: bool) -> list[Guest]:
    if bool(guest) == bool(everything):
        raise HerdError("name one guest with --guest NAME, or pass --all")
    if everything:
        return list(herd.guests)
    return [known_guest(herd, guest)]


def target_of(herd: Herd, guest: Guest, move: MoveOptions, away_from: str | None) -> str:
    if move.fenced:
        return herd.peer_of(move.fenced).name
    if move.failback:
        return guest.preferred_host
    return herd.peer_of(away_from or guest.preferred_host).name


def run(options: Options, *, task: str, guest: str | None, everything: bool, move: MoveOptions,
        away_from: str | None = None, plan_only: bool = False, out: TextIO = sys.stdout) -> int:
    command = command_line(task, guest=guest, all=everything, away_from=away_from, force=bool(move.fenced),
                           fenced=move.fenced, allow_stale=move.allow_stale, confirm=move.confirm,
                           plan=plan_only)
    run_ = Run(options, command, mutating=not plan_only)
    herd = run_.herd
    for name, flag in ((move.fenced, "--fenced"), (away_from, "--away-from")):
        if name is not None:
            known_host(herd, name, flag)
    if move.allow_stale and move.confirm != guest:
        raise HerdError("--allow-stale needs one --guest NAME and --confirm with that same NAME")
    guests = select(herd, guest, everything)
    with run_:
        facts = run_.facts()
        offline = herdstate.offline(run_.state_dir)
        snaps = run_.prober.everything()
        views = {g.name: GuestView(g, snaps) for g in guests}
        targets = {g.name: target_of(herd, g, move, away_from) for g in guests}
        needed: dict[str, int] = {}
        for g in guests:
            if views[g.name].runs_on() != [targets[g.name]]:
                needed[targets[g.name]] = needed.get(targets[g.name], 0) + g.memory_mb
        interrupted = journal.resumable(run_.state_dir)
        plans = [plan_guest(herd, views[g.name], herd.peer_of(targets[g.name]).name, targets[g.name], facts,
                            offline, needed, move, run_.state_dir, g.name in interrupted) for g in guests]
        maintenance = herdstate.maintenance(run_.state_dir)
        for plan in plans:
            if plan.target in maintenance and move.fenced is None and not views[plan.guest].alive_on(plan.target):
                plan.refusals.append(f"target {plan.target} is in maintenance since "
                                     f"{maintenance[plan.target].get('since')}: fab restore --host {plan.target} "
                                     f"ends it")
                plan.steps = []
        return run_.execute(plans, views, plan_only, out)
