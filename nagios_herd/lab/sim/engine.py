"""The replication engine: what two DRBD 9 peers (protocol C, single-primary) and their Xen guests do
between two commands, computed lazily from timestamps.

State per resource and host ("side"): up/down, role, disk state, metadata present, data generation
(``gen`` + ``history``, a simplified DRBD UUID set), ``data`` (the guest's write counter: the canary),
the bitmap of blocks written while disconnected (``oos_kib``), the admin's connect intent (``net``).
A resource is ``connected`` once both sides are up, want to connect, both hosts are alive and the
replication link is healthy, and the handshake did not find split brain.

Handshake (after-sb-0pri discard-zero-changes, after-sb-1pri/2pri disconnect, as the project's
generated configuration asks): equal generations → in sync; one side's generation in the other's
history → bitmap resync from the newer; fresh metadata → full sync from the peer; otherwise split brain
→ both StandAlone, unless exactly one side asked ``--discard-my-data`` (it becomes SyncTarget and loses
its divergent writes) or, both Secondary, one side made no changes.
"""

from __future__ import annotations

import math
from typing import Any

Side = dict[str, Any]


def new_side(*, md: bool) -> Side:
    return {"up": False, "role": "Secondary", "disk": "Inconsistent", "md": md, "gen": None,
            "history": [], "data": 0, "oos_kib": 0, "dirty": 0, "net": "connect",
            "split_brain": False, "discard": False, "written_kib": 0, "sent_kib": 0, "received_kib": 0,
            "two_primaries": False}


