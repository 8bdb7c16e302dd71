"""Benchmark: from a fault to the PROBLEM notification, and from its heal to the RECOVERY, on the lab.

Builds the shipped lab (``etc/lab.toml`` on fresh loopback addresses: real NRPE on both hosts, real Nagios on
every guest, the ``[lab]`` clock), then for each fault of :data:`nagios_herd.lab.alerts.FAULTS`, ROUNDS times
(argument 1, default 1): waits for a healthy herd, prepares the fault (when it starts from a state of its own),
injects it, times until every expected PROBLEM line is in the notification captures, heals it, times until every
RECOVERY line is. The baseline, measured in the same run,
is the lab's check interval (the watcher's Nagios schedules each herd check that often); each time is printed as a
multiple of it. A fault whose detection waits by design (``Fault.delay``: the guest check's timeout for a
paused guest, the stall time for a stalled resync) is measured beyond that delay; the delay is printed.
Targets: median <= 2 intervals to the PROBLEM, worst <= 3.
Run as root: ``.venv/bin/python benchmarks/alert.py [ROUNDS]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from nagios_herd.lab import alerts
from nagios_herd.lab.testing import running_lab, unavailable


def _measure(lab, fault: alerts.Fault, interval: float) -> tuple[float, float]:
    alerts.wait(lambda: alerts.healthy(lab), 12 * interval, f"{fault.name}: a healthy herd first")
    if fault.prepare is not None:
        fault.prepare(lab)
    expected = set(fault.expected(lab))
    before = alerts.notifications(lab)
    start = time.monotonic()
    fault.inject(lab)
    alerts.wait(lambda: alerts.told(lab, before, "PROBLEM", expected), 10 * interval + fault.delay(lab),
                f"{fault.name}: PROBLEM")
    problem = time.monotonic() - start
    start = time.monotonic()
    fault.heal(lab)
    alerts.wait(lambda: alerts.told(lab, before, "RECOVERY", expected), 15 * interval, f"{fault.name}: RECOVERY")
    return problem, time.monotonic() - start


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    reason = unavailable()
    if reason:
        print(f"alert benchmark: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="nagios-herd-alert-") as scratch, running_lab(Path(scratch)) as lab:
        interval = alerts.check_interval(lab)
        print(f"baseline: check interval {interval:.1f} s (interval_length {lab.herd.lab.interval_length} s x "
              f"check_interval {lab.herd.lab.check_interval})")
        problems: list[float] = []
        recoveries: list[float] = []
        print(f"{'fault':<20} {'to PROBLEM':>12} {'designed':>9} {'x interval':>10} {'to RECOVERY':>12} "
              f"{'x interval':>10}")
        for _ in range(rounds):
            for fault in alerts.FAULTS:
                problem, recovery = _measure(lab, fault, interval)
                delay = fault.delay(lab)
                problems.append((problem - delay) / interval)
                recoveries.append(recovery / interval)
                print(f"{fault.name:<20} {problem:>10.2f} s {delay:>7.0f} s {(problem - delay) / interval:>10.2f} "
                      f"{recovery:>10.2f} s {recovery / interval:>10.2f}")
        median, worst = statistics.median(problems), max(problems)
        print(f"to PROBLEM beyond the designed delay: median {median:.2f} intervals (target <= 2), "
              f"worst {worst:.2f} (target <= 3)")
        print(f"to RECOVERY: median {statistics.median(recoveries):.2f} intervals, worst {max(recoveries):.2f}")
        return 0 if median <= 2 and worst <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
