"""nagios_statusdat on real Nagios 4.4.6 status.dat files (tests/fixtures/nagios4, see PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nagios_herd.parsers import nagios_statusdat as nsd
from nagios_herd.parsers.nagios_status import StatusError

FIXTURES = Path(__file__).parent / "fixtures" / "nagios4"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_status_dat_real_file() -> None:
    status = nsd.parse_status_dat(fixture("status.dat"))
    assert status.program.version == "4.4.6" and status.program.daemon_mode
    assert set(status.hosts) == {"guest01"}
    assert status.hosts["guest01"].description == ""
    assert set(status.services) == {("guest01", name) for name in ("PING", "DISK", "LOAD")}
    load = status.services[("guest01", "LOAD")]
    assert load.current_state == 2 and load.state_type == 1 and load.has_been_checked
    assert load.plugin_output == "LOAD CRITICAL - load 42"
    assert load.fields["performance_data"] == "load=42;5;10;0"  # '=' inside the value is kept
    assert status.services[("guest01", "DISK")].current_state == 1
    assert [kind for kind, _ in status.blocks][:2] == ["info", "programstatus"]


def test_status_dat_reference_blocks() -> None:
    text = fixture("status_dat_programstatus.txt") + fixture("status_dat_servicestatus.txt")
    status = nsd.parse_status_dat(text)
    assert status.program.nagios_pid == 10155 and status.program.program_start == 1795657525.0
    assert not status.program.daemon_mode and status.program.version == ""
    ping = status.services[("guest01", "PING")]
    assert ping.current_state == 2 and ping.state_type == 0
    assert ping.fields["check_command"] == "check_dummy!0"


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "no programstatus block"),
        ("programstatus {\n\tnagios_pid=1\n", "truncated"),
        ("hello\n", "line 1: expected 'NAME {'"),
        ("programstatus {\n\tjunk line\n\t}\n", "line 2: expected 'key=value'"),
        ("programstatus {\n\tnagios_pid=x\n\t}\n", "nagios_pid='x' is not a number"),
        ("programstatus {\n\tnagios_pid=1\n\t}\n", "programstatus block has no program_start"),
    ],
)
def test_status_dat_errors(text: str, message: str) -> None:
    with pytest.raises(StatusError, match=message):
        nsd.parse_status_dat(text)


def test_status_dat_service_without_state() -> None:
    text = fixture("status_dat_programstatus.txt") + "servicestatus {\n\thost_name=h\n\t}\n"
    with pytest.raises(StatusError, match="servicestatus block has no current_state"):
        nsd.parse_status_dat(text)
