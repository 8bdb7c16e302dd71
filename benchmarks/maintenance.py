"""Benchmark: planned maintenance on the lab — a served guest's outage during ``migrate`` vs ``failover``, and
``evacuate`` of 14 guests vs one migration.

1. Outage. On the shipped lab (``etc/lab.toml``: lab-ops serves a real nagios4 + statusjson.cgi), a poller asks
   lab-ops' statusjson every 20 ms from the start of the operation until the guest answers again after it; the
   outage is the summed time of the requests that got no answer. Measured for ``fab migrate --guest lab-ops`` and
   ``fab failover --guest lab-ops`` (each moved back unmeasured), ROUNDS rounds, medians; target ratio <= 0.1.
2. Evacuate. On a generated lab of 14 small guests on the primary (the failover benchmark's inventory), the wall
   time of ``evacuate --host primary`` against ``migrate --guest g01`` (each undone unmeasured: ``restore``, a
   migration back), ROUNDS rounds, median ratio; target <= 1.5.

Both in this process, with the simulator's default knobs (a memory copy of 1 s per GiB). Run as root:
``.venv/bin/python benchmarks/maintenance.py [ROUNDS]``.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROUNDS = 3
POLL = 0.02


class Poller:
    """Asks a statusjson URL until stopped; sums the time of the requests that got no answer."""

    def __init__(self, url: urllib.request.Request) -> None:
        self.url = url
        self.down = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=1) as reply:  # noqa: S310 - the lab's own address
                return "programstatus" in json.load(reply).get("data", {})
        except (OSError, ValueError):
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            if not self.answers():
                self.down += time.monotonic() - started + POLL
            time.sleep(POLL)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        deadline = time.monotonic() + 120
        while not self.answers() and time.monotonic() < deadline:
            time.sleep(POLL)
        self._stop.set()
        self._thread.join()


def run_ok(label: str, operation) -> float:
    out = io.StringIO()
    started = time.monotonic()
    code = operation(out)
    if code != 0:
        raise SystemExit(f"{label} failed (exit {code}):\n{out.getvalue()}")
    return time.monotonic() - started


def outage(rounds: int, tmp: Path) -> tuple[list[float], list[float]]:
    from nagios_herd.lab import guests
    from nagios_herd.lab.testing import running_lab
    from nagios_herd.ops import migrate, move
    from nagios_herd.ops.failover import MoveOptions
    from nagios_herd.ops.runner import Options

    os.environ.setdefault("NAGIOS_HERD_NAGIOS_URL", "http://{address}{path}")  # the lab serves plain HTTP
    with running_lab(tmp / "lab") as lab:
        os.environ.setdefault("NAGIOS_HERD_NAGIOS_AUTH", str(guests.reader_store(lab.layout)))  # its web fronts' login
        options = Options(inventory=str(lab.inventory), known_hosts=str(lab.known_hosts),
                          identity=str(lab.client_key), state_dir=str(tmp / "state-outage"))
        url = urllib.request.Request(guests.web_url(lab.herd.guest("lab-ops")) + "?query=programstatus",
                                     headers=guests.reader_header(lab.layout, "lab-ops"))
        deadline = time.monotonic() + 60
        while not Poller(url).answers():
            if time.monotonic() > deadline:
                raise SystemExit("lab-ops' Nagios never answered")
            time.sleep(0.2)
        migrated, failed = [], []
        for _ in range(rounds):
            with Poller(url) as poller:
                run_ok("migrate", lambda out: migrate.run(options, guest="lab-ops", everything=False, out=out))
            migrated.append(poller.down)
            run_ok("migrate back", lambda out: migrate.run(options, guest="lab-ops", everything=False, out=out))
            with Poller(url) as poller:
                run_ok("failover", lambda out: move.run(options, task="failover", guest="lab-ops", everything=False,
                                                        move=MoveOptions(), out=out))
            failed.append(poller.down)
            run_ok("failback", lambda out: move.run(options, task="failback", guest="lab-ops", everything=False,
                                                    move=MoveOptions(failback=True), out=out))
    return migrated, failed


def evacuation(rounds: int, tmp: Path) -> tuple[list[float], list[float]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from failover import GUESTS, inventory

    from nagios_herd.lab.testing import running_lab
    from nagios_herd.ops import evacuate, migrate
    from nagios_herd.ops.runner import Options

    with running_lab(tmp / "lab14", inventory(tmp / "inventory")) as lab:
        options = Options(inventory=str(lab.inventory), known_hosts=str(lab.known_hosts),
                          identity=str(lab.client_key), state_dir=str(tmp / "state-evacuate"), parallel=GUESTS,
                          channels=2 * GUESTS)
        ones, alls = [], []
        for _ in range(rounds):
            ones.append(run_ok("migrate --guest g01",
                               lambda out: migrate.run(options, guest="g01", everything=False, out=out)))
            run_ok("migrate g01 back", lambda out: migrate.run(options, guest="g01", everything=False, out=out))
            alls.append(run_ok("evacuate --host primary",
                               lambda out: evacuate.evacuate(options, host="primary", out=out)))
            run_ok("restore --host primary", lambda out: evacuate.restore(options, host="primary", out=out))
    return ones, alls


def main() -> int:
    from nagios_herd.lab.testing import unavailable

    if reason := unavailable():
        print(f"benchmark skipped: {reason}")
        return 0
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    with tempfile.TemporaryDirectory(prefix="bench-maintenance-") as tmp:
        migrated, failed = outage(rounds, Path(tmp))
        ones, alls = evacuation(rounds, Path(tmp))
    print(f"{rounds} rounds; simulator defaults (memory copy 1 s per GiB, shutdown 0.3 s); medians")
    print(f"outage of lab-ops' statusjson during migrate:  {' '.join(f'{s:.2f}' for s in migrated)} s; "
          f"median {statistics.median(migrated):.3f} s")
    print(f"outage of lab-ops' statusjson during failover: {' '.join(f'{s:.2f}' for s in failed)} s; "
          f"median {statistics.median(failed):.3f} s")
    print(f"ratio migrate/failover: {statistics.median(migrated) / statistics.median(failed):.3f}  (target <= 0.1)")
    ratios = [a / o for a, o in zip(alls, ones)]
    print(f"migrate --guest g01: median {statistics.median(ones):.2f} s; evacuate --host primary (14 guests): "
          f"median {statistics.median(alls):.2f} s")
    print(f"ratio evacuate/one per round: {' '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}  (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
