"""Recorded herd state (state dir ``state.json``): where each guest was last placed, which hosts are offline,
which hosts are in maintenance (evacuated on purpose: no task moves a guest there until ``restore``).

Why it exists: a host that was fenced and failed away from must not get guests started on it when it comes
back (A3.3), and ``verify`` compares the record with reality (V13). The record is written after a
guest is confirmed running on its new host (I9: a crash before that leaves the old record, and re-running
the operation converges on the probed reality). Writes are atomic (``mkstemp`` + rename, 0600) into a
directory only root may write; a symlink in the file's place is refused, never followed.
"""

from __future__ import annotations

import getpass
import json
import threading
import time
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.privilege import private_dir, read_private, replace_private

_LOCK = threading.Lock()


def _path(state_dir: Path) -> Path:
    return Path(state_dir) / "state.json"


def load(state_dir: Path) -> dict:
    path = _path(state_dir)
    text = read_private(path)
    if text is None:
        return {"hosts": {}, "guests": {}, "maintenance": {}}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise HerdError(f"{path}: not valid JSON ({error}); fix or remove it") from None
    data.setdefault("hosts", {})
    data.setdefault("guests", {})
    data.setdefault("maintenance", {})
    return data


def _update(state_dir: Path, change) -> None:
    with _LOCK:
        data = load(state_dir)
        change(data)
        path = _path(state_dir)
        private_dir(path.parent)
        replace_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def mark_offline(state_dir: Path, host: str, reason: str) -> None:
    """Record that ``host`` is fenced: nothing may start guests there until a rebuild clears it."""
    _update(state_dir, lambda data: data["hosts"].__setitem__(
        host, {"offline": True, "reason": reason, "by": getpass.getuser(), "since": _now()}))


def clear_offline(state_dir: Path, host: str) -> None:
    _update(state_dir, lambda data: data["hosts"].pop(host, None))


def offline(state_dir: Path) -> dict[str, dict]:
    """Host name -> its offline record."""
    return {name: entry for name, entry in load(state_dir)["hosts"].items() if entry.get("offline")}


def record_placement(state_dir: Path, guest: str, host: str) -> None:
    _update(state_dir, lambda data: data["guests"].__setitem__(guest, {"host": host, "since": _now()}))


def placements(state_dir: Path) -> dict[str, str]:
    return {name: entry["host"] for name, entry in load(state_dir)["guests"].items()}


def mark_maintenance(state_dir: Path, host: str, reason: str) -> None:
    """Record that ``host`` is being emptied for maintenance: no task and no watcher targets it."""
    _update(state_dir, lambda data: data["maintenance"].__setitem__(
        host, {"reason": reason, "by": getpass.getuser(), "since": _now()}))


def clear_maintenance(state_dir: Path, host: str) -> None:
    _update(state_dir, lambda data: data["maintenance"].pop(host, None))


def maintenance(state_dir: Path) -> dict[str, dict]:
    """Host name -> its maintenance record."""
    return dict(load(state_dir)["maintenance"])
