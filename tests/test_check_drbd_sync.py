"""check_drbd_sync end to end: the real executable on every DRBD fixture, hostile input, stalls, selection."""

from __future__ import annotations

import json
import re

import pytest
from drbd_support import CHECK, FIXTURES, load, read, run_check, transcript

from nagios_herd.checks import drbd_stall
from nagios_herd.checks.drbd_sync import evaluate
from nagios_herd.parsers.drbd.formats import detect_and_parse

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_LINE = re.compile(r"^DRBD (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| (.+))?$")
PERF_ITEM = re.compile(r"^('([^']|'')+'|[^ '=]+)=-?[0-9.]+(s|%|B)?(;[^; ]*){0,4}$")


def check_file(name: str, *args: str, state_dir) -> tuple[int, list[str]]:
    """Run the check on a fixture (reduced to the tool output via stdin when it is a transcript)."""
    raw = read(name)
    text = load(name)
    if text.rstrip("\n") == raw.rstrip("\n"):
        result = run_check("--input", str(FIXTURES / name), *args, state_dir=state_dir)
    else:
        result = run_check("--input", "-", *args, stdin=text.encode(), state_dir=state_dir)
    assert result.stderr == "" and "Traceback" not in result.stdout
    lines = result.stdout.splitlines()
    assert STATUS_LINE.match(lines[0]), lines[0]
    return result.returncode, lines


def perfdata(line: str) -> list[str]:
    items = line.split(" | ", 1)[1].split() if " | " in line else []
    assert all(PERF_ITEM.match(item) for item in items), items
    labels = [item.split("=")[0] for item in items]
    assert len(labels) == len(set(labels))
    return items


