"""Running guests are reachable: sshd on the guest's address, real Nagios + statusjson.cgi, data that
follows the guest across a failover, nothing left when its domain or its host goes away.

The tests run in file order on one lab: serve, fail over, crash the host, revive.
"""

from __future__ import annotations

import json

import pytest
import requests

from nagios_herd import procs
from nagios_herd.lab import guests
from nagios_herd.lab.sim import faults
from nagios_herd.lab.sim.state import snapshot
from nagios_herd.lab.status import report

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _served(lab, guest):
    return guests.served_on(lab.layout, guest.name)


def _wait_served(lab, guest, host):
    procs.wait_for(lambda: _served(lab, guest) == host and procs.accepting(guest.address, 22),
                   60, f"{guest.name} served for {host}")


def _status(lab, guest):
    """The guest's programstatus, asked at the URL ``lab status`` prints, as the watchers' CGI user."""
    return requests.get(f"{guests.web_url(guest)}?query=programstatus", timeout=10,
                        auth=guests.reader_auth(lab.layout, guest.name))


def _nagios_guest(lab):
    return next(guest for guest in lab.herd.guests if guest.serve_nagios)


def _on(lab, host, command):
    done = lab.ssh(host.address, command, host.ssh_port)
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout


def _placed(lab):
    """The Nagios guest, the host it is served on and that host's peer."""
    guest = _nagios_guest(lab)
    source = lab.herd.host(guests.served_on(lab.layout, guest.name))
    return guest, source, lab.herd.peer_of(source.name)


def _start_on(lab, guest, host):
    _on(lab, host, f"drbdadm primary {guest.name} && xl create /etc/xen/{guest.name}.cfg")
    _wait_served(lab, guest, host.name)


def _stop_on(lab, guest, host):
    _on(lab, host, f"xl shutdown -w {guest.name} && drbdadm secondary {guest.name}")
    procs.wait_for(lambda: _served(lab, guest) is None, 30, f"{guest.name} to stop being served")


def test_running_guests_are_served_on_their_hosts(lab):
    for guest in lab.herd.guests:
        assert _served(lab, guest) == guest.preferred_host
        done = lab.ssh(guest.address, 'echo "$LAB_GUEST"; ls /etc/nagios4')
        assert done.returncode == 0, done.stderr
        name, *files = done.stdout.split()
        assert name == guest.name and "nagios.cfg" in files
    status = {line.split(":")[0]: line for line in report(lab) if line.startswith("guest ")}
    for guest in lab.herd.guests:
        if guest.serve_nagios:
            answer = _status(lab, guest)
            assert answer.status_code == 200
            pid = answer.json()["data"]["programstatus"]["nagios_pid"]
            assert pid > 0
            # lab status names the core that answers and the URL it answers on
            line = status[f"guest {guest.name}"]
            assert f"nagios4 pid {pid}," in line and f"web {guests.web_url(guest)}," in line, line
            assert f"notifications {lab.layout.guest_dir(guest.name) / 'run' / 'notifications.log'})" in line
        else:
            assert not procs.accepting(guest.address, guests.HTTP_PORT)
            assert "nagios4" not in status[f"guest {guest.name}"]


def test_failover_moves_the_guest_with_its_data(lab):
    guest, source, target = _placed(lab)
    pid_before = _status(lab, guest).json()["data"]["programstatus"]["nagios_pid"]
    done = lab.ssh(guest.address, "echo canary > /var/lib/nagios4/lab-marker")
    assert done.returncode == 0, done.stderr

    _stop_on(lab, guest, source)
    assert not procs.accepting(guest.address, 22)
    assert not procs.accepting(guest.address, guests.HTTP_PORT)

    _start_on(lab, guest, target)
    assert lab.ssh(guest.address, "cat /var/lib/nagios4/lab-marker").stdout == "canary\n"
    # started by the simulator's hook on a host, the guest still sees none of the host's files
    done = lab.ssh(guest.address, "ls /etc/xen; test ! -e /usr/sbin/xl && ! command -v xl")
    assert done.returncode == 0 and f"{guest.name}.cfg" not in done.stdout, done
    answer = _status(lab, guest).json()["data"]["programstatus"]
    assert answer["nagios_pid"] != pid_before


