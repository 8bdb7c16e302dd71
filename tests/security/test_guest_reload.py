"""deploy's guest reload reads a pid from the lock_file, which the nagios user can write."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from nagios_herd.ops.deploy import RELOAD_NAGIOS

pytestmark = pytest.mark.real
AS_STRANGER = ["setpriv", "--reuid=54321", "--regid=54321", "--clear-groups"]  # a uid nothing else runs as


def reload(config: Path, *, as_user: list[str] = (), exe: str = "/usr/sbin/nagios4") -> subprocess.CompletedProcess:
    return subprocess.run([*as_user, "sh", "-c", RELOAD_NAGIOS, "sh", str(config), exe], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"}, timeout=30)


def _config(tmp_path: Path, pid_text: str) -> Path:
    lock = tmp_path / "nagios.lock"
    lock.write_text(pid_text)
    config = tmp_path / "nagios.cfg"
    config.write_text(f"log_file=/dev/null\nlock_file={lock}\n")
    return config


@pytest.mark.parametrize("planted", ["-1\n", "0\n", "-4242", "1 2", "$(id)", "", "007"])
def test_a_planted_pid_signals_nothing(shared: Path, planted: str) -> None:
    victim = subprocess.Popen([*AS_STRANGER, "sleep", "60"])  # what `kill -HUP -1` would hit, as this uid
    try:
        done = reload(_config(shared, planted), as_user=AS_STRANGER)
        expected = "no pid in the lock_file" if not planted else "holds no pid: "
        assert done.returncode == 1 and expected in done.stderr, done.stderr
        time.sleep(0.2)
        assert victim.poll() is None, "the reload signalled a process it had no business with"
    finally:
        victim.kill()
        victim.wait()


def test_a_pid_that_is_not_nagios_is_refused(tmp_path: Path) -> None:
    victim = subprocess.Popen([*AS_STRANGER, "sleep", "60"])
    try:
        time.sleep(0.1)
        done = reload(_config(tmp_path, f"{victim.pid}\n"))
        assert done.returncode == 1 and f"pid {victim.pid} from" in done.stderr
        assert "not /usr/sbin/nagios4" in done.stderr
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_the_real_nagios_is_reloaded(tmp_path: Path) -> None:
    from realnagios.harness import RealNagios

    with RealNagios(tmp_path / "nagios") as nagios:
        deadline = time.monotonic() + 20
        while not (nagios.tree.lock_file.exists() and nagios.tree.lock_file.read_text().strip()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        done = reload(nagios.tree.main_cfg)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 20
        while "Caught SIGHUP" not in nagios.tree.log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Caught SIGHUP, restarting" in nagios.tree.log_file.read_text()
