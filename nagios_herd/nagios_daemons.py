"""Start and stop the real nagios4 and lighttpd configured by :mod:`nagios_serve`, by pid.

API: :func:`free_loopback` -> ``(address, port)`` (a random 127.a.b.c, never 127.0.0.x, and a
port free on it); :func:`start_nagios` ``(tree) -> pid`` (``nagios4 -v`` first, then ``nagios4 -d``;
waits for status.dat); :func:`start_lighttpd` ``(conf, address, port) -> pid`` (``lighttpd -tt``
first, then ``lighttpd -f`` as a daemon; waits until it accepts connections);
:func:`stop_pid` (SIGTERM + SIGCONT, then SIGKILL; reaps our own children). Failures raise
:class:`nagios_serve.ServeError` with one line naming the program and the reason.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .nagios_serve import LIGHTTPD, NAGIOS, NagiosTree, ServeError


def free_loopback(attempts: int = 50) -> tuple[str, int]:
    """A random loopback address 127.a.b.c (never 127.0.0.x) and a TCP port free on it."""
    for _ in range(attempts):
        address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, 0))
            except OSError:
                continue
            return address, probe.getsockname()[1]
    raise ServeError("no free loopback address/port found")


def _run_checked(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        lines = (done.stdout + done.stderr).strip().splitlines()
        errors = [line.strip() for line in lines if line.lstrip().startswith(("Error", "(config"))]
        raise ServeError(f"{what} failed (exit {done.returncode}): " + " | ".join(errors or lines[-8:]))


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise ServeError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def start_nagios(tree: NagiosTree, timeout: float = 20.0) -> int:
    """Verify the config with ``nagios4 -v``, start ``nagios4 -d`` and wait for status.dat; the pid.

    A lock file or status.dat left by a killed core is removed first (one still running is an
    error); a core that daemonized but never wrote its status is stopped before the error is raised.
    """
    old = _read_pid(tree.lock_file)
    if old is not None and not _gone(old):
        raise ServeError(f"nagios4 pid {old} already runs from {tree.main_cfg}")
    for stale in (tree.lock_file, tree.status_file):
        stale.unlink(missing_ok=True)
    _run_checked([NAGIOS, "-v", str(tree.main_cfg)], f"{NAGIOS} -v {tree.main_cfg}")
    _run_checked([NAGIOS, "-d", str(tree.main_cfg)], f"{NAGIOS} -d {tree.main_cfg}")
    try:
        _wait(lambda: _read_pid(tree.lock_file) is not None and tree.status_file.exists(),
              timeout, f"nagios4 to write {tree.status_file} (see {tree.log_file})")
    except ServeError:
        pid = _read_pid(tree.lock_file)
        if pid is not None:
            stop_pid(pid)
        raise
    pid = _read_pid(tree.lock_file)
    assert pid is not None
    return pid


def _pid_file_of(conf: Path) -> Path:
    for line in conf.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "server.pid-file" and value.count('"') == 2:
            return Path(value.split('"')[1])
    raise ServeError(f"{conf}: no server.pid-file: its lighttpd could not be stopped by pid")


def start_lighttpd(conf: Path, address: str, port: int, timeout: float = 10.0) -> int:
    """Check ``conf`` (``lighttpd -tt``), start lighttpd as a daemon, wait until it accepts; the pid.

    The pid comes from the config's ``server.pid-file``; as a daemon it is nobody's child here, so
    it leaves no zombie and no Popen behind.
    """
    pid_file = _pid_file_of(conf)
    pid_file.unlink(missing_ok=True)
    _run_checked([LIGHTTPD, "-tt", "-f", str(conf)], f"{LIGHTTPD} -tt -f {conf}")
    _run_checked([LIGHTTPD, "-f", str(conf)], f"{LIGHTTPD} -f {conf}")

    def accepting() -> bool:
        pid = _read_pid(pid_file)
        if pid is not None and _gone(pid):
            raise ServeError(f"lighttpd pid {pid} exited; see the server.errorlog of {conf}")
        try:
            socket.create_connection((address, port), timeout=0.5).close()
        except OSError:
            return False
        return pid is not None

    try:
        _wait(accepting, timeout, f"lighttpd on {address}:{port}")
    except ServeError:
        pid = _read_pid(pid_file)
        if pid is not None:
            stop_pid(pid)
        raise
    pid = _read_pid(pid_file)
    assert pid is not None
    return pid


def _gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (reaping it when it is our child)."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return True
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Stop one process by pid: SIGTERM (plus SIGCONT in case it is stopped), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGCONT):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
    try:
        _wait(lambda: _gone(pid), timeout, f"pid {pid} to exit")
    except ServeError:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        _wait(lambda: _gone(pid), timeout, f"pid {pid} to die")
