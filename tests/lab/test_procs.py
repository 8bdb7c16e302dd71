"""Processes are stopped by pid only while the pid still names the process that was recorded.

The recycled pid is real: the kernel is asked (``/proc/sys/kernel/ns_last_pid``, root) to hand the dead
process' pid to a fresh one, which must then survive ``stop_pid`` of the old record.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from nagios_herd import procs
from nagios_herd.nagios import daemons as nagios_daemons

LAST_PID = Path("/proc/sys/kernel/ns_last_pid")


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL)


def _at_pid(pid: int, attempts: int = 200) -> subprocess.Popen:
    """A new process that got exactly ``pid`` (others fork meanwhile on this machine: retry)."""
    for _ in range(attempts):
        LAST_PID.write_text(str(pid - 1))
        process = _sleeper()
        if process.pid == pid:
            return process
        process.kill()
        process.wait()
    pytest.skip(f"could not get pid {pid} again")


@pytest.fixture
def recycled():
    """(record of a dead process, the live process that now has its pid)."""
    if os.geteuid() != 0 or not os.access(LAST_PID, os.W_OK):
        pytest.skip("needs root to choose the next pid")
    old = _sleeper()
    record = procs.Pid(old.pid)
    old.kill()
    old.wait()
    time.sleep(0.05)  # start times count clock ticks (10 ms): the newcomer must start in a later one
    new = _at_pid(record)
    try:
        yield record, new
    finally:
        new.kill()
        new.wait()


def test_a_recycled_pid_is_not_signalled(recycled):
    record, new = recycled
    assert int(record) == new.pid and procs.start_time(new.pid) != record.start
    nagios_daemons.stop_pid(record)
    procs.terminate({int(record): record.start})
    assert new.poll() is None  # the newcomer still runs
    start = procs.start_time(new.pid)
    nagios_daemons.stop_pid(new.pid)  # a plain int: whatever runs there now
    assert procs.start_time(new.pid) != start


def test_a_stopped_process_is_ended_and_reaped():
    process = _sleeper()
    os.kill(process.pid, signal.SIGSTOP)
    procs.kill_all([process.pid])
    with pytest.raises(ChildProcessError):
        os.waitpid(process.pid, os.WNOHANG)  # reaped by kill_all: no zombie left behind


def test_a_pid_remembers_its_start_time():
    process = _sleeper()
    try:
        pid = procs.Pid(process.pid)
        assert pid == process.pid and pid.start == procs.start_time(process.pid) is not None
    finally:
        nagios_daemons.stop_pid(procs.Pid(process.pid))
    assert procs.start_time(process.pid) != pid.start
