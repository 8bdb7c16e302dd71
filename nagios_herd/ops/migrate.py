"""Live migration: move a running guest to the other host without stopping it (``fab migrate``).

Why two phases: the *forward* steps (drop a leftover ``NAME--incoming``, allow-two-primaries on both sides,
promote the target, ``xl migrate``) may stop anywhere, so the *settle* steps are planned afterwards from a
fresh probe, whatever happened: find where the domain runs (Ganeti's migration cleanup), demote the other
side, switch allow-two-primaries off on both, confirm single-primary, record the placement. A failed
``xl migrate`` therefore leaves the guest on the source, single-primary; a migration killed after any step
converges when run again (an already migrated guest only settles); the option is never cleared while both
are Primary (DRBD refuses with 164), so the demote comes first.

What is refused before anything changes: the target offline or in maintenance, either host unreachable,
the domain not running on the source, DRBD not Connected or not UpToDate on both sides or resyncing,
protocol other than C, not enough free memory or no identical domain config on the target, a Xen version
the target cannot receive.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest, Herd
from nagios_herd.ops import herdstate, journal
from nagios_herd.ops.conditions import primary_uptodate, secondary, synced
from nagios_herd.ops.engine import Engine, Outcome
from nagios_herd.ops.facts import HostFacts
from nagios_herd.ops.failover import files_present
from nagios_herd.ops.plan import Check, GuestPlan, Step
from nagios_herd.ops.plan import render
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.remote import HostDown
from nagios_herd.ops.runner import Options, Run, command_line, known_guest, known_host, report

SSH_TRANSPORT = "ssh -o BatchMode=yes"  # xl migrate -s: never wait for a password or a host key question
DRBD_CONFIG_ERROR = 10  # drbdsetup ERR_* (139: protocol C required, 164: cannot clear while both Primary)
TWO_PRIMARIES_REFUSED = 11
PROMOTE_REFUSED = 17


@dataclass(frozen=True)
class MigrateOptions:
    transfer_timeout: float = 600  # bound of ``xl migrate`` (the memory copy)
    settle_wait: float = 30  # how long the target may take to show Connected/UpToDate after the switch


@dataclass(frozen=True)
class Placement:
    """Where one guest's migration starts and ends."""

    guest: Guest
    source: str
    target: str


def _leftover(view: GuestView, host: str) -> bool:
    domain = view.domain(host)
    return domain is not None and domain.migrating


def _no_leftover(host: str) -> Check:
    return Check(f"no --incoming/--migratedaway copy on {host}",
                 lambda v: v.down(host) is None and not _leftover(v, host))


def migrated(view: GuestView, target: str) -> bool:
    """The domain runs on ``target`` and nothing of it is left anywhere else."""
    return view.alive_on(target) and all(view.domain(h) is None for h in view.snaps if h != target)


def _window(view: GuestView) -> bool:
    """Both sides Primary: a dual-primary window a killed migration left open."""
    return all(view.role(host) == "Primary" for host in view.snaps)


