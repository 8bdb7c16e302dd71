"""Start-up cost of the check plugins, in each form users install, against baselines measured in the same invocation.

Runs each command and its baseline alternately (so machine load hits both alike) and prints the median
wall time (fork/exec/``os.wait4`` from here) and the median peak RSS with their ratios. The RSS comes from
GNU ``/usr/bin/time -f %M``: a child forked from this (large) Python process would report the parent's
resident size as its own peak, since Linux keeps the pre-exec high-water mark.

``check_drbd_sync`` in each installed form vs Debian's perl ``check_drbd -p <same file> -d All``, on an OK 8.4
``/proc/drbd`` and on a resync (two syncs, with ``--state-file``: the stall tracker reads and writes its state):

- ``checkout``: ``checks/check_drbd_sync`` (the package byte-compiled first, as an install would be);
- ``deb``: ``/usr/lib/nagios/plugins/check_drbd_sync`` of the nagios-herd-plugins package (``--deb FILE``, or
  the newest in ``dist/deb``), unpacked with ``dpkg-deb -x`` and byte-compiled as its postinst does;
- ``bundle``: ``PLUGIN_DIR/check_drbd_sync`` of the fab-deployed bundle, laid out as ``fab deploy`` installs it
  (the ``current`` link, the unpacked tar, byte-compiled);
- ``venv``: the check script a virtualenv's pip installed (``--venv DIR``, default the checkout's ``.venv``). An
  editable install (the checkout's own ``.venv``) is reported as ``venv-editable``, without a target: its ``site``
  runs setuptools' editable finder and the package is imported through it (about 1.9x perl); users install a wheel.

Targets (start-up, i.e. the median wall time; the RSS ratio is printed beside it, where a Python interpreter's own
~8.7 MiB against perl's ~7.2 MiB is the floor): deb and bundle at most 1.2x perl on OK and 1.5x on the resync;
the venv's script at most 1.5x on both. Then ``check_xen_domain``/``check_lvm_capacity``/``check_herd_cluster
--input`` vs a bare ``python3 -c pass``, and check_xen_domain's tool path (``xen_domain via xl``: the check running
a stand-in ``xl``, a shell script that prints the same fixture, so one more sh and cat are in its time). A
missing form is reported and skipped. Children get the environment Nagios/NRPE gives (PATH, LC_ALL=C). Usage:
``python3 benchmarks/checks.py [--runs N] [--deb FILE] [--venv DIR]``.
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CHECK_DRBD = "/usr/lib/nagios/plugins/check_drbd"
PYTHON = "/usr/bin/python3"
GNU_TIME = "/usr/bin/time"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
PROC_OK = FIXTURES / "drbd-synthetic" / "proc_drbd_8.4_ok.txt"
PROC_SYNC = FIXTURES / "issues" / "cockpit-project_cockpit_17042_proc_drbd_8.4.11_two_syncs.txt"
XL_LIST = FIXTURES / "xen-course-notes" / "xl_list_xen_4.9.2_running.txt"
BARE = [PYTHON, "-c", "pass"]
TARGETS = {("deb", "OK"): 1.2, ("bundle", "OK"): 1.2, ("deb", "resync"): 1.5, ("bundle", "resync"): 1.5,
           ("venv", "OK"): 1.5, ("venv", "resync"): 1.5}


def forms(scratch: Path, deb: Path | None, venv: Path) -> dict[str, Path]:
    """Form name -> its check_drbd_sync executable (a missing one maps to a path that does not exist)."""
    compileall.compile_dir(str(ROOT / "nagios_herd"), quiet=1)
    found = {"checkout": ROOT / "checks" / "check_drbd_sync"}
    deb = deb or max((ROOT / "dist" / "deb").glob("nagios-herd-plugins_*.deb"), default=None,
                     key=lambda path: path.stat().st_mtime)
    found["deb"] = scratch / "deb" / "usr/lib/nagios/plugins/check_drbd_sync"
    if deb is not None:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(scratch / "deb")], check=True)
        subprocess.run([PYTHON, "-m", "compileall", "-q", str(scratch / "deb/usr/lib/nagios-herd-plugins")],
                       check=True, stdout=subprocess.DEVNULL)
    found["bundle"] = _deployed_bundle(scratch / "plugins")
    editable = any(venv.glob("lib/python*/site-packages/__editable__*nagios_herd*.pth"))
    found["venv-editable" if editable else "venv"] = venv / "bin" / "check_drbd_sync"
    return found


def _deployed_bundle(plugin_dir: Path) -> Path:
    """The bundle as fab deploy leaves it in a plugin dir (same layout, same byte-compilation)."""
    sys.path.insert(0, str(ROOT))
    from nagios_herd.ops.bundle import build

    bundle = build()
    home = plugin_dir / ".nagios-herd-plugins"
    with tarfile.open(fileobj=io.BytesIO(bundle.data)) as tar:
        tar.extractall(home / bundle.name)  # our own bytes, built just now
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(home / bundle.name / "nagios_herd")], check=True,
                   stdout=subprocess.DEVNULL)
    (home / "current").symlink_to(bundle.name)
    (plugin_dir / "check_drbd_sync").symlink_to(".nagios-herd-plugins/current/checks/check_drbd_sync")
    return plugin_dir / "check_drbd_sync"


def stand_in_xl(scratch: Path) -> Path:
    """An ``xl`` that prints the fixture, for the check's tool path (the real one cannot run here)."""
    path = scratch / "xl"
    path.write_text(f"#!/bin/sh\nexec cat {XL_LIST}\n")
    path.chmod(0o755)
    return path


