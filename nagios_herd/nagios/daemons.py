"""Start and stop the real nagios4 and lighttpd configured by :mod:`nagios_serve`, by pid.

API: :func:`free_loopback` -> ``(address, port)`` (a random 127.a.b.c, never 127.0.0.x, and a
port free on it); :func:`start_nagios` ``(tree) -> pid`` (``nagios4 -v`` first, then ``nagios4 -d``;
waits for status.dat); :func:`start_lighttpd` ``(conf, address, port) -> pid`` (``lighttpd -tt``
first, then ``lighttpd -f`` as a daemon; waits until it accepts connections);
:func:`stop_pid` (SIGTERM + SIGCONT, then SIGKILL; reaps our own children). The pids returned are
:class:`nagios_herd.procs.Pid` (ints that remember their process' start time): ``stop_pid`` signals
only that process, never one that inherited a recycled pid. Processes are started, verified and stopped
by :mod:`nagios_herd.procs`; this module knows only how to run these two servers. Failures raise
:class:`nagios_serve.ServeError` with one line naming the program and the reason.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from nagios_herd import procs
from nagios_herd.nagios.serve import LIGHTTPD, NAGIOS, NagiosTree, ServeError


def free_loopback(attempts: int = 50) -> tuple[str, int]:
    """A random loopback address 127.a.b.c (never 127.0.0.x) and a TCP port free on it."""
    for _ in range(attempts):
        address = procs.random_loopback()
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


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pid: int | None, program: str, config: Path) -> procs.Pid | None:
    """``pid`` as a :class:`~nagios_herd.procs.Pid` while it runs ``program`` with ``config`` (a
    pid file may name a recycled pid by now: anything else at that pid is not ours), else None."""
    if pid is None:
        return None
    found = procs.Pid(pid)  # its start time first: the command line read next is then that process'
    argv = procs.cmdline(pid)
    if not argv or Path(argv[0]).name != Path(program).name or str(config) not in argv:
        return None
    return found if found.start is not None and procs.start_time(pid) == found.start else None


def start_nagios(tree: NagiosTree, timeout: float = 20.0) -> int:
    """Verify the config with ``nagios4 -v``, start ``nagios4 -d`` and wait for status.dat; the pid.

    A lock file or status.dat left by a killed core is removed first (one still running is an
    error); a core that daemonized but never wrote its status is stopped before the error is raised.
    """
    old = _running(_read_pid(tree.lock_file), NAGIOS, tree.main_cfg)
    if old is not None:
        raise ServeError(f"nagios4 pid {old} already runs from {tree.main_cfg}")
    for stale in (tree.lock_file, tree.status_file):
        stale.unlink(missing_ok=True)
    _run_checked([NAGIOS, "-v", str(tree.main_cfg)], f"{NAGIOS} -v {tree.main_cfg}")
    _run_checked([NAGIOS, "-d", str(tree.main_cfg)], f"{NAGIOS} -d {tree.main_cfg}")
    try:
        procs.wait_for(lambda: _read_pid(tree.lock_file) is not None and tree.status_file.exists(),
                       timeout, f"nagios4 to write {tree.status_file} (see {tree.log_file})", ServeError)
    except ServeError:
        _stop_if_running(_running(_read_pid(tree.lock_file), NAGIOS, tree.main_cfg))
        raise
    pid = _running(_read_pid(tree.lock_file), NAGIOS, tree.main_cfg)
    if pid is None:
        raise ServeError(f"nagios4 -d {tree.main_cfg} exited after starting (see {tree.log_file})")
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
        if pid is not None and _running(pid, LIGHTTPD, conf) is None:
            raise ServeError(f"lighttpd pid {pid} exited; see the server.errorlog of {conf}")
        try:
            socket.create_connection((address, port), timeout=0.5).close()
        except OSError:
            return False
        return pid is not None

    try:
        procs.wait_for(accepting, timeout, f"lighttpd on {address}:{port}", ServeError)
    except ServeError:
        _stop_if_running(_running(_read_pid(pid_file), LIGHTTPD, conf))
        raise
    pid = _running(_read_pid(pid_file), LIGHTTPD, conf)
    if pid is None:
        raise ServeError(f"lighttpd -f {conf} exited after accepting; see its server.errorlog")
    return pid


def _stop_if_running(pid: procs.Pid | None) -> None:
    if pid is not None:
        stop_pid(pid)


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """Stop one process by pid: SIGTERM (plus SIGCONT in case it is stopped), then SIGKILL.

    A :class:`~nagios_herd.procs.Pid` (what the start functions return) is signalled only while
    it is still the process that started then; a plain int means whatever runs at that pid now. A daemon
    that leads its own session (``nagios4 -d``) goes with its workers and its command-file reader, which
    keep the FIFO open until they notice, so "stopped" means the whole session is gone.
    """
    start = getattr(pid, "start", None)
    workers = procs.session_of(int(pid)) if start is None or procs.start_time(int(pid)) == start else {}
    procs.terminate({int(pid): start}, timeout, ServeError)
    procs.terminate({member: began for member, began in workers.items() if member != int(pid)}, timeout, ServeError)
