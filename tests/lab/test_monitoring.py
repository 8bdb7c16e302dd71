"""The monitoring loop on a running lab: Debian's NRPE on each host, the watcher's and the meta-watcher's
real Nagios scheduling the herd checks at the lab's clock, and the notifications they send.

Every fault of :data:`nagios_herd.lab.alerts.FAULTS` is injected into one module-scoped lab and healed before the
next; each test reads the watchers' statusjson.cgi and the notification captures (what ``lab status`` names). A
fault must bring the right herd service to the right state within 3 check intervals (plus the delay its
detection waits by design: a check's timeout, a stall time), tell exactly the herd's admins once (PROBLEM),
and after the heal once more (RECOVERY).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd import procs
from nagios_herd.lab import alerts, guests, nrpe
from nagios_herd.lab.alerts import HOST_SERVICES, herd_services, healthy, notifications, since, told, wait

pytestmark = [pytest.mark.lab, pytest.mark.real]
ROOT = Path(__file__).resolve().parents[2]


def within(lab, intervals: float) -> float:
    return intervals * alerts.check_interval(lab) + 2


def herd_objects(lab) -> set[str]:
    return {host.name for host in lab.herd.hosts} | {guest.name for guest in lab.herd.guests}


# -- the daemons ---------------------------------------------------------------------------------
def test_a_healthy_herd_has_every_herd_service_ok(lab):
    wait(lambda: healthy(lab), within(lab, 8), "every herd service OK")
    found = herd_services(lab)
    for host in lab.herd.hosts:
        assert {service for h, service in found if h == host.name} >= set(HOST_SERVICES)
    assert "DRBD OK" in found[(lab.herd.hosts[0].name, "DRBD sync")][1]
    assert (lab.herd.watcher, "Nagios") in found  # the meta-watcher's view of the watcher


def test_lab_status_json_names_each_guests_notification_capture(lab):
    done = subprocess.run([sys.executable, "-m", "nagios_herd.cli", "lab", "status", "--json",
                           "--state-dir", str(lab.layout.root)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["guests"]
    for guest in lab.herd.guests:
        capture = Path(listed[guest.name]["notifications"])
        assert capture == lab.layout.guest_dir(guest.name) / "run" / "notifications.log"
        assert listed[guest.name]["statusjson"].endswith("/statusjson.cgi")
    wait(lambda: Path(listed[lab.herd.watcher]["notifications"]).exists(), within(lab, 8),
         "the watcher's first notification (its team's unreachable lab hosts)")


def told_about_team_objects(lab) -> dict[tuple[str, str, str, str, str], set[str]]:
    """(guest, type, host, service, state) -> the contacts told, for each notification about a team's own objects."""
    told: dict[tuple[str, str, str, str, str], set[str]] = {}
    for guest, lines in notifications(lab).items():
        own = {host.name for host in lab.herd.guest(guest).team.hosts}
        for kind, host, service, state, contact in lines:
            if host in own:
                told.setdefault((guest, kind, host, service, state), set()).add(contact)
    return told


def meant_for(lab, guest: str, host: str, service: str) -> set[str]:
    """Who the team file says is told about ``host`` (or its ``service``): the contacts it names, else the team."""
    team = lab.herd.guest(guest).team
    if service:
        named = next(item.contacts for item in team.services if (item.host, item.description) == (host, service))
    else:
        named = next(item.contacts for item in team.hosts if item.name == host)
    return set(named) or {contact.name for contact in team.contacts}


def test_a_teams_problems_reach_exactly_the_contacts_its_team_file_names(lab):
    """The lab teams' own hosts answer ping but run no database, SNMP or mail server: their Nagios tells each
    problem to exactly the contacts the team file names for it (a service's own list, else the whole team), never
    to the herd's admins nor another team; lab-db names only dave for its PostgreSQL checks."""
    seen: dict = {}

    def every_team_told_its_own() -> bool:
        """Each guest has told a problem of its team, every notification to exactly the contacts meant for it
        (Nagios writes one line per contact, so a capture read mid-notification may still lack some)."""
        seen.clear()
        seen.update(told_about_team_objects(lab))
        return {guest for guest, *_ in seen} == {guest.name for guest in lab.herd.guests} and any(
            key[0] == "lab-db" and key[1] == "PROBLEM" and key[3] == "PostgreSQL" for key in seen) and all(
            contacts == meant_for(lab, guest, host, service)
            for (guest, _, host, service, _), contacts in seen.items())

    try:
        wait(every_team_told_its_own, within(lab, 24), "each team's own problems told to the contacts meant")
    except AssertionError as missed:
        wrong = {key: contacts for key, contacts in seen.items() if contacts != meant_for(lab, key[0], key[2], key[3])}
        raise AssertionError(f"{missed}; guests told: {sorted({key[0] for key in seen})}; wrong: {wrong}") from None
    assert seen[next(key for key in seen if key[0] == "lab-db" and key[3] == "PostgreSQL")] == {"dave"}


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


