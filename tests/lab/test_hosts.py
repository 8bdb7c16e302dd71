"""Each lab host over real SSH: pinned keys, its own files and LVM, simulators that parse like the real tools."""

from __future__ import annotations

import os
import subprocess

import pytest

from nagios_herd.lab import sshd
from nagios_herd.parsers import lvm, xen
from nagios_herd.parsers.drbd import formats as drbd_formats
from nagios_herd.parsers.drbd import model as drbd

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _run(lab, host, command):
    done = lab.ssh(host.address, command, host.ssh_port)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_host_has_its_own_identity_and_files(lab):
    machine_xen = sorted(os.listdir("/etc/xen"))
    namespaces = set()
    for host in lab.herd.hosts:
        out = _run(lab, host, 'echo "$LAB_HOST"; readlink /proc/self/ns/mnt; ls /etc/xen')
        name, namespace, *files = out.split()
        assert name == host.name
        namespaces.add(namespace)
        assert {f"{guest.name}.cfg" for guest in lab.herd.guests} <= set(files)
    assert len(namespaces) == 2 and os.readlink("/proc/self/ns/mnt") not in namespaces
    assert sorted(os.listdir("/etc/xen")) == machine_xen  # the machine's own /etc/xen is untouched


def test_a_wrong_known_hosts_is_refused(lab, tmp_path):
    primary, backup = lab.herd.hosts
    wrong = tmp_path / "known_hosts"
    backup_key = lab.layout.host_dir(backup.name) / "ssh_host_ed25519_key.pub"
    wrong.write_text("\n".join(sshd.known_hosts_lines(primary.address, primary.ssh_port, backup_key)) + "\n")
    argv = lab.ssh_argv(primary.address, "true", primary.ssh_port)
    argv[argv.index(f"UserKnownHostsFile={lab.known_hosts}")] = f"UserKnownHostsFile={wrong}"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 255
    assert "host key" in done.stderr.lower()


def test_without_the_lab_key_login_is_refused(lab, tmp_path):
    primary = lab.herd.primary
    stranger = tmp_path / "stranger"
    sshd.keygen(stranger, "not the lab's key")
    argv = lab.ssh_argv(primary.address, "true", primary.ssh_port)
    argv[argv.index(str(lab.client_key))] = str(stranger)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 255
    assert "permission denied" in done.stderr.lower()


def test_same_vg_name_on_both_hosts_each_with_only_its_own_pv(lab):
    devices = {}
    for host in lab.herd.hosts:
        pvs = _run(lab, host, "pvs --noheadings -o pv_name,vg_name").split()
        assert len(pvs) == 2 and pvs[1] == host.volume_group
        devices[host.name] = pvs[0]
        report = lvm.parse_report(_run(lab, host, "vgs --reportformat json; lvs --reportformat json"))
        vg = report.vg(host.volume_group)
        assert vg is not None and vg.pv_count == 1 and not vg.partial
        names = {lv.name for lv in report.lvs_of(host.volume_group)}
        assert names == {volume.name for guest in lab.herd.guests for volume in guest.volumes}
        assert all(lv.attr.state_unknown for lv in report.lvs_of(host.volume_group))
    assert len(set(devices.values())) == 2
    assert {host.volume_group for host in lab.herd.hosts} == {lab.herd.primary.volume_group}


def test_simulators_answer_over_ssh_in_formats_the_parsers_read(lab):
    for host in lab.herd.hosts:
        info = xen.parse_info(_run(lab, host, "xl info"))
        assert info.total_memory_mb == host.memory_mb and 0 <= info.free_memory_mb < host.memory_mb
        domains = {d.name: d for d in xen.parse_list(_run(lab, host, "xl list"))}
        assert "Domain-0" in domains
        expected = {guest.name for guest in lab.herd.guests_preferring(host.name)}
        assert set(domains) - {"Domain-0"} == expected
        for source in ("drbdsetup status --json", "drbdadm status", "drbdsetup events2 --now --statistics",
                       "drbdsetup status --verbose --statistics"):
            status = drbd_formats.detect_and_parse(_run(lab, host, source))
            assert {r.name for r in status.resources} == {guest.name for guest in lab.herd.guests}, source
            for resource in status.resources:
                assert drbd.is_connected(resource) and drbd.is_uptodate(resource), (source, resource)
                expected_role = "Primary" if resource.name in expected else "Secondary"
                assert resource.role == expected_role
        # sudo's secure_path (no LAB_HOST, no PATH of ours) reaches the simulators as this host too
        secure_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        listing = _run(lab, host, f"env -i PATH={secure_path} xl list")
        assert {d.name for d in xen.parse_list(listing)} == set(domains)
        # ... and so do the absolute paths the check plugins use, as on a real dom0
        assert {d.name for d in xen.parse_list(_run(lab, host, "env -i /usr/sbin/xl list"))} == set(domains)
        assert drbd_formats.detect_and_parse(_run(lab, host, "env -i /usr/sbin/drbdsetup status --json")).resources