def test_a_crashed_host_takes_its_guests_down_and_revives_with_the_same_key(lab):
    guest = _nagios_guest(lab)
    host = lab.herd.host(guests.served_on(lab.layout, guest.name))
    lab.crash(host.name)
    assert not procs.accepting(host.address, host.ssh_port)
    assert not procs.accepting(guest.address, 22)
    assert guests.served_on(lab.layout, guest.name) is None
    assert lab.ssh(host.address, "true", host.ssh_port).returncode == 255
    lines = report(lab)
    assert any(line.startswith(f"host {host.name}: DOWN") for line in lines)
    assert f"  {host.name}: simulators do not answer (host crashed?)" in lines
    assert f"guest {guest.name}: runs nowhere; not served" in lines

    lab.revive(host.name)
    assert lab.ssh(host.address, "echo $LAB_HOST", host.ssh_port).stdout == f"{host.name}\n"
    listing = _on(lab, host, "xl list")
    assert guest.name not in listing  # a revived host starts no guest by itself
    assert json.loads(lab.layout.record.read_text())["hosts"][host.name]["pid"]


def test_reset_puts_every_guest_back_on_its_preferred_host(lab):
    lab.crash(lab.herd.backup.name)
    lab.reset()
    assert all(lab.host_up(host.name) for host in lab.herd.hosts)
    for guest in lab.herd.guests:
        assert _served(lab, guest) == guest.preferred_host
        assert lab.ssh(guest.address, "echo $LAB_GUEST").stdout == f"{guest.name}\n"
        if guest.serve_nagios:
            assert _status(lab, guest).status_code == 200


def test_a_guest_validates_its_generated_nagios_config_as_installed(lab):
    """The deploy task runs ``nagios4 -v`` on the guest with the generated (nagios_user=nagios) config."""
    guest = _nagios_guest(lab)
    done = lab.ssh(guest.address, "nagios4 -v /etc/nagios4/nagios.cfg")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Things look okay" in done.stdout


@pytest.mark.parametrize("how", ["lab fault link cut", "drbdadm disconnect"])
def test_a_write_after_the_link_broke_is_lost_when_its_host_crashes(lab, how):
    """The peer's copy of the guest's disk holds every write made before the link broke, and nothing after."""
    guest, source, target = _placed(lab)
    assert lab.ssh(guest.address, "echo kept > /var/lib/nagios4/before-break").returncode == 0
    if how == "drbdadm disconnect":  # the operator's, no lab fault
        _on(lab, source, f"drbdadm disconnect {guest.name}")
    else:
        lab.cut_link()
    assert lab.ssh(guest.address, "echo lost > /var/lib/nagios4/after-break").returncode == 0
    lab.crash(source.name)
    _start_on(lab, guest, target)
    done = lab.ssh(guest.address, "cat /var/lib/nagios4/before-break; ls /var/lib/nagios4")
    assert done.stdout.startswith("kept\n") and "after-break" not in done.stdout, done
    lab.heal_link()
    lab.reset()


def test_a_write_after_the_link_broke_reaches_the_peer_by_the_resync(lab):
    """The peer takes the newer copy once the resync made its disk contain it (a generation it came from)."""
    guest, source, target = _placed(lab)
    faults.set_resync_rate(str(lab.layout.sim_dir), 1000)
    lab.cut_link()
    assert lab.ssh(guest.address, "echo resynced > /var/lib/nagios4/after-cut").returncode == 0
    _stop_on(lab, guest, source)
    lab.heal_link()

    def resynced():
        resource = snapshot(str(lab.layout.sim_dir))["resources"][guest.name]
        return resource["connected"] and resource["sync"] is None
    procs.wait_for(resynced, 30, f"{guest.name} resynced to {target.name}")
    _start_on(lab, guest, target)
    assert lab.ssh(guest.address, "cat /var/lib/nagios4/after-cut").stdout == "resynced\n"
    lab.reset()
