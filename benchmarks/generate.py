"""Benchmark: generate and publish a synthetic herd of 14 teams × 1,000 hosts × 10 services.

The inventory is written in the real TOML format (a herd file and one team file per guest). Measured in one
invocation, each a fresh process as cron or an operator runs it, the best of ``--repeat`` runs: ``nagios4 -v``
serially over every generated guest tree (the baseline), a cold full ``nagios-herd generate`` (load and validate
the inventory, render, write; generate and baseline runs are interleaved so a change in machine load hits both),
and a no-change ``nagios-herd publish`` with the number of entries it changed in the live tree. Each gets its wall
time and its CPU time (user + system of the process and the children it waited for) and the ratio to the baseline:
the targets are on wall time (generate ≤ 2 × nagios4 -v; no-change publish ≤ 0.2 s with zero writes), and the CPU
column shows what other processes on a busy machine cannot distort (generate uses a second core when it has one,
the baseline does not). Then where a generate spends its time, measured in this process (the stdlib ``tomllib``
alone, for comparison with the inventory loader's own reader), and the CLI start-up floor.

The first ``--adopted`` teams are written as ``nagios-herd adopt`` writes a team: every contact, host and service
with its own ``nagios`` table of resolved directives, the team's own commands and timeperiod.

Usage: ``.venv/bin/python benchmarks/generate.py [--teams 14] [--hosts 1000] [--services 10] [--adopted 7]
[--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAGIOS_HERD = [sys.executable, "-m", "nagios_herd.cli"]


ADOPTED_HOST = ('[hosts.nagios]\ncheck_command = "check-host-alive"\ncheck_period = "workhours"\n'
                'max_check_attempts = "10"\nnotification_period = "workhours"\nnotification_interval = "45"\n'
                'notification_options = "d,u,r"\n_PORT = "22"\n')
ADOPTED_SERVICE = ('[services.nagios]\ncheck_period = "workhours"\ncheck_interval = "10"\nmax_check_attempts = "4"\n'
                   'notification_period = "workhours"\nnotification_options = "w,c,r"\nfirst_notification_delay = "5"\n')
ADOPTED_TEAM = ('[[commands]]\nname = "check-host-alive"\nline = "$USER1$/check_ping -H $HOSTADDRESS$ -w 3000,80% '
                '-c 5000,100% -p 5"\n',
                '[[commands]]\nname = "notify-team"\nline = "/usr/bin/logger -t nagios $NOTIFICATIONTYPE$ $HOSTNAME$"\n',
                '[[timeperiods]]\ntimeperiod_name = "workhours"\nalias = "Work"\nmonday = "09:00-17:00"\n'
                'friday = "09:00-15:00"\n')


def write_inventory(directory: Path, teams: int, hosts: int, services: int, adopted: int = 0) -> Path:
    """A valid herd in the real TOML format: two hosts, one guest per team, each team ``hosts`` × ``services``;
    the first ``adopted`` teams as adopt writes them."""
    (directory / "teams").mkdir(parents=True)
    main = [
        '[herd]\nname = "bench"\nwatcher = "team-00"\nwatcher_peer = "team-01"\n',
        '[commands.check_ping]\nline = "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$ -p 5"\n',
        '[commands.check_tcp]\nline = "$USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$"\n',
    ]
    for index, (name, role) in enumerate((("primary", "primary"), ("backup", "backup")), start=11):
        main.append(f'[hosts.{name}]\nrole = "{role}"\naddress = "192.0.2.{index}"\n'
                    f'replication_address = "198.51.100.{index}"\nmemory_mb = 4096\ndom0_memory_mb = 256\n'
                    'volume_group = "vg_herd"\nbridge = "xenbr0"\n')
    for team in range(teams):
        name = f"team-{team:02d}"
        main.append(f'[guests.{name}]\nteam = "teams/{name}.toml"\n'
                    f'preferred_host = "{"primary" if team % 2 else "backup"}"\nmemory_mb = 128\nvcpus = 1\n'
                    f'address = "192.0.2.{100 + team}"\nmac = "00:16:3e:00:00:{team:02x}"\nroot_mb = 2560\n'
                    f'swap_mb = 512\ndrbd_minor = {team}\ndrbd_port = {7789 + team}\n')
        adopt = team < adopted
        lines = [f'[team]\nname = "t{team:02d}"\nalias = "Team {team}"\n',
                 '[[contacts]]\nname = "oncall"\nalias = "On call"\nemail = "oncall@example.net"\n']
        if adopt:
            lines[-1] += ('[contacts.nagios]\nhost_notification_period = "workhours"\nservice_notification_period = '
                          '"workhours"\nhost_notification_commands = "notify-team"\nservice_notification_commands = '
                          '"notify-team"\nhost_notification_options = "d,r"\nservice_notification_options = "c,r"\n')
            lines += ADOPTED_TEAM
        for host in range(hosts):
            host_name = f"h{team:02d}-{host:04d}"
            lines.append(f'[[hosts]]\nname = "{host_name}"\naddress = "10.{team}.{host // 250}.{host % 250 + 1}"\n'
                         f'alias = "Host {host}"\ngroups = ["g{host % 10}"]\n'
                         + ('contacts = ["oncall"]\n' + ADOPTED_HOST if adopt else ""))
            for service in range(services):
                lines.append(f'[[services]]\nhost = "{host_name}"\ndescription = "TCP {1000 + service}"\n'
                             f'command = "check_tcp"\nargs = ["{1000 + service}"]\n'
                             + ('contacts = ["oncall"]\n' + ADOPTED_SERVICE if adopt else ""))
        (directory / "teams" / f"{name}.toml").write_text("\n".join(lines))
    (directory / "herd.toml").write_text("\n".join(main))
    return directory / "herd.toml"


def timed(argv: list[str], **kwargs: object) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and everything it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def parts(inventory: Path, output: Path) -> dict[str, float]:
    """Where a generate spends its time, in this process (without cycle collection, like the command)."""
    import gc
    import tomllib

    from nagios_herd.generate.buildtree import write_tree
    from nagios_herd.generate.inputs import digests
    from nagios_herd.generate.render import render, templates_dir
    from nagios_herd.inventory import toml_reader as inventory_toml
    from nagios_herd.inventory.loader import load

    gc.disable()
    times = {}
    texts = [path.read_text() for path in sorted(inventory.parent.rglob("*.toml"))]
    start = time.perf_counter()
    for text in texts:
        tomllib.loads(text)
    times["stdlib tomllib.loads alone"] = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        inventory_toml.loads(text) or tomllib.loads(text)
    times["TOML subset reader alone"] = time.perf_counter() - start
    start = time.perf_counter()
    herd = load(inventory)
    times["inventory.load (parse+validate)"] = time.perf_counter() - start
    start = time.perf_counter()
    inputs = digests(herd, templates_dir())
    files = render(herd, inputs)
    times["render"] = time.perf_counter() - start
    start = time.perf_counter()
    write_tree(output, files, herd=herd.name, inputs_sha256=inputs.all)
    times["write tree+manifest"] = time.perf_counter() - start
    gc.enable()
    return times


def publish_in_process(inventory: Path, live: Path) -> float:
    """The no-change publish's own work, without interpreter start-up and the CLI's imports."""
    from nagios_herd.generate.publish import Options, publish

    start = time.perf_counter()
    assert publish(Options(inventory=inventory, live=live)) is None
    return time.perf_counter() - start


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime_ns, size) of every entry under ``root``: any write changes at least one of them."""
    entries = {}
    for directory, names, files in os.walk(root):
        for name in [*names, *files, "."]:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            entries[path] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=14)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--adopted", type=int, default=7, help="teams written as adopt writes them")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from nagios_herd.nagios.stage import stage

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nagios-herd-bench-") as scratch:
        base = Path(scratch)
        base.chmod(0o755)  # nagios4 -v checks its spool as the nagios user
        inventory = write_inventory(base / "inventory", options.teams, options.hosts, options.services,
                                    options.adopted)
        output, live = base / "build", base / "live"
        generate_argv = [*NAGIOS_HERD, "generate", "--inventory", str(inventory), "--output", str(output)]
        generates, baselines = [], []
        for _ in range(options.repeat):  # interleaved, so a change in machine load hits both alike
            generates.append(timed(generate_argv))
            if not baselines:
                staged = [stage(guest, base / "stage" / guest.name) for guest in sorted((output / "guests").iterdir())]
            runs = [timed(["/usr/sbin/nagios4", "-v", str(main)]) for main in staged]
            baselines.append((sum(wall for wall, _ in runs), sum(cpu for _, cpu in runs)))
        (generate, generate_cpu), (nagios, nagios_cpu) = best(generates), best(baselines)
        breakdown = parts(inventory, base / "parts")
        publish_argv = [*NAGIOS_HERD, "publish", "--inventory", str(inventory), "--live", str(live)]
        first, _ = timed(publish_argv)
        before = snapshot(live)
        unchanged, _ = best([timed(publish_argv) for _ in range(max(options.repeat, 5))])
        in_process = min(publish_in_process(inventory, live) for _ in range(options.repeat))
        floor, _ = best([timed([*NAGIOS_HERD, "--help"]) for _ in range(max(options.repeat, 5))])
        after = snapshot(live)
        writes = sum(1 for path in before.keys() | after.keys() if before.get(path) != after.get(path))
        objects = options.teams * options.hosts * (options.services + 1)
    print(f"herd: {options.teams} teams ({options.adopted} adopted) x {options.hosts} hosts x "
          f"{options.services} services "
          f"({objects:,} hosts+services); {os.cpu_count()} CPUs, load average {load_before:.2f} -> "
          f"{os.getloadavg()[0]:.2f} (other processes slow both sides alike; the CPU column is load-independent)")
    print(f"{'':40} {'wall':>8} {'ratio':>7}   {'CPU':>8} {'ratio':>7}")
    print(f"{'nagios4 -v, all ' + str(len(staged)) + ' guest trees (serial sum)':40} {nagios:7.3f}s {'1.00x':>7}   "
          f"{nagios_cpu:7.3f}s {'1.00x':>7}   (baseline)")
    print(f"{'cold full generate (fresh process)':40} {generate:7.3f}s {generate / nagios:6.2f}x   "
          f"{generate_cpu:7.3f}s {generate_cpu / nagios_cpu:6.2f}x   "
          f"(target <= 2.00x wall: {'met' if generate <= 2 * nagios else 'NOT met'})")
    for name, seconds in breakdown.items():
        print(f"  in-process {name:29} {seconds:7.3f}s {seconds / nagios:6.2f}x")
    print(f"{'first publish (render+validate+swap)':40} {first:7.3f}s {first / nagios:6.2f}x")
    print(f"{'no-change publish (fresh process)':40} {unchanged:7.3f}s   writes {writes}  "
          f"(target <= 0.200 s, 0 writes: {'met' if unchanged <= 0.2 and writes == 0 else 'NOT met'})")
    print(f"  in-process publish() with no change    {in_process:7.3f}s")
    print(f"  CLI start-up floor (nagios-herd --help) {floor:7.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
