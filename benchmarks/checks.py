"""Start-up cost of the local check plugins against baselines measured in the same invocation.

Runs each command and its baseline alternately (so machine load hits both alike) and prints the median
wall time (fork/exec/``os.wait4`` from here) and the median peak RSS with their ratios. The RSS comes from
GNU ``/usr/bin/time -f %M``: a child forked from this (large) Python process would report the parent's
resident size as its own peak, since Linux keeps the pre-exec high-water mark.

- ``checks/check_drbd_sync --input <8.4 /proc/drbd>`` vs Debian's perl ``check_drbd -p <same> -d All``
  (target: at most 1.6x its wall time and 1.6x its RSS);
- ``checks/check_xen_domain --input``, ``checks/check_lvm_capacity --input`` (and check_drbd_sync) vs a bare
  ``python3 -c pass``. A missing executable is reported and skipped.

Children get the environment Nagios/NRPE gives (PATH, LC_ALL=C); the package is byte-compiled first, as
an installed package would be. Usage: ``python3 benchmarks/checks.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CHECK_DRBD = "/usr/lib/nagios/plugins/check_drbd"
PYTHON = "/usr/bin/python3"
GNU_TIME = "/usr/bin/time"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
TARGET = 1.6
PROC_84 = FIXTURES / "ganeti" / "proc_drbd84.txt"
BARE = [PYTHON, "-c", "pass"]

PAIRS = [  # (name, command, baseline name, baseline command, target ratio or None)
    ("check_drbd_sync", [str(ROOT / "checks/check_drbd_sync"), "--input", str(PROC_84)],
     "check_drbd (perl)", [CHECK_DRBD, "-p", str(PROC_84), "-d", "All"], TARGET),
    ("check_drbd_sync", [str(ROOT / "checks/check_drbd_sync"), "--input", str(PROC_84)],
     "python3 -c pass", BARE, None),
    ("check_xen_domain", [str(ROOT / "checks/check_xen_domain"), "--input",
                          str(FIXTURES / "xen-course-notes" / "xl_list_xen_4.9.2_running.txt")],
     "python3 -c pass", BARE, None),
    ("check_lvm_capacity", [str(ROOT / "checks/check_lvm_capacity"), "--input",
                            str(FIXTURES / "lvm2-real" / "vgs_json_units_b_nearly_full.json")],
     "python3 -c pass", BARE, None),
]


def run_once(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, exit status) of one run, output discarded."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: silence and exec
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.execve(argv[0], argv, ENV)
        finally:
            os._exit(127)
    _, status, _ = os.wait4(pid, 0)
    return time.perf_counter() - started, os.waitstatus_to_exitcode(status)


def peak_rss(argv: list[str], report: str) -> int:
    """Peak RSS in KiB of one run of ``argv``, as GNU time (a small parent) sees it."""
    run_once([GNU_TIME, "-f", "%M", "-o", report, *argv])
    with open(report, encoding="ascii") as handle:
        return int(handle.read().split()[-1])


def measure(command: list[str], baseline: list[str], runs: int, report: str) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"wall": [], "rss": [], "base_wall": [], "base_rss": []}
    run_once(command), run_once(baseline)  # warm the page cache
    for index in range(runs):
        order = [(command, ""), (baseline, "base_")]
        for argv, prefix in order if index % 2 == 0 else order[::-1]:
            wall, code = run_once(argv)
            if code == 127:
                raise SystemExit(f"cannot execute {argv[0]}")
            samples[prefix + "wall"].append(wall)
            samples[prefix + "rss"].append(peak_rss(argv, report))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="alternating runs per pair (default 30)")
    runs = parser.parse_args().runs
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(f"{GNU_TIME} (package time) is needed for the RSS figures: run scripts/bootstrap")
    compileall.compile_dir(str(ROOT / "nagios_herd"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-checks-") as scratch:
        return _table(runs, os.path.join(scratch, "rss"))


def _table(runs: int, report: str) -> int:
    """Measure every pair and print one row each; 1 when a target is missed."""
    print(f"{'command':<20} {'baseline':<18} {'wall ms':>8} {'base ms':>8} {'ratio':>6} "
          f"{'RSS KiB':>8} {'base KiB':>8} {'ratio':>6}  target")
    missed = False
    for name, command, base_name, baseline, target in PAIRS:
        missing = [argv[0] for argv in (command, baseline) if not os.access(argv[0], os.X_OK)]
        if missing:
            print(f"{name:<20} {base_name:<18} skipped: {', '.join(missing)} not found")
            continue
        samples = measure(command, baseline, runs, report)
        wall, base_wall = statistics.median(samples["wall"]), statistics.median(samples["base_wall"])
        rss, base_rss = statistics.median(samples["rss"]), statistics.median(samples["base_rss"])
        verdict = ""
        if target is not None:
            met = wall / base_wall <= target and rss / base_rss <= target
            missed |= not met
            verdict = f"<= {target}x: {'met' if met else 'MISSED'}"
        print(f"{name:<20} {base_name:<18} {wall * 1000:8.1f} {base_wall * 1000:8.1f} {wall / base_wall:6.2f} "
              f"{rss:8.0f} {base_rss:8.0f} {rss / base_rss:6.2f}  {verdict}")
    print(f"({runs} alternating runs per pair, medians; {sys.implementation.name} {sys.version.split()[0]})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