def pairs(found: dict[str, Path], state: str, xl: Path) -> list[tuple[str, list[str], str, list[str], float | None]]:
    """(name, command, baseline name, baseline command, target ratio or None), forms alternating per case."""
    rows = []
    cases = (("OK", PROC_OK, []), ("resync", PROC_SYNC, ["--state-file", state]))
    for case, proc, extra in cases:
        for form, executable in found.items():
            rows.append((f"{form} {case}", [str(executable), "--input", str(proc), *extra],
                         "check_drbd (perl)", [CHECK_DRBD, "-p", str(proc), "-d", "All"], TARGETS.get((form, case))))
    rows += [
        ("check_drbd_sync", [str(found["checkout"]), "--input", str(PROC_OK)], "python3 -c pass", BARE, None),
        ("check_xen_domain", [str(ROOT / "checks/check_xen_domain"), "--input", str(XL_LIST)],
         "python3 -c pass", BARE, None),
        ("xen_domain via xl", [PYTHON, "-sS", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                               f"from nagios_herd.checks import xen_domain as c; c.XL = {str(xl)!r}; c.main([])"],
         "python3 -c pass", BARE, None),
        ("check_lvm_capacity", [str(ROOT / "checks/check_lvm_capacity"), "--input",
                                str(FIXTURES / "lvm2-real" / "vgs_json_units_b_nearly_full.json")],
         "python3 -c pass", BARE, None),
        ("check_herd_cluster", [str(ROOT / "checks/check_herd_cluster"), "--input",
                                str(FIXTURES / "pacemaker" / "crm_mon-2.1.5-herd-steady.xml")],
         "python3 -c pass", BARE, None),
    ]
    return rows


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
    parser.add_argument("--deb", type=Path, help="the nagios-herd-plugins .deb (default: newest in dist/deb)")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="virtualenv with the package installed")
    args = parser.parse_args()
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit(f"{GNU_TIME} (package time) is needed for the RSS figures: run scripts/bootstrap")
    with tempfile.TemporaryDirectory(prefix="bench-checks-") as scratch:
        found = forms(Path(scratch), args.deb, args.venv)
        rows = pairs(found, os.path.join(scratch, "stall.json"), stand_in_xl(Path(scratch)))
        return _table(rows, args.runs, os.path.join(scratch, "rss"))


def _table(rows: list, runs: int, report: str) -> int:
    """Measure every pair and print one row each; 1 when a target is missed."""
    print(f"{'command':<20} {'baseline':<18} {'wall ms':>8} {'base ms':>8} {'ratio':>6} "
          f"{'RSS KiB':>8} {'base KiB':>8} {'ratio':>6}  target")
    missed = False
    for name, command, base_name, baseline, target in rows:
        missing = [argv[0] for argv in (command, baseline) if not os.access(argv[0], os.X_OK)]
        if missing:
            print(f"{name:<20} {base_name:<18} skipped: {', '.join(missing)} not found")
            continue
        samples = measure(command, baseline, runs, report)
        wall, base_wall = statistics.median(samples["wall"]), statistics.median(samples["base_wall"])
        rss, base_rss = statistics.median(samples["rss"]), statistics.median(samples["base_rss"])
        verdict = ""
        if target is not None:
            met = wall / base_wall <= target
            missed |= not met
            verdict = f"<= {target}x: {'met' if met else 'MISSED'}"
        print(f"{name:<20} {base_name:<18} {wall * 1000:8.1f} {base_wall * 1000:8.1f} {wall / base_wall:6.2f} "
              f"{rss:8.0f} {base_rss:8.0f} {rss / base_rss:6.2f}  {verdict}")
    print(f"({runs} alternating runs per pair, medians; {sys.implementation.name} {sys.version.split()[0]})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
