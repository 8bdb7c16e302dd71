"""Start and end long-running processes (the lab's sshd, nagios4, lighttpd) by pid, and only those.

The lab starts long-running servers (sshd, nagios4, lighttpd) in mount namespaces of their own, so a
host or a guest is "every process in that namespace". A server is recorded by its :func:`identity`
(pid, start time, namespace): pids wrap and namespace inodes are reused, so a record only designates a
process while all three still match. Ending a host or guest means: when its recorded server is still
that process, end it and everything in its namespace; otherwise end only what in that namespace names
the lab's directory (command line or environment) — never anything found by name alone.

This module owns starting, verifying and stopping processes for the whole project (also
:mod:`nagios_herd.nagios.daemons`): :class:`Pid` (a pid with its start time), :func:`terminate` (signals
through pidfds, so a recycled pid is never hit), :func:`wait_for`, :func:`random_loopback`.
"""

from __future__ import annotations

import os
import random
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nagios_herd.errors import HerdError


def cmdline(pid: int) -> list[str]:
    """The argv of ``pid`` ([] when it is gone or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def mount_ns(pid: int) -> str | None:
    """``mnt:[inode]`` of ``pid``'s mount namespace, None when it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def start_time(pid: int) -> int | None:
    """Clock ticks after boot at which ``pid`` started (None when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def identity(pid: int) -> dict[str, Any]:
    """What designates this process later: pid, start time and mount namespace."""
    return {"pid": pid, "start": start_time(pid), "ns": mount_ns(pid)}


def alive(recorded: Mapping[str, Any] | None) -> bool:
    """True while the recorded process still runs (same pid, start time and namespace, not a zombie)."""
    if not recorded or not recorded.get("pid"):
        return False
    pid = int(recorded["pid"])
    return (not _gone(pid) and start_time(pid) == recorded.get("start")
            and mount_ns(pid) == recorded.get("ns"))


def mentions(pid: int, marker: str) -> bool:
    """True when ``marker`` (a lab's directory) appears in the command line or environment of ``pid``."""
    needle = marker.encode()
    for part in ("cmdline", "environ"):
        try:
            if needle in Path(f"/proc/{pid}/{part}").read_bytes():
                return True
        except OSError:
            continue
    return False


def pids_in_ns(ns: str) -> list[int]:
    """Every process in the mount namespace ``ns`` (an ``mnt:[inode]`` string)."""
    if not ns or ns == mount_ns(os.getpid()):
        return []  # never the namespace we run in ourselves
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and mount_ns(int(entry.name)) == ns:
            found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (reaping it when it is our child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


class Pid(int):
    """A pid that remembers the process it named (its start time): stopping it later signals nothing else.

    Still an ``int``, so callers that print, compare or ``os.kill`` it keep working.
    """

    start: int | None

    def __new__(cls, pid: int, start: int | None = None) -> Pid:
        self = super().__new__(cls, pid)
        self.start = start if start is not None else start_time(pid)
        return self


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             error: Callable[[str], Exception] = lambda text: HerdError(f"lab: {text}")) -> None:
    """Poll ``predicate`` until true; ``error`` (default HerdError) naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def _pidfd(pid: int, start: int | None) -> int | None:
    """A pidfd for ``pid`` while it is still the process started at ``start`` (any, when None).

    Signals sent through the pidfd reach that process or nothing, even if the pid is reused meanwhile.
    """
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return None
    if _gone(pid) or (start is not None and start_time(pid) != start):
        os.close(fd)
        return None
    return fd


def _signal(handles: Mapping[int, int], *signals: int) -> None:
    for fd in handles.values():
        for sig in signals:
            try:
                signal.pidfd_send_signal(fd, sig)
            except ProcessLookupError:
                break


def _exited(handles: Mapping[int, int], timeout: float) -> dict[int, int]:
    """Wait up to ``timeout`` for the processes to exit (reaping our own children); those still running."""
    pending = dict(handles)
    deadline = time.monotonic() + timeout
    while pending:
        poller = select.poll()
        for fd in pending.values():
            poller.register(fd, select.POLLIN)
        ready = {fd for fd, _ in poller.poll(max(0.0, min(deadline - time.monotonic(), 0.2)) * 1000)}
        for pid, fd in list(pending.items()):
            if fd in ready:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                del pending[pid]
        if time.monotonic() >= deadline:
            break
    return pending


def terminate(processes: Mapping[int, int | None], timeout: float = 5.0,
              error: Callable[[str], Exception] = lambda text: HerdError(f"lab: {text}")) -> None:
    """Stop each ``pid: start`` that is still that process: SIGTERM (+SIGCONT for a stopped one), then
    SIGKILL after ``timeout``; a start of None means the process at that pid now. ``error`` when one
    survives SIGKILL. Signals go through pidfds, so a reused pid is never hit."""
    handles = {pid: fd for pid, start in processes.items() if (fd := _pidfd(pid, start)) is not None}
    try:
        _signal(handles, signal.SIGTERM, signal.SIGCONT)
        left = _exited(handles, timeout)
        _signal(left, signal.SIGKILL)
        left = _exited(left, timeout)
        if left:
            raise error(f"timed out after {timeout:g}s waiting for pids {sorted(left)} to die")
    finally:
        for fd in handles.values():
            os.close(fd)


def session_of(leader: int) -> dict[int, int | None]:
    """Every process in the session ``leader`` leads (a daemon's workers), with start times; empty when
    ``leader`` leads no session of its own, so a caller's own session is never swept up."""
    members: dict[int, int | None] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == leader:  # field 6, session
            members[int(entry)] = int(fields[19])  # field 22, starttime
    return members if leader in members else {}


def kill_all(pids: Iterable[int], timeout: float = 5.0) -> None:
    """End the processes now at ``pids`` (see :func:`terminate`)."""
    terminate(dict.fromkeys(pids), timeout)


def end_namespace(recorded: Mapping[str, Any] | None, marker: str) -> None:
    """End the recorded server and the rest of its namespace, like a machine losing power.

    While the server still runs, the namespace is pinned (an open ``/proc/PID/ns/mnt``) before anything
    is killed, so its inode cannot pass to a new namespace while we list its processes. When the server
    is gone, the namespace may be someone else's by now: only processes there naming ``marker`` (the
    lab's directory) are ended. Processes are re-listed until none is left (sessions may fork meanwhile).
    """
    if not recorded or not recorded.get("ns"):
        return
    pid = int(recorded.get("pid") or 0)
    try:
        pin = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY) if pid else None
    except OSError:
        pin = None
    try:
        ours = pin is not None and alive(recorded)
        for _ in range(5):
            left = [p for p in pids_in_ns(recorded["ns"]) if ours or mentions(p, marker)]
            if not left:
                return
            kill_all(left)
    finally:
        if pin is not None:
            os.close(pin)


def spawn(argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``argv`` detached (own session, stdio to ``log``) so it outlives the lab command."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True, env=env,
        )


def start_server(argv: Sequence[str], log: Path, address: str, port: int, what: str,
                 timeout: float = 30.0, attempts: int = 3) -> subprocess.Popen:
    """Spawn a server and wait until it accepts on ``address:port``; retried when a signal killed it.

    On this shared machine pids wrap quickly and other tools stop processes by recorded pid, so a fresh
    server that inherited a stale pid can be signalled before it is ready (sshd then logs "Received
    signal"). Any other early exit is an error naming the end of ``log``.
    """
    for attempt in range(1, attempts + 1):
        process = spawn(argv, log)

        def ready() -> bool:
            return process.poll() is not None or accepting(address, port)

        wait_for(ready, timeout, f"{what} on {address}:{port}")
        if process.returncode is None:
            return process
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        if attempt == attempts or not (process.returncode < 0 or "Received signal" in tail):
            raise HerdError(f"lab: {what} exited with {process.returncode}: {tail}")
    raise AssertionError("unreachable")


def random_loopback() -> str:
    """A random loopback address 127.a.b.c with a != 0 (never the 127.0.x.x a shipped config uses)."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def accepting(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def port_free(address: str, port: int) -> bool:
    """True when nothing listens on ``address:port`` and the address can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def run(argv: Sequence[str], what: str, env: dict[str, str] | None = None,
        timeout: float = 120) -> str:
    """Run a setup command; its stdout, or HerdError with the tail of its output."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, env=env,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HerdError(f"lab: {what}: {error}") from None
    if done.returncode != 0:
        tail = " | ".join((done.stderr + done.stdout).strip().splitlines()[-3:])
        raise HerdError(f"lab: {what} failed (exit {done.returncode}): {tail}")
    return done.stdout
