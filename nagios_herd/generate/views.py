"""What each generated file shows, decided in Python so the templates stay loops and filters only.

Everything here returns tuples in a fixed order (the model is already sorted), so the rendered bytes do not depend
on PYTHONHASHSEED. The host views build every privileged tool invocation once, as argv lists: the NRPE command lines
and the sudoers rules are rendered from the same lists, so a check can never run a command sudo does not allow, and
sudo allows nothing the checks do not run.

Placement (check_xen_domain): on each host, ``--domain`` names the guests whose ``preferred_host`` is that host and
``--absent`` all the others. The generated checks describe the *designed* placement: after a failover the guest is
missing on its preferred host and present on the other, so both hosts' domain checks stay CRITICAL until failback.
That is deliberate — a failed-over herd has no spare capacity and must not look healthy — and operators acknowledge
the alerts for the duration. A guest running on both hosts (the split-brain case) is CRITICAL on the host where it
must be absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from nagios_herd.errors import HerdError
from nagios_herd.model import Cluster, Command, Contact, FenceDevice, Guest, Herd, MonitoredHost, XenHost

SUDO = "/usr/bin/sudo"
XL_LIST = ("/usr/sbin/xl", "list")
DRBD_STATUS = ("/usr/sbin/drbdsetup", "status", "--json")
VGS_REPORT = (
    "/usr/sbin/vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
    "-o", "vg_name,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,pv_count,lv_count,"
    "vg_missing_pv_count",
)
LVS_REPORT = (
    "/usr/sbin/lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
    "-o", "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,segtype",
)
CRM_MON = ("/usr/sbin/crm_mon", "--one-shot", "--inactive", "--output-as=xml")
CAT = "/bin/cat"
WATCH_STATE = "watch.json"  # the watcher's state file in the herd's state dir
WATCH_HOST_ROLE = "primary"
NRPE_TIMEOUT = 30  # check_nrpe -t: above the plugins' own timeouts, below Nagios' service_check_timeout

# Objects the herd adds to team configs; a team object with one of these names would collide.
XEN_HOSTGROUP = "herd-xen-hosts"
GUEST_HOSTGROUP = "herd-guests"
HERD_TIMEPERIODS = ("24x7",)  # templates/guest/objects/timeperiods.cfg defines these for the herd's objects
ADMIN_CONTACTGROUP = "herd-admins"
CGI_READER = "nagios-herd"  # the CGI user the watchers' check_nagios_guest authenticates as on every guest
HERD_COMMANDS = ("herd_check_host_alive", "herd_check_nrpe", "herd_check_nagios_guest",
                 "herd_notify_host", "herd_notify_service")


@dataclass(frozen=True)
class NrpeCommand:
    """One NRPE command: privileged tool runs piped into an unprivileged check plugin reading ``--input -``."""

    name: str
    tools: tuple[tuple[str, ...], ...]  # each run as ``sudo -n ARGV``
    plugin: tuple[str, ...]


@dataclass(frozen=True)
class HostView:
    host: XenHost
    peer: XenHost
    guests: tuple[Guest, ...]
    resync_after: dict[str, str]  # guest -> the guest whose resync must finish first
    nrpe: tuple[NrpeCommand, ...]
    sudo: tuple[tuple[str, ...], ...]
    allowed_hosts: tuple[str, ...]


@dataclass(frozen=True)
class MetaService:
    host: str
    description: str
    command: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class GuestView:
    guest: Guest
    commands: tuple[Command, ...]  # herd-wide then team commands
    contactgroup: str
    admins: tuple[Contact, ...]  # the herd's admins, defined on the watchers only
    meta_contactgroup: str  # who the herd's own objects notify: the admins, else the watcher's team
    meta_hosts: tuple[MonitoredHost, ...]  # herd's own monitoring: Xen hosts and watched guests
    meta_hostgroups: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, alias, members)
    meta_services: tuple[MetaService, ...]
    hostgroup_members: tuple[tuple[str, tuple[str, ...]], ...]  # team hostgroups
    herd_command_names: frozenset[str]  # a service on one of these keeps plain arguments (the herd's shell line)


def host_view(herd: Herd, host: XenHost) -> HostView:
    """Everything one dom0's files need: its peer, every guest, the checks NRPE may run and what sudo allows."""
    plugin_dir = herd.paths.plugin_dir.rstrip("/")
    running = [guest.name for guest in herd.guests if guest.preferred_host == host.name]
    absent = [guest.name for guest in herd.guests if guest.preferred_host != host.name]
    xen_args: list[str] = []
    for name in running:
        xen_args += ["--domain", name]
    for name in absent:
        xen_args += ["--absent", name]
    drbd_args: list[str] = []
    for guest in herd.guests:
        drbd_args += ["--resource", guest.resource]
    nrpe = (
        NrpeCommand("check_drbd_sync", (DRBD_STATUS,), (f"{plugin_dir}/check_drbd_sync", "--input", "-", *drbd_args)),
        NrpeCommand("check_lvm_capacity", (VGS_REPORT, LVS_REPORT),
                    (f"{plugin_dir}/check_lvm_capacity", "--input", "-", "--vg", host.volume_group,
                     "-w", "10:", "-c", "5:")),
        NrpeCommand("check_xen_domain", (XL_LIST,), (f"{plugin_dir}/check_xen_domain", "--input", "-", *xen_args)),
    )
    if herd.cluster.manages_herd:  # each node reports the cluster as it sees it (a split shows on both)
        guests = [arg for guest in herd.guests for arg in ("--guest", f"{guest.name}@{guest.preferred_host}")]
        nrpe += (NrpeCommand("check_herd_cluster", (CRM_MON,),
                             (f"{plugin_dir}/check_herd_cluster", "--input", "-", *guests)),)
    if host.role == WATCH_HOST_ROLE:  # where `nagios-herd watch` runs and writes its state (root only)
        state_file = f"{herd.paths.state_dir.rstrip('/')}/{WATCH_STATE}"
        nrpe += (NrpeCommand("check_herd_watch", ((CAT, state_file),),
                             (f"{plugin_dir}/check_herd_watch", "--input", "-")),)
    by_minor = sorted(herd.guests, key=lambda guest: guest.drbd_minor)
    resync_after = {later.name: earlier.name for earlier, later in zip(by_minor, by_minor[1:])}
    return HostView(
        host=host,
        peer=herd.peer_of(host.name),
        guests=herd.guests,
        resync_after=resync_after,
        nrpe=nrpe,
        sudo=tuple(sorted({tool for command in nrpe for tool in command.tools})),
        allowed_hosts=(herd.guest(herd.watcher).address, herd.guest(herd.watcher_peer).address),
    )