def refusals(view: GuestView, source: str, target: str, herd: Herd, facts: dict[str, HostFacts],
             blocked: dict[str, str], memory_needed: dict[str, int]) -> list[str]:
    """Why this guest must not be migrated now (empty: go). Read-only. ``blocked``: host -> why no guest may
    be moved there (offline, in maintenance)."""
    if target in blocked:
        return [f"target {target} is {blocked[target]}"]
    for host in (source, target):
        if view.down(host):
            return [f"{host} is unreachable: {view.down(host)}"]
    if migrated(view, target):
        return []  # already there: only settle
    domain = view.domain(source)
    if domain is None:
        where = view.runs_on()
        return [f"does not run on {source} ({'runs on ' + ', '.join(where) if where else 'runs nowhere'}): "
                f"nothing to migrate; start it first (fab failover, or xl create where it is Primary)"]
    if domain.migrating:
        return [f"{domain.name} on {source}: a migration died at its final handshake; check both hosts, keep "
                f"exactly one copy (xl rename + xl resume, or xl destroy), then run this again"]
    if not view.alive_on(source):
        return [f"domain on {source} is {domain.condition}, not running: a live migration needs a running guest"]
    if view.domain(target) is not None and not view.domain(target).migrating:
        return [f"a domain of this name also exists on {target}: stop one by hand first"]
    problems = []
    if herd.drbd_protocol != "C":
        problems.append(f"DRBD protocol is {herd.drbd_protocol}: a dual-primary window needs protocol C")
    if view.connection(target) != "Connected":
        problems.append(f"DRBD on {target} is {view.connection(target)}, not Connected to {source}")
    elif view.disk(target) != "UpToDate" or view.disk(source) != "UpToDate":
        problems.append(f"disks are {view.disk(source)} on {source} and {view.disk(target)} on {target} "
                        f"(both must be UpToDate)")
    elif view.syncing(target) or view.out_of_sync(target) or view.out_of_sync(source):
        problems.append(f"a resync is running or blocks are out of sync ({view.replication(target)}): wait for it")
    if view.role(source) != "Primary":
        problems.append(f"{source} is {view.role(source)}, not Primary, while the guest runs there")
    if view.split_brain(source) or view.split_brain(target):
        problems.append("split brain suspected: resolve it first")
    if target in facts and facts[target].free_mb is not None and not view.domain(target):
        if memory_needed.get(target, 0) > facts[target].free_mb:
            problems.append(f"{target} has {facts[target].free_mb} MiB free, the guests migrating there need "
                            f"{memory_needed[target]} MiB")
    problems += files_present(view.guest, source, target, facts)
    problems += _xen_versions(source, target, facts)
    if target in facts and source in facts and facts[target].bridge is False and facts[source].bridge:
        problems.append(f"the guests' bridge exists on {source} but not on {target}")
    return problems


def _xen_versions(source: str, target: str, facts: dict[str, HostFacts]) -> list[str]:
    """Ganeti's rule for Xen: the same major version, the target's minor equal or one newer."""
    try:
        have = {h: (int(facts[h].info.values["xen_major"]), int(facts[h].info.values["xen_minor"]))
                for h in (source, target)}
    except (KeyError, AttributeError, ValueError):
        return []
    (s_major, s_minor), (t_major, t_minor) = have[source], have[target]
    if s_major == t_major and t_minor in (s_minor, s_minor + 1):
        return []
    return [f"Xen {t_major}.{t_minor} on {target} cannot receive a guest from Xen {s_major}.{s_minor} on {source}"]


def forward_steps(guest: Guest, source: str, target: str, address: str, options: MigrateOptions) -> list[Step]:
    """Dual-primary, promote the target, ``xl migrate``: each skipped once the migration is done."""
    name = guest.name
    done = Check(f"domain runs on {target} only", lambda v: migrated(v, target))
    two = ("drbdadm", "net-options", "--allow-two-primaries=yes", guest.resource)
    refused = {DRBD_CONFIG_ERROR: "DRBD refused allow-two-primaries (protocol C required)"}
    return [
        Step("drop-leftover", name, target, _no_leftover(target),
             command=("xl", "destroy", f"{name}--incoming"), timeout=30, wait=10),
        Step("two-primaries", name, target, done, command=two, timeout=30, wait=0, stops=refused),
        Step("two-primaries", name, source, done, command=two, timeout=30, wait=0, stops=refused),
        Step("promote", name, target, Check(f"{target} is Primary or the migration is done",
                                            lambda v: migrated(v, target) or v.role(target) == "Primary"),
             requires=(synced(target), Check(f"no domain on {target}", lambda v: v.domain(target) is None)),
             command=("drbdadm", "primary", guest.resource), timeout=30, wait=10,
             stops={TWO_PRIMARIES_REFUSED: "DRBD refused a second Primary (allow-two-primaries is not in effect "
                                           "on both sides)",
                    PROMOTE_REFUSED: "no access to UpToDate data (exit 17)"}),
        Step("migrate", name, source, done,
             requires=(primary_uptodate(target), Check(f"{source} is Primary", lambda v: v.role(source) == "Primary"),
                       synced(target), Check(f"domain running on {source}", lambda v: v.alive_on(source))),
             command=("xl", "migrate", "-s", SSH_TRANSPORT, name, address),
             timeout=options.transfer_timeout, wait=30),
    ]