class Lab:
    """The loaded state plus the clock; every mutation of the simulated world goes through here."""

    def __init__(self, data: dict[str, Any], now: float) -> None:
        self.data = data
        self.now = now
        self.wake = False  # an event was queued or a deadline set: the hook runner has work
        self.parted: list[list[Any]] = []  # [resource, primary, peer, peer's gen/data/history]: lost in sync

    # -- topology -------------------------------------------------------------------------------
    def host(self, name: str) -> dict[str, Any]:
        return self.data["hosts"][name]

    def host_names(self) -> list[str]:
        return sorted(self.data["hosts"], key=lambda name: self.data["hosts"][name]["node_id"])

    def peer_of(self, host: str) -> str:
        return next(name for name in self.host_names() if name != host)

    def resource(self, name: str) -> dict[str, Any]:
        return self.data["resources"][name]

    def side(self, res: str, host: str) -> Side:
        return self.data["resources"][res]["hosts"][host]

    def domains(self, host: str) -> dict[str, dict[str, Any]]:
        return self.data["domains"][host]

    def is_open(self, res: str, host: str) -> bool:
        return any(res in dom["resources"] for dom in self.domains(host).values())

    def reachable(self, res: str) -> bool:
        """Everything a DRBD connection needs: both hosts alive, both sides up and willing, the link."""
        if self.data["link"] != "up":
            return False
        return all(self.host(h)["alive"] and self.side(res, h)["up"] and self.side(res, h)["net"] == "connect"
                   for h in self.host_names())

    # -- time ------------------------------------------------------------------------------------
    def advance(self) -> None:
        """Let the time since the last command pass: guest writes, finished shutdowns, resync progress;
        then one explicit write per running guest, so every invocation moves the canary."""
        interval = self.data["settings"]["write_interval"]
        for host in self.host_names():
            for name, dom in sorted(self.domains(host).items()):
                if dom.get("paused"):
                    continue
                end = min(self.now, dom["shutdown_at"] or self.now)
                start = max(dom["last_write"], dom["boot_until"])
                if end > start:
                    ticks = math.floor((end - start) / interval)
                    dom["last_write"] = start + ticks * interval
                    self.write(host, dom, ticks)
                if dom["shutdown_at"] is not None and dom["shutdown_at"] <= self.now:
                    self.stop_domain(host, name)
        self._progress_resyncs(self.now - self.data["clock"])
        for host in self.host_names():
            for dom in self.domains(host).values():
                if dom["boot_until"] <= self.now and dom["shutdown_at"] is None and not dom.get("paused"):
                    self.write(host, dom, 1)
        self.data["clock"] = max(self.now, self.data["clock"])

    def write(self, host: str, dom: dict[str, Any], count: int) -> None:
        """``count`` acknowledged guest writes to the domain's root resource (protocol C: replicated
        before the acknowledgement while connected, else remembered in the bitmap)."""
        if count <= 0 or not dom["resources"]:
            return
        res_name = dom["resources"][0]
        res, side = self.resource(res_name), self.side(res_name, host)
        kib = count * self.data["settings"]["write_kib"]
        if res["connected"] and side["disk"] != "UpToDate":  # a SyncTarget reads what it lacks from the peer
            side["data"] = self.side(res_name, self.peer_of(host))["data"]
        side["data"] += count
        side["written_kib"] += kib
        res["acked"] += count
        if res["connected"]:
            peer = self.side(res_name, self.peer_of(host))
            side["sent_kib"] += kib
            peer["received_kib"] += kib
            peer["data"] = side["data"]  # also during a resync, whichever side the writer is
        else:
            side["oos_kib"] += kib
            side["dirty"] += count

    def _progress_resyncs(self, seconds: float) -> None:
        """Run the resyncs that may run (``resync-after``) at the configured rate; when one finishes
        mid-interval, the ones waiting for it use the rest of the interval."""
        rate_kib = self.data["settings"]["resync_rate_mib"] * 1024
        while seconds > 0 and rate_kib > 0:
            active = [res for name, res in self.data["resources"].items()
                      if res["sync"] is not None and not self.sync_paused(name)]
            if not active:
                return
            step = min(seconds, min(res["sync"]["left_kib"] for res in active) / rate_kib)
            for res in active:
                res["sync"]["left_kib"] = max(0.0, res["sync"]["left_kib"] - rate_kib * step)
                if res["sync"]["left_kib"] <= 1e-6:
                    self._finish_sync(res)
            seconds -= step

    def sync_paused(self, name: str) -> bool:
        """DRBD's ``resync-after``: a resync waits while any resource up its dependency chain resyncs."""
        seen = {name}
        dependency = self.resource(name).get("resync_after")
        while dependency and dependency not in seen and dependency in self.data["resources"]:
            if self.resource(dependency)["sync"] is not None:
                return True
            seen.add(dependency)
            dependency = self.resource(dependency).get("resync_after")
        return False

    # -- domains ---------------------------------------------------------------------------------
    def start_domain(self, host: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
        info = self.host(host)
        boot_until = self.now + info["boot_seconds"]
        dom = {"domid": info["next_domid"], "memory_mb": int(config["memory"]),
               "vcpus": int(config.get("vcpus", 1)), "started": self.now, "boot_until": boot_until,
               "last_write": boot_until, "shutdown_at": None, "config": config,
               "resources": resources_of(config, self.data["resources"])}
        info["next_domid"] += 1
        self.domains(host)[name] = dom
        self._event([host, name, "started", boot_until])
        return dom

    def receive_domain(self, host: str, name: str, dom: dict[str, Any]) -> dict[str, Any]:
        """``xl migrate-receive``: the domain arrives paused as ``NAME--incoming`` (no disk open yet)."""
        info = self.host(host)
        incoming = {**dom, "domid": info["next_domid"], "paused": True, "resources": [], "shutdown_at": None}
        info["next_domid"] += 1
        self.domains(host)[f"{name}--incoming"] = incoming
        return incoming

    def finish_migration(self, source: str, target: str, name: str) -> None:
        """The point of no return: the source's copy goes, the target's runs under the real name with its
        disks open and the same life (no boot); the ``migrated`` event moves what serves the guest."""
        dom = self.domains(source).pop(name)
        incoming = self.domains(target).pop(f"{name}--incoming")
        self.domains(target)[name] = {**dom, "domid": incoming["domid"], "last_write": self.now,
                                      "boot_until": min(dom["boot_until"], self.now)}
        self._event([target, name, "migrated", self.now])

    def request_shutdown(self, host: str, name: str) -> dict[str, Any]:
        """The guest starts shutting down; it is gone after the host's (injectable) shutdown time."""
        dom = self.domains(host)[name]
        if dom["shutdown_at"] is None:
            dom["shutdown_at"] = self.now + self.host(host)["shutdown_seconds"]
            self.wake = True
        return dom

    def stop_domain(self, host: str, name: str) -> None:
        self.domains(host).pop(name)
        if not name.endswith("--incoming"):  # a migration's paused copy never served anything
            self._event([host, name, "stopped", self.now])

    def pause_domain(self, host: str, name: str, paused: bool) -> None:
        """``xl pause``/``unpause``: a paused domain runs no vCPU (no writes, nothing answers); the
        ``paused``/``unpaused`` event freezes or thaws what serves the guest. Pausing twice changes nothing."""
        dom = self.domains(host)[name]
        if bool(dom.get("paused")) == paused:
            return
        dom["paused"] = paused
        if not paused:
            dom["last_write"] = max(dom["last_write"], self.now)  # the time spent paused wrote nothing
        self._event([host, name, "paused" if paused else "unpaused", self.now])

    def _event(self, event: list[Any]) -> None:
        if not self.data.get("hooks_stopped"):
            self.data["events"].append(event)
            self.wake = True

    def pending_deadline(self) -> float | None:
        """The next moment something happens by itself (a shutdown completing), for the hook runner."""
        times = [dom["shutdown_at"] for host in self.host_names() for dom in self.domains(host).values()
                 if dom["shutdown_at"] is not None]
        return min(times) if times else None

    # -- replication -----------------------------------------------------------------------------
    def new_generation(self, res_name: str, side: Side) -> None:
        res = self.resource(res_name)
        if side["gen"] is not None:
            side["history"] = [side["gen"], *side["history"]][:8]
        side["gen"] = res["next_gen"]
        res["next_gen"] += 1
        side["dirty"] = 0

    def settle(self) -> None:
        """Bring every connection in line with reachability: lose it, or shake hands."""
        for name, res in sorted(self.data["resources"].items()):
            reachable = self.reachable(name)
            if res["connected"] and not reachable:
                self._lose_connection(name)
            elif reachable and not res["connected"]:
                self._handshake(name)

    def _lose_connection(self, name: str) -> None:
        res = self.resource(name)
        res["connected"] = False
        sync = res["sync"]
        if sync is not None:
            self.side(name, sync["source"])["oos_kib"] += int(sync["left_kib"])
            res["sync"] = None
        elif not self.data.get("hooks_stopped"):
            self._note_parted(name)
        dual = all(self.side(name, host)["role"] == "Primary" for host in self.host_names())
        for host in self.host_names():
            side = self.side(name, host)
            if side["up"] and side["role"] == "Primary" and (not dual or self.is_open(name, host)):
                self.new_generation(name, side)  # dual-primary: only a writer starts a new generation

    def _note_parted(self, name: str) -> None:
        """Remember a Primary that loses its peer while both hold the same data: up to now, the peer's disk
        has every write (protocol C); the lab's ``connection-lost`` hook copies the guest's files then."""
        for host in self.host_names():
            side, peer = self.side(name, host), self.side(name, self.peer_of(host))
            if side["up"] and side["role"] == "Primary" and (peer["gen"], peer["data"]) == (side["gen"], side["data"]):
                state = {"gen": peer["gen"], "data": peer["data"], "history": list(peer["history"])}
                self.parted.append([name, host, self.peer_of(host), state])

    def _handshake(self, name: str) -> None:
        res = self.resource(name)
        first, second = self.host_names()
        a, b = self.side(name, first), self.side(name, second)
        plan = self._sync_plan(res["size_kib"], first, a, second, b)
        if plan is None:
            for side in (a, b):
                side.update(net="standalone", split_brain=True, discard=False)
            return
        res["connected"] = True
        a["discard"] = b["discard"] = False
        if plan == "none":
            return
        source, target, total = plan
        self._start_sync(name, source, target, total)

    def _sync_plan(self, size: int, first: str, a: Side, second: str, b: Side) -> Any:
        """"none" (nothing to sync), (source, target, kib), or None for split brain."""
        fresh_a, fresh_b = a["gen"] is None, b["gen"] is None
        if fresh_a and fresh_b:
            return "none"
        if fresh_a or fresh_b:
            source, target = (second, first) if fresh_a else (first, second)
            return (source, target, size)
        if a["disk"] == "Inconsistent" or b["disk"] == "Inconsistent":
            source, target = (second, first) if a["disk"] == "Inconsistent" else (first, second)
        elif a["gen"] == b["gen"]:
            for side in (a, b):
                side.update(oos_kib=0, disk="UpToDate")
            return "none"
        elif b["gen"] in a["history"]:
            source, target = first, second
        elif a["gen"] in b["history"]:
            source, target = second, first
        else:
            victim = self._split_brain_victim(first, a, second, b)
            if victim is None:
                return None
            source, target = (second, first) if victim == first else (first, second)
        return (source, target, a["oos_kib"] + b["oos_kib"])

    @staticmethod
    def _split_brain_victim(first: str, a: Side, second: str, b: Side) -> str | None:
        discarding = [host for host, side in ((first, a), (second, b))
                      if side["discard"] and side["role"] == "Secondary"]
        if len(discarding) == 1:
            return discarding[0]
        if a["role"] == b["role"] == "Secondary":
            unchanged = [host for host, side in ((first, a), (second, b)) if side["dirty"] == 0]
            if len(unchanged) == 1:
                return unchanged[0]
        return None

    def _start_sync(self, name: str, source: str, target: str, total: int) -> None:
        res = self.resource(name)
        if total <= 0:
            res["sync"] = {"source": source, "target": target, "total_kib": 0, "left_kib": 0.0}
            self._finish_sync(res)
            return
        res["sync"] = {"source": source, "target": target, "total_kib": int(total), "left_kib": float(total)}
        self.side(name, target)["disk"] = "Inconsistent"
        self.side(name, source)["disk"] = "UpToDate"

    def start_full_sync(self, name: str, source: str) -> None:
        """``primary --force`` over a connected peer: overwrite the peer's data with ours."""
        self._start_sync(name, source, self.peer_of(source), self.resource(name)["size_kib"])

    def _finish_sync(self, res: dict[str, Any]) -> None:
        sync = res["sync"]
        source, target = res["hosts"][sync["source"]], res["hosts"][sync["target"]]
        target.update(disk="UpToDate", data=source["data"], gen=source["gen"], history=list(source["history"]),
                      oos_kib=0, dirty=0)
        source.update(disk="UpToDate", oos_kib=0)
        res["sync"] = None


def resources_of(config: dict[str, Any], resources: dict[str, Any]) -> list[str]:
    """The DRBD resources a domain's disks use: ``/dev/drbd/by-res/RES/0`` or ``/dev/drbdMINOR``."""
    by_minor = {res["minor"]: name for name, res in resources.items()}
    found = []
    for spec in config.get("disk", []):
        target = spec.split(",")[0].split(":", 1)[-1]
        if target.startswith("/dev/drbd/by-res/"):
            name = target.split("/")[4]
        elif target.startswith("/dev/drbd") and target[9:].isdigit():
            name = by_minor.get(int(target[9:]), "")
        else:
            continue
        if name in resources:
            found.append(name)
    return found
