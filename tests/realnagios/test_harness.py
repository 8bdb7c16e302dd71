"""The RealNagios harness and nagios_serve against the real nagios4 and lighttpd."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from nagios_herd.nagios import daemons as nagios_daemons
from nagios_herd.nagios import serve as nagios_serve
from nagios_herd.parsers.nagios_status import parse_programstatus

from . import RealNagios, real_nagios  # noqa: F401  (real_nagios is a fixture)

pytestmark = pytest.mark.real


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_fixture_serves_statusjson(real_nagios: RealNagios) -> None:
    answer = requests.get(real_nagios.url, params={"query": "programstatus"}, timeout=10)
    status = parse_programstatus(answer.text)
    assert status.program is not None and status.program.nagios_pid == real_nagios.nagios_pid
    assert status.envelope.user == "nagiosadmin"  # cgi.cfg default user: no login needed
    assert real_nagios.address.startswith("127.") and real_nagios.address != "127.0.0.1"


def test_states_reach_status_dat_and_stop_cleans_up(tmp_path: Path) -> None:
    services = {"OKAY": "/bin/true", "WARN": "/bin/sh -c 'echo half full; exit 1'",
                "CRIT": "/bin/sh -c 'exit 2'", "UNKN": "/bin/sh -c 'exit 3'"}
    nagios = RealNagios(tmp_path, services=services).start()
    pids = [nagios.nagios_pid, nagios.lighttpd_pid]
    try:
        assert all(pid is not None and alive(pid) for pid in pids)
        for name, state in (("OKAY", 0), ("WARN", 1), ("CRIT", 2), ("UNKN", 3)):
            nagios.wait_for_service_state("guest01", name, state)
        assert nagios.status().services[("guest01", "WARN")].plugin_output == "half full"
        with pytest.raises(AssertionError, match="guest01/OKAY not CRITICAL within 1s; last seen: state OK"):
            nagios.wait_for_service_state("guest01", "OKAY", 2, timeout=1)
    finally:
        nagios.stop()
    assert not any(alive(pid) for pid in pids if pid is not None)
    assert not nagios.tree.status_file.exists()
    nagios.stop()  # idempotent


def test_forced_check_through_the_command_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state"
    state_file.write_text("0")
    objects = nagios_serve.minimal_objects(
        services={"FLIP": f"/bin/sh -c 'exit $(cat {state_file})'"}, check_interval=3600)
    with RealNagios(tmp_path / "n", objects=objects) as nagios:
        nagios.wait_for_service_state("guest01", "FLIP", 0)
        state_file.write_text("2")
        nagios.force_service_check("guest01", "FLIP")
        nagios.wait_for_service_state("guest01", "FLIP", 2)
        nagios.stop_nagios()
        with pytest.raises(OSError):  # no reader: fails at once instead of blocking
            nagios.send_command("SCHEDULE_FORCED_SVC_CHECK;guest01;FLIP;0")


def test_broken_config_is_refused_with_nagios_v_output(tmp_path: Path) -> None:
    nagios = RealNagios(tmp_path, objects="define host {\n  host_name lonely\n}\n")
    with pytest.raises(nagios_serve.ServeError, match=r"nagios4 -v .* failed \(exit 1\).*Error"):
        nagios.start()
    assert nagios.nagios_pid is None and nagios.lighttpd_pid is None


def test_unsafe_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(nagios_serve.ServeError, match="unsafe character"):
        nagios_serve.lighttpd_conf(address="127.0.0.2", port=80, root=tmp_path / 'x"y',
                                   cgi_config=tmp_path / "cgi.cfg")
    with pytest.raises(nagios_serve.ServeError, match="line break"):
        nagios_serve.minimal_objects(services={"X": "/bin/true\ndefine host {"})


def test_free_loopback_is_bindable() -> None:
    import socket

    address, port = nagios_daemons.free_loopback()
    with socket.socket() as probe:
        probe.bind((address, port))


def test_restart_after_a_killed_core(tmp_path: Path) -> None:
    """A SIGKILLed core leaves its lock file and status.dat; the next start must not trust them."""
    import os
    import signal

    nagios = RealNagios(tmp_path).start()
    try:
        first = nagios.nagios_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        nagios_daemons.stop_pid(first)  # reaps nothing (not our child), waits until it is gone
        assert nagios.tree.status_file.exists() and nagios.tree.lock_file.exists()
        nagios.start_nagios()
        assert nagios.nagios_pid not in (None, first) and alive(nagios.nagios_pid)
        nagios.wait_for_service_state("guest01", "PING", 0)
        with pytest.raises(nagios_serve.ServeError, match="already runs"):
            nagios_daemons.start_nagios(nagios.tree)
    finally:
        nagios.stop()
