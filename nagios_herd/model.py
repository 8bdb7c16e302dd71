"""The herd as immutable, validated data: what every other layer reads and nothing writes.

``inventory.load()`` builds a :class:`Herd` from TOML after validating everything, so renderers, the lab and the
Fabric tasks can trust these values (names match the allowlists, numbers are in range, references resolve).
Every collection is a tuple sorted by name, so iteration order is deterministic under any PYTHONHASHSEED.

Naming conventions derived here (one place, so templates, lab and operations agree):
DRBD resource == guest name; root LV ``<guest>-root`` (the DRBD backing disk) and swap LV ``<guest>-swap`` (local,
not replicated) in the host's volume group; DRBD device ``/dev/drbd<minor>``; Xen domain name == guest name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

HostRole = Literal["primary", "backup"]
Directives = tuple[tuple[str, str], ...]  # Nagios directives of one object, in the order the team file gives them


@dataclass(frozen=True)
class XenHost:
    """A dom0: one of the two hosts the herd runs on."""

    name: str
    role: HostRole
    address: str  # management address: SSH and NRPE
    replication_address: str  # DRBD link address
    memory_mb: int
    dom0_memory_mb: int
    volume_group: str
    bridge: str
    ssh_port: int = 22
    ssh_user: str = "root"

    @property
    def guest_memory_mb(self) -> int:
        """RAM left for guests once dom0 has its share."""
        return self.memory_mb - self.dom0_memory_mb


@dataclass(frozen=True)
class Contact:
    """A person (or robot) the team's Nagios notifies; ``nagios`` set: adopted, the herd's template is not used."""

    name: str
    alias: str
    email: str | None = None
    pager: str | None = None
    nagios: Directives | None = None


@dataclass(frozen=True)
class Command:
    """A Nagios command; ``line`` may use ``$USERn$``, ``$ARGn$`` and standard ``$HOST...$`` macros only."""

    name: str
    line: str


@dataclass(frozen=True)
class MonitoredHost:
    """A host a team's Nagios watches (not a Xen host)."""

    name: str
    address: str
    alias: str
    groups: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()  # contact names of the same team to notify; () means every team contact
    # every other directive, exactly as the team's Nagios resolved it (adopt); None: the herd's template applies,
    # otherwise the herd adds nothing, and () contacts means nobody, as it did on the team's server
    nagios: Directives | None = None


@dataclass(frozen=True)
class Service:
    host: str
    description: str
    command: str
    args: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()  # contact names of the same team to notify; () means every team contact
    groups: tuple[str, ...] = ()  # service groups
    nagios: Directives | None = None  # as for MonitoredHost


@dataclass(frozen=True)
class Definition:
    """A whole Nagios object of a team besides hosts, services and contacts: a timeperiod, dependency, escalation."""

    kind: str  # the Nagios object type: timeperiod, hostdependency, servicedependency, hostescalation, ...
    directives: Directives


@dataclass(frozen=True)
class Team:
    """One team's Nagios content: who is told, what is watched, how."""

    name: str
    alias: str
    contacts: tuple[Contact, ...]
    hosts: tuple[MonitoredHost, ...]
    services: tuple[Service, ...]
    commands: tuple[Command, ...] = ()
    source: str = ""  # the file the team was read from, for messages
    definitions: tuple[Definition, ...] = ()  # in the team file's order, grouped by kind

    @property
    def hostgroups(self) -> tuple[str, ...]:
        return tuple(sorted({group for host in self.hosts for group in host.groups}))

    @property
    def servicegroups(self) -> tuple[str, ...]:
        return tuple(sorted({group for service in self.services for group in service.groups}))

    def defined(self, kind: str) -> tuple[Definition, ...]:
        return tuple(definition for definition in self.definitions if definition.kind == kind)


@dataclass(frozen=True)
class Volume:
    """A logical volume a guest needs on every host (the rebuild task creates these)."""

    name: str
    size_mb: int
    purpose: Literal["root", "swap"]


@dataclass(frozen=True)
class Guest:
    """A DomU running one team's Nagios; it runs on exactly one host at a time."""

    name: str
    team: Team
    preferred_host: str
    memory_mb: int
    vcpus: int
    address: str
    mac: str
    root_mb: int
    swap_mb: int
    drbd_minor: int
    drbd_port: int
    serve_nagios: bool = False  # lab only: run a real nagios4 + statusjson.cgi while the guest runs
    resource_secrets: str = ""  # root-only file with the team's $USERn$ values; "" = the team has none

    @property
    def resource(self) -> str:
        return self.name

    @property
    def drbd_device(self) -> str:
        return f"/dev/drbd{self.drbd_minor}"

    @property
    def root_lv(self) -> str:
        return f"{self.name}-root"

    @property
    def swap_lv(self) -> str:
        return f"{self.name}-swap"

    @property
    def volumes(self) -> tuple[Volume, ...]:
        return (Volume(self.root_lv, self.root_mb, "root"), Volume(self.swap_lv, self.swap_mb, "swap"))


