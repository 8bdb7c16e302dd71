"""Bad environments give one clear line; concurrent commands from both hosts keep the state whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from nagios_herd.lab.sim.hooks import pause_hooks
from nagios_herd.lab.sim.state import stop_hooks

from .conftest import SimLab


def test_missing_environment_is_one_line_not_a_traceback(lab: SimLab) -> None:
    env = lab.env("primary")
    del env["NAGIOS_HERD_LAB_STATE"]
    for tool, args, code in (("xl", ["list"], 1), ("drbdadm", ["role", "team-db"], 20),
                             ("drbdsetup", ["status"], 20)):
        result = subprocess.run([sys.executable, "-sS", "-m", f"nagios_herd.lab.sim.{tool}", *args],
                                env=env, capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == code, (tool, result.stderr)
        assert result.stderr.count("\n") == 1 and "NAGIOS_HERD_LAB_STATE is not set" in result.stderr


def test_unknown_host_and_corrupt_state_are_reported(lab: SimLab) -> None:
    stranger = lab.run("nosuchhost", "xl", "list")
    assert stranger.returncode == 1 and "not a host of this lab" in stranger.stderr
    stop_hooks(lab.state)  # the detached hook runner rewrites the state while boots are pending
    with pause_hooks(lab.state):  # ... so wait until it has gone before breaking the file
        with open(os.path.join(lab.state, "sim-state.json"), "w", encoding="utf-8") as handle:
            handle.write("{half")
        broken = lab.run("primary", "drbdsetup", "status")
    assert broken.returncode == 20 and "unreadable lab state" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_concurrent_commands_on_both_hosts_keep_the_state_whole(lab: SimLab) -> None:
    calls = [("primary", "xl", "list"), ("backup", "drbdsetup", "status", "--json"),
             ("primary", "drbdadm", "status"), ("backup", "xl", "info")] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda call: lab.run(*call), calls))
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results if r.returncode]
    with open(os.path.join(lab.state, "sim-state.json"), encoding="utf-8") as handle:
        state = json.load(handle)
    assert state["resources"]["team-db"]["acked"] >= len(calls)  # every call wrote once per running guest
