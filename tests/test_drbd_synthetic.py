"""States no real capture shows, written with the printers' own formats (tests/fixtures/drbd-synthetic/).

/proc/drbd 8.4 follows ``drbd_seq_show``/``drbd_syncer_progress`` (``verified:`` during Verify*, ``K/sec
(stalled)``, ``a``/``p``/``u`` pause flags, a blank line after a gap in the minors); the drbdsetup texts
follow ``resource_status``/``device_status``/``connection_status``/``peer_device_status`` with
``wrap_printf`` at 80 columns (stdout not a terminal); events2 follows ``--timestamps`` and ``--diff``.
Each state gets the verdict of the docs/checks.md table.
"""

from __future__ import annotations

import pytest
from drbd_support import FIXTURES, read, run_check

from nagios_herd.parsers.drbd.formats import detect_and_parse
from nagios_herd.parsers.drbd.model import NoStatusSource

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
PROC = "drbd-synthetic/proc_drbd_8.4_states.txt"
TEXT = "drbd-synthetic/drbdadm_status_states.txt"
JSON = "drbd-synthetic/drbdsetup_status_json_states.json"

CASES = [  # fixture, --resource, exit code, fragment of the status line
    (PROC, "0", WARNING, "0: online verify VerifyS 12.3% done, ETA 0:00:41"),
    (PROC, "1", WARNING, "1: resync PausedSyncT paused (dependency)"),
    (PROC, "2", CRITICAL, "2: local disk Outdated; resync WFBitMapT"),
    (PROC, "3", CRITICAL, "3: peer disk Outdated; replication Ahead (congested); 20.0 MiB out of sync"),
    (PROC, "4", CRITICAL, "4: I/O suspended (io)"),
    (PROC, "5", CRITICAL, "5: peer disk Outdated"),
    (PROC, "6", CRITICAL, "6: resync SyncTarget 0.5% done, ETA 23:59:59: resync stalled"),
    (PROC, "7", WARNING, "7: resync PausedSyncS paused (user)"),
    (PROC, "8", CRITICAL, "8: minor 8 is Unconfigured"),
    (PROC, "9", CRITICAL, "9: resource not found"),
    (PROC, "10", OK, "1 resource connected and UpToDate: 10"),
    (PROC, "11", WARNING, "11: local disk Consistent"),
    (PROC, "12", WARNING, "12: resync SyncSource 40.2% done, ETA 0:02:03"),
    (TEXT, "r-ahead", CRITICAL, "r-ahead: peer disk Outdated; replication Ahead (congested)"),
    (TEXT, "r-client", OK, "1 resource connected and UpToDate: r-client"),
    (TEXT, "r-dual", CRITICAL, "r-dual: 2 Primaries (both sides Primary)"),
    (TEXT, "r-failed", CRITICAL, "r-failed: local disk Failed"),
    (TEXT, "r-nameless", CRITICAL, "r-nameless: not connected to 1 (Unconnected)"),
    (TEXT, "r-ok", OK, "1 resource connected and UpToDate: r-ok"),
    (TEXT, "r-outdated", CRITICAL, "r-outdated: local disk Outdated; not connected to peer (Connecting)"),
    (TEXT, "r-pausedsyncs", WARNING, "r-pausedsyncs: resync PausedSyncS 10% done paused (dependency)"),
    (TEXT, "r-quorum", CRITICAL, "r-quorum: I/O suspended (quorum); quorum lost; not connected to peer"),
    (TEXT, "r-standalone", CRITICAL, "r-standalone: split brain suspected; not connected to peer (StandAlone)"),
    (TEXT, "r-synctarget", WARNING, "r-synctarget: resync SyncTarget 45.12% done"),
    (TEXT, "r-two-volumes", WARNING, "r-two-volumes: volume 1: resync SyncSource 80.5% done"),
    (TEXT, "r-verifys", WARNING, "r-verifys: online verify VerifyS 12% done"),
    (TEXT, "r-wfbitmaps", WARNING, "r-wfbitmaps: resync WFBitMapS (progress unknown)"),
    ("drbd-synthetic/drbdsetup_status_verbose_statistics_synctarget_wrapped.txt", None, WARNING,
     "pvc-3f1e5a0b-9c8d-4e2a-b7f6-1a2b3c4d5e6f: resync SyncTarget 45% done, ETA 0:00:55"),
    ("drbd-synthetic/drbdsetup_status_verbose_statistics_synctarget_eta_nan.txt", None, WARNING,
     "pvc-stalled-8d1c: resync SyncTarget 45% done |"),
    (JSON, "guest01", WARNING, "guest01: resync SyncTarget 45% done, ETA 0:00:28"),
    (JSON, "guest02", CRITICAL, "guest02: split brain suspected; not connected to backup (StandAlone); 80.0 MiB out"),
    (JSON, "guest03", WARNING, "guest03: resync PausedSyncT 90% done paused (user)"),
    (JSON, "guest04", CRITICAL, "guest04: I/O suspended (io); quorum lost; not connected to backup (Connecting)"),
    ("drbd-synthetic/events2_timestamps_diff_connection_lost.txt", None, CRITICAL,
     "guest01: not connected to backup (Connecting)"),
]