@dataclass(frozen=True)
class Paths:
    """Where things live on the hosts and guests; overridable in the inventory's ``[paths]`` table."""

    plugin_dir: str = "/usr/lib/nagios/plugins/nagios-herd"  # the check executables on hosts and guests
    standard_plugin_dir: str = "/usr/lib/nagios/plugins"  # Debian's monitoring-plugins ($USER1$)
    state_dir: str = "/var/lib/nagios-herd"  # root only: lock, journal, offline marks (plugins keep theirs apart)
    nagios_cgi_path: str = "/cgi-bin/nagios4/statusjson.cgi"


FENCE_AGENTS = ("fence_ipmilan", "fence_idrac", "fence_ilo3", "fence_ilo4", "fence_ilo5", "fence_imm")


@dataclass(frozen=True)
class FenceDevice:
    """How Pacemaker powers one host off: an IPMI-style agent at the host's management controller.

    The login is not here: it comes from the root-only credentials file the inventory names
    (:attr:`Cluster.fence_credentials`), installed on the cluster nodes as Pacemaker CIB secrets.
    """

    host: str
    agent: str  # one of FENCE_AGENTS (all fence_ipmilan underneath)
    ip: str
    ipport: int = 623
    lanplus: bool = True


@dataclass(frozen=True)
class Cluster:
    """Pacemaker's part: whether it manages the herd, and the knobs of the generated CIB."""

    manages_herd: bool = False  # True: the cluster starts, stops and moves guests; fab acts through it
    shutdown_timeout: int = 60  # seconds a guest gets to shut down cleanly before it is destroyed
    stickiness: int = 200  # above the preferred-host score (100): a recovered host does not pull guests back
    migration_threshold: int = 3  # failures of a guest on a host before it is moved away
    failure_timeout: int = 600  # seconds after which a failure is forgotten
    live_migration: bool = True  # allow-migrate: moves go through a temporary dual-primary
    fence_credentials: str = "/etc/nagios-herd/fencing.toml"
    fencing: tuple[FenceDevice, ...] = ()  # one per host, in host order, or none

    @property
    def stop_timeout(self) -> int:
        """The Xen stop operation: the clean shutdown, then destroy and the agent's own polling."""
        return self.shutdown_timeout + 60

    @property
    def migrate_timeout(self) -> int:
        """migrate_to/migrate_from: a failed migration is followed by a stop, so never shorter than one."""
        return max(120, self.stop_timeout)


@dataclass(frozen=True)
class Notifications:
    """How every guest's Nagios tells a contact: mail (the default), the herd's own commands, or a capture file.

    ``capture`` (a file inside each guest) is for rehearsals: one tab-separated line per notification, so a test
    can read who was told what.
    """

    host_command: str = ""  # a command_line with Nagios macros; "" = mail
    service_command: str = ""
    capture: str = ""


@dataclass(frozen=True)
class LabTuning:
    """The lab's shortened clock (inventory ``[lab]``): production inventories leave it out and keep Nagios' own."""

    interval_length: int = 60  # seconds per Nagios "interval"
    check_interval: int = 5  # intervals between checks of a herd object
    retry_interval: int = 1
    max_check_attempts: int = 3
    notification_interval: int = 60
    first_notification_delay: int = 0
    web_scheme: str = "https"  # how the watchers reach the guests' CGIs (the lab serves http on loopback)


@dataclass(frozen=True)
class Herd:
    """The whole herd: two Xen hosts, the guests, and who watches the watchers."""

    name: str
    hosts: tuple[XenHost, ...]  # primary first, then backup
    guests: tuple[Guest, ...]  # sorted by name
    watcher: str  # guest that watches both hosts over NRPE and every other guest
    watcher_peer: str  # guest that watches the watcher
    commands: tuple[Command, ...] = ()  # herd-wide Nagios commands every team may use
    drbd_protocol: str = "C"
    drbd_secrets: str = ""  # root-only file with cram-hmac-alg and shared-secret; "" = no peer authentication
    web_secrets: str = ""  # root-only file with the web users' passwords; "" = no users file is generated
    replication_over_management: bool = False  # allow replication_address == address (a lab on loopback)
    paths: Paths = field(default_factory=Paths)
    cluster: Cluster = field(default_factory=Cluster)
    source: str = ""  # the inventory file, for messages
    admins: tuple[Contact, ...] = ()  # told about the herd itself (hosts, guests' Nagios) by the watchers
    notifications: Notifications = field(default_factory=Notifications)
    lab: LabTuning | None = None  # only in a lab inventory

    @property
    def primary(self) -> XenHost:
        return next(host for host in self.hosts if host.role == "primary")

    @property
    def backup(self) -> XenHost:
        return next(host for host in self.hosts if host.role == "backup")

    def host(self, name: str) -> XenHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def guest(self, name: str) -> Guest:
        for guest in self.guests:
            if guest.name == name:
                return guest
        raise KeyError(name)

    def peer_of(self, host_name: str) -> XenHost:
        """The other host of the pair."""
        return next(host for host in self.hosts if host.name != host_name)

    def guests_preferring(self, host_name: str) -> tuple[Guest, ...]:
        return tuple(guest for guest in self.guests if guest.preferred_host == host_name)
