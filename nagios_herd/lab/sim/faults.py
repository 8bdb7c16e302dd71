"""Fault injection for ``nagios-herd lab fault`` (and tests): each fault is one locked transaction on
the shared state, so the next simulator command on either host sees its consequences.

A crashed host loses its running domains (the domain-event hook reports them stopped) and its
resources go down with it (metadata, data and generations survive on disk); its peer sees the
connection lost (``Connecting``, peer disk ``DUnknown``). A revived host comes back with its resources
down and no domains, as after a reboot with nothing auto-started. A cut link leaves both sides
``Connecting``; a Primary on either side then starts a new data generation, so two Primaries during the
cut are split brain at the next handshake.
"""

from __future__ import annotations

from nagios_herd.lab.sim.state import transaction


def crash(state_dir: str, host: str) -> None:
    with transaction(state_dir) as lab:
        info = lab.host(host)
        if not info["alive"]:
            return
        for name in sorted(lab.domains(host)):
            lab.stop_domain(host, name)
        info["alive"] = False
        for res in lab.data["resources"]:
            lab.side(res, host).update(up=False, role="Secondary", net="connect", split_brain=False, discard=False,
                                       two_primaries=False)


def revive(state_dir: str, host: str) -> None:
    with transaction(state_dir) as lab:
        info = lab.host(host)
        if not info["alive"]:
            info.update(alive=True, booted_at=lab.now, next_domid=1)


def cut_link(state_dir: str) -> None:
    with transaction(state_dir) as lab:
        lab.data["link"] = "cut"


def heal_link(state_dir: str) -> None:
    with transaction(state_dir) as lab:
        lab.data["link"] = "up"


def slow_shutdown(state_dir: str, host: str, seconds: float) -> None:
    """Guests on ``host`` take ``seconds`` to shut down from now on (``xl shutdown -w`` waits that long)."""
    with transaction(state_dir) as lab:
        lab.host(host)["shutdown_seconds"] = float(seconds)


def set_boot_time(state_dir: str, host: str, seconds: float) -> None:
    """Guests created on ``host`` from now on boot for ``seconds`` before they write or count as started."""
    with transaction(state_dir) as lab:
        lab.host(host)["boot_seconds"] = float(seconds)


def set_resync_rate(state_dir: str, mib_per_second: float) -> None:
    with transaction(state_dir) as lab:
        lab.data["settings"]["resync_rate_mib"] = float(mib_per_second)


def wipe_disks(state_dir: str, host: str) -> None:
    """The host's disks were replaced: no DRBD metadata, no data (crash it first; rebuild follows)."""
    with transaction(state_dir) as lab:
        if lab.host(host)["alive"] and any(lab.side(res, host)["up"] for res in lab.data["resources"]):
            raise ValueError(f"{host}: take its resources down (or crash it) before replacing its disks")
        for res in lab.data["resources"]:
            lab.side(res, host).update(md=False, gen=None, history=[], data=0, disk="Diskless", oos_kib=0, dirty=0)


def set_migration_speed(state_dir: str, seconds_per_gib: float) -> None:
    """``xl migrate`` copies a domain's memory in ``seconds_per_gib`` per GiB from now on (0: instantly)."""
    with transaction(state_dir) as lab:
        lab.data["settings"]["migrate_seconds_per_gib"] = float(seconds_per_gib)


def set_protocol(state_dir: str, resource: str, protocol: str) -> None:
    """The resource's connection runs replication protocol ``protocol`` (as if configured so)."""
    with transaction(state_dir) as lab:
        lab.resource(resource)["protocol"] = protocol
