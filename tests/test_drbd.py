"""nagios_herd.parsers.drbd.model: every DRBD fixture parsed into the facts it shows; hostile text rejected clearly."""

from __future__ import annotations

import pytest
from drbd_support import load, read, transcript

from nagios_herd.parsers.drbd import model as drbd
from nagios_herd.parsers.drbd.formats import detect_and_parse, detect_format
from nagios_herd.parsers.drbd.model import DrbdParseError, NoStatusSource

GIB = 1048320 * 1024  # oos:1048320 KiB


def facts(status: drbd.DrbdStatus) -> list[tuple]:
    """(name, role, local disks, [(peer, cstate, peer role, [(vol, repl, peer disk, oos, done, eta, stalled)])])."""
    return [
        (r.name, r.role, tuple(d.disk_state for d in r.devices),
         [(c.peer, c.state, c.peer_role,
           [(p.volume, p.replication_state, p.peer_disk_state, p.out_of_sync_bytes, p.sync_done_percent,
             p.eta_seconds, p.stalled) for p in c.peer_devices]) for c in r.connections])
        for r in status.resources
    ]


def proc(name, role, disk, cstate, peer_role, peer_disk, repl, oos=0, done=None, eta=None, stalled=False):
    return (name, role, (disk,), [("peer", cstate, peer_role, [(0, repl, peer_disk, oos, done, eta, stalled)])])


