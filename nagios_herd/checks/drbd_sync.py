"""check_drbd_sync: is every DRBD resource connected, UpToDate on both sides and with one Primary?

Input (auto-detected): ``/proc/drbd`` (8.x), ``drbdsetup status --json``, ``drbdsetup events2 --now
[--statistics]``, ``drbdadm status`` / ``drbdsetup status [--verbose --statistics]``. Without --input
it runs ``/usr/sbin/drbdsetup status --json``, then ``drbdsetup events2 --now --statistics all``, then
reads /proc/drbd (DRBD 8.x); a DRBD 9 /proc/drbd alone is UNKNOWN. Verdicts (docs/checks.md, worst wins):
connected + UpToDate + at most one Primary OK; resync or out-of-sync WARNING (with % done and ETA);
not connected, bad disk, both Primary, I/O suspended, quorum lost, resync stalled (``stalled`` marker,
or no progress since an earlier run), split brain suspected, a --resource missing CRITICAL; unreadable
input UNKNOWN.
Perfdata per resource/volume: ``_sync`` %, ``_oos`` bytes, ``_eta`` seconds (while resyncing).
"""

from __future__ import annotations

import os
import time

from nagios_herd.checks.drbd_verdict import facts, judge
from nagios_herd.parsers.drbd.formats import detect_and_parse
from nagios_herd.parsers.drbd.model import DrbdParseError, DrbdStatus, NoStatusSource, PeerDevice, Resource, is_count
from nagios_herd.privilege import PLUGIN_STATE_DIR, PLUGIN_STATE_ENV
from nagios_herd.plugin.runtime import APPEND, CheckError, Option, Options, Plugin, Report, State, read_input, run_tool

LABEL = "DRBD"
DRBDSETUP = "/usr/sbin/drbdsetup"
LIVE_SOURCES = (("status", "--json"), ("events2", "--now", "--statistics", "all"))
PROC_DRBD = "/proc/drbd"
BY_RES = "/dev/drbd/by-res"
DEFAULT_STALL_SECONDS = 30.0
INCOMPLETE = "events2 dump incomplete: no 'exists -' line (output cut short?)"


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError(f"{text!r} is not a number of seconds")
    return value


PLUGIN = Plugin(
    LABEL,
    name="check_drbd_sync",
    usage="check_drbd_sync [--resource NAME]... [--input FILE] [--state-file FILE] [--stall-time SECONDS]"
          " [-t SECONDS] [-v]",
    description=__doc__,
    options=[
        Option(None, "resource", kind=APPEND, metavar="NAME",
               help="resource name or minor that must be healthy (repeatable; default: every resource)"),
        Option(None, "input", metavar="FILE",
               help=f"read saved DRBD status output ('-' = stdin) instead of running {DRBDSETUP}"),
        Option(None, "state-file", metavar="FILE",
               help="where resync progress is kept between runs (default "
                    f"${PLUGIN_STATE_ENV} or {PLUGIN_STATE_DIR}, file check_drbd_sync.json)"),
        Option(None, "stall-time", metavar="SECONDS", convert=_seconds, default=DEFAULT_STALL_SECONDS,
               help=f"a resync without progress for SECONDS is stalled (default {DEFAULT_STALL_SECONDS:g})"),
    ],
)


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def check(options: Options) -> Report:
    """Read the DRBD status (file or tools) and judge every selected resource."""
    if options.input:
        source = "stdin" if options.input == "-" else options.input
        status = parse(read_input(options.input), source)
    else:
        status = read_live_status()
    return evaluate(status, options.resource, state_file=options.state_file, stall_time=options.stall_time)


def parse(text: str, source: str) -> DrbdStatus:
    """Any supported status text → DrbdStatus; unreadable or cut-short input → CheckError naming ``source``."""
    try:
        status = detect_and_parse(text)
    except DrbdParseError as error:
        raise CheckError(f"{source}: {error}") from None
    if not status.complete:
        raise CheckError(f"{source}: {INCOMPLETE}")
    return status


def read_live_status() -> DrbdStatus:
    """The first source that answers: ``drbdsetup status --json`` (DRBD 9), ``drbdsetup events2 --now``
    (drbd-utils 8.9.3+ without ``--json``, also on 8.4 kernels: names, not minors), ``/proc/drbd`` (8.x)."""
    problems: list[str] = []
    for args in LIVE_SOURCES:
        try:
            result = run_tool([DRBDSETUP, *args])
        except CheckError as error:  # missing or hung: another form of the same program fares no better
            problems.append(str(error))
            break
        if result.ok:
            return parse(result.stdout, f"{DRBDSETUP} {' '.join(args)}")
        problems.append(result.failure())
    try:
        text = read_input(PROC_DRBD)
        from nagios_herd.parsers.drbd.formats import parse_proc_drbd

        return parse_proc_drbd(text)
    except NoStatusSource as error:
        raise CheckError(f"{PROC_DRBD}: {error}; and {'; '.join(problems)}") from None
    except (CheckError, DrbdParseError) as error:
        raise CheckError(f"{'; '.join(problems)}; and {PROC_DRBD}: {error}") from None