FILE_VERDICTS = [  # fixture, extra args, exit code, fragments of the status line
    ("ganeti/proc_drbd8.txt", [], CRITICAL, ["4: not connected to peer (WFConnection)", "5: peer disk Diskless",
                                             "6: local disk Diskless", "8: split brain suspected"]),
    ("ganeti/proc_drbd80-emptyline.txt", [], OK, ["1 resource connected and UpToDate: 0"]),
    ("ganeti/proc_drbd80-emptyversion.txt", [], OK, ["1 resource connected and UpToDate: 0"]),
    ("ganeti/proc_drbd83.txt", [], CRITICAL, ["7: not connected to peer (WFConnection)", "6: local disk Diskless"]),
    ("ganeti/proc_drbd83_sync.txt", [], CRITICAL, ["4: not connected", "3: resync SyncTarget 34.9% done"]),
    ("ganeti/proc_drbd83_sync.txt", ["--resource", "3"], WARNING,
     ["3: resync SyncTarget 34.9% done, ETA 0:00:05 |", "3/0_sync=34.9%;;;0;100", "3/0_eta=5s;;;0",
      "3/0_oos=354418688B;;;0"]),
    ("ganeti/proc_drbd83_sync_krnl2.6.39.txt", ["--resource", "3"], WARNING,
     ["3: resync SyncSource 2.4% done, ETA 0:04:08", "3/0_eta=248s"]),
    ("ganeti/proc_drbd83_sync_want.txt", [], WARNING, ["0: resync SyncTarget 44.4% done, ETA 0:00:08"]),
    ("ganeti/proc_drbd84.txt", [], CRITICAL,
     ["4: not connected to peer (WFConnection); 1023.8 MiB out of sync", "8: split brain suspected"]),
    ("ganeti/proc_drbd84.txt", ["--resource", "0", "--resource", "1"], OK,
     ["2 resources connected and UpToDate: 0, 1", "0/0_sync=100%;;;0;100 0/0_oos=0B;;;0"]),
    ("ganeti/proc_drbd84.txt", ["--resource", "2", "--resource", "nope", "--resource", "0"], CRITICAL,
     ["2: minor 2 is Unconfigured", "nope: resource not found"]),
    ("ganeti/proc_drbd84_emptyfirst.txt", [], CRITICAL, ["8: split brain suspected"]),
    ("ganeti/proc_drbd84_sync.txt", [], CRITICAL,
     ["0: split brain suspected; not connected to peer (StandAlone)", "5: resync SyncSource 68.5% done"]),
    ("checkmk/proc_drbd_8.3.8_connected.txt", [], OK, ["1 resource connected and UpToDate: 0"]),
    ("checkmk/proc_drbd_8.3.8_sync_stalled.txt", [], CRITICAL, ["0: resync SyncSource 0.1% done: resync stalled"]),
    ("checkmk/proc_drbd_8.3.8_syncsource_delay_probe.txt", [], WARNING, ["42.4% done, ETA 1:23:28"]),
    ("node_exporter/drbd", [], CRITICAL, ["1: 2 Primaries (both sides Primary); 12.1 MiB out of sync"]),
    ("linbit-documentation/UG84_proc_drbd_8.4.0.txt", [], OK, ["3 resources connected and UpToDate: 0, 1, 2"]),
    ("linbit-documentation/UG9_proc_drbd_v9.txt", [], UNKNOWN,
     ["DRBD 9.x.y /proc/drbd carries no resource state: use drbdsetup status --json"]),
    ("linbit-documentation/UG9_drbdadm_status_home.txt", [], CRITICAL, ["home: not connected to nono (Connecting)"]),
    ("linbit-documentation/UG9_drbdsetup_status_verbose_statistics.txt", [], CRITICAL,
     ["home: not connected to nono (Connecting)", "home/0/nina_sync=100%", "home/0/nino_oos=0B"]),
    ("linbit-documentation/UG9_drbdsetup_events2_now.txt", [], OK, ["1 resource connected and UpToDate: r0"]),
    ("linbit-documentation/UG9_drbdsetup_events2_statistics_now.txt", [], OK, ["r0/1_sync=100%", "r0/1_oos=0B"]),
    ("linbit-documentation/UG9_drbdsetup_events2_follow.txt", [], UNKNOWN, ["events2 dump incomplete"]),
    ("drbdtop/events2_timestamps_statistics_2019.txt", [], OK,
     ["connected and UpToDate: pvc-0a2826c9-7108-11e9-8f74-0026b954ca4c"]),
    ("ha_cluster_exporter/fake_drbdsetup.sh", [], CRITICAL, ["1-single-1: quorum lost"]),
    ("ha_cluster_exporter/fake_drbdsetup.sh", ["--resource", "1-single-0"], OK, ["1-single-0/0_sync=100%"]),
    ("ha_cluster_exporter/fake_drbdsetup.sh", ["--resource", "3"], CRITICAL, ["3: quorum lost"]),
]


@pytest.mark.parametrize("name, args, code, fragments", FILE_VERDICTS,
                         ids=[f"{case[0]}{''.join(case[1])}" for case in FILE_VERDICTS])
def test_verdict_per_fixture(name, args, code, fragments, tmp_path) -> None:
    got, lines = check_file(name, *args, state_dir=tmp_path)
    assert got == code, lines
    for fragment in fragments:
        assert fragment in lines[0]
    perfdata(lines[0])
    if code != UNKNOWN:  # one long-output line per checked object, each with its own state
        assert all(re.match(r"^(OK|WARNING|CRITICAL|UNKNOWN): ", line) for line in lines[1:])
        assert len(lines) > 1


