"""The herd-wide lock: one mutating run at a time, and a refusal that names who holds it.

Why ``flock`` on a file in the state dir: the kernel drops the lock when the holder dies (even ``kill -9``),
so a crashed run never leaves a stale lock behind, and the holder's details written into the file let the
second operator see whom to ask (pid, user, host, command, since).
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from pathlib import Path

from ..errors import HerdError


class Lock:
    """``with Lock(state_dir, "fab failover --guest x"):`` — raises :class:`HerdError` if another run holds it."""

    def __init__(self, state_dir: Path, command: str) -> None:
        self.path = Path(state_dir) / "lock"
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise HerdError(f"another run holds the lock {self.path}: {holder}") from None
        holder = {"pid": os.getpid(), "user": getpass.getuser(), "host": socket.gethostname(),
                  "command": self.command, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> str:
    """The holder as one line; the holder may be between taking the lock and writing its details."""
    for _ in range(20):
        raw = os.pread(fd, 4096, 0)
        if raw.strip():
            try:
                who = json.loads(raw)
                return (f"pid {who['pid']}, user {who['user']} on {who['host']}, since {who['since']}: "
                        f"{who['command']}")
            except (ValueError, KeyError, TypeError):
                return raw.decode(errors="replace").strip()
        time.sleep(0.05)
    return "holder unknown (it has not written its details)"