def _by_res_minor(name: str) -> int | None:
    """The minor behind ``/dev/drbd/by-res/NAME[/0]`` (udev links; how 8.x names are known)."""
    if "/" in name or name in ("", ".", ".."):
        return None
    for link in (os.path.join(BY_RES, name, "0"), os.path.join(BY_RES, name)):
        target = os.path.basename(os.path.realpath(link))
        if target.startswith("drbd") and is_count(target[4:]) and os.path.exists(link):
            return int(target[4:])
    return None


def _select(status: DrbdStatus, names: list[str], report: Report) -> list[tuple[str, Resource]]:
    if not names:
        if not status.resources:
            unconfigured = ", ".join(str(m) for m in status.unconfigured_minors)
            raise CheckError("no DRBD resources configured" + (f" (Unconfigured minors: {unconfigured})"
                                                               if unconfigured else ""))
        return [(resource.name, resource) for resource in status.resources]
    selected: list[tuple[str, Resource]] = []
    for name in dict.fromkeys(names):
        resource = status.find(name)
        if resource is None and status.source == "proc":
            minor = _by_res_minor(name)
            resource = None if minor is None else status.find(str(minor))
        if resource is not None:
            if all(resource is not chosen for _, chosen in selected):
                selected.append((name, resource))
        elif is_count(name) and int(name) in status.unconfigured_minors:
            report.add(State.CRITICAL, f"{name}: minor {name} is Unconfigured")
        else:
            report.add(State.CRITICAL, f"{name}: resource not found")
    return selected


def _sync_percent(resource: Resource, connected: bool, peer: PeerDevice) -> float | None:
    if peer.sync_done_percent is not None:
        return peer.sync_done_percent
    if connected and peer.replication_state == "Established" and peer.out_of_sync_bytes == 0:
        return 100.0
    size = next((d.size_bytes for d in resource.devices if d.volume == peer.volume), None)
    if size and peer.out_of_sync_bytes is not None:
        return max(0.0, int(10000 * (1 - peer.out_of_sync_bytes / size)) / 100)  # floor: never 100 while oos > 0
    return None


def _perfdata(report: Report, name: str, resource: Resource) -> None:
    for connection in resource.connections:
        for peer in connection.peer_devices:
            base = f"{name}/{peer.volume}"
            if len(resource.connections) > 1:
                base += f"/{connection.peer}"
            percent = _sync_percent(resource, connection.state == "Connected", peer)
            if percent is not None:
                report.perf(f"{base}_sync", percent, "%", minimum=0, maximum=100)
            if peer.out_of_sync_bytes is not None:
                report.perf(f"{base}_oos", peer.out_of_sync_bytes, "B", minimum=0)
            if peer.eta_seconds is not None:
                report.perf(f"{base}_eta", peer.eta_seconds, "s", minimum=0)


def evaluate(status: DrbdStatus, names: list[str], *, state_file: str | None = None,
             stall_time: float = DEFAULT_STALL_SECONDS, now: float | None = None) -> Report:
    """The report for ``status``: one line per resource, perfdata, worst state wins."""
    if not status.complete:
        raise CheckError(INCOMPLETE)
    report = Report(LABEL)
    report.detail(f"source: {status.source}" + (f", DRBD {status.version}" if status.version else ""))
    tracker = None

    def stall(key: str, peer: PeerDevice) -> float | None:
        nonlocal tracker
        if peer.out_of_sync_bytes is None and peer.sync_done_percent is None:
            return None
        if tracker is None:
            from nagios_herd.checks.drbd_stall import StallTracker, default_path

            tracker = StallTracker(state_file or default_path(), stall_time, time.time() if now is None else now)
        return tracker.observe(key, [peer.out_of_sync_bytes, peer.sync_done_percent])

    selected = _select(status, names, report)
    problems = list(report.results)  # the --resource names not found
    for name, resource in selected:
        found = sorted(judge(resource, stall), key=lambda item: -item[0].rank)
        state = State.worst(verdict for verdict, _ in found)
        description = facts(resource)
        if found:
            phrase = f"{name}: " + "; ".join(text for _, text in found)
            problems.append((state, phrase))
            report.add(state, f"{phrase} [{description}]")
        else:
            report.add(State.OK, f"{name}: {description}")
        _perfdata(report, name, resource)
    if tracker is not None:
        tracker.save()
        if tracker.error:
            problems.append((State.WARNING, f"stall detection impaired: {tracker.error}"))
            report.add(*problems[-1])
    bad = [text for state, text in sorted(problems, key=lambda item: -item[0].rank) if state != State.OK]
    report.summary = "; ".join(bad) if bad else (
        f"{len(selected)} resource{'s' if len(selected) != 1 else ''} connected and UpToDate: "
        + ", ".join(name for name, _ in selected))
    return report
