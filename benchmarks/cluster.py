"""The cost of checking a generated CIB, against Pacemaker's own crm_verify measured in the same invocation.

For a herd of N guests (2 and 14 by default; hosts alpha/beta, guests alternating between them), the CIB is
generated from an inventory written here, then alternately:

- baseline: ``crm_verify --xml-file CIB`` alone (what a CIB check usually is);
- ``cib_check.check``: what ``nagios-herd validate`` runs on ``cluster/cib.xml`` (crm_simulate to bring the
  nodes online, crm_verify -VV on that, and every resource against its agent's metadata, each agent's metadata
  read once per process: the first run of a process pays for the reads, which is what ``validate`` pays);
- ``crm_simulate --node-fail`` on the running herd (the scheduler's failover plan, what the tests run).

Prints the median wall times and the ratios to the baseline. Usage: ``python3 benchmarks/cluster.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "cluster"), str(ROOT / "tests")]

from nagios_herd.generate import cib_check  # noqa: E402
from nagios_herd.generate.buildtree import write_tree  # noqa: E402
from nagios_herd.generate.render import build  # noqa: E402

TEAM = '[team]\nname = "{name}"\nalias = "Team {name}"\n\n[[contacts]]\nname = "ops"\nalias = "Ops"\nemail = "ops@example.net"\n'


def inventory(directory: Path, guests: int) -> Path:
    (directory / "teams").mkdir(parents=True)
    lines = ['[herd]\nname = "bench"\nwatcher = "g01"\nwatcher_peer = "g02"\n',
             '[pacemaker]\nmanages_herd = true\nfence_credentials = "/etc/nagios-herd/fencing.toml"\n']
    for index, (host, role) in enumerate((("alpha", "primary"), ("beta", "backup")), start=1):
        lines.append(f'[hosts.{host}]\nrole = "{role}"\naddress = "192.0.2.{index}"\n'
                     f'replication_address = "198.51.100.{index}"\nmemory_mb = 65536\ndom0_memory_mb = 1024\n'
                     f'volume_group = "vg"\nbridge = "xenbr0"\n')
        lines.append(f'[fencing.{host}]\nagent = "fence_ipmilan"\nip = "203.0.113.{index}"\n')
    for number in range(1, guests + 1):
        name = f"g{number:02d}"
        (directory / "teams" / f"{name}.toml").write_text(TEAM.format(name=name))
        lines.append(f'[guests.{name}]\nteam = "teams/{name}.toml"\npreferred_host = "{"alpha" if number % 2 else "beta"}"\n'
                     f'memory_mb = 256\nvcpus = 1\naddress = "192.0.2.{100 + number}"\n'
                     f'mac = "00:16:3e:00:01:{number:02x}"\nroot_mb = 2048\nswap_mb = 256\n'
                     f'drbd_minor = {number}\ndrbd_port = {7788 + number}\n')
    path = directory / "herd.toml"
    path.write_text("\n".join(lines))
    return path


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--guests", type=int, nargs="*", default=[2, 14])
    args = parser.parse_args()
    from simulation import Cluster

    for guests in args.guests:
        with tempfile.TemporaryDirectory(prefix="nagios-herd-bench-") as scratch:
            base = Path(scratch)
            result = build(inventory(base / "inv", guests))
            write_tree(base / "tree", result.files, herd=result.herd.name, inputs_sha256=result.digests.all)
            cib = base / "tree" / "cluster" / "cib.xml"
            cluster = Cluster(cib, base)
            running = cluster.step(cluster.start()).state
            cib_check.agent_parameters.cache_clear()
            cib_check.fencer_parameters.cache_clear()
            first = timed(lambda: cib_check.check(cib))
            times: dict[str, list[float]] = {"crm_verify": [], "check": [], "node-fail": []}
            for _ in range(args.runs):
                times["crm_verify"].append(timed(lambda: subprocess.run(
                    ["crm_verify", "--xml-file", str(cib)], capture_output=True, check=False)))
                times["check"].append(timed(lambda: cib_check.check(cib)))
                times["node-fail"].append(timed(lambda: subprocess.run(
                    ["crm_simulate", "--xml-file", str(running), "--node-fail=alpha", "--simulate"],
                    capture_output=True, check=False)))
            base_time = statistics.median(times["crm_verify"])
            print(f"{guests} guests ({2 + 2 * guests} primitives), median of {args.runs}:")
            print(f"  crm_verify alone (baseline)           {base_time * 1000:8.1f} ms  1.00x")
            print(f"  validate's CIB check, first run       {first * 1000:8.1f} ms  {first / base_time:5.2f}x")
            for label, key in (("validate's CIB check, metadata cached", "check"),
                               ("crm_simulate --node-fail (plan+run)", "node-fail")):
                value = statistics.median(times[key])
                print(f"  {label:<38}{value * 1000:8.1f} ms  {value / base_time:5.2f}x")


if __name__ == "__main__":
    main()