EVENTS2_VERDICTS = {
    "events2-all-create-change.test": (OK, "1 resource connected and UpToDate: some-resource"),
    "events2-all-create-destroy.test": (UNKNOWN, "no DRBD resources configured"),
    "events2-all-create-helper.test": (CRITICAL, "local disk Diskless"),
    "events2-change-before-exists.test": (CRITICAL, "no connection to a peer"),
    "events2-create-before-exists.test": (CRITICAL, "local disk Diskless; no connection to a peer"),
    "events2-destroy-before-exists.test": (UNKNOWN, "no DRBD resources configured"),
    "events2-device-create-destroy.test": (UNKNOWN, "no DRBD resources configured"),
    "events2-exists-before-create.test": (CRITICAL, "no connection to a peer"),
    "events2-first-out-of-order.test": (CRITICAL, "not connected to some-peer (StandAlone)"),
    "events2-may-promote-peer-data.test": (CRITICAL, "local disk Diskless"),
    "events2-may-promote-peer-role.test": (WARNING, "replication Off while connected; peer disk DUnknown"),
    "events2-may-promote-quorum.test": (CRITICAL, "quorum lost"),
    "events2-no-resources.test": (UNKNOWN, "no DRBD resources configured"),
    "events2-out-of-order.test": (CRITICAL, "not connected to some-peer (StandAlone)"),
    "events2-promotion-score-devices.test": (CRITICAL, "no connection to a peer"),
    "events2-promotion-score-inconsistent.test": (CRITICAL, "local disk Inconsistent without a resync"),
    "events2-resource-create-destroy.test": (UNKNOWN, "no DRBD resources configured"),
    "events2-resource-exists.test": (UNKNOWN, "events2 dump incomplete"),
    "events2-sync.test": (WARNING, "some-resource: resync SyncSource 37.5% done"),
}


@pytest.mark.parametrize("name", sorted(EVENTS2_VERDICTS))
def test_verdict_per_events2_transcript(name: str, tmp_path) -> None:
    code, fragment = EVENTS2_VERDICTS[name]
    for command, output in transcript(f"drbd-utils/{name}"):
        result = run_check("--input", "-", stdin=output.encode(), state_dir=tmp_path)
        first = result.stdout.splitlines()[0]
        assert (result.returncode, result.stderr) == (code, ""), (command, result.stdout)
        assert fragment in first and STATUS_LINE.match(first), (command, first)


def test_events2_sync_statistics_give_eta_perfdata(tmp_path) -> None:
    stats = dict(transcript("drbd-utils/events2-sync.test"))
    text = next(out for command, out in stats.items() if "--statistics" in command)
    result = run_check("--input", "-", stdin=text.encode(), state_dir=tmp_path)
    assert result.returncode == WARNING
    assert perfdata(result.stdout.splitlines()[0]) == [
        "some-resource/0_sync=37.5%;;;0;100", "some-resource/0_oos=2560000B;;;0", "some-resource/0_eta=10s;;;0"]