def guest_view(herd: Herd, guest: Guest) -> GuestView:
    """One guest's Nagios: its team's objects plus, on the watcher and its peer, the herd's own monitoring."""
    team = guest.team
    meta_hosts: list[MonitoredHost] = []
    meta_services: list[MetaService] = []
    meta_hostgroups: list[tuple[str, str, tuple[str, ...]]] = []
    if guest.name == herd.watcher:
        for host in herd.hosts:
            meta_hosts.append(MonitoredHost(host.name, host.address, f"Xen host {host.name} ({host.role})"))
            checks = [("DRBD sync", "check_drbd_sync"), ("LVM capacity", "check_lvm_capacity"),
                      ("Xen domains", "check_xen_domain")]
            if herd.cluster.manages_herd:
                checks.append(("Pacemaker cluster", "check_herd_cluster"))
            if host.role == WATCH_HOST_ROLE:  # the cron watcher runs on the primary dom0 (etc/cron.d)
                checks.append(("Guest watcher", "check_herd_watch"))
            for description, command in checks:
                meta_services.append(MetaService(host.name, description, "herd_check_nrpe", (command,)))
        meta_hostgroups.append((XEN_HOSTGROUP, "Xen hosts of the herd", tuple(h.name for h in herd.hosts)))
        watched = tuple(other for other in herd.guests if other.name != guest.name)
    elif guest.name == herd.watcher_peer:
        watched = (herd.guest(herd.watcher),)
    else:
        watched = ()
    for other in watched:
        meta_hosts.append(MonitoredHost(other.name, other.address, f"Nagios guest {other.name}"))
        meta_services.append(MetaService(other.name, "Nagios", "herd_check_nagios_guest", ()))
    if watched:
        meta_hostgroups.append((GUEST_HOSTGROUP, "Nagios guests of the herd", tuple(g.name for g in watched)))
    commands = herd.commands + team.commands
    admins = herd.admins if guest.name in (herd.watcher, herd.watcher_peer) else ()
    _refuse_collisions(guest, commands, meta_hosts, meta_hostgroups, admins)
    members: dict[str, list[str]] = {}
    for host in team.hosts:
        for group in host.groups:
            members.setdefault(group, []).append(host.name)
    return GuestView(
        guest=guest,
        commands=commands,
        contactgroup=team.name,
        admins=admins,
        meta_contactgroup=ADMIN_CONTACTGROUP if admins else team.name,
        meta_hosts=tuple(meta_hosts),
        meta_hostgroups=tuple(meta_hostgroups),
        meta_services=tuple(meta_services),
        hostgroup_members=tuple((group, tuple(members[group])) for group in team.hostgroups),
        herd_command_names=frozenset(command.name for command in herd.commands),
    )


