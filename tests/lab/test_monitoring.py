"""The monitoring loop on a running lab: Debian's NRPE on each host, the watcher's and the meta-watcher's
real Nagios scheduling the herd checks at the lab's clock, and the notifications they send.

Every fault is injected into one module-scoped lab and healed before the next; each test reads the
watchers' statusjson.cgi and the notification capture (``run.json`` ``notifications``, what ``lab
status`` names). A fault must bring the right herd service to the right state within 3 check intervals,
tell exactly the herd's admins once (PROBLEM), and after the heal once more (RECOVERY).
"""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

from nagios_herd import procs
from nagios_herd.lab import guests, nrpe
from nagios_herd.lab.layout import read_json

pytestmark = [pytest.mark.lab, pytest.mark.real]

STATUS_TEXT = {1: "PENDING", 2: "OK", 4: "WARNING", 8: "UNKNOWN", 16: "CRITICAL"}
HOST_SERVICES = ("DRBD sync", "LVM capacity", "Xen domains")


# -- reading the watchers ------------------------------------------------------------------------
def _run(lab, guest: str) -> dict:
    return read_json(lab.layout.guest_run(guest)) or {}


def services(lab, guest: str, query: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(host, service) -> (state, plugin output) as ``guest``'s Nagios holds them (statusjson.cgi)."""
    answer = requests.get(f"{_run(lab, guest)['web']}?query=servicelist&details=true&{query}", timeout=10).json()
    return {(host, name): (STATUS_TEXT[fields["status"]], fields["plugin_output"])
            for host, listing in answer["data"]["servicelist"].items() for name, fields in listing.items()}


def herd_services(lab) -> dict[tuple[str, str], tuple[str, str]]:
    """Every herd service the watchers that answer hold: the watcher's dom0 and guest checks, and the
    meta-watcher's check of the watcher (a watcher whose host crashed answers nothing)."""
    watcher, peer = lab.herd.watcher, lab.herd.watcher_peer
    found = {}
    for guest, group in ((watcher, "herd-xen-hosts"), (watcher, "herd-guests"), (peer, "herd-guests")):
        try:
            found.update(services(lab, guest, f"hostgroup={group}"))
        except (requests.RequestException, KeyError, ValueError):
            continue
    return found


def notifications(lab) -> dict[str, list[tuple[str, str, str, str, str]]]:
    """Each guest's captured notifications, in order: (type, host, service, state, contact)."""
    found = {}
    for guest in lab.herd.guests:
        capture = _run(lab, guest.name).get("notifications")
        try:
            text = open(capture).read() if capture else ""
        except FileNotFoundError:
            text = ""
        found[guest.name] = [tuple(line.split("\t")[1:6]) for line in text.splitlines() if line.count("\t") == 5]
    return found


def interval(lab) -> float:
    return lab.herd.lab.check_interval * lab.herd.lab.interval_length


def wait_until(lab, predicate, what: str, intervals: float = 3) -> None:
    procs.wait_for(predicate, intervals * interval(lab) + 2, what, error=AssertionError)


def healthy(lab) -> bool:
    found = herd_services(lab)
    expected = 2 * len(HOST_SERVICES) + len(lab.herd.guests)  # each dom0's checks, each guest's Nagios
    return len(found) == expected and all(state == "OK" for state, _ in found.values())


def new_since(lab, before: dict[str, list]) -> list[tuple[str, str, str, str, str]]:
    """The notifications sent since ``before`` (a :func:`notifications` snapshot), every guest's."""
    return [line for guest, lines in notifications(lab).items() for line in lines[len(before.get(guest, [])):]]


def herd_objects(lab) -> set[str]:
    return {host.name for host in lab.herd.hosts} | {guest.name for guest in lab.herd.guests}


def fault_cycle(lab, inject, heal, expected: dict[tuple[str, str], str], heal_intervals: float = 4) -> None:
    """Inject, see every ``expected`` (host, service) -> state with one PROBLEM each to exactly the admins, heal,
    see a RECOVERY for each, and a healthy herd again."""
    admins = {admin.name for admin in lab.herd.admins}
    wait_until(lab, lambda: healthy(lab), "a healthy herd before the fault", intervals=6)
    before = notifications(lab)
    inject()
    started = time.monotonic()

    def reached() -> bool:
        found = herd_services(lab)
        return all(found.get(key, ("?",))[0] == state for key, state in expected.items())

    wait_until(lab, reached, f"states {expected}")
    problems = lambda: {(host, service) for kind, host, service, _, _ in new_since(lab, before)  # noqa: E731
                        if kind == "PROBLEM"}
    wait_until(lab, lambda: set(expected) <= problems(), f"PROBLEM notifications for {sorted(expected)}")
    assert time.monotonic() - started <= 3 * interval(lab) + 2
    heal()
    wait_until(lab, lambda: healthy(lab), "the herd healthy again after the heal", intervals=heal_intervals + 6)
    wait_until(lab, lambda: set(expected) <= {(h, s) for kind, h, s, _, _ in new_since(lab, before)
                                              if kind == "RECOVERY"}, "RECOVERY notifications")
    sent = [line for line in new_since(lab, before) if line[1] in herd_objects(lab)]
    for key, state in expected.items():
        told = [(kind, st, contact) for kind, host, service, st, contact in sent if (host, service) == key]
        assert sorted(told) == sorted([("PROBLEM", state, admin) for admin in admins]
                                      + [("RECOVERY", "OK", admin) for admin in admins]), (key, told)
    assert {contact for *_, contact in sent} == admins, sent


# -- the daemons ---------------------------------------------------------------------------------
def test_a_healthy_herd_has_every_herd_service_ok(lab):
    wait_until(lab, lambda: healthy(lab), "every herd service OK", intervals=6)
    found = herd_services(lab)
    for host in lab.herd.hosts:
        assert {service for h, service in found if h == host.name} == set(HOST_SERVICES)
    assert "DRBD OK" in found[(lab.herd.hosts[0].name, "DRBD sync")][1]
    assert (lab.herd.watcher, "Nagios") in found  # the meta-watcher's view of the watcher


def test_each_host_runs_debian_nrpe_as_nagios_on_its_own_address(lab):
    for host in lab.herd.hosts:
        record = lab.record()["hosts"][host.name]
        assert nrpe.alive(record)
        pid = record["nrpe_pid"]
        assert open(f"/proc/{pid}/cmdline").read().split("\0")[0] == nrpe.NRPE
        assert procs.mount_ns(pid) == record["ns"]  # inside the host: its nrpe.d, sudoers, tools
        owner = subprocess.run(["ps", "-o", "user=", "-p", str(pid)], capture_output=True, text=True).stdout
        assert owner.strip() == "nagios"
        assert procs.accepting(host.address, nrpe.PORT)


def check_nrpe(lab, host, command: str | None, source: str, *args: str) -> subprocess.CompletedProcess:
    argv = [nrpe.CHECK_NRPE, "-H", host.address, "-b", source, "-t", "25"]
    if command:
        argv += ["-c", command]
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=40)