HOSTILE = {
    "empty": (b"", "empty input: no DRBD status"),
    "blank lines": (b"\n\n   \n", "empty input: no DRBD status"),
    "garbage": (b"this is not drbd\nat all\n", "not a DRBD status format"),
    "binary": (bytes(range(256)) * 4, "not a DRBD status format"),
    "truncated json": (load("ha_cluster_exporter/fake_drbdsetup.sh")[:400].encode(), "invalid JSON"),
    "json of the wrong shape": (b'{"name": 3}', "'name' missing or not a string"),
    "drbd 9 proc alone": (load("linbit-documentation/UG9_proc_drbd_v9.txt").encode(),
                          "carries no resource state"),
    "truncated proc": (read("ganeti/proc_drbd84.txt")[:150].encode(), "lacks ro:/st: or ds:"),
    "events2 cut short": (b"exists resource name:r0 role:Primary suspended:no\n", "events2 dump incomplete"),
    "status text noise": (b"r0 role:Primary\n  disk:UpToDate\n  peer role:Secondary\n    volume:zz\n",
                          "volume:zz is not a number"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_unknown_with_reason(case: str, tmp_path) -> None:
    data, reason = HOSTILE[case]
    result = run_check("--input", "-", stdin=data, state_dir=tmp_path)
    assert (result.returncode, result.stderr) == (UNKNOWN, "")
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("DRBD UNKNOWN - stdin: ")
    assert reason in result.stdout and "Traceback" not in result.stdout


@pytest.mark.parametrize("args, reason", [
    (["--input", "/nonexistent/proc_drbd"], "cannot read /nonexistent/proc_drbd: No such file or directory"),
    (["--input", "/"], "cannot read /: Is a directory"),
    (["--bogus"], "unknown option --bogus"),
    (["--stall-time", "-1"], "--stall-time: '-1' is not a number of seconds"),
    (["-t", "abc"], "-t: could not convert string to float: 'abc'"),
])
def test_unreadable_file_and_bad_usage_are_unknown(args: list[str], reason: str, tmp_path) -> None:
    result = run_check(*args, state_dir=tmp_path)
    assert result.returncode == UNKNOWN and reason in result.stdout.splitlines()[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_help_and_version(tmp_path) -> None:
    help_text = run_check("-h", state_dir=tmp_path)
    assert help_text.returncode == UNKNOWN and help_text.stdout.startswith("Usage: check_drbd_sync [--resource NAME]")
    for option in ("--resource NAME", "--input FILE", "--state-file FILE", "--stall-time SECONDS",
                   "-t, --timeout SECONDS", "-v, --verbose", "-V, --version"):
        assert option in help_text.stdout
    version = run_check("-V", state_dir=tmp_path)
    assert version.returncode == UNKNOWN and re.match(r"^check_drbd_sync \d+\.\d+", version.stdout)


@pytest.mark.real
def test_live_mode_without_drbd_kernel_module_is_unknown(tmp_path) -> None:
    """No --input: the real /usr/sbin/drbdsetup fails here (no DRBD module) and there is no /proc/drbd."""
    result = run_check(state_dir=tmp_path)
    first = result.stdout.splitlines()[0]
    assert result.returncode == UNKNOWN
    assert first.startswith("DRBD UNKNOWN - /usr/sbin/drbdsetup status --json exited ")
    assert "/proc/drbd" in first


SYNCING = load("ganeti/proc_drbd83_sync_want.txt")
PROGRESSED = SYNCING.replace("oos:588416", "oos:488416").replace("44.4%", "53.9%")


def test_stall_detection_across_runs(tmp_path) -> None:
    state = str(tmp_path / "state.json")
    verdicts = []
    for now, text in ((1000, SYNCING), (1040, SYNCING), (1080, PROGRESSED), (1100, PROGRESSED),
                      (1100 + drbd_stall.FORGET_AFTER + 60, PROGRESSED)):
        report = evaluate(detect_and_parse(text), [], state_file=state, now=now)
        verdicts.append((int(report.state), report.summary_text()))
    assert verdicts[0] == (WARNING, "0: resync SyncTarget 44.4% done, ETA 0:00:08")
    assert verdicts[1] == (CRITICAL, "0: resync SyncTarget 44.4% done, ETA 0:00:08: resync stalled, "
                                     "no progress for 40 s")
    assert verdicts[2][0] == WARNING and verdicts[3][0] == WARNING  # progressed; then too soon to tell
    assert verdicts[4][0] == WARNING  # the old sample is forgotten, not taken for a stall
    assert json.loads((tmp_path / "state.json").read_text())["0/0/peer"]["progress"] == [488416 * 1024, 53.9]


def test_stall_detection_by_the_executable_and_a_bad_state_file(tmp_path) -> None:
    fixture = str(FIXTURES / "ganeti/proc_drbd83_sync_want.txt")
    first = run_check("--input", fixture, "--stall-time", "0.001", state_dir=tmp_path)
    second = run_check("--input", fixture, "--stall-time", "0.001", state_dir=tmp_path)
    assert (first.returncode, second.returncode) == (WARNING, CRITICAL)
    assert "resync stalled, no progress for 0 s" in second.stdout
    assert (tmp_path / "check_drbd_sync.json").is_file()
    (tmp_path / "check_drbd_sync.json").write_text("{not json")
    corrupt = run_check("--input", fixture, state_dir=tmp_path)
    assert corrupt.returncode == WARNING and "unreadable" in corrupt.stdout
    unwritable = run_check("--input", fixture, "--state-file", "/dev/null/state.json", state_dir=tmp_path)
    assert unwritable.returncode == WARNING
    assert "WARNING: stall detection impaired: cannot write state file /dev/null/state.json" in unwritable.stdout


def test_in_sync_run_touches_no_state_file(tmp_path) -> None:
    result = run_check("--input", str(FIXTURES / "ganeti/proc_drbd84.txt"), "--resource", "0", state_dir=tmp_path)
    assert result.returncode == OK and list(tmp_path.iterdir()) == []


def test_out_of_sync_never_masks_a_worse_state() -> None:
    seen = 0
    for text in (load("ganeti/proc_drbd84.txt"), load("ganeti/proc_drbd84_sync.txt"), read("node_exporter/drbd")):
        for resource in detect_and_parse(text).resources:
            report = evaluate(detect_and_parse(text), [resource.name], state_file="/dev/null/x")
            problems = [line for line in report.render().splitlines()[1:] if "out of sync" in line]
            for line in problems:
                assert line.startswith("CRITICAL: ")  # every oos case in these fixtures has a worse cause
                seen += 1
    assert seen == 4  # 84: minors 4, 8; 84_sync: minor 0; node_exporter: minor 1


def test_executable_is_lean_and_self_contained() -> None:
    head = CHECK.read_text().splitlines()[0]
    assert head == "#!/usr/bin/python3 -sS" and CHECK.stat().st_mode & 0o111


def test_resource_names_on_drbd8_come_from_udev_by_res_links(tmp_path, monkeypatch) -> None:
    """/proc/drbd has no names: --resource NAME follows /dev/drbd/by-res/NAME[/0] to the minor."""
    from nagios_herd.checks import drbd_sync

    (tmp_path / "drbd4").touch()
    (tmp_path / "drbd0").touch()
    (tmp_path / "by-res" / "guest-a").mkdir(parents=True)
    (tmp_path / "by-res" / "guest-a" / "0").symlink_to(tmp_path / "drbd4")  # DRBD 9 style udev link
    (tmp_path / "by-res" / "guest-b").symlink_to(tmp_path / "drbd0")  # DRBD 8.4 single-volume style
    (tmp_path / "by-res" / "dangling").symlink_to(tmp_path / "drbd7")
    monkeypatch.setattr(drbd_sync, "BY_RES", str(tmp_path / "by-res"))
    status = detect_and_parse(load("ganeti/proc_drbd84.txt"))
    report = evaluate(status, ["guest-a", "guest-b", "dangling"], state_file="/dev/null/x")
    assert report.summary_text() == ("dangling: resource not found; guest-a: not connected to peer "
                                     "(WFConnection); 1023.8 MiB out of sync with peer")
    assert "OK: guest-b: role:Primary" in report.render()
    assert [str(p).split("=")[0] for p in report.perfdata] == ["guest-a/0_oos", "guest-b/0_sync", "guest-b/0_oos"]


P84 = "version: 8.4.2 (api:1/proto:86-101)\n"
TABLE_ROWS = [  # verdict-table rows no captured fixture shows, in the formats the check reads
    (P84 + " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C s-----\n    ns:0 oos:0\n",
     CRITICAL, "0: I/O suspended (io)"),
    (P84 + " 0: cs:PausedSyncS ro:Primary/Secondary ds:UpToDate/Inconsistent C ra----\n    ns:0 oos:2048\n",
     WARNING, "0: resync PausedSyncS paused (dependency)"),
    (P84 + " 0: cs:VerifyS ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:0 oos:0\n",
     WARNING, "0: online verify VerifyS"),
    (P84 + " 0: cs:Ahead ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:0 oos:4\n",
     WARNING, "0: replication Ahead (congested); 4.0 KiB out of sync"),
    (P84 + " 0: cs:Connected ro:Secondary/Primary ds:Outdated/UpToDate C r-----\n    ns:0 oos:0\n",
     CRITICAL, "0: local disk Outdated"),
    (P84 + " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/Failed C r-----\n    ns:0 oos:0\n",
     CRITICAL, "0: peer disk Failed"),
    (P84 + " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:0 oos:8\n",
     WARNING, "0: 8.0 KiB out of sync"),
    (P84 + " 0: cs:NetworkFailure ro:Primary/Unknown ds:UpToDate/DUnknown C r-----\n    ns:0 oos:0\n",
     CRITICAL, "0: not connected to peer (NetworkFailure)"),
    (P84 + " 0: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r-----\n    ns:0 oos:0\n",
     CRITICAL, "0: local disk Inconsistent without a resync; not connected to peer (StandAlone)"),
    ("g1 role:Primary\n  disk:UpToDate\n  cl role:Secondary\n    peer-disk:Diskless peer-client:yes\n",
     OK, "1 resource connected and UpToDate: g1"),
    ("g1 role:Secondary\n  disk:Diskless client:yes\n  backup role:Primary\n    peer-disk:UpToDate\n",
     OK, "1 resource connected and UpToDate: g1"),
    ("g1 role:Primary\n  disk:UpToDate\n  backup role:Secondary\n    peer-disk:Diskless\n",
     CRITICAL, "g1: peer disk Diskless"),
    ("g1 role:Primary\n  disk:UpToDate quorum:no\n  backup role:Secondary\n    peer-disk:UpToDate\n",
     CRITICAL, "g1: quorum lost"),
    ("g1 role:Primary\n  disk:UpToDate\n  backup role:Secondary\n    replication:SyncSource peer-disk:Inconsistent\n",
     WARNING, "g1: resync SyncSource (progress unknown)"),
    ("g1 role:Primary\n  disk:UpToDate\n  backup role:Secondary\n    replication:WFBitMapS peer-disk:Outdated\n",
     WARNING, "g1: resync WFBitMapS (progress unknown)"),
    ("g1 role:Primary\n  disk:Attaching\n  backup role:Secondary\n    peer-disk:UpToDate\n",
     WARNING, "g1: local disk Attaching"),
    ("g1 role:Primary\n  disk:Weird\n  backup role:Secondary\n    peer-disk:UpToDate\n",
     CRITICAL, "g1: local disk in unknown state Weird"),
    ("g1 role:Primary suspended:quorum\n  disk:UpToDate\n  backup role:Primary\n    peer-disk:UpToDate\n",
     CRITICAL, "g1: I/O suspended (quorum); 2 Primaries (both sides Primary)"),
]


@pytest.mark.parametrize("text, code, summary", TABLE_ROWS)
def test_verdict_table_rows(text: str, code: int, summary: str, tmp_path) -> None:
    report = evaluate(detect_and_parse(text), [], state_file=str(tmp_path / "state.json"), now=1000)
    assert (int(report.state), report.summary_text()) == (code, summary)


def test_only_unconfigured_minors_is_unknown(tmp_path) -> None:
    text = P84 + " 0: cs:Unconfigured\n 1: cs:Unconfigured\n"
    result = run_check("--input", "-", stdin=text.encode(), state_dir=tmp_path)
    assert result.returncode == UNKNOWN
    assert result.stdout == "DRBD UNKNOWN - no DRBD resources configured (Unconfigured minors: 0, 1)\n"


def test_console_script_gives_the_same_answer(tmp_path) -> None:
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "check_drbd_sync"
    if not script.exists():
        pytest.skip("package not installed in this interpreter's environment")
    fixture = str(FIXTURES / "ganeti/proc_drbd84.txt")
    installed = run_check("--input", fixture, executable=script, state_dir=tmp_path)
    launcher = run_check("--input", fixture, state_dir=tmp_path)
    assert (installed.returncode, installed.stdout) == (launcher.returncode, launcher.stdout) == (
        CRITICAL, launcher.stdout)
