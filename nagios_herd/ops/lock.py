"""The herd-wide lock: one mutating run at a time, and a refusal that names who holds it.

Why ``flock`` on a file in the state dir: the kernel drops the lock when the holder dies (even ``kill -9``),
so a crashed run never leaves a stale lock behind, and the holder's details written into the file let the
second operator see whom to ask (pid, user, host, command, since). The file is 0600 in a directory only root
may write (:func:`nagios_herd.privilege.private_dir`): ``flock`` works on a read-only descriptor, so a lock file
others can read is a lock any local user can hold.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.privilege import open_private, private_dir, read_private


class Lock:
    """``with Lock(state_dir, "fab failover --guest x"):`` — raises :class:`HerdError` if another run holds it."""

    def __init__(self, state_dir: Path, command: str) -> None:
        self.path = Path(state_dir) / "lock"
        self.command = command
        self._fd: int | None = None

    def __enter__(self) -> Lock:
        private_dir(self.path.parent)
        try:
            fd = open_private(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as error:
            raise HerdError(f"lock {self.path}: {error.strerror or error} (a symlink is never followed)") from None
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

    @staticmethod
    def holder(state_dir: Path) -> str | None:
        """Who holds the lock now (one line), None when nobody does. Read without locking, so a reader
        never makes a mutating run fail to take it: a released lock is an empty file, and the details a
        killed holder left behind do not count when its pid (on this machine) is gone."""
        try:
            who = json.loads(read_private(Path(state_dir) / "lock") or "null")
        except (HerdError, ValueError):
            return None
        if not isinstance(who, dict) or "pid" not in who:
            return None
        if who.get("host") == socket.gethostname():
            try:
                os.kill(int(who["pid"]), 0)
            except ProcessLookupError:
                return None
            except (PermissionError, ValueError):
                pass
        return _describe(who)

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
                return _describe(json.loads(raw))
            except (ValueError, KeyError, TypeError):
                return raw.decode(errors="replace").strip()
        time.sleep(0.05)
    return "holder unknown (it has not written its details)"


def _describe(who: dict) -> str:
    return f"pid {who['pid']}, user {who['user']} on {who['host']}, since {who['since']}: {who['command']}"