def settle_steps(guest: Guest, runs: str, other: str, leftover: str | None, other_down: bool,
                 options: MigrateOptions, state_dir: Path) -> list[Step]:
    """Back to single-primary around wherever the domain runs (``runs``); ``other`` gets demoted after its
    ``leftover`` copy (``NAME--incoming`` of a failed migration, ``NAME--migratedaway`` of a finished one)
    is destroyed."""
    name = guest.name
    single = ("drbdadm", "net-options", "--allow-two-primaries=no", guest.resource)
    steps: list[Step] = []
    if not other_down:
        steps += [
            Step("drop-leftover", name, other, _no_leftover(other),
                 command=("xl", "destroy", leftover or f"{name}--incoming"), timeout=30, wait=10),
            Step("demote", name, other, secondary(other),
                 requires=(Check(f"no domain on {other}", lambda v: v.domain(other) is None),),
                 command=("drbdadm", "secondary", guest.resource), timeout=30, wait=10),
            Step("single-primary", name, other, requires=(secondary(other),), command=single, timeout=30, wait=0),
        ]
    steps += [
        Step("single-primary", name, runs,
             requires=(Check(f"{other} is not Primary", lambda v: v.role(other) != "Primary"),),
             command=single, timeout=30, wait=0),
        Step("confirm", name, runs,
             Check(f"domain running on {runs}, {runs} the only Primary, UpToDate",
                   lambda v: v.alive_on(runs) and v.role(runs) == "Primary" and v.disk(runs) == "UpToDate"
                   and (other_down or v.role(other) == "Secondary")),
             wait=options.settle_wait),
        Step("record", name, "local", action=lambda: _record(state_dir, name, runs)),
    ]
    return steps


def _record(state_dir: Path, guest: str, host: str) -> str:
    herdstate.record_placement(state_dir, guest, host)
    return f"recorded on {host}"


def settle_plan(view: GuestView, source: str, target: str, options: MigrateOptions, state_dir: Path) -> GuestPlan:
    """Where the domain runs decides who stays Primary (Ganeti's ``_ExecCleanup``)."""
    alive = [host for host in (target, source) if view.alive_on(host)]
    plan = GuestPlan(view.name, source, target)
    if len(alive) > 1:
        plan.refusals.append(f"runs on both {source} and {target}: stop one by hand, then run this again")
        return plan
    if not alive:
        plan.refusals.append("runs on neither host after the migration: start it where it is Primary")
        return plan
    runs = alive[0]
    other = next(host for host in view.snaps if host != runs)
    plan.target = runs
    leftover = view.domain(other).name if not view.down(other) and _leftover(view, other) else None
    plan.steps = settle_steps(view.guest, runs, other, leftover, bool(view.down(other)), options, state_dir)
    return plan


