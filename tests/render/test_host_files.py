"""What the generated host files promise: sudo allows exactly what NRPE runs, the real check plugins accept the
generated NRPE lines, DRBD safety settings (I7, I8), placement, volume plan."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import pytest
from conftest import FIXTURE_INVENTORY, ROOT

from nagios_herd.inventory.loader import load

GOLDEN = ROOT / "tests" / "golden" / "tree"
HERD = load(FIXTURE_INVENTORY)


def nrpe_commands(host: str) -> dict[str, tuple[list[list[str]], list[str]]]:
    """command name -> (sudo argvs, plugin argv) parsed back from the generated NRPE file."""
    commands = {}
    for line in (GOLDEN / f"hosts/{host}/etc/nagios/nrpe.d/nagios-herd.cfg").read_text().splitlines():
        match = re.fullmatch(r"command\[(\w+)\]=(.*)", line)
        if match:
            tools, _, plugin = match.group(2).rpartition(" | ")
            sudo = [shlex.split(part)[2:] for part in re.findall(r"/usr/bin/sudo -n [^;]*", tools)]
            commands[match.group(1)] = (sudo, shlex.split(plugin))
    return commands


def sudoers_commands(host: str) -> list[list[str]]:
    text = (GOLDEN / f"hosts/{host}/etc/sudoers.d/nagios-herd").read_text()
    body = text.split("NAGIOS_HERD_CHECKS =", 1)[1].split("\nnagios ", 1)[0].replace("\\\n", "")
    entries = re.split(r"(?<!\\),", body)
    return [[re.sub(r"\\(.)", r"\1", word) for word in entry.split()] for entry in entries]


@pytest.mark.parametrize("host", [h.name for h in HERD.hosts])
def test_sudo_allows_exactly_the_commands_nrpe_runs_and_nothing_that_writes(host):
    used = sorted(argv for sudo, _ in nrpe_commands(host).values() for argv in sudo)
    allowed = sorted(sudoers_commands(host))
    assert used == allowed
    assert {argv[0] for argv in allowed} == {"/usr/sbin/xl", "/usr/sbin/drbdsetup", "/usr/sbin/vgs", "/usr/sbin/lvs",
                                             "/usr/sbin/crm_mon",  # the fixture herd is managed by Pacemaker
                                             *(["/bin/cat"] if HERD.host(host).role == "primary" else [])}
    # /bin/cat: the watcher's state file, one fixed path, on the primary where the watcher runs
    assert all(argv[1] in ("list", "status", "--reportformat", "--one-shot", "/var/lib/nagios-herd/watch.json")
               for argv in allowed)
    watcher_state = [["/bin/cat", "/var/lib/nagios-herd/watch.json"]] if HERD.host(host).role == "primary" else []
    assert [argv for argv in allowed if argv[0] == "/bin/cat"] == watcher_state
    assert not re.search(r"[*?\[]", (GOLDEN / f"hosts/{host}/etc/sudoers.d/nagios-herd").read_text())


@pytest.mark.parametrize("host", [h.name for h in HERD.hosts])
def test_every_guest_must_run_on_its_preferred_host_and_be_absent_from_the_other(host):
    _, plugin = nrpe_commands(host)["check_xen_domain"]
    domains = [plugin[i + 1] for i, word in enumerate(plugin) if word == "--domain"]
    absent = [plugin[i + 1] for i, word in enumerate(plugin) if word == "--absent"]
    assert domains == [g.name for g in HERD.guests if g.preferred_host == host]
    assert absent == [g.name for g in HERD.guests if g.preferred_host != host]
    _, drbd = nrpe_commands(host)["check_drbd_sync"]
    assert [drbd[i + 1] for i, word in enumerate(drbd) if word == "--resource"] == [g.name for g in HERD.guests]


XL_LIST = """Name                                        ID   Mem VCPUs\tState\tTime(s)
Domain-0                                     0   256     2     r-----     633.6
{rows}"""


def drbd_status(names):
    return json.dumps([{
        "name": name, "node-id": 0, "role": "Primary", "suspended": False, "write-ordering": "flush",
        "devices": [{"volume": 0, "minor": index, "disk-state": "UpToDate", "client": False, "quorum": True,
                     "size": 2621440}],
        "connections": [{"peer-node-id": 1, "name": "peer", "connection-state": "Connected", "congested": False,
                         "peer-role": "Secondary", "peer_devices": [
                             {"volume": 0, "replication-state": "Established", "peer-disk-state": "UpToDate",
                              "peer-client": False, "resync-suspended": "no", "out-of-sync": 0,
                              "has-sync-details": False, "percent-in-sync": 100}]}],
    } for index, name in enumerate(names, start=1)])


def run_plugin(argv: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    """The plugin part of a generated NRPE line, run from the checkout instead of the installed plugin dir."""
    executable = ROOT / "checks" / argv[0].rsplit("/", 1)[1]
    return subprocess.run([str(executable), *argv[1:]], input=stdin, capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_real_plugins_accept_the_generated_nrpe_lines():
    commands = nrpe_commands("xen-a")
    here = [g.name for g in HERD.guests if g.preferred_host == "xen-a"]
    rows = "".join(f"{name:<44}{i:>2}   128     1     -b----      12.0\n" for i, name in enumerate(here, 1))
    xen = run_plugin(commands["check_xen_domain"][1], XL_LIST.format(rows=rows))
    assert xen.returncode == 0, xen.stdout
    wrong = rows + f"{'team-web':<44} 9   256     2     -b----       1.0\n"
    misplaced = run_plugin(commands["check_xen_domain"][1], XL_LIST.format(rows=wrong))
    assert misplaced.returncode == 2 and "team-web" in misplaced.stdout
    drbd = run_plugin(commands["check_drbd_sync"][1], drbd_status([g.name for g in HERD.guests]))
    assert drbd.returncode == 0, drbd.stdout
    missing = run_plugin(commands["check_drbd_sync"][1], drbd_status(["team-db"]))
    assert missing.returncode == 2, missing.stdout
    fixtures = ROOT / "tests" / "fixtures" / "lvm2-real"
    report = (fixtures / "vgs_json_units_b_nearly_full.json").read_text() + \
        (fixtures / "lvs_json_units_b_linear.json").read_text()
    lvm = run_plugin(commands["check_lvm_capacity"][1], report)
    assert lvm.returncode in (0, 1, 2) and "vg_herd" in lvm.stdout, lvm.stdout  # a real verdict, not a usage error


def test_drbd_resources_are_identical_on_both_hosts_and_safe():
    for guest in HERD.guests:
        texts = [(GOLDEN / f"hosts/{h.name}/etc/drbd.d/{guest.name}.res").read_text() for h in HERD.hosts]
        assert texts[0] == texts[1]
        text = texts[0]
        for setting in ("protocol C;", "after-sb-0pri discard-zero-changes;", "after-sb-1pri disconnect;",
                        "after-sb-2pri disconnect;", "fencing resource-and-stonith;",  # Pacemaker manages it
                        "auto-promote no;",
                        "meta-disk internal;", f"minor {guest.drbd_minor};"):
            assert setting in text, (guest.name, setting)
        settings = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        for forbidden in ("become-primary-on", "allow-two-primaries"):
            assert forbidden not in settings
    common = (GOLDEN / "hosts/xen-a/etc/drbd.d/global_common.conf").read_text()
    assert 'split-brain "/usr/lib/drbd/notify-split-brain.sh root";' in common
    assert "fence-peer" in common and "c-max-rate" in common and "usage-count no;" in common


def test_resyncs_run_one_after_another():
    by_minor = sorted(HERD.guests, key=lambda guest: guest.drbd_minor)
    for earlier, later in zip(by_minor, by_minor[1:]):
        assert f'resync-after "{earlier.name}";' in (GOLDEN / f"hosts/xen-a/etc/drbd.d/{later.name}.res").read_text()
    assert "resync-after" not in (GOLDEN / f"hosts/xen-a/etc/drbd.d/{by_minor[0].name}.res").read_text()


def test_volume_plan_lists_every_guest_volume_in_the_hosts_volume_group():
    for host in HERD.hosts:
        plan = json.loads((GOLDEN / f"hosts/{host.name}/var/lib/nagios-herd/volumes.json").read_text())
        expected = [(g.name, v.name, v.size_mb, v.purpose) for g in HERD.guests for v in g.volumes]
        assert [(v["guest"], v["name"], v["size_mb"], v["purpose"]) for v in plan["volumes"]] == expected
        assert {v["path"].rsplit("/", 1)[0] for v in plan["volumes"]} == {f"/dev/{host.volume_group}"}


def test_xen_configs_never_autostart_and_boot_from_the_drbd_device():
    assert not list(GOLDEN.rglob("auto"))
    for host in HERD.hosts:
        for guest in HERD.guests:
            text = (GOLDEN / f"hosts/{host.name}/etc/xen/{guest.name}.cfg").read_text()
            assert f"disk = ['phy:/dev/drbd/by-res/{guest.name}/0,xvda,w', " \
                   f"'phy:/dev/{host.volume_group}/{guest.name}-swap,xvdb,w']" in text
            assert f"vif = ['mac={guest.mac},bridge={host.bridge}']" in text