@pytest.mark.parametrize(("name", "resource", "code", "fragment"), CASES,
                         ids=[f"{c[0].split('/')[1][:30]}-{c[1]}" for c in CASES])
def test_synthetic_state_verdict(name: str, resource: str | None, code: int, fragment: str, tmp_path) -> None:
    args = ["--resource", resource] if resource else []
    result = run_check("--input", str(FIXTURES / name), *args, state_dir=tmp_path)
    first = result.stdout.splitlines()[0]
    assert result.returncode == code and result.stderr == "", result.stdout
    assert fragment in first, first


def test_every_synthetic_resource_is_covered() -> None:
    names = {r.name for name in (PROC, TEXT, JSON) for r in detect_and_parse(read(name)).resources}
    assert names == {resource for _, resource, _, _ in CASES if resource} - {"8", "9"}


def test_proc_84_flags_and_progress_words() -> None:
    status = detect_and_parse(read(PROC))
    assert status.unconfigured_minors == (8,)
    peer = {r.name: r.connections[0].peer_devices[0] for r in status.resources}
    assert (peer["0"].replication_state, peer["0"].sync_done_percent) == ("VerifyS", 12.3)
    assert peer["1"].resync_suspended == ("dependency",) and peer["7"].resync_suspended == ("user",)
    assert peer["6"].stalled and not peer["12"].stalled
    assert status.find("4").suspended == ("io",) and status.find("12").suspended == ()
    assert peer["12"].out_of_sync_bytes == 12582912 * 1024


def test_wrapped_verbose_statistics_facts() -> None:
    (r,) = detect_and_parse(read("drbd-synthetic/drbdsetup_status_verbose_statistics_synctarget_wrapped.txt")).resources
    (device,) = r.devices
    (connection,) = r.connections
    (peer,) = connection.peer_devices
    assert (device.minor, device.size_bytes, device.quorum) == (1001, 10485760 * 1024, True)
    assert (connection.peer, connection.node_id, connection.peer_role) == ("nagios-primary-host.example.org", 0,
                                                                           "Primary")
    assert (peer.sync_done_percent, peer.eta_seconds, peer.out_of_sync_bytes) == (45.0, 55, 5767168 * 1024)
    nan = detect_and_parse(read("drbd-synthetic/drbdsetup_status_verbose_statistics_synctarget_eta_nan.txt"))
    assert nan.resources[0].connections[0].peer_devices[0].eta_seconds is None


def test_json_sync_details_and_unknown_eta() -> None:
    status = detect_and_parse(read(JSON))
    sync = status.find("guest01").connections[0].peer_devices[0]
    paused = status.find("guest03").connections[0].peer_devices[0]
    assert (sync.sync_done_percent, sync.eta_seconds, sync.out_of_sync_bytes) == (45.0, 28, 5767168 * 1024)
    assert (paused.eta_seconds, paused.resync_suspended) == (None, ("user",))  # 987654321 = unknown
    assert status.find("guest04").devices[0].quorum is False


def test_events2_diff_applies_in_order() -> None:
    status = detect_and_parse(read("drbd-synthetic/events2_timestamps_diff_connection_lost.txt"))
    (r,) = status.resources
    (c,) = r.connections
    assert status.complete and (r.role, c.peer, c.state, c.peer_role) == ("Primary", "backup", "Connecting", "Unknown")
    assert [(p.replication_state, p.peer_disk_state) for p in c.peer_devices] == [("Off", "DUnknown")]
    assert r.devices[0].quorum is True


