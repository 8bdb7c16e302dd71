"""Real DRBD outputs pasted into public issue threads (tests/fixtures/issues/): parsed facts and verdicts.

Each fixture is an extract of one tool output (PROVENANCE.md names the thread); the verdict is the one
the docs/checks.md table gives for the state it shows, checked on the real executable.
"""

from __future__ import annotations

import pytest
from drbd_support import FIXTURES, read, run_check

from nagios_herd.parsers.drbd import model as drbd
from nagios_herd.parsers.drbd.formats import detect_and_parse
from nagios_herd.parsers.drbd.model import DrbdParseError

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
ISSUES = "issues/"

VERDICTS = [  # fixture, exit code, fragments of the status line
    ("clustervision_trinity_651_proc_drbd_WFConnection_Inconsistent.txt", CRITICAL,
     ["1: local disk Inconsistent without a resync; not connected to peer (WFConnection); 38.6 GiB out of sync"]),
    ("clustervision_trinity_651_proc_drbd_StandAlone_Primary.txt", CRITICAL,
     ["1: split brain suspected; not connected to peer (StandAlone)", "1/0_oos=41419485184B"]),
    ("rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node1.txt", CRITICAL,
     ["0: split brain suspected; not connected to peer (StandAlone); 76.0 KiB out of sync"]),
    ("rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node2.txt", CRITICAL,
     ["0: split brain suspected; not connected to peer (StandAlone); 100.0 KiB out of sync", "0/0_oos=102400B"]),
    ("ganeti_ganeti_843_proc_drbd_8.3.11_SyncSource_finish_same_line.txt", WARNING,
     ["1: resync SyncSource 0.1% done, ETA 4882:52:29", "1/0_eta=17578349s"]),
    ("ganeti_ganeti_843_proc_drbd_8.3.11_SyncTarget_finish_same_line.txt", WARNING,
     ["1: resync SyncTarget 0.1% done, ETA 4882:52:29"]),
    ("cockpit-project_cockpit_17042_proc_drbd_8.4.11_two_syncs.txt", WARNING,
     ["1: resync SyncSource 17.9% done, ETA 10:43:36; 2: resync SyncTarget 28.9% done, ETA 3:50:39",
      "1/0_eta=38616s", "2/0_sync=28.9%"]),
    ("crowbar_crowbar-core_1238_drbdadm_status_Connecting.txt", CRITICAL,
     ["postgresql: local disk Inconsistent without a resync; not connected to d52-54-77-77-01-01 (Connecting)"]),
    ("crowbar_crowbar-core_1238_drbdadm_status_SyncTarget.txt", WARNING,
     ["postgresql: resync SyncTarget 0.08% done", "postgresql/0_sync=0.08%"]),
    ("crowbar_crowbar-core_1238_drbdadm_status_UpToDate.txt", OK, ["1 resource connected and UpToDate: postgresql"]),
    ("LINBIT_linstor-server_203_drbdadm_status_Inconsistent_no_replication.txt", CRITICAL,
     ["one-vm-7707-disk-0: local disk Inconsistent without a resync", "peer m11c4: peer disk Diskless"]),
    ("LINBIT_linstor-server_221_drbdsetup_status_verbose_clients.txt", CRITICAL,
     ["my_ssd_res: volume 1: local disk Inconsistent without a resync"]),
    ("LINBIT_drbd_30_drbdsetup_status_verbose_statistics_flattened.txt", WARNING,
     ["r008: 12.0 KiB out of sync", "r008/0_sync=99.99%", "r008/0_oos=12288B"]),
    ("LINBIT_drbd-reactor_1_drbdadm_status_Diskless_quorum_no_Connecting.txt", CRITICAL,
     ["linstor_db: local disk Diskless; quorum lost; not connected to node-2 (Connecting)"]),
    ("LINBIT_drbd-reactor_1_drbdadm_status_Diskless_quorum_no_StandAlone_node1.txt", CRITICAL,
     ["quorum lost; not connected to node-2 (StandAlone); not connected to node-3 (StandAlone)"]),
    ("LINBIT_drbd-reactor_1_drbdadm_status_Diskless_quorum_no_StandAlone_node3.txt", CRITICAL,
     ["not connected to node-1 (StandAlone)"]),
    ("ClusterLabs_ha_cluster_exporter_25_drbdsetup_status_json_TRUNCATED.txt", UNKNOWN, ["invalid JSON"]),
    ("ClusterLabs_ha_cluster_exporter_25_drbdsetup_status_json_first_resource.json", OK,
     ["1 resource connected and UpToDate: 1-single-0", "1-single-0/0_sync=100%"]),
]


@pytest.mark.parametrize(("name", "code", "fragments"), VERDICTS, ids=[v[0][:60] for v in VERDICTS])
def test_real_output_verdict(name: str, code: int, fragments: list[str], tmp_path) -> None:
    result = run_check("--input", str(FIXTURES / ISSUES / name), state_dir=tmp_path)
    first = result.stdout.splitlines()[0]
    assert result.stderr == "" and "Traceback" not in result.stdout
    assert result.returncode == code, result.stdout
    for fragment in fragments:
        assert fragment in first, (fragment, first)


