"""The four check plugins, run ON a lab host through SSH, give the verdicts of docs/checks.md in the
healthy, syncing, crashed-host and split-brain states of one lab (tests run in file order).

The plugins run from the host's own plugin directory (the inventory's ``paths.plugin_dir``) with no
``--input``: they call ``/usr/sbin/drbdsetup``, ``/usr/sbin/xl`` and ``/usr/sbin/vgs`` like on a dom0.
"""

from __future__ import annotations

import shlex
import time

import pytest

from nagios_herd import procs
from nagios_herd.lab import guests
from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]

OK, WARNING, CRITICAL = 0, 1, 2


def _check(lab, host, plugin, *args):
    command = " ".join(shlex.quote(part) for part in (f"{lab.herd.paths.plugin_dir}/{plugin}", *args))
    done = lab.ssh(host.address, command, host.ssh_port)
    return done.returncode, done.stdout


def _domain_args(lab, host, running_here=None):
    """--domain for the guests that must run on ``host`` (default: those preferring it), --absent for the rest."""
    args = []
    for guest in lab.herd.guests:
        here = guest.preferred_host == host.name if running_here is None else guest.name in running_here
        args += ["--domain" if here else "--absent", guest.name]
    return args


def _nagios_url(lab, guest):
    return ["-H", guest.address, "--url", f"http://{guest.address}/cgi-bin/nagios4/statusjson.cgi",
            "--authfile", str(guests.reader_store(lab.layout) / guest.name)]


def _drbd_verdict(lab, host, expected, timeout=30):
    """Wait until check_drbd_sync on ``host`` answers ``expected``; its output."""
    seen = {}

    def reached():
        seen["result"] = _check(lab, host, "check_drbd_sync")
        return seen["result"][0] == expected

    procs.wait_for(reached, timeout, f"check_drbd_sync on {host.name} to exit {expected}: {seen}")
    return seen["result"][1]


def test_healthy_herd_is_ok_everywhere(lab):
    for host in lab.herd.hosts:
        assert _check(lab, host, "check_drbd_sync")[0] == OK
        assert _check(lab, host, "check_xen_domain", *_domain_args(lab, host))[0] == OK
        assert _check(lab, host, "check_lvm_capacity", "--vg", host.volume_group)[0] == OK
    for guest in lab.herd.guests:
        if guest.serve_nagios:
            code, out = _check(lab, lab.herd.primary, "check_nagios_guest", *_nagios_url(lab, guest))
            assert code == OK, out


NRPE_FILE = "/etc/nagios/nrpe.d/nagios-herd.cfg"


def _nrpe_commands(lab, host):
    """name -> command line of every ``command[...]`` in the NRPE file deployed on ``host``."""
    done = lab.ssh(host.address, f"cat {NRPE_FILE}", host.ssh_port)
    assert done.returncode == 0, done.stderr
    commands = {}
    for line in done.stdout.splitlines():
        if line.startswith("command["):
            name, _, command = line.removeprefix("command[").partition("]=")
            commands[name] = command
    return commands


def _as(lab, host, user, command):
    done = lab.ssh(host.address, f"runuser -u {user} -- /bin/sh -c {shlex.quote(command)}", host.ssh_port)
    return done.returncode, done.stdout


def _nrpe_user(lab, host):
    """NRPE's user, nagios; root only where nagios cannot reach the plugin dir (a lab below a private directory)."""
    plugin = f"{lab.herd.paths.plugin_dir}/check_drbd_sync"
    return "nagios" if _as(lab, host, "nagios", f"{plugin} -V")[1].startswith("check_drbd_sync ") else "root"


def _as_nrpe(lab, host, command):
    """Run ``command`` on ``host`` as NRPE would: as its user, through ``/bin/sh -c``."""
    return _as(lab, host, _nrpe_user(lab, host), command)


