"""Planned maintenance of a host: ``fab evacuate --host H`` empties it by live migration and marks it "in
maintenance"; ``fab restore --host H`` ends the mark and migrates H's own guests back (Ganeti's
``gnt-node migrate`` plus a drain flag).

Why the mark comes first: from the moment the operator declares the host's maintenance, nothing may move a
guest there (failover, failback, migrate refuse it as a target) and the watcher leaves it alone, even while
the evacuation is still running or when it left a guest behind. A guest that cannot migrate is reported and
left running where it is, unless ``--allow-restart`` lets it fail over (shut down, boot on the peer).
"""

from __future__ import annotations

import sys
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest
from nagios_herd.ops import herdstate, journal
from nagios_herd.ops.engine import Engine, Outcome
from nagios_herd.ops.failover import MoveOptions, plan_guest
from nagios_herd.ops.migrate import MigrateOptions, blocked_hosts, migrate_guests
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.runner import Options, Run, command_line, known_host, report


def _restart_away(run: Run, guests: list[Guest], host: str, move: MoveOptions, out: TextIO) -> list[Outcome]:
    """Fail the guests that could not migrate over to the peer (they stop and boot: an outage each)."""
    target = run.herd.peer_of(host).name
    facts = run.facts()
    snaps = run.prober.everything()
    views = {g.name: GuestView(g, snaps) for g in guests}
    needed = {target: sum(g.memory_mb for g in guests if views[g.name].runs_on() != [target])}
    interrupted = journal.resumable(run.state_dir)
    offline = herdstate.offline(run.state_dir)
    plans = [plan_guest(run.herd, views[g.name], host, target, facts, offline, needed, move, run.state_dir,
                        g.name in interrupted) for g in guests]
    engine = Engine(run.herd, run.links, run.prober, run.journal, out=out)
    return engine.run(plans, parallel=run.options.parallel)


def evacuate(options: Options, *, host: str, allow_restart: bool = False, plan_only: bool = False,
             migrate: MigrateOptions = MigrateOptions(), move: MoveOptions = MoveOptions(),
             out: TextIO = sys.stdout) -> int:
    """Mark ``host`` in maintenance, migrate every guest off it; exit 1 when a guest is left on it."""
    command = command_line("evacuate", host=host, allow_restart=allow_restart, plan=plan_only)
    run = Run(options, command, mutating=not plan_only)
    known_host(run.herd, host, "--host")
    peer = run.herd.peer_of(host).name
    blocked = blocked_hosts(run.state_dir)
    if peer in blocked:
        raise HerdError(f"cannot evacuate {host}: its peer {peer} is {blocked[peer]}")
    with run:
        if not plan_only:
            herdstate.mark_maintenance(run.state_dir, host, f"evacuated by {command}")
            print(f"{host} is in maintenance from now on: no task moves a guest there, the watcher leaves it "
                  f"alone (fab restore --host {host} ends it)", file=out)
        code, outcomes, plans = migrate_guests(
            run, list(run.herd.guests), away_from=host, plan_only=plan_only, out=out, options=migrate,
            title=f"plan for: {command} (nothing is changed; {host} would be marked in maintenance first)")
        if plan_only:
            return code
        failed = [run.herd.guest(o.guest) for o in outcomes if not o.ok]
        if failed and allow_restart:
            print(f"\nfailing over what could not migrate (--allow-restart): {', '.join(g.name for g in failed)}",
                  file=out)
            restarted = {o.guest: o for o in _restart_away(run, failed, host, move, out)}
            outcomes = [restarted.get(o.guest, o) if not o.ok else o for o in outcomes]
        elif failed:
            outcomes = [o if o.ok else Outcome(o.guest, False, f"{o.detail}; left on {host} "
                                                              f"(--allow-restart would fail it over)")
                        for o in outcomes]
        if not plans:
            print(f"no guest runs on {host}", file=out)
        return report(outcomes, out=out) if outcomes else 0


def restore(options: Options, *, host: str, plan_only: bool = False, migrate: MigrateOptions = MigrateOptions(),
            out: TextIO = sys.stdout) -> int:
    """End ``host``'s maintenance and migrate the guests whose preferred host it is back to it."""
    command = command_line("restore", host=host, plan=plan_only)
    run = Run(options, command, mutating=not plan_only)
    known_host(run.herd, host, "--host")
    offline = herdstate.offline(run.state_dir)
    if host in offline:
        raise HerdError(f"{host} is marked offline since {offline[host].get('since')}: rebuild it, not restore")
    with run:
        if not plan_only:
            was = herdstate.maintenance(run.state_dir).get(host)
            herdstate.clear_maintenance(run.state_dir, host)
            print(f"{host} is out of maintenance" if was else f"{host} was not in maintenance", file=out)
        snaps = run.prober.everything()
        own = [g for g in run.herd.guests if g.preferred_host == host
               and not GuestView(g, snaps).alive_on(host)]
        if not own:
            print(f"every guest that prefers {host} already runs there", file=out)
            return 0
        code, outcomes, _ = migrate_guests(
            run, own, away_from=None, plan_only=plan_only, out=out, options=migrate, to=lambda guest: host,
            unblock=host,
            title=f"plan for: {command} (nothing is changed; {host} would leave maintenance first)")
        return code if plan_only else report(outcomes, out=out)
