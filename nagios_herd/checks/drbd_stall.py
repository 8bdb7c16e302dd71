"""Resync stall detection across check runs, with a small JSON state file.

A resync that shows the same progress (out-of-sync bytes and percent done) as a run at least
``min_age`` seconds earlier is stalled (LINBIT/drbd#40: a SyncTarget latched forever). The file is only
read and written while something resyncs, so the common all-UpToDate run does no file I/O; samples not
refreshed for ``FORGET_AFTER`` seconds are ignored so that a later resync restarting at the same
position is not taken for a stalled one.
"""

from __future__ import annotations

import os

DEFAULT_DIR = "/var/lib/nagios-herd"
FILE_NAME = "check_drbd_sync.json"
FORGET_AFTER = 900.0


def default_path() -> str:
    """``$NAGIOS_HERD_STATE_DIR/check_drbd_sync.json``, else under /var/lib/nagios-herd."""
    return os.path.join(os.environ.get("NAGIOS_HERD_STATE_DIR") or DEFAULT_DIR, FILE_NAME)


class StallTracker:
    """Remembers, per resync key, the progress seen and since when it has not changed."""

    def __init__(self, path: str, min_age: float, now: float) -> None:
        self.path, self.min_age, self.now = path, min_age, now
        self.error: str | None = None
        self._old: dict[str, dict[str, object]] = self._load()
        self._new: dict[str, dict[str, object]] = {}

    def _load(self) -> dict[str, dict[str, object]]:
        import json

        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
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
        import json

        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self._new, handle, sort_keys=True)
            os.replace(temporary, self.path)
        except OSError as error:
            self.error = f"cannot write state file {self.path}: {error.strerror or error}"
            try:
                os.unlink(temporary)
            except OSError:
                pass
