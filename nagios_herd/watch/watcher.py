"""One watcher run: restart a guest whose domain crashed or vanished on the host where the herd records it.

Modelled on Ganeti's watcher: it restarts only where the guest belongs (the recorded placement, else its
preferred host) and only when its DRBD resource is already Primary there; it never fails over or migrates;
a host that is offline, in maintenance or unreachable is "helpless" (nothing is done there and the guest's
counter is dropped); a guest with a migration copy (``NAME--incoming``/``NAME--migratedaway``) is left alone.
At most :data:`MAX_TRIES` restarts per guest, each counted whether it worked or not, the next one only after
``backoff * 2**(n-1)`` seconds; after the last one it gives up (once, loudly) and the check goes CRITICAL.
A guest that stays up ``reset_after`` seconds after its last restart gets its counter back.

It never waits for the herd lock: a fab task running means the watcher leaves everything to it this time.
A pause file (``nagios-herd watch --pause SECONDS``) stops it until the time written in it. When Pacemaker manages
the herd, the cluster restarts guests itself and the watcher does nothing (two restarters would fight).
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest
from nagios_herd.ops import herdstate
from nagios_herd.ops.facts import XEN_CONFIG
from nagios_herd.ops.lock import Lock
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.remote import HostDown, Link
from nagios_herd.ops.runner import Options, Run, find_state_dir, load_herd
from nagios_herd.parsers.watch_state import GuestRecord, WatchState, WatchStateError, parse
from nagios_herd.privilege import private_dir, read_private, replace_private

MAX_TRIES = 5
STATE_FILE = "watch.json"
PAUSE_FILE = "watch.pause"


@dataclass(frozen=True)
class Settings:
    backoff: float = 300  # seconds after the first restart before the second; doubles each time
    reset_after: float = 3600  # seconds a restarted guest must stay up for its counter to be dropped
    state_file: Path | None = None  # default: STATE_DIR/watch.json
    pause_file: Path | None = None  # default: STATE_DIR/watch.pause


@dataclass(frozen=True)
class Decision:
    """What to do about one guest: ``restart`` (destroy ``destroy`` first when set), or nothing; the new
    record (None: drop it), and the line to log (empty: nothing worth saying)."""

    restart: bool
    record: GuestRecord | None
    line: str = ""
    destroy: str | None = None
    skipped: str = ""


def decide(view: GuestView, host: str, record: GuestRecord | None, blocked: dict[str, str], now: float,
           settings: Settings) -> Decision:
    """Pure: the watcher's rules for one guest recorded on ``host``."""
    name = view.name
    if host in blocked:
        return Decision(False, None, skipped=f"{host} is {blocked[host]}")
    if view.down(host):
        return Decision(False, None, skipped=f"{host} is unreachable: {view.down(host)}")
    if any(view.domain(h) is not None and view.domain(h).migrating for h in view.snaps):
        return Decision(False, record, skipped="a migration is in progress")
    if view.alive_on(host):
        if record and now - record.restart_when >= settings.reset_after:
            return Decision(False, None, f"{name}: up on {host} since the restart, counter reset")
        return Decision(False, record)
    elsewhere = [h for h in view.snaps if h != host and view.domain(h) is not None]
    if elsewhere:
        return Decision(False, None, skipped=f"runs on {elsewhere[0]}, recorded on {host}: not the watcher's to "
                                             f"change")
    count = record.restart_count if record else 0
    if count >= MAX_TRIES:
        if record and record.gave_up:
            return Decision(False, record, f"{name}: not restarting, retries exhausted on {host}")
        gave_up = GuestRecord(host, count, record.restart_when if record else now, True,
                              f"down on {host}, gave up after {MAX_TRIES} restarts")
        return Decision(False, gave_up, f"{name}: could not restart it on {host} after {MAX_TRIES} attempts, "
                                        f"giving up")
    if record and now < record.restart_when + settings.backoff * 2 ** (count - 1):
        wait = record.restart_when + settings.backoff * 2 ** (count - 1) - now
        return Decision(False, record, f"{name}: down on {host}, next restart in {wait:.0f}s (backoff)")
    if view.role(host) != "Primary" or view.disk(host) != "UpToDate":
        blocked_record = GuestRecord(host, count, record.restart_when if record else now, False,
                                     f"down on {host}, which is {view.role(host)}/{view.disk(host)} for it: "
                                     f"not restarted (only where it is Primary with UpToDate data)")
        return Decision(False, blocked_record, f"{name}: {blocked_record.last}")
    domain = view.domain(host)
    return Decision(True, GuestRecord(host, count + 1, now, False, ""), destroy=domain.name if domain else None)


def _restart(link: Link, guest: Guest, decision: Decision) -> str:
    """``xl destroy`` a dead domain, then ``xl create`` the guest's config; one line of what happened."""
    if decision.destroy:
        link.run(["xl", "destroy", decision.destroy], timeout=30)
    result = link.run(["xl", "create", XEN_CONFIG.format(guest=guest.name)], timeout=90)
    return "restarted" if result.ok else f"restart failed ({result.why()})"


