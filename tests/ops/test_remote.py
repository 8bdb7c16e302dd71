"""remote.py against a real OpenSSH sshd: pinned keys, exit codes, quoting, timeouts, a dead host, and no timeout
timer left behind by a finished command (on the venv's Fabric and on Debian's python3-fabric)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd.errors import HerdError
from nagios_herd.model import XenHost
from nagios_herd.ops import remote

from .sshd import free_loopback, start_sshd, stop_sshd

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]


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


# Runs in a fresh interpreter, so the only timers are the ones this command leaves: connect, run one command with
# a long timeout, print how many threading.Timer are still pending (started, neither fired nor cancelled).
PENDING_TIMERS = """
import os, sys, threading
from pathlib import Path
from nagios_herd.ops import remote
address, known_hosts, identity, runner = sys.argv[1:]
if runner == "fabric":  # Fabric's own remote runner, without the project's stop()
    from fabric.runners import Remote
    remote._RUNNER = Remote
options = remote.SshOptions(known_hosts=Path(known_hosts), identity=Path(identity))
with remote.Session([remote.Endpoint("primary", address)], options) as session:
    assert session["primary"].run(["true"], timeout=600).ok
    pending = [t for t in threading.enumerate() if isinstance(t, threading.Timer) and not t.finished.is_set()]
import fabric
print(fabric.__version__, len(pending), flush=True)
os._exit(0)  # a pending non-daemon timer would keep the interpreter alive until it fires
"""
DEBIAN_PYTHON = "/usr/bin/python3"  # with Debian's python3-fabric (2.6 on Debian 12), as the .deb runs


def pending_timers(python: str, sshd, runner: str) -> tuple[str, int]:
    """(Fabric version, timers still pending after one command) in ``python`` importing this checkout."""
    done = subprocess.run([python, "-c", PENDING_TIMERS, sshd.address, str(sshd.known_hosts), str(sshd.identity),
                           runner], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr[-2000:]
    version, count = done.stdout.split()
    return version, int(count)


def debian_fabric() -> str:
    found = subprocess.run([DEBIAN_PYTHON, "-c", "import fabric; print(fabric.__version__)"], capture_output=True,
                           text=True, check=False)
    if found.returncode != 0:
        pytest.skip("Debian's python3-fabric is not installed (scripts/bootstrap installs it)")
    return found.stdout.strip()


def test_a_finished_command_leaves_no_timeout_timer_with_pypi_fabric(sshd):
    """The venv's Fabric: after the command returns, Invoke's timeout timer is cancelled (no pending Timer)."""
    assert pending_timers(sys.executable, sshd, "project")[1] == 0


def test_a_finished_command_leaves_no_timeout_timer_with_debian_fabric(sshd):
    """Debian 12's Fabric 2.6 never cancels the timer itself (its Remote.stop skips Invoke's): with Fabric's runner
    a finished command leaves it pending (the process lived until it fired); with the project's runner none is."""
    version = debian_fabric()
    assert pending_timers(DEBIAN_PYTHON, sshd, "project") == (version, 0)
    if version.startswith("2.6"):
        assert pending_timers(DEBIAN_PYTHON, sshd, "fabric") == (version, 1)
