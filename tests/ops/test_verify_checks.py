"""verify's pure checks on probe results parsed from real-format text (V6, V7, V10, V11, V13)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from nagios_herd.inventory.loader import load
from nagios_herd.ops import journal, verify_checks
from nagios_herd.ops.facts import HostFacts
from nagios_herd.parsers import ip_addr, xen

from .states import resource, snapshot, view, xl_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def herd():
    return load(ROOT / "etc/lab.toml")


def views_of(herd, primary_xl, primary_res, backup_xl, backup_res):
    snaps = {"primary": snapshot("primary", primary_xl, primary_res),
             "backup": snapshot("backup", backup_xl, backup_res)}
    return [view(herd.guest("lab-db"), snaps)], snaps


def test_two_primaries_and_a_domain_on_both_hosts_are_errors(herd):
    views, snaps = views_of(
        herd, xl_list(("lab-db", 64, "-b----")),
        [resource("lab-db", 3, "Primary", "UpToDate", connection="StandAlone", peer_role="Unknown")],
        xl_list(("lab-db", 64, "r-----")),
        [resource("lab-db", 3, "Primary", "UpToDate", connection="StandAlone", peer_role="Unknown")])
    found = [str(f) for f in verify_checks.resources(herd, views) + verify_checks.domains(herd, views, snaps, {})]
    assert "ERROR V6   lab-db: Primary on primary and backup (two Primaries)" in found
    assert any(f.startswith("ERROR V6") and "split brain suspected" in f for f in found)
    assert "ERROR V7   lab-db: domain exists on primary and backup" in found


def test_resync_is_a_warning_with_progress_and_a_wrong_record_is_reported(herd):
    views, snaps = views_of(
        herd, xl_list(("lab-db", 64, "-b----")),
        [resource("lab-db", 3, "Primary", "UpToDate", peer_disk="Inconsistent", replication="SyncSource",
                  done=37.5)],
        xl_list(), [resource("lab-db", 3, "Secondary", "Inconsistent", peer_role="Primary",
                             replication="SyncTarget", done=37.5)])
    found = [str(f) for f in verify_checks.resources(herd, views)]
    assert "WARN  V6   lab-db: SyncTarget on backup, 37.5% done" in found
    assert not any(f.startswith("ERROR") for f in found)
    record = verify_checks.domains(herd, views, snaps, {"lab-db": "backup"})
    assert [str(f) for f in record] == ["WARN  V13  lab-db: recorded on backup, runs on primary"]


def test_n_plus_one_memory(herd):
    info = xen.parse_info((ROOT / "tests/fixtures/ganeti/xen-xl-info-4.0.1.txt").read_text())
    small = HostFacts("backup", 100, info, None, {})
    snaps = {"primary": snapshot("primary", xl_list(), []), "backup": snapshot("backup", xl_list(), [])}
    facts = {"primary": HostFacts("primary", info.free_memory_mb, info, None, {}), "backup": small}
    assert [f.check for f in verify_checks.memory(herd, facts, snaps)] == ["V10"]


def test_drbd_safety_reads_settings_not_comments():
    safe = ("# no become-primary-on here\nhandlers {\n split-brain \"/usr/lib/drbd/notify-split-brain.sh root\";\n}\n"
            "options {\n auto-promote no;\n}\nnet {\n after-sb-1pri disconnect;\n after-sb-2pri disconnect;\n"
            " allow-two-primaries no;\n cram-hmac-alg sha256;\n shared-secret \"0123456789abcdef\";\n}\n")
    assert verify_checks.drbd_safety("primary", safe) == []
    risky = "net { after-sb-1pri discard-secondary; after-sb-2pri disconnect; allow-two-primaries; }\n" \
            "startup { become-primary-on both; }\n# split-brain \"/usr/lib/drbd/notify-split-brain.sh root\";\n"
    found = [(f.severity, f.message) for f in verify_checks.drbd_safety("primary", risky)]
    assert [m for sev, m in found if sev == "ERROR" and "after-sb-1pri" in m]
    assert ("ERROR", "primary: no split-brain handler (a split brain would go unnoticed)") in found
    assert any(sev == "WARN" and "'auto-promote no' not set" in m for sev, m in found) and len(found) == 6
    assert ("WARN", "primary: DRBD peers do not authenticate (no cram-hmac-alg and shared-secret: set "
                    "herd.drbd_secrets)") in found
    promoting = safe.replace("auto-promote no", "auto-promote yes")
    assert [f.message for f in verify_checks.drbd_safety("primary", promoting)][0] == \
        "primary: 'auto-promote yes' set in the DRBD configuration"


def test_drbd_utils_and_kernel_module_versions_are_compared():
    """``drbdadm --version`` as drbd-utils 9.22 prints it (the lab hosts' own output)."""
    text = ("DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe reproducible\\ build\nDRBDADM_API_VERSION=2\n"
            "DRBD_KERNEL_VERSION_CODE=0x090208\nDRBD_KERNEL_VERSION=9.2.8\nDRBDADM_VERSION_CODE=0x091600\n"
            "DRBDADM_VERSION=9.22.0\n")
    same = verify_checks.drbd_versions(text)
    assert same == {"DRBDADM_VERSION": "9.22.0", "DRBD_KERNEL_VERSION": "9.2.8"}
    assert verify_checks.version_mismatch({"primary": same, "backup": same}) == []
    older = verify_checks.drbd_versions(text.replace("9.2.8", "9.1.19"))
    assert verify_checks.version_mismatch({"primary": same, "backup": older}) == [
        "DRBD kernel module versions differ: primary 9.2.8, backup 9.1.19"]


def test_an_interrupted_job_is_unfinished_until_a_later_run_closes_it(tmp_path):
    first = journal.Journal(tmp_path, "fab failover --guest lab-db")
    first.write("lab-db", "shutdown", "done", host="primary")
    with open(tmp_path / "journal.jsonl", "a") as torn:
        torn.write('{"torn": ')  # a crash in the middle of a line
    assert journal.unfinished(tmp_path)["lab-db"]["step"] == "shutdown"
    journal.Journal(tmp_path, "fab failover --guest lab-db").write("lab-db", "end", "done")
    assert journal.unfinished(tmp_path) == {}


def test_a_job_that_acted_and_did_not_finish_stays_resumable_through_later_refusals(tmp_path):
    def job(guest, *lines):
        run = journal.Journal(tmp_path, "fab failover")
        for step, result in lines:
            run.write(guest, step, result)

    job("lab-db", ("begin", "started"), ("shutdown", "done"))  # killed after the shutdown
    job("lab-db", ("end", "refused"))  # a re-run refused (target down): nothing acted
    job("lab-ops", ("begin", "started"), ("promote", "failed"), ("end", "stopped"))  # exit 17
    job("lab-web", ("begin", "started"), ("end", "done"))
    job("lab-infra", ("end", "refused"))
    assert journal.resumable(tmp_path) == {"lab-db", "lab-ops"}
    job("lab-db", ("begin", "started"), ("end", "done"))
    assert journal.resumable(tmp_path) == {"lab-ops"}


def test_a_resync_that_does_not_move_between_samples_is_stuck(herd):
    def sample(done, oos_kib):
        return views_of(herd, xl_list(("lab-db", 64, "-b----")),
                        [resource("lab-db", 3, "Primary", "UpToDate", peer_disk="Inconsistent",
                                  replication="SyncSource", done=done, out_of_sync_kib=oos_kib)],
                        xl_list(), [resource("lab-db", 3, "Secondary", "Inconsistent", peer_role="Primary",
                                             replication="SyncTarget", done=done, out_of_sync_kib=oos_kib)])[0]
    moving = verify_checks.stalled(herd, sample(40.0, 1000), sample(40.0, 900))
    assert moving == []  # the percentage did not move, the bytes to go did
    stuck = verify_checks.stalled(herd, sample(40.0, 1000), sample(40.0, 1000))
    assert [f.check for f in stuck] == ["V12", "V12"] and "stuck at 40.0%" in stuck[0].message


def test_a_bridge_missing_on_one_host_is_an_error_on_every_host_a_warning(herd):
    def facts(primary, backup):
        return {"primary": HostFacts("primary", bridge=primary), "backup": HostFacts("backup", bridge=backup)}
    assert [f.severity for f in verify_checks.bridges(herd, facts(True, False))] == ["ERROR"]
    assert [f.severity for f in verify_checks.bridges(herd, facts(False, False))] == ["WARN", "WARN"]
    assert verify_checks.bridges(herd, facts(True, None)) == []


def test_configs_must_agree_and_use_the_drbd_device_and_unknown_resources_are_named(herd):
    path = "/etc/xen/lab-db.cfg"
    sums = {f"/etc/xen/{g.name}.cfg": "a" * 64 for g in herd.guests}
    info = xen.parse_info((ROOT / "tests/fixtures/ganeti/xen-xl-info-4.0.1.txt").read_text())
    good = frozenset(sums)
    facts = {"primary": HostFacts("primary", 1, info, None, sums, on_drbd=good),
             "backup": HostFacts("backup", 1, info, None, {**sums, path: "b" * 64}, on_drbd=good - {path})}
    found = [str(f) for f in verify_checks.configs(herd, facts)]
    assert found == ["ERROR V8   /etc/xen/lab-db.cfg differs between hosts",
                     "ERROR V8   backup: /etc/xen/lab-db.cfg does not use /dev/drbd/by-res/lab-db/ "
                     "(the guest would bypass DRBD)"]
    views, _ = views_of(herd, xl_list(("lab-db", 64, "-b----")),
                        [resource("lab-db", 3, "Primary", "UpToDate"),
                         resource("old-team", 9, "Secondary", "UpToDate")],
                        xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate", peer_role="Primary")])
    assert "WARN  V5   primary: DRBD resource old-team belongs to no guest" in \
        [str(f) for f in verify_checks.resources(herd, views)]


def configured(*entries: str) -> tuple[ip_addr.Address, ...]:
    """Addresses as ``ip -json address show`` prints them (``IFNAME ADDRESS/PREFIX`` each), parsed by the parser."""
    links: dict[str, list] = {}
    for entry in entries:
        name, _, address = entry.partition(" ")
        local, _, prefix = address.partition("/")
        family = "inet6" if ":" in local else "inet"
        links.setdefault(name, []).append({"family": family, "local": local, "prefixlen": int(prefix)})
    return ip_addr.parse_addresses(json.dumps([{"ifname": n, "addr_info": a} for n, a in links.items()]))


@pytest.mark.parametrize("address, replication, host, shared", [
    # two /24s side by side: separate networks
    ("192.168.1.10", "192.168.2.10", ("xenbr0 192.168.1.10/24", "eth1 192.168.2.10/24"), None),
    # the replication address put in the management /24 (on another NIC): one network
    ("192.168.1.10", "192.168.1.20", ("xenbr0 192.168.1.10/24", "eth1 192.168.1.20/24"),
     ("192.168.1.0/24", "192.168.1.0/24")),
    # a management /16 that spans the replication /24: routing prefers the /24 until that link goes down
    ("10.1.0.5", "10.1.200.5", ("xenbr0 10.1.0.5/16", "eth1 10.1.200.5/24"), ("10.1.0.0/16", "10.1.200.0/24")),
    # the other way round: a replication /16 that spans the management /24
    ("10.1.0.5", "10.1.200.5", ("xenbr0 10.1.0.5/24", "eth1 10.1.200.5/16"), ("10.1.0.0/24", "10.1.0.0/16")),
    # neighbouring /25s of one /24 do not overlap
    ("10.2.0.10", "10.2.0.130", ("xenbr0 10.2.0.10/25", "eth1 10.2.0.130/25"), None),
    # a back-to-back /30 replication link next to the management /24
    ("192.0.2.10", "10.0.0.1", ("xenbr0 192.0.2.10/24", "eth1 10.0.0.1/30"), None),
    # the replication address is not configured on the host, but the management network holds it
    ("10.1.0.5", "10.1.200.5", ("xenbr0 10.1.0.5/16",), ("10.1.0.0/16", "10.1.200.5/32")),
    # nothing known about the host: only the addresses are compared
    ("10.1.0.5", "10.1.0.6", (), None),
    ("10.1.0.5", "10.1.0.5", (), ("10.1.0.5/32", "10.1.0.5/32")),
    # IPv6 networks on the host never match IPv4 addresses, and IPv6 addresses compare by their own prefix
    ("192.0.2.10", "198.51.100.10", ("xenbr0 192.0.2.10/24", "xenbr0 2001:db8:1::10/64",
                                     "eth1 198.51.100.10/24"), None),
    ("2001:db8:1::10", "2001:db8:1::20", ("xenbr0 2001:db8:1::10/64", "eth1 2001:db8:1::20/64"),
     ("2001:db8:1::/64", "2001:db8:1::/64")),
    ("2001:db8:1::10", "2001:db8:2::10", ("xenbr0 2001:db8:1::10/64", "eth1 2001:db8:2::10/64"), None),
    ("2001:db8:1::10", "2001:db8:1:5::10", ("xenbr0 2001:db8:1::10/48", "eth1 2001:db8:1:5::10/64"),
     ("2001:db8:1::/48", "2001:db8:1:5::/64")),
])
def test_management_and_replication_networks_are_compared_as_the_host_configures_them(address, replication, host,
                                                                                       shared):
    found = verify_checks.overlapping_networks(address, replication, configured(*host))
    assert (None if found is None else tuple(str(network) for network in found)) == shared


def test_replication_over_the_management_network_is_a_v11_warning(herd):
    info = xen.parse_info((ROOT / "tests/fixtures/ganeti/xen-xl-info-4.0.1.txt").read_text())
    dom0 = ip_addr.parse_addresses((ROOT / "tests/fixtures/iproute2/ip-json-address-dom0.json").read_text())
    primary, backup = herd.host("primary"), herd.host("backup")
    split = replace(herd, hosts=(replace(primary, address="192.0.2.10", replication_address="198.51.100.10"),
                                 replace(backup, address="192.0.2.11", replication_address="192.0.2.21")))
    facts = {"primary": HostFacts("primary", 1, info, addresses=dom0),
             "backup": HostFacts("backup", 1, info, addresses=configured("xenbr0 192.0.2.11/24",
                                                                         "eth1 192.0.2.21/24"))}
    assert [str(f) for f in verify_checks.replication_network(split, facts)] == [
        "WARN  V11  backup: DRBD replicates over the management network: replication_address 192.0.2.21 "
        "(192.0.2.0/24) and address 192.0.2.11 (192.0.2.0/24) overlap"]
    unreadable = {**facts, "primary": HostFacts("primary", 1, info, addresses=None)}
    assert [f.message for f in verify_checks.replication_network(split, unreadable)][0] == (
        "primary: its addresses could not be read (ip -json address show), so the management and replication "
        "networks were not compared")
    assert [f.message for f in verify_checks.replication_network(herd, facts)] == [
        f"{h.name}: DRBD replicates over the management address {h.address}" for h in herd.hosts]


def test_deployed_files_others_may_write_are_errors_readable_drbd_files_and_loose_sudoers_warnings(herd):
    info = xen.parse_info((ROOT / "tests/fixtures/ganeti/xen-xl-info-4.0.1.txt").read_text())
    safe = {"/etc/drbd.d": (0, 0o755), "/etc/drbd.d/global_common.conf": (0, 0o600),
            "/etc/drbd.d/lab-db.res": (0, 0o600), "/etc/sudoers.d": (0, 0o750),
            "/etc/sudoers.d/nagios-herd": (0, 0o440), "/etc/nagios/nrpe.d": (0, 0o755),
            "/etc/nagios/nrpe.d/nagios-herd.cfg": (0, 0o644)}
    unsafe = {**safe, "/etc/drbd.d/lab-db.res": (0, 0o644), "/etc/drbd.d/lab-web.res": (0, 0o660),
              "/etc/sudoers.d/nagios-herd": (112, 0o440), "/etc/nagios/nrpe.d": (0, 0o2775)}
    facts = {"primary": HostFacts("primary", 1, info, modes=safe), "backup": HostFacts("backup", 1, info, modes=unsafe)}
    assert [str(f) for f in verify_checks.file_modes(herd, facts)] == [
        "WARN  V15  backup: /etc/drbd.d/lab-db.res is readable by group or others (mode 0644): it may hold the DRBD "
        "peers' shared secret (fab deploy installs it 0600)",
        "ERROR V15  backup: /etc/drbd.d/lab-web.res is writable by group or others (mode 0660): whoever can write it "
        "chooses the handlers DRBD runs as root",
        "WARN  V15  backup: /etc/drbd.d/lab-web.res is readable by group or others (mode 0660): it may hold the DRBD "
        "peers' shared secret (fab deploy installs it 0600)",
        "ERROR V15  backup: /etc/nagios/nrpe.d is writable by group or others (mode 2775): whoever can write there "
        "chooses what NRPE runs, with the nagios user's sudo rules",
        "ERROR V15  backup: /etc/sudoers.d/nagios-herd is owned by uid 112, not root: whoever can write it can give "
        "any user root"]
    sudoers = "/etc/sudoers.d/nagios-herd"
    for mode, found in ((0o400, []), (0o644, ["WARN  V15  backup: /etc/sudoers.d/nagios-herd has mode 0644, not 0440 "
                                              "or 0400 as sudo wants (fab deploy installs it 0440)"]),
                        (0o640, ["WARN  V15  backup: /etc/sudoers.d/nagios-herd has mode 0640, not 0440 or 0400 as "
                                 "sudo wants (fab deploy installs it 0440)"]),
                        (0o460, ["ERROR V15  backup: /etc/sudoers.d/nagios-herd is writable by group or others (mode "
                                 "0460): whoever can write it can give any user root"])):
        facts = {"primary": HostFacts("primary", 1, info, modes=safe),
                 "backup": HostFacts("backup", 1, info, modes={**safe, sudoers: (0, mode)})}
        assert [str(f) for f in verify_checks.file_modes(herd, facts)] == found, oct(mode)
    unread = {"primary": HostFacts("primary", 1, info, modes=None), "backup": HostFacts("backup")}
    assert [str(f) for f in verify_checks.file_modes(herd, unread)] == [
        "WARN  V15  primary: the owners and modes of the deployed files could not be read"]
