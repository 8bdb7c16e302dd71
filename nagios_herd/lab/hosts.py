"""One lab host: its own file tree bound over the machine's, its sshd, its simulator shims.

Inside the host's mount namespace these machine paths are the host's own (bind mounts of directories
below ``STATE/hosts/H/root``): ``/etc/xen``, ``/etc/drbd.d``, ``/etc/nagios``, ``/etc/sudoers.d`` (so a
deployed sudoers file can never break the machine's sudo), the herd's state dir, the plugins' state dir, ``/etc/lvm`` (the
host's LVM config: only its own PV) and ``/root`` (a clean home: no profile rewrites PATH).
``/usr/local/sbin`` (first on sshd's and sudo's default PATH) holds the simulators, so sudo's
secure_path and ``env -i PATH=...`` reach them as this host, and a read-only overlay adds ``xl`` and
``drbdsetup`` to ``/usr/sbin`` (the check plugins run them by absolute path, as on a real dom0). The
real ``/usr/sbin/drbdadm`` stays visible: the drbdadm simulator uses it to parse the host's
configuration.
A bind target must exist on the machine: missing directories (``/etc/nagios``, ``/var/lib/nagios-herd``
on a machine without NRPE) are created empty once and left in place (removing a mount point would tear
the mount out of other running labs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nagios_herd.lab import sshd
from nagios_herd.lab.layout import Layout
from nagios_herd.model import Herd, XenHost
from nagios_herd.privilege import PLUGIN_STATE_DIR

SIMULATORS = ("xl", "drbdadm", "drbdsetup")
SBIN_OVERLAY = ("xl", "drbdsetup")  # not drbdadm: the simulator needs the real one for parsing
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def own_dirs(herd: Herd) -> tuple[str, ...]:
    """The machine directories each host has its own copy of."""
    return ("/etc/xen", "/etc/drbd.d", "/etc/nagios", "/etc/sudoers.d", herd.paths.state_dir,
            herd.paths.plugin_dir, PLUGIN_STATE_DIR, "/root")


def seed_watch_state(layout: Layout, herd: Herd) -> None:
    """The primary host's watcher state as after a quiet run of ``nagios-herd watch`` (which runs there from
    cron; no cron runs in the lab), so its "Guest watcher" service has a state file to read."""
    import time

    from nagios_herd.parsers.watch_state import WatchState

    state = layout.host_root(herd.primary.name) / herd.paths.state_dir.lstrip("/") / "watch.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(WatchState(time.time(), "ran", "written by the lab (no cron runs the watcher here)").to_json())


def binds(layout: Layout, herd: Herd, host: XenHost) -> list[tuple[Path, str]]:
    """(source, target) bind mounts making the host's tree, LVM config and simulators its own."""
    root = layout.host_root(host.name)
    pairs = [(root / target.lstrip("/"), target) for target in own_dirs(herd)]
    pairs.append((layout.lvm_dir(host.name), "/etc/lvm"))
    pairs.append((layout.host_bin(host.name), "/usr/local/sbin"))
    return pairs


def environment(layout: Layout, host: XenHost) -> dict[str, str]:
    """What every SSH session on the host sees (sshd ``SetEnv``)."""
    return {
        "LAB_HOST": host.name,
        "NAGIOS_HERD_LAB_STATE": str(layout.sim_dir),
        "PATH": f"{layout.host_bin(host.name)}:{SYSTEM_PATH}",
        "LVM_SYSTEM_DIR": str(layout.lvm_dir(host.name)),
        "LVM_SUPPRESS_FD_WARNINGS": "1",
    }


def write_shims(layout: Layout, host: XenHost) -> None:
    """``STATE/hosts/H/bin/TOOL``: fix the host identity, then run the shared simulator wrapper."""
    bin_dir = layout.host_bin(host.name)
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in SIMULATORS:
        shim = bin_dir / tool
        shim.write_text(
            "#!/bin/sh\n"
            f"LAB_HOST='{host.name}' NAGIOS_HERD_LAB_STATE='{layout.sim_dir}'\n"
            "export LAB_HOST NAGIOS_HERD_LAB_STATE\n"
            f"exec '{layout.bin_dir / tool}' \"$@\"\n"
        )
        shim.chmod(0o755)
    sbin = layout.host_dir(host.name) / "sbin"
    sbin.mkdir(exist_ok=True)
    for tool in SBIN_OVERLAY:
        if not (sbin / tool).is_symlink():
            (sbin / tool).symlink_to(bin_dir / tool)


def prepare(layout: Layout, herd: Herd, host: XenHost) -> None:
    """Create the host's tree, host key, sshd_config and shims (idempotent: keys are kept)."""
    host_dir = layout.host_dir(host.name)
    for target in own_dirs(herd):
        (layout.host_root(host.name) / target.lstrip("/")).mkdir(parents=True, exist_ok=True)
    sshd.keygen(host_dir / "ssh_host_ed25519_key", f"lab host {host.name}")
    write_shims(layout, host)
    (host_dir / "sshd_config").write_text(sshd.config(
        address=host.address, port=host.ssh_port, host_key=host_dir / "ssh_host_ed25519_key",
        pid_file=host_dir / "sshd.pid", authorized_keys=layout.authorized_keys,
        env=environment(layout, host),
    ))


def start(layout: Layout, herd: Herd, host: XenHost) -> dict[str, Any]:
    """Start the host's sshd in its own namespace; its identity (pid, start, ns)."""
    host_dir = layout.host_dir(host.name)
    return sshd.start(name=host.name, config_file=host_dir / "sshd_config", binds=binds(layout, herd, host),
                      overlays=[(host_dir / "sbin", "/usr/sbin")], log=host_dir / "sshd.log",
                      address=host.address, port=host.ssh_port)

