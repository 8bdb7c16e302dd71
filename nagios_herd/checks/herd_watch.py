"""check_herd_watch: is the watcher (``nagios-herd watch``) running, and did it give up on a guest?

Reads the watcher's state file (``--input FILE``; ``-`` = stdin, as NRPE pipes it through ``sudo cat``).
CRITICAL: a guest the watcher gave up on (it stayed down after 5 restarts), or a guest down on its host that
the watcher may not restart there (not Primary with UpToDate data). WARNING: a guest being restarted (n of 5),
the watcher paused, its last run older than ``--max-age`` seconds (default 900: three missed cron runs),
its last run left to a fab task holding the herd lock. Guests it skipped (host offline, in maintenance,
unreachable) are listed in the long output. Perfdata: restarts counted, guests given up on.
"""

from __future__ import annotations

import time

from nagios_herd.parsers.watch_state import WatchState, WatchStateError, parse
from nagios_herd.plugin.runtime import CheckError, Option, Options, Plugin, Report, State, read_input

LABEL = "WATCH"
DEFAULT_STATE = "/var/lib/nagios-herd/watch.json"
MAX_TRIES = 5


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be positive")
    return value


PLUGIN = Plugin(
    LABEL,
    name="check_herd_watch",
    usage="check_herd_watch [--input FILE] [--max-age SECONDS] [-t SECONDS] [-v]",
    description=__doc__,
    options=[
        Option(None, "input", metavar="FILE", default=DEFAULT_STATE,
               help=f"the watcher's state file ('-' = stdin; default {DEFAULT_STATE})"),
        Option(None, "max-age", metavar="SECONDS", convert=_seconds, default=900.0,
               help="WARNING when the watcher's last run is older (default 900)"),
    ],
)


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def check(options: Options) -> Report:
    text = read_input(options.input)
    try:
        state = parse(text)
    except WatchStateError as error:
        raise CheckError(f"{options.input}: {error}") from None
    return evaluate(state, time.time(), options.max_age)


def evaluate(state: WatchState, now: float, max_age: float) -> Report:
    """One line per guest the watcher is busy with, plus the watcher's own health; worst wins."""
    report = Report(LABEL)
    age = now - state.run_time
    if age > max_age:
        report.add(State.WARNING, f"the watcher last ran {age:.0f}s ago (more than {max_age:.0f}s): is its cron "
                                  f"job running?")
    if state.run_result == "paused":
        report.add(State.WARNING, f"the watcher is {state.run_detail or 'paused'}")
    elif state.run_result == "locked":
        report.add(State.WARNING, f"the watcher's last run left everything to a running task ({state.run_detail})")
    given_up = restarts = 0
    for name, record in sorted(state.guests.items()):
        restarts += record.restart_count
        if record.gave_up:
            given_up += 1
            report.add(State.CRITICAL, f"{name}: the watcher GAVE UP on it on {record.host} "
                                       f"({record.last or f'{record.restart_count} restarts failed'})")
        elif record.last.startswith("down on"):
            report.add(State.CRITICAL, f"{name}: {record.last}")
        else:
            report.add(State.WARNING, f"{name}: restarted {record.restart_count} of {MAX_TRIES} times on "
                                      f"{record.host}" + (f" ({record.last})" if record.last else ""))
    for name, why in sorted(state.skipped.items()):
        report.detail(f"{name}: skipped ({why})")
    report.ok_summary = (f"watcher ran {age:.0f}s ago, no guest down"
                         + (f", {len(state.skipped)} skipped" if state.skipped else ""))
    report.perf("restarts", restarts, minimum=0)
    report.perf("given_up", given_up, minimum=0, crit="0")
    return report
