"""remote.py against a real OpenSSH sshd: pinned keys, exit codes, quoting, timeouts, a dead host."""

from __future__ import annotations

import pytest

from nagios_herd.errors import HerdError
from nagios_herd.model import XenHost
from nagios_herd.ops import remote

from .sshd import free_loopback, start_sshd, stop_sshd

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    stop_sshd(server)


def host(address: str, port: int = 22, user: str = "root") -> XenHost:
    return XenHost("primary", "primary", address, address, 4096, 256, "vg_herd", "xenbr0", port, user)


def options(sshd, **changes) -> remote.SshOptions:
    return remote.SshOptions(**{"known_hosts": sshd.known_hosts, "identity": sshd.identity, **changes})


def test_command_is_quoted_bounded_and_in_the_c_locale():
    line = remote.build_command(["xl", "shutdown", "-w", "team db; rm -rf /"], timeout=30, sudo=False)
    assert line == "LC_ALL=C timeout -k 5 30 xl shutdown -w 'team db; rm -rf /' </dev/null"
    assert remote.build_command(["xl", "list"], timeout=2.5, sudo=True) == \
        "LC_ALL=C timeout -k 5 2.5 sudo -n xl list </dev/null"


def test_pinned_key_runs_commands_and_reports_exit_codes(sshd):
    before = remote.OPENED["primary"]
    with remote.Session([host(sshd.address)], options(sshd)) as session:
        link = session["primary"]
        result = link.run(["sh", "-c", 'read -r line; echo "$LC_ALL" "$1" "[$line]"; exit 17', "sh",
                           "it's; $(quoted)"], timeout=10)
        assert (result.exited, result.stdout) == (17, "C it's; $(quoted) []\n")  # stdin: end of file
        assert not result.ok and "exit 17" in result.why()
        slow = link.run(["sleep", "10"], timeout=0.5)
        assert slow.timed_out
    assert remote.OPENED["primary"] == before + 1


def test_unknown_host_key_is_refused(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HerdError, match="host key unknown"):
        remote.Session([host(sshd.address)], options(sshd, known_hosts=empty))


def test_changed_host_key_is_refused(sshd, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(f"{sshd.address} ssh-ed25519 "
                     "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    with pytest.raises(HerdError, match="host key CHANGED"):
        remote.Session([host(sshd.address)], options(sshd, known_hosts=other))


def test_dead_host_is_a_down_link_not_a_hang(sshd):
    with remote.Session([host(free_loopback())], options(sshd, connect_timeout=2)) as session:
        link = session["primary"]
        assert link.down and "no SSH answer" in link.down
        with pytest.raises(remote.HostDown):
            link.run(["true"])
