"""Resync stall detection across check runs, with a small JSON state file.

A resync that shows the same progress (out-of-sync bytes and percent done) as a run at least
``min_age`` seconds earlier is stalled (LINBIT/drbd#40: a SyncTarget latched forever). The file is only
read and written while something resyncs, so the common all-UpToDate run does no file I/O; samples not
refreshed for ``FORGET_AFTER`` seconds are ignored so that a later resync restarting at the same
position is not taken for a stalled one.

The file is JSON, read and written through ``_json`` (:mod:`nagios_herd.parsers.cjson`): the ``json`` package
imports ``re``, a third of a plugin's start-up, on every run that sees a resync.

The file lives in the plugins' own nagios-owned directory (never root's state dir: root must not write
where nagios can plant symlinks); it is opened without following symlinks and replaced by a new file created
with ``O_EXCL`` (what ``mkstemp`` does, without importing ``tempfile``) and renamed into place. Any failure is
kept in ``error`` and the check reports it as a WARNING.
"""

from __future__ import annotations

import os

from nagios_herd.parsers.cjson import dumps, loads
from nagios_herd.privilege import PLUGIN_STATE_DIR, PLUGIN_STATE_ENV

FILE_NAME = "check_drbd_sync.json"
FORGET_AFTER = 900.0


def default_path() -> str:
    """``$NAGIOS_HERD_PLUGIN_STATE_DIR/check_drbd_sync.json``, else in the installed plugin state dir."""
    return os.path.join(os.environ.get(PLUGIN_STATE_ENV) or PLUGIN_STATE_DIR, FILE_NAME)


class StallTracker:
    """Remembers, per resync key, the progress seen and since when it has not changed."""

    def __init__(self, path: str, min_age: float, now: float) -> None:
        self.path, self.min_age, self.now = path, min_age, now
        self.error: str | None = None
        self._old: dict[str, dict[str, object]] = self._load()
        self._new: dict[str, dict[str, object]] = {}

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            with open(os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), encoding="utf-8") as handle:
                data = loads(handle.read())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            self.error = f"state file {self.path} unreadable ({error}); starting afresh"
            return {}
        return data if isinstance(data, dict) else {}

    def observe(self, key: str, progress: list[float | None]) -> float | None:
        """Record ``progress`` for ``key``; return the seconds without progress when stalled, else None."""
        old = self._old.get(key)
        since = self.now
        if (isinstance(old, dict) and old.get("progress") == progress
                and isinstance(old.get("since"), (int, float)) and isinstance(old.get("seen"), (int, float))
                and self.now - old["seen"] <= FORGET_AFTER):  # type: ignore[operator]
            since = float(old["since"])  # type: ignore[arg-type]
        self._new[key] = {"progress": progress, "since": since, "seen": self.now}
        stuck = self.now - since
        return stuck if stuck > 0 and stuck >= self.min_age else None

    def save(self) -> None:
        """Write the observed keys atomically; a failure is kept in ``error`` (the check goes on)."""
        directory, name = os.path.split(self.path)
        temporary = os.path.join(directory, f".{name}.{os.urandom(6).hex()}")
        created = False
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            created = True
            with open(fd, "w", encoding="utf-8") as handle:
                handle.write(dumps(self._new))
            os.replace(temporary, self.path)
        except OSError as error:
            self.error = f"cannot write state file {self.path}: {error.strerror or error}"
            if created:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