class Migration:
    """One run of migrations: guests in a bounded pool, each forward then settle."""

    def __init__(self, run: Run, engine: Engine, options: MigrateOptions, parallel: int) -> None:
        self.run = run
        self.engine = engine
        self.options = options
        self.parallel = parallel

    def execute(self, plans: list[GuestPlan], placements: dict[str, Placement], since: float) -> list[Outcome]:
        def one(plan: GuestPlan) -> Outcome:
            return self.guest(plan, placements[plan.guest], since)

        if self.parallel <= 1 or len(plans) <= 1:
            return [one(plan) for plan in plans]
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="migrate") as pool:
            return list(pool.map(one, plans))

    def _view(self, guest: Guest) -> GuestView:
        """A fresh view with every host asked; a host lost on the way counts as down (asked once more)."""
        for _ in range(2):
            view = self.run.prober.view(guest)
            try:
                for host in view.snaps:
                    view.domain(host)
                    view.role(host)
                return view
            except HostDown:
                continue
        return self.run.prober.view(guest)

    def guest(self, plan: GuestPlan, where: Placement, since: float) -> Outcome:
        if plan.refusals:
            return self.engine.run([plan], since=since)[0]
        forward = self.engine.run([plan], since=since)[0] if plan.steps else None
        try:
            settle = settle_plan(self._view(where.guest), where.source, where.target, self.options,
                                 self.run.state_dir)
        except HerdError as error:
            return Outcome(plan.guest, False, f"cannot tell where it runs now: {error}; run this again")
        settled = self.engine.run([settle])[0]
        if forward is not None and not forward.ok:
            left = f"left running on {settle.target}" if not settle.refusals else settle.refusals[0]
            state = ", single-primary" if settled.ok else f"; settling failed too: {settled.detail}"
            return Outcome(plan.guest, False, f"migration failed ({forward.detail}); {left}{state}")
        if not settled.ok:
            return Outcome(plan.guest, False, f"migrated to {settle.target} but not settled: {settled.detail}")
        moved = forward is not None and forward.ok and not forward.detail.startswith("skipped")
        return Outcome(plan.guest, True, f"migrated to {where.target}" if moved else
                       f"skipped: already on {where.target}; settled single-primary")


def unfinished(state_dir: Path) -> dict[str, tuple[str, str]]:
    """Guest -> (source, target) of its latest job when that job did not end ``done`` (killed or stopped):
    a re-run of ``migrate --guest G`` resumes it instead of sending G back where it came from."""
    last: dict[str, tuple[str, str, str]] = {}
    closed: set[str] = set()
    for entry in journal.read(state_dir):
        if entry["step"] == "begin" and " -> " in entry.get("detail", ""):
            source, _, target = entry["detail"].partition(" -> ")
            last[entry["guest"]] = (entry["run"], source, target)
        elif entry["step"] == "end" and entry["result"] == "done":
            closed.add(f"{entry['guest']} {entry['run']}")
    return {guest: (source, target) for guest, (run_id, source, target) in last.items()
            if f"{guest} {run_id}" not in closed and source != target}


def placements(herd: Herd, guests: list[Guest], views: dict[str, GuestView], away_from: str | None,
               to: Callable[[Guest], str] | None = None,
               resume: dict[str, tuple[str, str]] | None = None) -> dict[str, Placement]:
    """Source = where each guest runs now (else its recorded/preferred host); target = the other host,
    ``to(guest)``, the peer of ``away_from``, or the target of an unfinished job in ``resume``."""
    out = {}
    for guest in guests:
        view = views[guest.name]
        alive = [host for host in view.snaps if view.alive_on(host)]
        if to is None and away_from is None and guest.name in (resume or {}):
            source, target = (resume or {})[guest.name]
            out[guest.name] = Placement(guest, source, target)
            continue
        if to is None and away_from is None and _window(view) and len(alive) == 1:
            out[guest.name] = Placement(guest, herd.peer_of(alive[0]).name, alive[0])  # settle where it runs
            continue
        alive = alive or view.runs_on()
        source = alive[0] if alive else guest.preferred_host
        if to is not None:
            target = to(guest)
            source = herd.peer_of(target).name
        elif away_from is not None:
            target = herd.peer_of(away_from).name
            source = away_from
        else:
            target = herd.peer_of(source).name
        out[guest.name] = Placement(guest, source, target)
    return out


