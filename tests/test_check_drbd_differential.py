"""Differential test against Debian's perl check_drbd 0.5.3 (monitoring-plugins-contrib) on 8.x /proc/drbd.

Per configured minor, both plugins must give the same exit status, except where check_drbd is known to be
wrong; each such case is listed below with its reason and both statuses.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from drbd_support import load, run_check

from nagios_herd.parsers.drbd.formats import detect_and_parse

CHECK_DRBD = "/usr/lib/nagios/plugins/check_drbd"
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3

pytestmark = [
    pytest.mark.real,
    pytest.mark.skipif(not os.access(CHECK_DRBD, os.X_OK), reason="monitoring-plugins-contrib not installed"),
]

PROC_FIXTURES = [
    "ganeti/proc_drbd8.txt", "ganeti/proc_drbd80-emptyline.txt", "ganeti/proc_drbd80-emptyversion.txt",
    "ganeti/proc_drbd83.txt", "ganeti/proc_drbd83_sync.txt", "ganeti/proc_drbd83_sync_krnl2.6.39.txt",
    "ganeti/proc_drbd83_sync_want.txt", "ganeti/proc_drbd84.txt", "ganeti/proc_drbd84_emptyfirst.txt",
    "ganeti/proc_drbd84_sync.txt", "checkmk/proc_drbd_8.3.8_connected.txt",
    "checkmk/proc_drbd_8.3.8_sync_stalled.txt", "checkmk/proc_drbd_8.3.8_syncsource_delay_probe.txt",
    "node_exporter/drbd", "linbit-documentation/UG84_proc_drbd_8.4.0.txt",
    "issues/clustervision_trinity_651_proc_drbd_WFConnection_Inconsistent.txt",
    "issues/clustervision_trinity_651_proc_drbd_StandAlone_Primary.txt",
    "issues/cockpit-project_cockpit_17042_proc_drbd_8.4.11_two_syncs.txt",
    "issues/rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node1.txt",
    "issues/rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node2.txt",
    "issues/ganeti_ganeti_843_proc_drbd_8.3.11_SyncSource_finish_same_line.txt",
    "issues/ganeti_ganeti_843_proc_drbd_8.3.11_SyncTarget_finish_same_line.txt",
    "drbd-synthetic/proc_drbd_8.4_states.txt",
]

OOS_FIRST = "check_drbd exits WARNING on oos>0 before evaluating any state"
PEER_DISK = "check_drbd reads only the local half of ds:, so an unintended Diskless peer passes"
SUSPENDED = "check_drbd never reads the flags column, so I/O suspended (s-----) passes"
CONSISTENT = "check_drbd rates a Consistent disk OK; it is not UpToDate (our table: OK needs both UpToDate)"
STANDALONE = "check_drbd rates StandAlone WARNING; our table: not connected is CRITICAL (UpToDate: split brain suspect)"

# (fixture, minor): (check_drbd status, our status, reason check_drbd is wrong)
KNOWN_WRONG = {
    ("ganeti/proc_drbd8.txt", "5"): (OK, CRITICAL, PEER_DISK),
    ("ganeti/proc_drbd8.txt", "8"): (WARNING, CRITICAL, STANDALONE),
    ("ganeti/proc_drbd83.txt", "5"): (OK, CRITICAL, PEER_DISK),
    ("ganeti/proc_drbd83.txt", "8"): (WARNING, CRITICAL, STANDALONE),
    ("ganeti/proc_drbd84.txt", "4"): (WARNING, CRITICAL, OOS_FIRST + ", masking WFConnection"),
    ("ganeti/proc_drbd84.txt", "8"): (WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone (split brain)"),
    ("ganeti/proc_drbd84_emptyfirst.txt", "4"): (WARNING, CRITICAL, OOS_FIRST + ", masking WFConnection"),
    ("ganeti/proc_drbd84_emptyfirst.txt", "8"): (WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone"),
    ("ganeti/proc_drbd84_sync.txt", "0"): (WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone Primary"),
    ("checkmk/proc_drbd_8.3.8_sync_stalled.txt", "0"): (WARNING, CRITICAL,
                                                        OOS_FIRST + "; the 'stalled' marker is never read"),
    ("issues/clustervision_trinity_651_proc_drbd_WFConnection_Inconsistent.txt", "1"): (
        WARNING, CRITICAL, OOS_FIRST + ", masking WFConnection with a local Inconsistent disk"),
    ("issues/clustervision_trinity_651_proc_drbd_StandAlone_Primary.txt", "1"): (
        WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone Primary (split brain)"),
    ("issues/rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node1.txt", "0"): (
        WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone (split brain)"),
    ("issues/rio-ke_proof-of-concepts_drbd-issue_proc_drbd_8.4.0_split_brain_node2.txt", "0"): (
        WARNING, CRITICAL, OOS_FIRST + ", masking StandAlone Primary (split brain)"),
    ("drbd-synthetic/proc_drbd_8.4_states.txt", "3"): (WARNING, CRITICAL, OOS_FIRST + ", masking an Outdated peer"),
    ("drbd-synthetic/proc_drbd_8.4_states.txt", "4"): (OK, CRITICAL, SUSPENDED),
    ("drbd-synthetic/proc_drbd_8.4_states.txt", "5"): (OK, CRITICAL, PEER_DISK),
    ("drbd-synthetic/proc_drbd_8.4_states.txt", "6"): (WARNING, CRITICAL, OOS_FIRST + "; '(stalled)' is never read"),
    ("drbd-synthetic/proc_drbd_8.4_states.txt", "11"): (OK, WARNING, CONSISTENT),
    ("node_exporter/drbd", "1"): (WARNING, CRITICAL,
                                  OOS_FIRST + "; ro: is never parsed, so Primary/Primary goes unseen"),
}


def check_drbd(text: str, *args: str) -> tuple[int, str]:
    result = subprocess.run([CHECK_DRBD, "-p", "-", *args], input=text, capture_output=True, text=True,
                            timeout=30, check=False)
    return result.returncode, result.stdout.strip()


CASES = [(name, resource.name) for name in PROC_FIXTURES for resource in detect_and_parse(load(name)).resources]


@pytest.mark.parametrize("name, minor", CASES, ids=[f"{n}:{m}" for n, m in CASES])
def test_agrees_with_check_drbd_unless_it_is_known_wrong(name: str, minor: str, tmp_path) -> None:
    text = load(name)
    theirs, their_line = check_drbd(text, "-d", minor)
    ours = run_check("--input", "-", "--resource", minor, stdin=text.encode(), state_dir=tmp_path)
    if (name, minor) in KNOWN_WRONG:
        expected_theirs, expected_ours, reason = KNOWN_WRONG[(name, minor)]
        assert (theirs, ours.returncode) == (expected_theirs, expected_ours), (reason, their_line, ours.stdout)
        assert ours.returncode > theirs, reason  # we are stricter, never laxer
    else:
        assert ours.returncode == theirs, (their_line, ours.stdout)


def test_every_known_disagreement_is_exercised() -> None:
    assert set(KNOWN_WRONG) <= set(CASES)


def test_check_drbd_default_watches_only_minor_0(tmp_path) -> None:
    text = load("ganeti/proc_drbd84.txt")
    assert check_drbd(text)[0] == OK  # -d 0 by default: minors 4, 6, 8 are never looked at
    assert run_check("--input", "-", stdin=text.encode(), state_dir=tmp_path).returncode == CRITICAL


def test_check_drbd_role_check_is_a_no_op_on_ro(tmp_path) -> None:
    text = load("ganeti/proc_drbd84.txt")  # minor 0 is ro:Primary/Secondary
    assert check_drbd(text, "-d", "0", "-r", "Secondary")[0] == OK
    assert detect_and_parse(text).find("0").role == "Primary"


def test_drbd9_proc_both_unknown(tmp_path) -> None:
    text = load("linbit-documentation/UG9_proc_drbd_v9.txt")
    assert check_drbd(text, "-d", "All") == (UNKNOWN, "DRBD UNKNOWN: No configured devices found")
    assert run_check("--input", "-", stdin=text.encode(), state_dir=tmp_path).returncode == UNKNOWN