def _cgi(lab, guest: str, user: str, script: str, query: str) -> str:
    """``script`` answering ``user`` as the guest's web server would, with the guest's generated cgi.cfg."""
    pid = json.loads(lab.layout.guest_run(guest).read_text())["pid"]
    done = subprocess.run(["nsenter", f"--mount=/proc/{pid}/ns/mnt", "--", "env", "-i",
                           "NAGIOS_CGI_CONFIG=/etc/nagios4/cgi.cfg", f"REMOTE_USER={user}", "REQUEST_METHOD=GET",
                           f"QUERY_STRING={query}", f"/usr/lib/cgi-bin/nagios4/{script}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_watchers_cgi_user_reads_status_only(lab):
    """What check_nagios_guest needs works (programstatus, and performancedata counting the guest's checks);
    the configuration and the process information are refused to it, not to the team."""
    guest = "lab-db"
    contact = lab.herd.guest(guest).team.contacts[0].name

    def checks_counted() -> bool:
        body = _cgi(lab, guest, "nagios-herd", "statusjson.cgi", "query=performancedata")
        answer = json.loads(body[body.index("{"):])
        return answer["data"]["programstatus"]["service_checks"]["active"]["checks"]["1min"] > 0

    wait(checks_counted, within(lab, 8), "checks counted for the watchers' user")
    for script, query in (("config.cgi", "type=commands"), ("extinfo.cgi", "type=0")):
        assert "do not have permission" in _cgi(lab, guest, "nagios-herd", script, query), script
        assert "do not have permission" not in _cgi(lab, guest, contact, script, query), script


def test_each_watcher_holds_one_password_per_guest(lab):
    """``$USER3$`` is a directory on the watchers: a 0600 file per guest asked, each with its own password."""
    for watcher in (lab.herd.watcher, lab.herd.watcher_peer):
        pid = json.loads(lab.layout.guest_run(watcher).read_text())["pid"]
        store = Path(f"/proc/{pid}/root") / lab.herd.paths.state_dir.lstrip("/") / "cgi-auth"
        files = {path.name: path for path in store.iterdir()}
        asked = {lab.herd.watcher} if watcher == lab.herd.watcher_peer else \
            {guest.name for guest in lab.herd.guests if guest.name != watcher}
        assert set(files) == asked
        for path in files.values():
            assert path.stat().st_mode & 0o777 == 0o600 and path.read_text().startswith("nagios-herd:")
    stores = [Path(f"/proc/{json.loads(lab.layout.guest_run(w).read_text())['pid']}/root")
              / lab.herd.paths.state_dir.lstrip("/") / "cgi-auth" for w in (lab.herd.watcher, lab.herd.watcher_peer)]
    passwords = {path.read_text() for store in stores for path in store.iterdir()}
    assert len(passwords) == len(lab.herd.guests)  # every guest its own password


# -- faults --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", alerts.FAULTS, ids=[fault.name for fault in alerts.FAULTS])
def test_a_fault_tells_exactly_the_admins_once_and_its_heal_once_more(lab, fault):
    admins = {admin.name for admin in lab.herd.admins}
    wait(lambda: healthy(lab), within(lab, 8), "a healthy herd before the fault")
    if fault.prepare is not None:
        fault.prepare(lab)
    expected, delay = fault.expected(lab), fault.delay(lab)
    before = notifications(lab)
    fault.inject(lab)
    try:
        wait(lambda: all(herd_services(lab).get(key, ("?",))[0] == state for key, state in expected.items()),
             within(lab, 3) + delay, f"states {expected}")
    except AssertionError as missed:
        found = herd_services(lab)
        raise AssertionError(f"{missed}; found {[(key, found.get(key)) for key in expected]}") from None
    wait(lambda: told(lab, before, "PROBLEM", set(expected)), within(lab, 3) + delay,
         f"PROBLEM for {sorted(expected)}")
    fault.heal(lab)
    wait(lambda: healthy(lab), within(lab, 10), "the herd healthy again after the heal")
    wait(lambda: told(lab, before, "RECOVERY", set(expected)), within(lab, 3), "RECOVERY notifications")
    sent = [line for line in since(lab, before) if line[1] in herd_objects(lab)]
    for key, state in expected.items():
        got = sorted((kind, st, contact) for kind, host, service, st, contact in sent if (host, service) == key)
        assert got == sorted([("PROBLEM", state, admin) for admin in admins]
                             + [("RECOVERY", "OK", admin) for admin in admins]), (key, got)
    assert {contact for *_, contact in sent} == admins, sent


def test_failover_all_shows_the_designed_critical_and_failback_clears_it(lab, tmp_path):
    """After ``fab failover --all`` every guest runs away from its preferred host: both hosts' Xen domains checks
    are CRITICAL (no spare capacity must not look healthy) until ``fab failback --all``."""
    env = {**os.environ, "NAGIOS_HERD_INVENTORY": str(lab.inventory), "NAGIOS_HERD_KNOWN_HOSTS": str(lab.known_hosts),
           "NAGIOS_HERD_IDENTITY": str(lab.client_key), "NAGIOS_HERD_STATE_DIR": str(tmp_path),
           "NAGIOS_HERD_NAGIOS_URL": "http://{address}{path}",
           "NAGIOS_HERD_NAGIOS_AUTH": str(guests.reader_store(lab.layout))}

    def fab(*args: str) -> None:
        done = subprocess.run([str(Path(sys.executable).parent / "fab"), *args], cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])

    wait(lambda: healthy(lab), within(lab, 8), "a healthy herd before the failover")
    keys = {(host.name, "Xen domains") for host in lab.herd.hosts}
    fab("failover", "--all")
    wait(lambda: all(herd_services(lab).get(key, ("?",))[0] == "CRITICAL" for key in keys), within(lab, 6),
         "Xen domains CRITICAL on both hosts")
    fab("failback", "--all")
    wait(lambda: healthy(lab), within(lab, 10), "the herd healthy again after the failback")
