"""The journal: one JSON line per step under the state dir, the audit trail and the resume evidence.

Each line: ``time``, ``run`` (id of the run), ``guest``, ``step``, ``host``, ``before`` (the state the step
saw), ``command``, ``result`` (``done``, ``skipped``, ``failed``, ``refused``, ``stopped``) and ``detail``.
Lines are appended and fsync'ed one by one, so a run killed at any point leaves a readable prefix: ``verify``
(V13) reports a guest whose last job has no closing line (``done``/``stopped``/``refused`` of step ``end``).
A job that acts starts with a ``begin`` line, so a move can tell a guest its own job left stopped from one
somebody else stopped (:func:`resumable`).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from nagios_herd.privilege import open_private, private_dir, read_private

CLOSING = ("done", "stopped", "refused")


class Journal:
    def __init__(self, state_dir: Path, command: str) -> None:
        self.path = Path(state_dir) / "journal.jsonl"
        self.run = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        self.command = command
        self._lock = threading.Lock()

    def write(self, guest: str, step: str, result: str, *, host: str = "", before: Any = None,
              command: str = "", detail: str = "") -> None:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() % 1 * 1000):03d}Z",
                "run": self.run, "guest": guest, "step": step, "host": host, "before": before,
                "command": command, "result": result, "detail": detail}
        data = (json.dumps(line, sort_keys=True) + "\n").encode()
        with self._lock:
            private_dir(self.path.parent)
            fd = open_private(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a run killed mid-line left a torn line: start a fresh one
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)


def read(state_dir: Path) -> list[dict]:
    """Every readable line (a torn last line from a crash is ignored)."""
    text = read_private(Path(state_dir) / "journal.jsonl")
    entries = []
    for raw in (text or "").splitlines():
        try:
            entries.append(json.loads(raw))
        except ValueError:
            continue
    return entries


def unfinished(state_dir: Path) -> dict[str, dict]:
    """Guest -> the last line of its latest job when that job never closed (the run was interrupted)."""
    last: dict[str, dict] = {}
    for entry in read(state_dir):
        last[entry["guest"]] = entry
    return {guest: entry for guest, entry in last.items()
            if not (entry["step"] == "end" and entry["result"] in CLOSING)}


def resumable(state_dir: Path) -> set[str]:
    """Guests whose latest job that acted (it has a ``begin`` line; a refused job has none) did not end
    ``done``: interrupted, or stopped by a failed step. Such a guest may run nowhere because of this tool,
    so a move may converge it; any other guest that runs nowhere was stopped by someone else (A4.3)."""
    last: dict[str, list] = {}
    for entry in read(state_dir):
        guest = entry["guest"]
        if entry["step"] == "begin":
            last[guest] = [entry["run"], False]
        elif entry["step"] == "end" and guest in last and last[guest][0] == entry["run"]:
            last[guest][1] = entry["result"] == "done"
    return {guest for guest, (_, done) in last.items() if not done}
