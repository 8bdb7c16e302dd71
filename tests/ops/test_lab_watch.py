"""``nagios-herd watch`` against the lab: restart where recorded, give up after 5, reset, lock, pause, helpless hosts.

Each run is the real command (cron's), over real SSH to the lab hosts; the state file it writes is then read by the
shipped check, as NRPE would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nagios_herd.ops.lock import Lock

pytestmark = [pytest.mark.lab, pytest.mark.real]

NAGIOS_HERD = Path(sys.executable).parent / "nagios-herd"
CHECK = Path(__file__).resolve().parents[2] / "checks" / "check_herd_watch"


def watch(ops, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(NAGIOS_HERD), "watch", "--backoff", "0", *args], env=ops.env(), text=True,
                            capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def state(ops) -> dict:
    return json.loads((ops.state_dir / "watch.json").read_text())


def check(ops) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), "--input", str(ops.state_dir / "watch.json")], text=True,
                          capture_output=True, timeout=30)


def destroy(ops, host: str, guest: str) -> None:
    assert ops.ssh(host, f"xl destroy {guest}").returncode == 0
    ops.wait(lambda: guest not in ops.state()["domains"][host], 10, "the domain gone")


def test_restarts_a_vanished_guest_where_recorded_then_resets_after_it_stays_up(ops):
    assert watch(ops).stdout == "" and check(ops).returncode == 0
    destroy(ops, "primary", "lab-db")
    first = watch(ops, "--reset-after", "1")
    assert "lab-db: restarted on primary (attempt 1 of 5)" in first.stdout
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    assert state(ops)["guests"]["lab-db"]["restart_count"] == 1
    assert check(ops).returncode == 1  # WARNING: being restarted
    time.sleep(1.2)
    reset = watch(ops, "--reset-after", "1")
    assert "lab-db: up on primary since the restart, counter reset" in reset.stdout
    assert state(ops)["guests"] == {} and check(ops).returncode == 0


def test_gives_up_after_five_failed_restarts_and_the_check_goes_critical(ops):
    assert ops.ssh("primary", "mv /etc/xen/lab-db.cfg /etc/xen/lab-db.cfg.away").returncode == 0
    try:
        destroy(ops, "primary", "lab-db")
        for attempt in range(1, 6):
            assert "restart failed" in watch(ops).stdout
            assert state(ops)["guests"]["lab-db"]["restart_count"] == attempt
        assert "giving up" in watch(ops).stdout
        assert "retries exhausted" in watch(ops).stdout
    finally:
        ops.ssh("primary", "mv /etc/xen/lab-db.cfg.away /etc/xen/lab-db.cfg")
    assert state(ops)["guests"]["lab-db"]["gave_up"] is True and ops.where("lab-db") == []
    result = check(ops)
    assert result.returncode == 2 and "lab-db: the watcher GAVE UP on it on primary" in result.stdout
    assert ops.where("lab-db") == [] and ops.where("lab-web") == ["backup"]  # never elsewhere


def test_never_acts_while_a_task_holds_the_lock_or_while_paused(ops):
    destroy(ops, "backup", "lab-web")
    with Lock(ops.state_dir, "fab failover --all"):
        locked = watch(ops)
    assert "leaving everything to it" in locked.stdout and ops.where("lab-web") == []
    assert state(ops)["run"]["result"] == "locked" and check(ops).returncode == 1
    watch(ops, "--pause", "600")
    paused = watch(ops)
    assert "paused until" in paused.stdout and ops.where("lab-web") == []
    watch(ops, "--resume")
    assert "lab-web: restarted on backup" in watch(ops).stdout and ops.where("lab-web") == ["backup"]


def test_skips_a_host_in_maintenance_or_offline_and_never_fails_over(ops):
    destroy(ops, "primary", "lab-db")
    ops.mark("maintenance", "primary")
    skipped = watch(ops)
    assert skipped.stdout == "" and ops.where("lab-db") == []
    assert "in maintenance" in state(ops)["skipped"]["lab-db"]
    ops.reset()
    destroy(ops, "primary", "lab-db")
    ops.mark("offline", "primary")
    watch(ops)
    assert ops.where("lab-db") == [] and "marked offline" in state(ops)["skipped"]["lab-db"]
