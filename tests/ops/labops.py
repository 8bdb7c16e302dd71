"""Driving ``fab`` against a lab the way an operator does: the real ``fab`` program, real SSH, pinned keys.

``Ops(lab, state_dir)`` runs ``fab TASK ...`` in the project root with the lab's inventory, known_hosts and
client key; ``reset`` puts the lab back to its initial state (``Lab.reset``: hosts running, link healed, guests
on their preferred hosts, the simulator's state fresh); the invariant helpers read the simulator's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from nagios_herd.lab import guests
from nagios_herd.lab.sim import faults
from nagios_herd.lab.sim.state import snapshot

ROOT = Path(__file__).resolve().parents[2]
FAB = Path(sys.executable).parent / "fab"


class Ops:
    def __init__(self, lab, state_dir: Path) -> None:
        self.lab = lab
        self.state_dir = state_dir
        self.sim = str(lab.layout.sim_dir)

    def env(self) -> dict[str, str]:
        return {**os.environ, "NAGIOS_HERD_INVENTORY": str(self.lab.inventory),
                "NAGIOS_HERD_KNOWN_HOSTS": str(self.lab.known_hosts),
                "NAGIOS_HERD_IDENTITY": str(self.lab.client_key),
                "NAGIOS_HERD_STATE_DIR": str(self.state_dir),
                "NAGIOS_HERD_NAGIOS_URL": "http://{address}{path}",
                "NAGIOS_HERD_NAGIOS_AUTH": str(guests.reader_store(self.lab.layout))}

    def argv(self, task: str, *args: str) -> list[str]:
        return [str(FAB), task, *args]

    def fab(self, task: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(task, *args), cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def start(self, task: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.argv(task, *args), cwd=ROOT, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    def journal(self) -> list[dict]:
        path = self.state_dir / "journal.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def reset(self, *, shutdown_seconds: float = 0.3, resync_mib: float = 2000.0) -> None:
        self.lab.reset(resync_rate_mib=resync_mib)
        for host in self.lab.herd.hosts:
            faults.slow_shutdown(self.sim, host.name, shutdown_seconds)
        for name in ("journal.jsonl", "state.json", "lock"):
            (self.state_dir / name).unlink(missing_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def state_file(self) -> dict:
        """The herd's recorded state (placements, offline and maintenance marks)."""
        path = self.state_dir / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def mark(self, kind: str, host: str) -> None:
        """Mark ``host`` offline or in maintenance, as the tasks do."""
        from nagios_herd.ops import herdstate

        if kind == "offline":
            herdstate.mark_offline(self.state_dir, host, "test")
        else:
            herdstate.mark_maintenance(self.state_dir, host, "test")

    def ssh(self, host: str, command: str) -> subprocess.CompletedProcess:
        return self.lab.ssh(self.lab.herd.host(host).address, command)

    def state(self) -> dict:
        return snapshot(self.sim)

    def where(self, guest: str) -> list[str]:
        """Hosts (alive) on which the simulator runs the guest's domain."""
        data = self.state()
        return [h for h, doms in data["domains"].items() if guest in doms and data["hosts"][h]["alive"]]

    def primaries(self, guest: str) -> list[str]:
        data = self.state()
        return [h for h, side in data["resources"][guest]["hosts"].items()
                if side["up"] and side["role"] == "Primary" and data["hosts"][h]["alive"]]

    def canary_intact(self, guest: str, host: str) -> bool:
        """Every write the guest was told was durable is on ``host``'s copy."""
        data = self.state()
        return data["resources"][guest]["hosts"][host]["data"] >= data["resources"][guest]["acked"]

    def assert_safe(self) -> None:
        """I1 and "never on both hosts", for every guest."""
        for guest in self.lab.herd.guests:
            assert len(self.primaries(guest.name)) <= 1, f"{guest.name}: two Primaries"
            assert len(self.where(guest.name)) <= 1, f"{guest.name}: domain on both hosts"

    def wait(self, predicate, seconds: float = 30, what: str = "condition") -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.1)