def plan_all(run: Run, guests: list[Guest], places: dict[str, Placement], views: dict[str, GuestView],
             options: MigrateOptions, blocked: dict[str, str]) -> list[GuestPlan]:
    """One forward plan per guest (refused ones carry their reasons)."""
    herd = run.herd
    facts = run.facts()
    needed: dict[str, int] = {}
    for guest in guests:
        place = places[guest.name]
        if not migrated(views[guest.name], place.target):
            needed[place.target] = needed.get(place.target, 0) + guest.memory_mb
    plans = []
    for guest in guests:
        place, view = places[guest.name], views[guest.name]
        plan = GuestPlan(guest.name, place.source, place.target, done="migrated to")
        plan.refusals = refusals(view, place.source, place.target, herd, facts, blocked, needed)
        if not plan.refusals and migrated(view, place.target):
            plan.notes.append(f"already runs on {place.target}: only settles (single-primary, recorded)")
        elif not plan.refusals:
            address = herd.host(place.target).address
            plan.steps = forward_steps(guest, place.source, place.target, address, options)
            plan.notes.append("then, wherever the domain runs: demote the other host, allow-two-primaries off "
                              "on both, confirm single-primary, record")
        plans.append(plan)
    return plans


def blocked_hosts(state_dir: Path) -> dict[str, str]:
    """Hosts no guest may be moved to, and why."""
    out = {host: f"marked offline since {entry.get('since')} ({entry.get('reason')})"
           for host, entry in herdstate.offline(state_dir).items()}
    for host, entry in herdstate.maintenance(state_dir).items():
        out.setdefault(host, f"in maintenance since {entry.get('since')} ({entry.get('reason')}); "
                             f"fab restore --host {host} ends it")
    return out


def migrate_guests(run: Run, guests: list[Guest], *, away_from: str | None, plan_only: bool, out: TextIO,
                   options: MigrateOptions, to: Callable[[Guest], str] | None = None,
                   title: str | None = None, unblock: str | None = None) -> tuple[int, list[Outcome], list[GuestPlan]]:
    """Probe, plan and (unless ``plan_only``) migrate; inside an entered :class:`Run`. ``unblock``: a host
    whose maintenance mark the caller is about to end (``restore --plan``)."""
    snaps = run.prober.everything()
    views = {g.name: GuestView(g, snaps) for g in guests}
    places = placements(run.herd, guests, views, away_from, to, unfinished(run.state_dir))
    if away_from is not None:  # what runs there, and what a killed run left between the hosts
        guests = [g for g in guests if views[g.name].domain(away_from) is not None
                  or not migrated(views[g.name], places[g.name].target) or _window(views[g.name])]
    blocked = blocked_hosts(run.state_dir)
    if unblock in blocked and unblock not in herdstate.offline(run.state_dir):
        del blocked[unblock]
    plans = plan_all(run, guests, places, views, options, blocked)
    if plan_only:
        print(render(plans, views, title or f"plan for: {run.command} (nothing is changed)"), file=out)
        return (1 if any(plan.refusals for plan in plans) else 0), [], plans
    engine = Engine(run.herd, run.links, run.prober, run.journal, out=out)
    since = min((snap.taken for snap in snaps.values()), default=time.monotonic())
    outcomes = Migration(run, engine, options, run.options.parallel).execute(plans, places, since)
    return (0 if all(o.ok for o in outcomes) else 1), outcomes, plans


def run(options: Options, *, guest: str | None, everything: bool, away_from: str | None = None,
        plan_only: bool = False, migrate: MigrateOptions = MigrateOptions(), out: TextIO = sys.stdout) -> int:
    """``fab migrate --guest G | --all [--away-from H] [--plan]``."""
    command = command_line("migrate", guest=guest, all=everything, away_from=away_from, plan=plan_only)
    run_ = Run(options, command, mutating=not plan_only)
    herd = run_.herd
    if away_from is not None:
        known_host(herd, away_from, "--away-from")
    if bool(guest) == bool(everything):
        raise HerdError("name one guest with --guest NAME, or pass --all")
    guests = list(herd.guests) if everything else [known_guest(herd, guest)]
    with run_:
        code, outcomes, plans = migrate_guests(run_, guests, away_from=away_from, plan_only=plan_only, out=out,
                                               options=migrate)
        if plan_only:
            return code
        if not plans:
            print(f"nothing runs on {away_from}: nothing to migrate", file=out)
            return 0
        return report(outcomes, out=out)

