"""check_herd_watch on watcher state files: the verdicts, and UNKNOWN on anything it cannot read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd.checks.herd_watch import evaluate
from nagios_herd.parsers.watch_state import GuestRecord, WatchState, WatchStateError, parse

LAUNCHER = Path(__file__).resolve().parents[2] / "checks" / "check_herd_watch"
NOW = 1_800_000_000.0


def _run(text: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(LAUNCHER), "--input", "-", *args], input=text, text=True,
                          capture_output=True, check=False)


def test_round_trip_and_verdicts():
    state = WatchState(NOW, "ran", "4 guests checked",
                       {"a": GuestRecord("primary", 5, NOW - 60, True, "down on primary, gave up after 5 restarts"),
                        "b": GuestRecord("backup", 2, NOW - 30, False, "restarted on backup (attempt 2 of 5)")},
                       {"c": "primary is in maintenance since x"})
    assert parse(state.to_json()) == state
    report = evaluate(state, NOW + 10, 900)
    assert str(report.state) == "CRITICAL"
    assert "a: the watcher GAVE UP on it on primary" in report.summary_text()
    assert "b: restarted 2 of 5 times on backup" in report.summary_text()


def test_ok_when_nothing_is_down_and_warning_when_stale_or_paused():
    quiet = WatchState(NOW, "ran")
    assert str(evaluate(quiet, NOW + 10, 900).state) == "OK"
    assert str(evaluate(quiet, NOW + 1000, 900).state) == "WARNING"
    assert str(evaluate(WatchState(NOW, "paused", "paused until resumed"), NOW, 900).state) == "WARNING"


def test_the_plugin_exits_2_on_a_given_up_guest_and_3_on_bad_input():
    import time

    state = WatchState(time.time(), "ran", "", {"a": GuestRecord("primary", 5, time.time(), True, "")})
    result = _run(state.to_json())
    assert result.returncode == 2 and result.stdout.startswith("WATCH CRITICAL - a: the watcher GAVE UP")
    for bad in ("", "{", json.dumps({"version": 1, "run": {"time": "x", "result": "ran"}}),
                json.dumps({"version": 1, "run": {"time": 1, "result": "ran"}, "guests": {"a": {"host": "p"}}})):
        unknown = _run(bad)
        assert unknown.returncode == 3 and unknown.stdout.startswith("WATCH UNKNOWN - ")
        assert "Traceback" not in unknown.stdout + unknown.stderr


@pytest.mark.parametrize("text", ["[]", '{"version": 2}', '{"version": 1, "run": {"time": 1, "result": "bad"}}'])
def test_parser_names_the_field(text):
    with pytest.raises(WatchStateError):
        parse(text)


def test_the_watcher_stays_out_of_a_herd_pacemaker_manages(tmp_path):
    inventory = Path(__file__).resolve().parents[1] / "render" / "inventory" / "herd.toml"
    result = subprocess.run([str(Path(sys.executable).parent / "nagios-herd"), "watch", "--inventory",
                             str(inventory), "--state-dir", str(tmp_path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Pacemaker manages this herd" in result.stdout
    state = parse((tmp_path / "watch.json").read_text())
    assert state.run_result == "ran" and state.guests == {}
    assert str(evaluate(state, state.run_time, 900).state) == "OK"