def test_events2_wrapped_without_indentation_is_joined() -> None:
    """A wrapped event whose indentation a paste dropped still starts with key:value, never with a verb."""
    text = ("exists resource name:r0 role:Primary suspended:no\n"
            "exists connection name:r0 peer-node-id:1 conn-name:b\nconnection:Connected role:Secondary\n"
            "exists device name:r0 volume:0 minor:0 disk:UpToDate\n"
            "exists peer-device name:r0 peer-node-id:1 conn-name:b volume:0\nreplication:SyncSource\n"
            "peer-disk:Inconsistent done:12.50\nexists -\n")
    (r,) = detect_and_parse(text).resources
    (c,) = r.connections
    assert (c.peer, c.state, c.peer_role) == ("b", "Connected", "Secondary")
    assert [(p.replication_state, p.sync_done_percent) for p in c.peer_devices] == [("SyncSource", 12.5)]


# Every state name drbd-utils prints (drbd_strings.c, DRBD 9), in `drbdadm status` as drbdsetup.c prints it
# (stdout not a tty), with the verdict docs/checks.md gives; the other dimensions are healthy.
CONNECTION_STATES = {"StandAlone": CRITICAL, "Disconnecting": CRITICAL, "Unconnected": CRITICAL, "Timeout": CRITICAL,
                     "BrokenPipe": CRITICAL, "NetworkFailure": CRITICAL, "ProtocolError": CRITICAL,
                     "Connecting": CRITICAL, "TearDown": CRITICAL, "Connected": OK}
REPLICATION_STATES = {"Off": WARNING, "Established": OK, "StartingSyncS": WARNING, "StartingSyncT": WARNING,
                      "WFBitMapS": WARNING, "WFBitMapT": WARNING, "WFSyncUUID": WARNING, "SyncSource": WARNING,
                      "SyncTarget": WARNING, "VerifyS": WARNING, "VerifyT": WARNING, "PausedSyncS": WARNING,
                      "PausedSyncT": WARNING, "Ahead": WARNING, "Behind": WARNING}
DISK_STATES = {"Diskless": CRITICAL, "Attaching": WARNING, "Detaching": WARNING, "Failed": CRITICAL,
               "Negotiating": WARNING, "Inconsistent": CRITICAL, "Outdated": CRITICAL, "DUnknown": WARNING,
               "Consistent": WARNING, "UpToDate": OK}


def _status(connection: str = "Connected", replication: str = "Established", disk: str = "UpToDate",
            peer_disk: str = "UpToDate") -> str:
    text = f"r0 role:Primary\n  disk:{disk}"
    text += " client:no\n" if disk == "Diskless" else "\n"
    if connection != "Connected":
        return text + f"  peer connection:{connection}\n\n"
    text += "  peer role:Secondary\n    "
    if replication not in ("Off", "Established"):  # printed only above Established
        text += f"replication:{replication} "
    text += f"peer-disk:{peer_disk}" + (" peer-client:no" if peer_disk == "Diskless" else "")
    return text + "\n\n"


ALL_STATES = ([("connection", s, v) for s, v in CONNECTION_STATES.items()]
              + [("replication", s, v) for s, v in REPLICATION_STATES.items()]
              + [("disk", s, v) for s, v in DISK_STATES.items()]
              + [("peer_disk", s, v) for s, v in DISK_STATES.items()])


@pytest.mark.parametrize(("dimension", "state", "code"), ALL_STATES, ids=[f"{d}-{s}" for d, s, _ in ALL_STATES])
def test_every_drbd9_state_name_gets_its_verdict(dimension: str, state: str, code: int, tmp_path) -> None:
    text = _status(**{dimension: state})
    if dimension == "replication" and state == "Off":
        text = text.replace("    peer-disk", "    replication:Off peer-disk")  # as --verbose prints it
    (resource,) = detect_and_parse(text).resources
    assert state in (resource.connections[0].state, resource.devices[0].disk_state,
                     *(f(p) for p in resource.connections[0].peer_devices
                       for f in (lambda p: p.replication_state, lambda p: p.peer_disk_state)))
    result = run_check("--input", "-", stdin=text.encode(), state_dir=tmp_path)
    assert result.returncode == code, (text, result.stdout)


def test_drbd9_proc_with_compat_minors_is_still_no_status_source() -> None:
    """A DRBD 9 kernel shows only its 8.4-compatibility resources in /proc/drbd (drbd_legacy_84.c): not all."""
    text = ("version: 9.3.0 (api:2/proto:86-124)\nGIT-hash: 0 build by x\n"
            " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
            "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n")
    with pytest.raises(NoStatusSource, match="lists only 8.4-compatibility resources"):
        detect_and_parse(text)