def paused_until(pause_file: Path, now: float) -> float | None:
    """The time the pause ends (``inf``: until removed), None when not paused; an expired pause file goes."""
    text = read_private(pause_file)  # root's state dir: a symlink in its place is refused, never followed
    if text is None:
        return None
    text = text.strip()
    try:
        until = float(text.split()[0]) if text else float("inf")
    except ValueError:
        raise HerdError(f"{pause_file}: not an end time (seconds since the epoch): {text[:40]!r}") from None
    if until <= now:
        _remove(pause_file)
        return None
    return until


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise HerdError(f"{path}: cannot remove: {error.strerror or error}") from None


def pause(state_dir: Path, seconds: float | None, settings: Settings = Settings()) -> str:
    """Write the pause file (``seconds`` None: until ``--resume``)."""
    path = settings.pause_file or state_dir / PAUSE_FILE
    private_dir(path.parent)
    until = time.time() + seconds if seconds is not None else None
    replace_private(path, (f"{until:.0f}\n" if until is not None else "").encode())
    return (f"watcher paused until {time.strftime('%Y-%m-%d %H:%M:%S %Z', time.localtime(until))}"
            if until is not None else "watcher paused until nagios-herd watch --resume")


def resume(state_dir: Path, settings: Settings = Settings()) -> str:
    path = settings.pause_file or state_dir / PAUSE_FILE
    existed = path.exists()
    _remove(path)
    return "watcher resumed" if existed else "watcher was not paused"


def load_state(path: Path) -> WatchState | None:
    text = read_private(path)
    if text is None:
        return None
    try:
        return parse(text)
    except WatchStateError as error:
        raise HerdError(f"{path}: {error}; fix or remove it (that resets every counter)") from None


def save_state(path: Path, state: WatchState) -> None:
    """Atomically (0600, mkstemp + rename in a directory only root may write): a reader (the check, through
    sudo) never sees half a file, and nobody else can plant a symlink for root to write through."""
    private_dir(path.parent)
    replace_private(path, state.to_json().encode())


def state_dir_of(options: Options) -> Path:
    """The state dir, found and checked as every fab task finds it (the inventory is read only when needed)."""
    return find_state_dir(options, lambda: load_herd(options.inventory))


def run(options: Options, settings: Settings = Settings(), out: TextIO = sys.stdout) -> int:
    """One watcher run; exit 0 unless it could not read the inventory or its own state."""
    state_dir = state_dir_of(options)
    state_file = settings.state_file or state_dir / STATE_FILE
    now = time.time()
    previous = load_state(state_file)
    records = dict(previous.guests) if previous else {}
    until = paused_until(settings.pause_file or state_dir / PAUSE_FILE, now)
    if until is not None:
        detail = "paused until " + ("resumed" if until == float("inf") else time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(until)))
        save_state(state_file, WatchState(now, "paused", detail, records, {}))
        print(f"watch: {detail}: nothing done", file=out)
        return 0
    if load_herd(options.inventory).cluster.manages_herd:
        detail = "Pacemaker manages this herd and restarts its guests itself: the watcher stays out of its way"
        save_state(state_file, WatchState(now, "ran", detail, {}, {}))
        print(f"watch: {detail}", file=out)
        return 0
    with ExitStack() as stack:
        try:
            stack.enter_context(Lock(state_dir, "nagios-herd watch"))  # never waits: a task runs, or not
        except HerdError as error:
            save_state(state_file, WatchState(now, "locked", str(error), records, {}))
            print(f"watch: {error}: leaving everything to it this time", file=out)
            return 0
        return _watch(options, state_dir, state_file, records, settings, now, out)


def _watch(options: Options, state_dir: Path, state_file: Path, records: dict[str, GuestRecord],
           settings: Settings, now: float, out: TextIO) -> int:
    with Run(options, "nagios-herd watch", mutating=False) as run_:
        herd = run_.herd
        recorded = herdstate.placements(state_dir)
        blocked = {host: f"marked offline since {entry.get('since')}"
                   for host, entry in herdstate.offline(state_dir).items()}
        blocked.update({host: f"in maintenance since {entry.get('since')}"
                        for host, entry in herdstate.maintenance(state_dir).items()})
        snaps = run_.prober.everything()
        kept: dict[str, GuestRecord] = {}
        skipped: dict[str, str] = {}
        for guest in herd.guests:
            host = recorded.get(guest.name, guest.preferred_host)
            if host not in run_.links:
                host = guest.preferred_host
            decision = decide(GuestView(guest, snaps), host, records.get(guest.name), blocked, now, settings)
            record = decision.record
            if decision.restart and record is not None:
                try:
                    what = _restart(run_.links[host], guest, decision)
                except HostDown as error:
                    what = f"restart failed ({error})"
                record = replace(record, last=f"{what} on {host} (attempt {record.restart_count} of {MAX_TRIES})")
                print(f"watch: {guest.name}: {record.last}", file=out)
            elif decision.line:
                print(f"watch: {decision.line}", file=out)
            if decision.skipped:
                skipped[guest.name] = decision.skipped
            if record is not None:
                kept[guest.name] = record
    save_state(state_file, WatchState(now, "ran", f"{len(herd.guests)} guests checked", kept, skipped))
    return 0
