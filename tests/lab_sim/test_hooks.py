"""The domain-event hook fires once per start/stop, in order, without blocking xl; the wrappers run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from nagios_herd.lab.sim import install_wrappers
from nagios_herd.lab.sim.hooks import pause_hooks
from nagios_herd.lab.sim.state import snapshot, stop_hooks

from .conftest import REPO, SimLab


def _install_hook(lab: SimLab) -> str:
    log = str(lab.root / "events.log")
    hook = os.path.join(lab.state, "hooks", "domain-event")
    os.makedirs(os.path.dirname(hook), exist_ok=True)
    with open(hook, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\necho "$@" >> {log}\n')
    os.chmod(hook, 0o755)
    return log


INITIAL = ("primary team-db started", "backup team-ops started")  # from init_state, racing the hook install


def _events(log: str) -> list[str]:
    lines = open(log, encoding="utf-8").read().splitlines() if os.path.exists(log) else []
    while lines and lines[0] in INITIAL:
        lines.pop(0)
    return lines


def test_domain_events_reach_the_hook_in_order(lab: SimLab, fault) -> None:
    log = _install_hook(lab)
    lab.ok("primary", "xl", "shutdown", "team-db")  # returns at once; the guest stops later
    lab.wait_for(lambda: _events(log) == ["primary team-db stopped"], "stop reported without another xl call")
    lab.ok("primary", "xl", "create", lab.cfg("team-db"))
    fault.crash(lab.state, "backup")
    expected = ["primary team-db stopped", "primary team-db started", "backup team-ops stopped"]
    lab.wait_for(lambda: _events(log) == expected, "start and crash reported")


def test_stopped_hooks_fire_nothing_more(lab: SimLab) -> None:
    log = _install_hook(lab)
    stop_hooks(lab.state)
    lab.ok("primary", "xl", "destroy", "team-db")
    lab.ok("primary", "xl", "create", lab.cfg("team-db"))
    assert snapshot(lab.state)["events"] == []
    assert "primary team-db stopped" not in _events(log)


def test_paused_hooks_wait_and_then_fire(lab: SimLab) -> None:
    log = _install_hook(lab)
    with pause_hooks(lab.state):
        lab.ok("primary", "xl", "destroy", "team-db")
        time.sleep(0.5)  # a hook runner is started at once by xl; it must wait for the pause to end
        assert ["primary", "team-db", "stopped"] in [event[:3] for event in snapshot(lab.state)["events"]]
        assert "primary team-db stopped" not in _events(log)
    lab.wait_for(lambda: _events(log) == ["primary team-db stopped"], "the queued event to fire after the pause")


def test_pausing_hooks_of_no_lab_is_a_no_op(tmp_path) -> None:
    with pause_hooks(str(tmp_path / "gone")):
        pass
    assert not (tmp_path / "gone").exists()


def test_a_connection_lost_in_sync_is_told_before_the_command_returns(lab: SimLab) -> None:
    log = lab.root / "lost.log"
    hook = os.path.join(lab.state, "hooks", "connection-lost")
    os.makedirs(os.path.dirname(hook), exist_ok=True)
    with open(hook, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\necho "$@" >> {log}\n')
    os.chmod(hook, 0o755)
    lab.ok("primary", "drbdadm", "disconnect", "team-db")
    resource, primary, peer, shared = log.read_text().split(" ", 3)  # written before drbdadm returned
    side = snapshot(lab.state)["resources"]["team-db"]["hosts"]["backup"]
    assert (resource, primary, peer) == ("team-db", "primary", "backup")
    assert json.loads(shared) == {key: side[key] for key in ("gen", "data", "history")}
    lab.ok("primary", "drbdadm", "disconnect", "team-db")  # nothing more to lose
    lab.ok("backup", "drbdadm", "disconnect", "team-ops")  # a Primary on the other host
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("team-ops backup primary ")


def test_wrappers_exec_the_simulators(lab: SimLab) -> None:
    bin_dir = str(lab.root / "bin")
    paths = install_wrappers(bin_dir, sys.executable, str(REPO))
    assert [os.path.basename(path) for path in paths] == ["xl", "drbdadm", "drbdsetup"]
    env = {**lab.env("primary"), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    del env["PYTHONPATH"]  # the wrapper must bring the checkout itself
    result = subprocess.run(["xl", "list", "team-db"], env=env, capture_output=True, text=True, check=False,
                            timeout=60)
    assert result.returncode == 0 and "team-db" in result.stdout
    role = subprocess.run(["drbdadm", "role", "team-db"], env=env, capture_output=True, text=True, check=False,
                          timeout=60)
    assert role.stdout == "Primary\n"


def test_pause_and_unpause_show_in_xl_list_stop_writes_and_reach_the_hook(lab: SimLab) -> None:
    log = _install_hook(lab)
    assert lab.ok("primary", "xl", "pause", "team-db") == ""
    assert lab.ok("primary", "xl", "pause", "team-db") == ""  # already paused: still one pause, one event
    row = lab.ok("primary", "xl", "list", "team-db").splitlines()[1]
    assert row.split()[0] == "team-db" and row.split()[4] == "--p---"
    written = snapshot(lab.state)["resources"]["team-db"]["acked"]
    time.sleep(0.5)  # a running guest writes every 0.2 s; a paused one does not
    lab.ok("primary", "xl", "list")
    assert snapshot(lab.state)["resources"]["team-db"]["acked"] == written
    lab.ok("primary", "xl", "unpause", "team-db")
    assert lab.ok("primary", "xl", "list", "team-db").splitlines()[1].split()[4] in ("r-----", "-b----")
    lab.wait_for(lambda: _events(log) == ["primary team-db paused", "primary team-db unpaused"],
                 "pause and unpause reported once each")
    lab.ok("primary", "xl", "pause", "team-db")
    lab.ok("primary", "xl", "destroy", "team-db")  # a paused guest destroyed stops what serves it
    lab.wait_for(lambda: _events(log)[2:] == ["primary team-db paused", "primary team-db stopped"],
                 "a destroyed paused domain reported stopped")


def test_pausing_an_unknown_domain_fails_like_xl(lab: SimLab) -> None:
    for command in ("pause", "unpause"):
        result = lab.run("primary", "xl", command, "nope")
        assert result.returncode == 1 and result.stderr == "nope is an invalid domain identifier (rc=-6)\n"