OK83 = [proc("0", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established"),
        proc("1", "Secondary", "UpToDate", "Connected", "Primary", "UpToDate", "Established")]

PROC_CASES = {
    "ganeti/proc_drbd8.txt": ("8.0.12", (2,), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established", None),
        proc("1", "Secondary", "UpToDate", "Connected", "Primary", "UpToDate", "Established", None),
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off", None),
        proc("5", "Primary", "UpToDate", "Connected", "Secondary", "Diskless", "Established", None),
        proc("6", "Secondary", "Diskless", "Connected", "Primary", "UpToDate", "Established", None),
        proc("7", "Secondary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off", None),
        proc("8", "Secondary", "UpToDate", "StandAlone", "Unknown", "DUnknown", "Off", None)]),
    "ganeti/proc_drbd80-emptyline.txt": ("8.0.12", (1, 2, 5, 6), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established", None)]),
    "ganeti/proc_drbd80-emptyversion.txt": (None, (1, 2, 5, 6), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established", None)]),
    "ganeti/proc_drbd83.txt": ("8.3.1", (2,), OK83 + [
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off"),
        proc("5", "Primary", "UpToDate", "Connected", "Secondary", "Diskless", "Established"),
        proc("6", "Secondary", "Diskless", "Connected", "Primary", "UpToDate", "Established"),
        proc("7", "Secondary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off"),
        proc("8", "Secondary", "UpToDate", "StandAlone", "Unknown", "DUnknown", "Off")]),
    "ganeti/proc_drbd83_sync.txt": ("8.3.1", (2,), OK83 + [
        proc("3", "Primary", "Inconsistent", "Connected", "Secondary", "UpToDate", "SyncTarget",
             346112 * 1024, 34.9, 5),
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off")]),
    "ganeti/proc_drbd83_sync_krnl2.6.39.txt": ("8.3.1", (2,), OK83 + [
        proc("3", "Primary", "UpToDate", "Connected", "Secondary", "Inconsistent", "SyncSource",
             15358208 * 1024, 2.4, 4 * 60 + 8),
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off")]),
    "ganeti/proc_drbd83_sync_want.txt": ("8.3.11", (1, 2, 3), [
        proc("0", "Secondary", "Inconsistent", "Connected", "Primary", "UpToDate", "SyncTarget",
             588416 * 1024, 44.4, 8)]),
    "ganeti/proc_drbd84.txt": ("8.4.2", (2,), OK83 + [
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off", GIB),
        proc("6", "Secondary", "Diskless", "Connected", "Primary", "UpToDate", "Established"),
        proc("8", "Secondary", "UpToDate", "StandAlone", "Unknown", "DUnknown", "Off", GIB)]),
    "ganeti/proc_drbd84_emptyfirst.txt": ("8.4.2", (2,), OK83[1:] + [
        proc("4", "Primary", "UpToDate", "WFConnection", "Unknown", "DUnknown", "Off", GIB),
        proc("6", "Secondary", "Diskless", "Connected", "Primary", "UpToDate", "Established"),
        proc("8", "Secondary", "UpToDate", "StandAlone", "Unknown", "DUnknown", "Off", GIB)]),
    "ganeti/proc_drbd84_sync.txt": ("8.4.2", (3,), [
        proc("0", "Primary", "UpToDate", "StandAlone", "Unknown", "DUnknown", "Off", GIB),
        proc("5", "Secondary", "UpToDate", "Connected", "Secondary", "Inconsistent", "SyncSource",
             335744 * 1024, 68.5, 5)]),
    "checkmk/proc_drbd_8.3.8_connected.txt": ("8.3.8", (), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established")]),
    "checkmk/proc_drbd_8.3.8_sync_stalled.txt": ("8.3.8", (), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "Inconsistent", "SyncSource",
             523171100 * 1024, 0.1, None, True)]),
    "checkmk/proc_drbd_8.3.8_syncsource_delay_probe.txt": ("8.3.8", (), [
        proc("0", "Primary", "UpToDate", "Connected", "Secondary", "Inconsistent", "SyncSource",
             301729988 * 1024, 42.4, 1 * 3600 + 23 * 60 + 28)]),
    "node_exporter/drbd": ("8.4.3", (), [
        proc("1", "Primary", "UpToDate", "Connected", "Primary", "UpToDate", "Established", 12349 * 1024)]),
    "linbit-documentation/UG84_proc_drbd_8.4.0.txt": ("8.4.0", (), [
        proc("0", "Secondary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established"),
        proc("1", "Primary", "UpToDate", "Connected", "Secondary", "UpToDate", "Established"),
        proc("2", "Secondary", "UpToDate", "Connected", "Primary", "UpToDate", "Established")]),
}


@pytest.mark.parametrize("name", sorted(PROC_CASES))
def test_proc_drbd_fixture_facts(name: str) -> None:
    version, unconfigured, expected = PROC_CASES[name]
    status = detect_and_parse(load(name))
    assert (status.source, status.version, status.unconfigured_minors) == ("proc", version, unconfigured)
    assert facts(status) == expected


def test_proc_drbd_nul_bytes_and_io_flags() -> None:
    text = read("ganeti/proc_drbd83.txt")
    assert "\x00" in text  # the fixture really carries NUL bytes
    assert [r.name for r in detect_and_parse(text).resources] == ["0", "1", "4", "5", "6", "7", "8"]
    suspended = " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C s--u--\n    ns:0 oos:0\n"
    resource = detect_and_parse("version: 8.4.2 (api:1/proto:86-101)\n" + suspended).resources[0]
    assert resource.suspended == ("io",)
    assert resource.connections[0].peer_devices[0].resync_suspended == ("user",)


def test_drbd9_proc_alone_is_no_status_source() -> None:
    with pytest.raises(NoStatusSource, match="9.x.y"):
        detect_and_parse(load("linbit-documentation/UG9_proc_drbd_v9.txt"))


def test_status_text_drbdadm_home() -> None:
    status = detect_and_parse(load("linbit-documentation/UG9_drbdadm_status_home.txt"))
    assert status.source == "text"
    assert facts(status) == [("home", "Secondary", ("UpToDate",), [
        ("nina", "Connected", "Secondary", [(0, "Established", "UpToDate", None, None, None, False)]),
        ("nino", "Connected", "Secondary", [(0, "Established", "UpToDate", None, None, None, False)]),
        ("nono", "Connecting", "Unknown", [])])]


def test_status_text_verbose_statistics_wrapped() -> None:
    status = detect_and_parse(load("linbit-documentation/UG9_drbdsetup_status_verbose_statistics.txt"))
    (home,) = status.resources
    assert (home.devices[0].minor, home.devices[0].size_bytes) == (0, 1048412 * 1024)
    assert [(c.peer, c.node_id, c.state) for c in home.connections] == [
        ("nina", 0, "Connected"), ("nino", 2, "Connected"), ("nono", 3, "Connecting")]
    assert home.connections[0].peer_devices[0].out_of_sync_bytes == 0


def test_status_text_sync_client_and_multi_volume() -> None:
    text = ("r0 role:Primary\n  volume:0 disk:UpToDate\n  volume:1 disk:Diskless client:yes quorum:no\n"
            "  peer role:Secondary\n    volume:0 replication:SyncSource peer-disk:Inconsistent done:12.50\n"
            "    volume:1 peer-disk:UpToDate peer-client:no\n\n"
            "r1 role:Secondary suspended:user\n  disk:UpToDate\n  peer connection:StandAlone\n")
    r0, r1 = detect_and_parse(text).resources
    assert [(d.volume, d.disk_state, d.client, d.quorum) for d in r0.devices] == [
        (0, "UpToDate", False, None), (1, "Diskless", True, False)]
    sync, idle = r0.connections[0].peer_devices
    assert (sync.replication_state, sync.sync_done_percent, idle.replication_state) == ("SyncSource", 12.5,
                                                                                        "Established")
    assert drbd.is_syncing(r0) and not drbd.is_syncing(r1)
    assert r1.suspended == ("user",) and drbd.split_brain_suspected(r1)


def test_json_fake_drbdsetup() -> None:
    status = detect_and_parse(load("ha_cluster_exporter/fake_drbdsetup.sh"))
    assert status.source == "json"
    assert facts(status) == [
        (name, "Secondary", ("UpToDate",), [("SLE15-sp1-gm-drbd1145296-node1", "Connected", "Primary",
                                             [(0, "Established", "UpToDate", 0, None, None, False)])])
        for name in ("1-single-0", "1-single-1")]
    assert [r.devices[0].quorum for r in status.resources] == [True, False]
    assert [r.devices[0].size_bytes for r in status.resources] == [409600 * 1024, 10200 * 1024]


def test_json_sync_quirks() -> None:
    text = """[{"name": "g1", "role": "Primary", "suspended": true, "suspended-user": true,
      "devices": [{"volume": 0, "minor": 1, "disk-state": "UpToDate", "client": false, "quorum": true}],
      "connections": [{"peer-node-id": 1, "name": "backup", "connection-state": "Connected" ,
        "peer-role": "Secondary ", "peer_devices": [{"volume": 0, "replication-state": "SyncSource",
        "peer-disk-state": "Inconsistent", "peer-client": false, "resync-suspended": "no",
        "out-of-sync": 2048, "percent-in-sync": 40.5, "estimated-seconds-to-finish": 987654321}]}]}]"""
    (g1,) = detect_and_parse(text).resources
    peer = g1.connections[0].peer_devices[0]
    assert g1.suspended == ("user",) and g1.connections[0].peer_role == "Secondary"
    assert (peer.out_of_sync_bytes, peer.sync_done_percent, peer.eta_seconds) == (2048 * 1024, 40.5, None)


def test_events2_documentation_and_drbdtop() -> None:
    now = detect_and_parse(load("linbit-documentation/UG9_drbdsetup_events2_now.txt"))
    stats = detect_and_parse(load("linbit-documentation/UG9_drbdsetup_events2_statistics_now.txt"))
    top = detect_and_parse(read("drbdtop/events2_timestamps_statistics_2019.txt"))
    for status in (now, stats, top):
        assert status.source == "events2" and status.complete
        assert all(drbd.is_connected(r) and drbd.is_uptodate(r) for r in status.resources)
    assert [(d.volume, d.minor) for d in now.resources[0].devices] == [(0, 7), (1, 8)]
    assert stats.resources[0].devices[1].size_bytes == 104854364 * 1024
    assert top.resources[0].connections[0].peer == "kubelet-b" and top.resources[0].devices[0].quorum is True
    follow = detect_and_parse(load("linbit-documentation/UG9_drbdsetup_events2_follow.txt"))
    assert not follow.complete and follow.resources[0].connections[0].state == "Connecting"


EVENTS2_FINAL = {  # fixture -> (resources, {name: (role, disks, [(peer, cstate, [repl, peer disk])])})
    "events2-all-create-change.test": ("some-resource", "Primary", ("UpToDate",),
                                       [("some-peer", "Connected", [("Established", "UpToDate")])]),
    "events2-all-create-destroy.test": None,
    "events2-all-create-helper.test": ("some-resource", "Secondary", ("Diskless",),
                                       [("some-peer", "StandAlone", [("Off", "DUnknown")])]),
    "events2-change-before-exists.test": ("some-resource", "Primary", ("UpToDate",), []),
    "events2-create-before-exists.test": ("some-resource", "Secondary", ("Diskless",), []),
    "events2-destroy-before-exists.test": None,
    "events2-device-create-destroy.test": None,
    "events2-exists-before-create.test": ("some-resource", "Secondary", ("Diskless",), []),
    "events2-first-out-of-order.test": ("some-resource", "Secondary", ("Diskless", "Diskless"),
                                        [("some-peer", "StandAlone", [])]),
    "events2-may-promote-peer-data.test": ("some-resource", "Secondary", ("Diskless",),
                                           [("some-peer", "Connected", [("Established", "UpToDate")])]),
    "events2-may-promote-peer-role.test": ("some-resource", "Secondary", ("UpToDate",),
                                           [("some-peer", "Connected", [("Off", "DUnknown")])]),
    "events2-may-promote-quorum.test": ("some-resource", "Secondary", ("UpToDate",), []),
    "events2-no-resources.test": None,
    "events2-out-of-order.test": ("some-resource", "Secondary", ("Diskless", "Diskless"),
                                  [("some-peer", "StandAlone", [])]),
    "events2-promotion-score-devices.test": ("some-resource", "Secondary", ("UpToDate", "UpToDate"), []),
    "events2-promotion-score-inconsistent.test": ("some-resource", "Secondary", ("Inconsistent",),
                                                  [("some-peer", "Connected", [("Established", "UpToDate")])]),
    "events2-resource-create-destroy.test": None,
    "events2-resource-exists.test": ("some-resource", "Secondary", (), []),
    "events2-sync.test": ("some-resource", "Secondary", ("UpToDate",),
                          [("some-peer", "Connected", [("SyncSource", "Inconsistent")])]),
}


@pytest.mark.parametrize("name", sorted(EVENTS2_FINAL))
def test_events2_transcripts_final_state(name: str) -> None:
    expected = EVENTS2_FINAL[name]
    for command, output in transcript(f"drbd-utils/{name}"):
        status = detect_and_parse(output)
        assert status.source == "events2", command
        got = [(r.name, r.role, tuple(d.disk_state for d in r.devices),
                [(c.peer, c.state, [(p.replication_state, p.peer_disk_state) for p in c.peer_devices])
                 for c in r.connections]) for r in status.resources]
        assert got == ([] if expected is None else [expected]), command
        assert status.complete == (name != "events2-resource-exists.test"), command


def test_events2_sync_statistics_and_quorum() -> None:
    sections = dict(transcript("drbd-utils/events2-sync.test"))
    plain, stats = (detect_and_parse(text).resources[0].connections[0].peer_devices[0]
                    for text in sections.values())
    assert (plain.sync_done_percent, plain.out_of_sync_bytes, plain.eta_seconds) == (37.5, None, None)
    assert (stats.sync_done_percent, stats.out_of_sync_bytes, stats.eta_seconds) == (37.5, 2500 * 1024, 10)
    (_, quorum), = transcript("drbd-utils/events2-may-promote-quorum.test")
    assert detect_and_parse(quorum).resources[0].devices[0].quorum is False


def test_events2_colours_and_diff_values() -> None:
    sections = transcript("drbd-utils/events2-all-create-change.test")
    coloured = next(text for command, text in sections if "cat -v" in command)
    assert "\x1b[" in coloured
    diff = next(text for command, text in sections if "--diff" in command)
    assert facts(detect_and_parse(coloured)) == facts(detect_and_parse(diff))
    assert detect_and_parse(coloured).resources[0].role == "Primary"


def test_predicates() -> None:
    status = detect_and_parse(load("ganeti/proc_drbd84_sync.txt"))
    standalone, syncing = status.resources
    assert drbd.split_brain_suspected(standalone) and not drbd.is_connected(standalone)
    assert drbd.out_of_sync_bytes(standalone) == GIB
    assert drbd.is_syncing(syncing) and drbd.is_connected(syncing) and not drbd.is_uptodate(syncing)
    assert drbd.primaries(standalone) == 1 and drbd.primaries(syncing) == 0
    dual = detect_and_parse(read("node_exporter/drbd")).resources[0]
    assert drbd.primaries(dual) == 2
    assert status.find("5") is syncing and status.find("3") is None


@pytest.mark.parametrize("text, fragment", [
    ("", "empty input"),
    ("\n  \n", "empty input"),
    ("hello world\n", "not a DRBD status format"),
    ((bytes(range(256)) * 2).decode("utf-8", "replace"), "not a DRBD status format"),
    ("[{\"name\": \"r0\", \"role\": \"Prim", "invalid JSON"),
    ("[1]", "expected a JSON object"),
    ("version: 8.4.2 (api:1/proto:86-101)\n 0: cs:Connected\n", "lacks ro:/st: or ds:"),
    ("version: 8.4.2 (api:1/proto:86-101)\ngarbage here\n", "unexpected /proc/drbd line"),
    ("exists resource role:Primary\n", "without name:"),
    ("exists peer-device name:r0 peer-node-id:1\n", "volume:/peer-node-id:"),
    ("r0 role:Primary\n  disk:UpToDate\n  peer role:Secondary\n    volume:x peer-disk:UpToDate\n", "volume:x"),
    ("r0 role:Primary\n  disk:UpToDate\n  p role:Secondary\n    replication:SyncSource done:nan\n",
     "percentage 'nan' outside 0..100"),
    ("version: 8.4.2\n 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
     "    ns:0 oos:0\n    [>..] sync'ed: 120.5% (1/2)M\n", "percentage '120.5' outside 0..100"),
    ('[{"name": "a", "role": "Primary", "devices": [{"volume": 0, "minor": 1e999, "disk-state": "UpToDate"}]}]',
     "'minor' is not a count: inf"),
    ('[{"name": "a", "role": "Primary", "devices": [{"volume": -1, "disk-state": "UpToDate"}]}]',
     "'volume' is not a count: -1"),
    ("version: 8.4.2\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
     " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "minor 0 listed twice"),
    ("r0 role:Primary\n  volume:0 disk:UpToDate\n  volume:0 disk:UpToDate\n", "volume 0 listed twice"),
    ("r0 role:Primary\n  disk:UpToDate\n  p role:Secondary\n  p role:Secondary\n", "peer p listed twice"),
    ("version: 8.4.2\n \u00b2: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n",
     "unexpected /proc/drbd line"),
    ("version: 8.4.2\n    ns:0 nr:0 oos:0\n", "unexpected /proc/drbd line"),
    ("r0 role:Primary\n  volume:\u00b2 disk:UpToDate\n", "volume:\u00b2 is not a number"),
])
def test_hostile_text_is_rejected_with_the_reason(text: str, fragment: str) -> None:
    with pytest.raises(DrbdParseError) as raised:
        detect_and_parse(text)
    assert fragment in str(raised.value)


def test_detect_format_names() -> None:
    assert detect_format(load("ganeti/proc_drbd84.txt")) == "proc"
    assert detect_format(load("ha_cluster_exporter/fake_drbdsetup.sh")) == "json"
    assert detect_format(read("drbdtop/events2_timestamps_statistics_2019.txt")) == "events2"
    assert detect_format(load("linbit-documentation/UG9_drbdadm_status_home.txt")) == "text"


def test_mutated_fixtures_never_raise_anything_but_parse_errors() -> None:
    """Truncations, edits and shuffles of every fixture: parsed or DrbdParseError, never another exception."""
    import random

    from nagios_herd.checks.drbd_sync import evaluate
    from nagios_herd.plugin.runtime import CheckError

    names = [name for name in PROC_CASES] + ["ha_cluster_exporter/fake_drbdsetup.sh",
                                             "linbit-documentation/UG9_drbdsetup_status_verbose_statistics.txt",
                                             "linbit-documentation/UG9_drbdadm_status_home.txt",
                                             "linbit-documentation/UG9_drbdsetup_events2_statistics_now.txt"]
    texts = [load(name) for name in names] + [out for _, out in transcript("drbd-utils/events2-sync.test")]
    rng = random.Random(20261126)
    for _ in range(3000):
        text = rng.choice(texts)
        cut = rng.randrange(len(text) + 1)
        mutation = rng.randrange(4)
        if mutation == 0:
            text = text[:cut]
        elif mutation == 1:
            text = text[:cut] + rng.choice([":", " ", "\n", "  ", "/", "->", "9", "-", "[", '"', "|", "x"]) + text[cut:]
        elif mutation == 2:
            text = text[:cut] + text[cut + rng.randrange(1, 30):]
        else:
            lines = text.splitlines()
            rng.shuffle(lines)
            text = "\n".join(lines)
        try:
            status = detect_and_parse(text)
        except DrbdParseError:
            continue
        try:
            evaluate(status, [], state_file="/dev/null/no-state", now=1000.0).render()
        except CheckError:
            pass

