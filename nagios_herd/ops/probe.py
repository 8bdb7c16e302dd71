"""Read-only probes of the hosts, through the project's parsers, and the per-guest view the steps test.

Why a coalescing prober: during ``failover --all`` every guest's worker re-probes before and after each step.
Each host answers one ``xl list`` + one ``drbdsetup status --json`` for *all* guests; a worker that needs
state fresher than time T reuses a probe that started after T (or waits for the one in flight), so 14
workers cost about as many probes as one. A host that is down yields a snapshot with ``down`` set.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .. import drbd, xen
from ..errors import HerdError
from ..model import Guest
from ..remote import HostDown, Link

PROBE_TIMEOUT = 20


@dataclass(frozen=True)
class Snapshot:
    """One host at one moment: its domains and DRBD resources (empty when ``down``)."""

    host: str
    taken: float  # time.monotonic() when the probe started
    down: str | None = None
    domains: tuple[xen.Domain, ...] = ()
    drbd: drbd.DrbdStatus | None = None

    def domain(self, guest: str) -> xen.Domain | None:
        return next((d for d in self.domains if d.base_name == guest and not d.is_dom0), None)

    def resource(self, guest: str) -> drbd.Resource | None:
        return self.drbd.find(guest) if self.drbd is not None else None


def run_parsed(link: Link, argv: list[str], parse, what: str, timeout: float = PROBE_TIMEOUT):
    """Run a read-only command and parse its output; any failure is one clear line naming host and command."""
    result = link.run(argv, timeout=timeout)
    if not result.ok:
        raise HerdError(f"{link.name}: {' '.join(argv)} failed ({result.why()})")
    try:
        return parse(result.stdout)
    except ValueError as error:
        raise HerdError(f"{link.name}: cannot read {what}: {error}") from None


def take(link: Link) -> Snapshot:
    """``xl list`` and ``drbdsetup status --json`` of one host, the two asked at the same time."""
    started = time.monotonic()
    if link.down is not None:
        return Snapshot(link.name, started, down=link.down)
    with ThreadPoolExecutor(max_workers=2) as pool:
        domains = pool.submit(run_parsed, link, ["xl", "list"], xen.parse_list, "xl list")
        status = pool.submit(run_parsed, link, ["drbdsetup", "status", "--json"], drbd.parse_status_json,
                             "drbdsetup status --json")
        try:
            return Snapshot(link.name, started, domains=tuple(domains.result()), drbd=status.result())
        except HostDown as error:
            return Snapshot(link.name, started, down=str(error))


class _HostProber:
    def __init__(self, link: Link) -> None:
        self.link = link
        self._cond = threading.Condition()
        self._latest: Snapshot | None = None
        self._running_since: float | None = None

    def get(self, after: float) -> Snapshot:
        with self._cond:
            while True:
                if self._latest is not None and self._latest.taken >= after:
                    return self._latest
                if self._running_since is None:
                    self._running_since = time.monotonic()
                    break
                self._cond.wait()
        snapshot: Snapshot | None = None
        try:
            snapshot = take(self.link)
        finally:
            with self._cond:
                if snapshot is not None and (self._latest is None or snapshot.taken > self._latest.taken):
                    self._latest = snapshot
                self._running_since = None
                self._cond.notify_all()
        return snapshot


class Prober:
    """Fresh snapshots of every host, shared between the threads of one run."""

    def __init__(self, links: dict[str, Link]) -> None:
        self._hosts = {name: _HostProber(link) for name, link in links.items()}

    def snapshots(self, after: float | None = None) -> dict[str, Snapshot]:
        """Every host probed at or after ``after`` (default: now), the hosts asked in parallel."""
        after = time.monotonic() if after is None else after
        with ThreadPoolExecutor(max_workers=len(self._hosts)) as pool:
            futures = {name: pool.submit(prober.get, after) for name, prober in self._hosts.items()}
            return {name: future.result() for name, future in futures.items()}

    def view(self, guest: Guest, after: float | None = None) -> GuestView:
        return GuestView(guest, self.snapshots(after))


@dataclass(frozen=True)
class GuestView:
    """One guest as both hosts see it; every accessor answers for a named host."""

    guest: Guest
    snaps: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.guest.name

    def down(self, host: str) -> str | None:
        return self.snaps[host].down

    def domain(self, host: str) -> xen.Domain | None:
        return self.snaps[host].domain(self.name)

    def runs_on(self) -> list[str]:
        """Hosts where a domain of this name exists in any state (shut down counts until destroyed)."""
        return [host for host in self.snaps if self.domain(host) is not None]

    def alive_on(self, host: str) -> bool:
        domain = self.domain(host)
        return domain is not None and domain.alive and not domain.migrating

    def resource(self, host: str) -> drbd.Resource | None:
        return self.snaps[host].resource(self.name)

    def role(self, host: str) -> str:
        if self.down(host):
            return "down"
        resource = self.resource(host)
        return resource.role if resource else "Unconfigured"

    def disk(self, host: str) -> str:
        resource = self.resource(host)
        return resource.devices[0].disk_state if resource and resource.devices else "-"

    def _connection(self, host: str) -> drbd.Connection | None:
        resource = self.resource(host)
        return resource.connections[0] if resource and resource.connections else None

    def connection(self, host: str) -> str:
        connection = self._connection(host)
        if connection is None:
            return "-" if self.resource(host) is None else "StandAlone"
        return connection.state

    def peer_device(self, host: str) -> drbd.PeerDevice | None:
        connection = self._connection(host)
        return connection.peer_devices[0] if connection and connection.peer_devices else None

    def replication(self, host: str) -> str:
        peer = self.peer_device(host)
        return peer.replication_state if peer else "-"

    def peer_disk(self, host: str) -> str:
        peer = self.peer_device(host)
        return peer.peer_disk_state if peer else "-"

    def peer_role(self, host: str) -> str:
        connection = self._connection(host)
        return connection.peer_role if connection else "-"

    def syncing(self, host: str) -> bool:
        resource = self.resource(host)
        return resource is not None and drbd.is_syncing(resource)

    def sync_percent(self, host: str) -> float | None:
        peer = self.peer_device(host)
        return peer.sync_done_percent if peer and self.syncing(host) else None

    def out_of_sync(self, host: str) -> int:
        resource = self.resource(host)
        return drbd.out_of_sync_bytes(resource) if resource else 0

    def split_brain(self, host: str) -> bool:
        resource = self.resource(host)
        return resource is not None and drbd.split_brain_suspected(resource)

    def handshake_done(self, host: str) -> bool:
        """Connected to the peer and both disks UpToDate (I6: only then may the peer be promoted)."""
        resource = self.resource(host)
        return resource is not None and drbd.is_connected(resource) and drbd.is_uptodate(resource)

    def summary(self) -> dict[str, str]:
        """The state the journal records as ``before``."""
        out = {}
        for host in self.snaps:
            if self.down(host):
                out[host] = "down"
                continue
            domain = self.domain(host)
            where = f"domain {domain.condition}" if domain else "no domain"
            out[host] = (f"{where}; drbd {self.role(host)}/{self.connection(host)}/{self.disk(host)}"
                         f" peer {self.peer_role(host)}/{self.peer_disk(host)} {self.replication(host)}")
        return out
