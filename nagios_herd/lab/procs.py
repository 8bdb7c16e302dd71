"""Start and end the lab's processes by pid, and only those.

The lab starts long-running servers (sshd, nagios4, lighttpd) in mount namespaces of their own, so a
host or a guest is "every process in that namespace". Ending one therefore means: verify each
recorded pid still runs the program we started (``/proc/PID/cmdline``), then end every process whose
``/proc/PID/ns/mnt`` is the recorded namespace — never anything found by name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..errors import HerdError


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


def runs(pid: int | None, needle: str) -> bool:
    """True when ``pid`` is alive (not a zombie) and its argv contains ``needle``."""
    if not pid or _gone(pid):
        return False
    return any(needle in part for part in cmdline(pid))


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


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; HerdError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise HerdError(f"lab: timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def kill_all(pids: Iterable[int], timeout: float = 5.0) -> None:
    """SIGTERM (+SIGCONT for stopped ones), then SIGKILL whatever is left after ``timeout``."""
    pending = [pid for pid in pids if not _gone(pid)]
    for pid in pending:
        for sig in (signal.SIGTERM, signal.SIGCONT):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if not _gone(pid)]
        time.sleep(0.05)
    for pid in pending:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    wait_for(lambda: all(_gone(pid) for pid in pending), timeout, f"pids {pending} to die")


def end_namespace(pid: int | None, needle: str, ns: str | None) -> None:
    """End the recorded server ``pid`` (if it still runs ``needle``) and everything left in ``ns``.

    Killing the whole namespace also ends SSH sessions and daemons started from them, like a host
    losing power; processes are re-listed until the namespace is empty (sessions may fork meanwhile).
    """
    if runs(pid, needle):
        kill_all([pid])  # type: ignore[list-item]
    for _ in range(5):
        left = pids_in_ns(ns or "")
        if not left:
            return
        kill_all(left)


def spawn(argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``argv`` detached (own session, stdio to ``log``) so it outlives the lab command."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True, env=env,
        )


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
