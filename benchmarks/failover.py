"""Benchmark: ``failover --all`` of 14 guests against one guest's failover, on the lab, plus SSH connections.

Builds a lab of 14 small guests (a generated lab inventory: two 2 GiB hosts, 64 MiB guests, no served
Nagios, so the runs pass ``nagios_wait=0``), injects a 2 s clean shutdown and a 2 s boot on both hosts (the
simulator's knobs), then measures in this process (so :data:`nagios_herd.ops.remote.OPENED` can be read), for
ROUNDS rounds (argument 1, default 3):

1. baseline: ``failover --guest g01`` (then ``failback`` it, unmeasured);
2. ``failover --all --parallel 14`` (then ``failback --all``, unmeasured).

Why the boot counts: an operator's failover is over when the guests are up, not when ``xl create``
returned. The lab guests here serve no Nagios (that is what the ``nagios`` step would wait for), so each
run is timed until it returned *and* the simulator's boot of every moved guest had finished. Prints the
median wall times, the per-round ratios and their median (target <= 1.5) and the SSH connections opened
per host in each run (target: 1). Run as root: ``.venv/bin/python benchmarks/failover.py [ROUNDS]``.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

GUESTS = 14
ROUNDS = 3
HOST = """[hosts.{name}]
role = "{name}"
address = "127.0.0.{octet}"
replication_address = "127.0.0.{octet}"
memory_mb = 2048
dom0_memory_mb = 256
volume_group = "vg_herd"
bridge = "xenbr0"
"""
GUEST = """[guests.g{n:02d}]
team = "teams/t{n:02d}.toml"
preferred_host = "primary"
memory_mb = 64
vcpus = 1
address = "127.0.2.{n}"
mac = "00:16:3e:20:00:{n:02x}"
root_mb = 1024
swap_mb = 64
drbd_minor = {n}
drbd_port = {port}
"""
TEAM = """[team]
name = "t{n:02d}"
alias = "Team {n}"

[[contacts]]
name = "ops{n:02d}"
alias = "Ops {n}"
email = "ops{n:02d}@example.net"

[[hosts]]
name = "sw{n:02d}"
address = "127.9.{n}.1"
alias = "switch {n}"

[[services]]
host = "sw{n:02d}"
description = "PING"
command = "check_ping"
args = ["100.0,20%", "500.0,60%"]
"""


def inventory(directory: Path) -> Path:
    (directory / "teams").mkdir(parents=True)
    text = ['[herd]\nname = "bench"\nwatcher = "g01"\nwatcher_peer = "g02"\n',
            '[commands.check_ping]\nline = "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$"\n',
            HOST.format(name="primary", octet=11), HOST.format(name="backup", octet=12)]
    for n in range(1, GUESTS + 1):
        text.append(GUEST.format(n=n, port=7788 + n))
        (directory / "teams" / f"t{n:02d}.toml").write_text(TEAM.format(n=n))
    path = directory / "bench.toml"
    path.write_text("\n".join(text))
    return path


def booted_at(sim: str, guests: list[str]) -> float:
    """Wall time at which the last of ``guests`` finished booting (the simulator's ``boot_until``)."""
    from nagios_herd.lab.sim.state import snapshot

    domains = snapshot(sim)["domains"]
    return max(dom["boot_until"] for host in domains.values() for name, dom in host.items() if name in guests)


def timed(label: str, operation, sim: str, guests: list[str]) -> tuple[float, float, dict[str, int]]:
    """Seconds from the start of ``operation`` until it returned AND the moved guests finished booting, the
    seconds until it returned, and the SSH connections it opened per host."""
    from nagios_herd.ops import remote

    before = dict(remote.OPENED)
    out = io.StringIO()
    started = time.time()
    code = operation(out)
    returned = time.time()
    if code != 0:
        raise SystemExit(f"{label} failed (exit {code}):\n{out.getvalue()}")
    opened = {host: remote.OPENED[host] - before.get(host, 0) for host in remote.OPENED}
    return max(returned, booted_at(sim, guests)) - started, returned - started, opened


def main() -> int:
    from nagios_herd.lab.sim import faults
    from nagios_herd.lab.testing import running_lab, unavailable
    from nagios_herd.ops import move
    from nagios_herd.ops.failover import MoveOptions
    from nagios_herd.ops.runner import Options

    if reason := unavailable():
        print(f"benchmark skipped: {reason}")
        return 0
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp, \
            running_lab(Path(tmp) / "lab", inventory(Path(tmp) / "inventory")) as lab:
        sim = str(lab.layout.sim_dir)
        for host in lab.herd.hosts:
            faults.slow_shutdown(sim, host.name, 2.0)
            faults.set_boot_time(sim, host.name, 2.0)
        options = Options(inventory=str(lab.inventory), known_hosts=str(lab.known_hosts),
                          identity=str(lab.client_key), state_dir=str(Path(tmp) / "state"), parallel=GUESTS,
                          channels=2 * GUESTS)
        names = [guest.name for guest in lab.herd.guests]

        def failover(guest: str | None, failback: bool = False):
            return lambda out: move.run(options, task="failback" if failback else "failover", guest=guest,
                                        everything=guest is None,
                                        move=MoveOptions(failback=failback, nagios_wait=0), out=out)

        ones, everys, ratios, returned = [], [], [], []
        for _ in range(rounds):
            one, one_back, one_conn = timed("failover --guest g01", failover("g01"), sim, ["g01"])
            timed("failback --guest g01", failover("g01", failback=True), sim, ["g01"])
            every, every_back, all_conn = timed("failover --all", failover(None), sim, names)
            timed("failback --all", failover(None, failback=True), sim, names)
            ones.append(one)
            everys.append(every)
            ratios.append(every / one)
            returned.append(every_back / one_back)
    print(f"guests: {GUESTS}; injected shutdown 2 s and boot 2 s per guest (simulator knobs); {rounds} rounds;")
    print("a run counts until it returned and every moved guest finished booting")
    print(f"failover --guest g01:           median {statistics.median(ones):6.2f} s   "
          f"SSH connections per host: {one_conn}")
    print(f"failover --all --parallel {GUESTS}:  median {statistics.median(everys):6.2f} s   "
          f"SSH connections per host: {all_conn}")
    print(f"ratio all/one per round: {' '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}  (target <= 1.5)")
    print(f"(until the runs returned, boot not waited for: ratios {' '.join(f'{r:.2f}' for r in returned)}; "
          f"median {statistics.median(returned):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