def test_every_issue_fixture_has_a_verdict() -> None:
    tested = {name for name, _, _ in VERDICTS}
    drbd_files = {p.name for p in (FIXTURES / ISSUES).iterdir()
                  if any(key in p.name for key in ("drbd", "crowbar", "ha_cluster_exporter", "trinity", "ganeti"))}
    assert drbd_files <= tested


def test_trinity_standalone_primary_facts() -> None:
    (r,) = detect_and_parse(read(ISSUES + "clustervision_trinity_651_proc_drbd_StandAlone_Primary.txt")).resources
    (connection,) = r.connections
    (peer,) = connection.peer_devices
    assert (r.role, r.devices[0].disk_state, connection.state, connection.peer_role) == (
        "Primary", "UpToDate", "StandAlone", "Unknown")
    assert (peer.peer_disk_state, peer.out_of_sync_bytes) == ("Inconsistent", 40448716 * 1024)
    assert drbd.split_brain_suspected(r)


def test_proc_paste_without_indentation_and_a_wrapped_build_tag() -> None:
    """rio-ke/proof-of-concepts quotes /proc/drbd with every indent gone and the build date cut in two."""
    status = detect_and_parse(read(ISSUES + "rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node2.txt"))
    (r,) = status.resources
    assert (status.version, r.name, r.role, r.devices[0].disk_state) == ("8.4.0", "0", "Primary", "UpToDate")
    assert r.connections[0].peer_devices[0].out_of_sync_bytes == 100 * 1024
    with pytest.raises(DrbdParseError, match="unexpected /proc/drbd line"):
        detect_and_parse("version: 8.4.0 (api:1/proto:86-100)\nGIT-hash: 1 build by x\nwrapped\nsecond garbage\n")


def test_cockpit_two_resyncs_facts() -> None:
    source, target = detect_and_parse(read(ISSUES + "cockpit-project_cockpit_17042_proc_drbd_8.4.11_two_syncs.txt")).resources
    assert [(p.replication_state, p.sync_done_percent, p.eta_seconds)
            for r in (source, target) for p in r.connections[0].peer_devices] == [
        ("SyncSource", 17.9, 10 * 3600 + 43 * 60 + 36), ("SyncTarget", 28.9, 3 * 3600 + 50 * 60 + 39)]


def test_linstor_221_three_diskless_clients_two_volumes() -> None:
    (r,) = detect_and_parse(read(ISSUES + "LINBIT_linstor-server_221_drbdsetup_status_verbose_clients.txt")).resources
    assert [(d.volume, d.minor, d.disk_state, d.quorum) for d in r.devices] == [
        (0, 1000, "UpToDate", True), (1, 1001, "Inconsistent", True)]
    assert [(c.peer, c.node_id) for c in r.connections] == [("node1", 2), ("node2", 3), ("node4", 1)]
    assert all(p.peer_client and p.peer_disk_state == "Diskless" and p.resync_suspended == ()
               for c in r.connections for p in c.peer_devices)


def test_flattened_paste_is_read_by_keys_not_indentation() -> None:
    """LINBIT/drbd#30 lost its indentation in the issue: objects are still told apart by their first word."""
    (r,) = detect_and_parse(read(ISSUES + "LINBIT_drbd_30_drbdsetup_status_verbose_statistics_flattened.txt")).resources
    assert (r.name, r.role, r.devices[0].minor, r.devices[0].size_bytes) == ("r008", "Primary", 8, 109757124 * 1024)
    (c,) = r.connections
    assert (c.peer, c.node_id, c.state, c.peer_role) == ("fs100", 1, "Connected", "Secondary")
    assert c.peer_devices[0].out_of_sync_bytes == 12 * 1024


def test_drbd_reactor_diskless_without_client_flag_is_not_a_client() -> None:
    """On a terminal drbdadm does not print ``client:``; a Diskless disk that does not say so is unintended."""
    (r,) = detect_and_parse(read(ISSUES + "LINBIT_drbd-reactor_1_drbdadm_status_Diskless_quorum_no_Connecting.txt")).resources
    assert [(d.disk_state, d.client, d.quorum) for d in r.devices] == [("Diskless", False, False)]
    assert [(c.peer, c.state, c.peer_devices) for c in r.connections] == [
        ("node-2", "Connecting", []), ("node-3", "Connecting", [])]


def test_json_trailing_space_quirk_in_the_real_paste() -> None:
    text = read(ISSUES + "ClusterLabs_ha_cluster_exporter_25_drbdsetup_status_json_first_resource.json")
    assert '"connection-state": "Connected", \n' in text
    (r,) = detect_and_parse(text).resources
    assert (r.connections[0].state, r.devices[0].size_bytes) == ("Connected", 409600 * 1024)
    with pytest.raises(DrbdParseError, match="invalid JSON"):
        detect_and_parse(read(ISSUES + "ClusterLabs_ha_cluster_exporter_25_drbdsetup_status_json_TRUNCATED.txt"))
