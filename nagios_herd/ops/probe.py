"""Read-only probes of the hosts, through the project's parsers, and the per-guest view the steps test.

Why lazy, coalescing probes: during ``failover --all`` every guest's worker re-probes before and after each
step. A snapshot asks a host's ``xl list`` or ``drbdsetup status --json`` (each covers *all* guests) only
when a check reads it, and a worker that needs an answer fresher than time T reuses one that started after
T (or waits for the one in flight), so 14 workers cost about as many commands as one, and a step that only
looks at the source's domains does not ask DRBD at all. A host that is down yields snapshots with ``down``
set.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from nagios_herd.errors import HerdError
from nagios_herd.model import Guest
from nagios_herd.ops.remote import Link
from nagios_herd.parsers import xen
from nagios_herd.parsers.drbd import formats as drbd_formats
from nagios_herd.parsers.drbd import model as drbd

PROBE_TIMEOUT = 20


class Snapshot:
    """One host as probed at or after ``after``: each tool's answer is fetched on first use (and shared)."""

    def __init__(self, host: str, taken: float = 0.0, down: str | None = None,
                 domains: tuple[xen.Domain, ...] = (), drbd: drbd.DrbdStatus | None = None, *,
                 sources: dict[str, _Source] | None = None, link: Link | None = None) -> None:
        self.host, self.taken = host, taken
        self._down, self._link, self._sources = down, link, sources or {}
        self._values: dict[str, object] = {} if sources else {"xl": tuple(domains), "drbd": drbd}
        self._lock = threading.Lock()

    @property
    def down(self) -> str | None:
        if self._down is None and self._link is not None:
            self._down = self._link.down
        return self._down

    def _get(self, tool: str) -> object:
        """The tool's parsed answer; a host lost while asking raises remote.HostDown (the step cannot decide)."""
        with self._lock:
            if tool not in self._values:
                if self.down:
                    return None
                self._values[tool] = self._sources[tool].get(self.taken)
            return self._values[tool]

    def fetched(self, tool: str) -> bool:
        return tool in self._values

    @property
    def domains(self) -> tuple[xen.Domain, ...]:
        return self._get("xl") or ()

    @property
    def drbd(self) -> drbd.DrbdStatus | None:
        return self._get("drbd")  # type: ignore[return-value]

    def domain(self, guest: str) -> xen.Domain | None:
        return next((d for d in self.domains if d.base_name == guest and not d.is_dom0), None)

    def resource(self, guest: str) -> drbd.Resource | None:
        status = self.drbd
        return status.find(guest) if status is not None else None


def run_parsed(link: Link, argv: list[str], parse, what: str, timeout: float = PROBE_TIMEOUT):
    """Run a read-only command and parse its output; any failure is one clear line naming host and command."""
    result = link.run(argv, timeout=timeout)
    if not result.ok:
        raise HerdError(f"{link.name}: {' '.join(argv)} failed ({result.why()})")
    try:
        return parse(result.stdout)
    except ValueError as error:
        raise HerdError(f"{link.name}: cannot read {what}: {error}") from None


TOOLS = {"xl": (["xl", "list"], lambda text: tuple(xen.parse_list(text)), "xl list"),
         "drbd": (["drbdsetup", "status", "--json"], drbd_formats.parse_status_json, "drbdsetup status --json")}


class _Source:
    """One read-only command on one host; concurrent askers share an answer that started after their time."""

    def __init__(self, link: Link, tool: str) -> None:
        self.link = link
        self.argv, self.parse, self.what = TOOLS[tool]
        self._cond = threading.Condition()
        self._latest: tuple[float, object] | None = None
        self._running = False

    def get(self, after: float) -> object:
        with self._cond:
            while True:
                if self._latest is not None and self._latest[0] >= after:
                    return self._latest[1]
                if not self._running:
                    self._running = True
                    break
                self._cond.wait()
        started, answer = time.monotonic(), None
        try:
            answer = (started, run_parsed(self.link, self.argv, self.parse, self.what))
        finally:
            with self._cond:
                if answer is not None and (self._latest is None or answer[0] > self._latest[0]):
                    self._latest = answer
                self._running = False
                self._cond.notify_all()
        return answer[1]


class Prober:
    """Fresh snapshots of every host, shared between the threads of one run."""

    def __init__(self, links: dict[str, Link]) -> None:
        self._links = links
        self._sources = {name: {tool: _Source(link, tool) for tool in TOOLS} for name, link in links.items()}

    def snapshots(self, after: float | None = None) -> dict[str, Snapshot]:
        """Lazy snapshots of every host: each tool is asked (once, shared) when a check first reads it."""
        after = time.monotonic() if after is None else after
        return {name: Snapshot(name, after, sources=self._sources[name], link=self._links[name])
                for name in self._links}

    def everything(self) -> dict[str, Snapshot]:
        """Snapshots with every tool of every host already asked, all at the same time (status, verify)."""
        snaps = self.snapshots()
        with ThreadPoolExecutor(max_workers=2 * len(snaps)) as pool:
            for future in [pool.submit(snap._get, tool) for snap in snaps.values() for tool in TOOLS]:
                future.result()
        return snaps

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
        """What the checks of a step read, per host: the state the journal records as ``before``."""
        out = {}
        for host, snap in self.snaps.items():
            if snap.down:
                out[host] = "down"
                continue
            parts = []
            if snap.fetched("xl"):
                domain = self.domain(host)
                parts.append(f"domain {domain.condition}" if domain else "no domain")
            if snap.fetched("drbd"):
                parts.append(f"drbd {self.role(host)}/{self.connection(host)}/{self.disk(host)} peer "
                             f"{self.peer_role(host)}/{self.peer_disk(host)} {self.replication(host)}")
            if parts:
                out[host] = "; ".join(parts)
        return out