def test_the_deployed_nrpe_commands_run_as_nagios_through_sudo(lab):
    for host in lab.herd.hosts:
        commands = _nrpe_commands(lab, host)
        watcher = {"check_herd_watch"} if host.role == "primary" else set()  # the lab seeds its state file
        assert set(commands) == {"check_drbd_sync", "check_xen_domain", "check_lvm_capacity", *watcher}
        for name, command in commands.items():
            assert f"{lab.herd.paths.plugin_dir}/{name} --input -" in command and "sudo -n" in command
            code, out = _as_nrpe(lab, host, command)
            assert code == OK and " OK - " in out.splitlines()[0], (host.name, name, out)
        # sudo runs the listed tools for nagios, nothing else: the sudoers file deployed on the host decides
        assert _as(lab, host, "nagios", "/usr/bin/sudo -n -l /usr/sbin/xl list")[0] == OK
        assert _as(lab, host, "nagios", "/usr/bin/sudo -n -l /usr/sbin/xl destroy lab-db")[0] != OK
    primary = lab.herd.primary
    lab.cut_link()
    code, out = _as_nrpe(lab, primary, _nrpe_commands(lab, primary)["check_drbd_sync"])
    assert code == CRITICAL and out.startswith("DRBD CRITICAL"), out
    for name in ("check_xen_domain", "check_lvm_capacity"):
        assert _as_nrpe(lab, primary, _nrpe_commands(lab, primary)[name])[0] == OK
    lab.heal_link()
    _drbd_verdict(lab, primary, OK)


def test_a_resync_after_the_link_heals_is_a_warning_with_progress(lab):
    primary = lab.herd.primary
    lab.cut_link()
    _drbd_verdict(lab, primary, CRITICAL)  # not connected
    time.sleep(1.5)  # the running guests keep writing: blocks for the resync
    faults.set_resync_rate(str(lab.layout.sim_dir), 0.001)
    lab.heal_link()
    out = _drbd_verdict(lab, primary, WARNING)
    assert "% done, ETA " in out and "_sync=" in out and "_eta=" in out
    # a resync touches neither the domains nor the volume groups
    assert _check(lab, primary, "check_xen_domain", *_domain_args(lab, primary))[0] == OK
    assert _check(lab, primary, "check_lvm_capacity", "--vg", primary.volume_group)[0] == OK
    faults.set_resync_rate(str(lab.layout.sim_dir), 100)
    _drbd_verdict(lab, primary, OK)


def test_a_crashed_host_is_critical_from_its_peer_and_answers_nothing(lab):
    primary, backup = lab.herd.primary, lab.herd.backup
    lab.crash(backup.name)
    for plugin in ("check_drbd_sync", "check_xen_domain", "check_lvm_capacity"):
        assert _check(lab, backup, plugin)[0] == 255  # ssh: the host does not answer
    assert _drbd_verdict(lab, primary, CRITICAL)
    # the survivor runs its own guests; the crashed host's guests run nowhere
    survivors = {guest.name for guest in lab.herd.guests_preferring(primary.name)}
    assert _check(lab, primary, "check_xen_domain", *_domain_args(lab, primary, survivors))[0] == OK
    code, out = _check(lab, primary, "check_xen_domain", *[arg for guest in lab.herd.guests
                                                          for arg in ("--domain", guest.name)])
    assert code == CRITICAL, out
    assert all(guest.name in out for guest in lab.herd.guests_preferring(backup.name))
    for guest in lab.herd.guests_preferring(backup.name):
        if guest.serve_nagios:
            assert _check(lab, primary, "check_nagios_guest", *_nagios_url(lab, guest))[0] == CRITICAL
    lab.revive(backup.name)
    done = lab.ssh(backup.address, "drbdadm adjust all", backup.ssh_port)
    assert done.returncode == 0, done.stderr
    _drbd_verdict(lab, primary, OK)


def test_split_brain_is_critical_on_both_hosts(lab):
    primary, backup = lab.herd.primary, lab.herd.backup
    guest = lab.herd.guests_preferring(primary.name)[0]
    lab.cut_link()
    done = lab.ssh(backup.address, f"drbdadm primary {guest.name}", backup.ssh_port)
    assert done.returncode == 0, done.stderr
    lab.heal_link()
    for host in (primary, backup):
        out = _drbd_verdict(lab, host, CRITICAL)
        assert f"{guest.name}: split brain suspected" in out and "StandAlone" in out