def _refuse_collisions(guest: Guest, commands: tuple[Command, ...], meta_hosts: list[MonitoredHost],
                       meta_hostgroups: list[tuple[str, str, tuple[str, ...]]], admins: tuple[Contact, ...]) -> None:
    """Team objects and the herd's own objects share one Nagios namespace per guest."""
    team = guest.team
    clashes = [f"command {c.name!r}" for c in commands if c.name in HERD_COMMANDS]
    team_hosts = {host.name for host in team.hosts}
    clashes += [f"host {h.name!r}" for h in meta_hosts if h.name in team_hosts]
    clashes += [f"hostgroup {g[0]!r}" for g in meta_hostgroups if g[0] in team.hostgroups]
    clashes += [f"timeperiod {name!r}" for name in HERD_TIMEPERIODS
                if any(("timeperiod_name", name) in t.directives for t in team.defined("timeperiod"))]
    if admins and team.name == ADMIN_CONTACTGROUP:
        clashes.append(f"contactgroup {ADMIN_CONTACTGROUP!r}")
    names = [c.name for c in commands]
    clashes += [f"command {name!r} defined twice" for name in sorted(set(names)) if names.count(name) > 1]
    if clashes:
        where = team.source or f"guests.{guest.name}"
        raise HerdError(f"{where}: team {team.name!r} on guest {guest.name!r}: name clash with the herd's own "
                        f"monitoring objects: {', '.join(clashes)}", exit_code=2)


CIB_SECRET = "lrm://"  # Pacemaker's marker: the executor reads the value from the node's root-only secrets store
FENCE_DELAY = "10s"  # on the device that fences the primary: in a fence race the primary shoots first and survives
PREFERRED_SCORE = 100  # below the stickiness, so a returning host does not pull its guests back


@dataclass(frozen=True)
class ClusterGuest:
    guest: Guest
    xmfile: str
    prefers: str


@dataclass(frozen=True)
class ClusterView:
    """The CIB's configuration: nodes, fence devices, and per guest a DRBD promotable clone plus a Xen primitive."""

    cluster: Cluster
    nodes: tuple[tuple[int, str], ...]  # (node id, uname), primary first
    fencing: tuple[tuple[FenceDevice, str], ...]  # (device, pcmk_delay_base or "")
    guests: tuple[ClusterGuest, ...]
    stonith_enabled: bool  # False only for a herd without fence devices, which Pacemaker does not manage
    preferred_score: int = PREFERRED_SCORE
    secret: str = CIB_SECRET


def cluster_view(herd: Herd) -> ClusterView:
    """What ``cluster/cib.xml`` shows: the herd's placement and its shutdown timeout as Pacemaker constraints."""
    cluster = herd.cluster
    return ClusterView(
        cluster=cluster,
        nodes=tuple((index, host.name) for index, host in enumerate(herd.hosts, start=1)),
        fencing=tuple((device, FENCE_DELAY if device.host == herd.primary.name else "")
                      for device in cluster.fencing),
        guests=tuple(ClusterGuest(guest, f"/etc/xen/{guest.name}.cfg", guest.preferred_host)
                     for guest in herd.guests),
        stonith_enabled=bool(cluster.fencing),
    )