def test_nrpe_answers_the_watchers_and_refuses_any_other_address(lab):
    host = lab.herd.hosts[0]
    for watcher in (lab.herd.watcher, lab.herd.watcher_peer):
        done = check_nrpe(lab, host, "check_xen_domain", lab.herd.guest(watcher).address)
        assert done.returncode == 0 and done.stdout.startswith("XEN OK"), done
    for stranger in ("127.0.0.1", procs.random_loopback(), lab.herd.guest("lab-db").address):
        done = check_nrpe(lab, host, "check_xen_domain", stranger)
        assert done.returncode != 0 and "XEN" not in done.stdout, (stranger, done)


def test_nrpe_takes_no_arguments(lab):
    host, watcher = lab.herd.hosts[0], lab.herd.guest(lab.herd.watcher).address
    done = check_nrpe(lab, host, "check_xen_domain", watcher, "-a", "--domain", "x")
    assert done.returncode == 3 and "XEN" not in done.stdout, done
    done = check_nrpe(lab, host, "check_shell", watcher)
    assert done.returncode == 3 and "not defined" in done.stdout, done


def as_nagios_on(lab, host, command: str) -> subprocess.CompletedProcess:
    """``command`` run by the nagios user inside the host (as NRPE runs it: sh -c, no tty)."""
    pid = lab.record()["hosts"][host.name]["pid"]
    return subprocess.run(["nsenter", f"--mount=/proc/{pid}/ns/mnt", "--", "runuser", "-u", "nagios", "--",
                           "sh", "-c", command], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_the_nagios_user_may_run_exactly_the_sudoers_lines(lab):
    host = lab.herd.hosts[0]
    allowed = as_nagios_on(lab, host, "sudo -n /usr/sbin/xl list && sudo -n /usr/sbin/drbdsetup status --json")
    assert allowed.returncode == 0 and "Domain-0" in allowed.stdout, allowed
    for refused in ("/usr/sbin/xl destroy lab-db", "/usr/sbin/xl list -l", "/usr/sbin/drbdsetup down lab-db",
                    "/usr/sbin/drbdsetup status", "/usr/sbin/lvs", "/usr/sbin/lvremove -f vg_herd/lab-db-root",
                    "/bin/sh -c id", "/usr/bin/id"):
        done = as_nagios_on(lab, host, f"sudo -n {refused}")
        assert done.returncode != 0 and done.stdout == "", (refused, done)


def test_a_check_whose_sudo_is_refused_answers_unknown(lab):
    host = lab.herd.hosts[0]
    plugin_dir = lab.herd.paths.plugin_dir
    for plugin in ("check_drbd_sync", "check_xen_domain", "check_lvm_capacity"):
        done = as_nagios_on(lab, host, f"sudo -n /usr/sbin/xl list --long | {plugin_dir}/{plugin} --input -")
        assert done.returncode == 3 and "UNKNOWN" in done.stdout, (plugin, done)


# -- faults --------------------------------------------------------------------------------------
def _on(lab, host, command: str) -> str:
    done = lab.ssh(host.address, command, host.ssh_port)
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout


def test_the_replication_link_cut(lab):
    expected = {(host.name, "DRBD sync"): "CRITICAL" for host in lab.herd.hosts}
    fault_cycle(lab, lab.cut_link, lab.heal_link, expected)


def test_a_guest_domain_destroyed_outside_any_job(lab):
    guest = lab.herd.guest("lab-db")
    host = lab.herd.host(guest.preferred_host)

    def heal() -> None:
        _on(lab, host, f"xl create /etc/xen/{guest.name}.cfg")

    fault_cycle(lab, lambda: _on(lab, host, f"xl destroy {guest.name}"), heal,
                {(host.name, "Xen domains"): "CRITICAL", (guest.name, "Nagios"): "CRITICAL"})


def test_a_volume_group_filled_to_96_percent(lab):
    host = lab.herd.hosts[1]

    def fill() -> None:
        free, size = map(int, _on(lab, host, "vgs --noheadings --units b --nosuffix -o vg_free,vg_size "
                                             f"{host.volume_group}").split())
        take = (free - size * 4 // 100) // (1024 * 1024)  # 96 % used
        _on(lab, host, f"lvcreate -an -Zn -y -L {take}m -n filler {host.volume_group}")

    def heal() -> None:
        _on(lab, host, f"lvremove -f {host.volume_group}/filler")

    fault_cycle(lab, fill, heal, {(host.name, "LVM capacity"): "CRITICAL"})


def _restart_nagios(lab, name: str) -> None:
    """The guest boots again where it runs (its Nagios with it)."""
    host = guests.served_on(lab.layout, name)
    guests.stop(lab.layout, name)
    guests.serve(lab.layout, lab.herd, lab.herd.guest(name), host)


def _kill_nagios(lab, name: str) -> None:
    run = _run(lab, name)
    procs.terminate({run["nagios_pid"]: run["nagios_start"]})


def test_a_guests_nagios_stops(lab):
    fault_cycle(lab, lambda: _kill_nagios(lab, "lab-web"), lambda: _restart_nagios(lab, "lab-web"),
                {("lab-web", "Nagios"): "CRITICAL"})


def test_the_watcher_stops_and_the_meta_watcher_says_so(lab):
    watcher = lab.herd.watcher
    fault_cycle(lab, lambda: _kill_nagios(lab, watcher), lambda: _restart_nagios(lab, watcher),
                {(watcher, "Nagios"): "CRITICAL"})


def test_a_host_crashes(lab):
    """The backup dies (the watcher runs on the primary): its checks go CRITICAL, so do its guests' Nagios
    and the primary's replication; the heal is the host booting and the lab's clean slate."""
    backup = lab.herd.backup
    on_backup = [guest.name for guest in lab.herd.guests if guest.preferred_host == backup.name]
    expected = {(backup.name, service): "CRITICAL" for service in HOST_SERVICES}
    expected[(lab.herd.primary.name, "DRBD sync")] = "CRITICAL"
    expected.update({(name, "Nagios"): "CRITICAL" for name in on_backup if name != lab.herd.watcher})

    def heal() -> None:
        lab.revive(backup.name)
        lab.reset()

    fault_cycle(lab, lambda: lab.crash(backup.name), heal, expected, heal_intervals=6)
