"""Where one lab keeps everything: all of it below its state directory, so labs never collide.

```
STATE/lab.json                  the record: inventory, per host pid/namespace/loop device (lab down reads it)
STATE/ssh/id_ed25519[.pub]      the client key root logs in with; ssh/known_hosts pins every lab server
STATE/sim/                      the simulators' shared state ($NAGIOS_HERD_LAB_STATE), hooks/domain-event
STATE/bin/                      xl, drbdadm, drbdsetup wrappers (the simulators)
STATE/build/                    `nagios-herd generate` output for the lab inventory
STATE/fab/                      the fab tasks' own state dir for this lab (lock, journal, offline marks)
STATE/hosts/H/root/...          host H's own /etc/xen, /etc/drbd.d, /etc/nagios, /etc/sudoers.d, /root, ...
STATE/hosts/H/bin/              per-host shims fixing LAB_HOST (so sudo or env -i cannot lose it)
STATE/hosts/H/lvm/              host H's LVM_SYSTEM_DIR; STATE/hosts/H/disk.img its PV (loop device)
STATE/guests/G/...              guest G's sshd, its own /etc/nagios4, and while it runs, run.json
STATE/disks/G/H/                guest G's data "on its replicated disk" on host H (see disks.py)
```
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nagios_herd import shipped

DEFAULT_STATE_DIR = Path("/var/lib/nagios-herd-lab")
STATE_ENV = "NAGIOS_HERD_LAB_DIR"
SHIPPED_INVENTORY = shipped.lab_inventory()


def default_state_dir() -> Path:
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)


class Layout:
    """The paths of one lab below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.record = self.root / "lab.json"
        self.ssh_dir = self.root / "ssh"
        self.client_key = self.ssh_dir / "id_ed25519"
        self.authorized_keys = self.ssh_dir / "authorized_keys"
        self.known_hosts = self.ssh_dir / "known_hosts"
        self.sim_dir = self.root / "sim"
        self.hook = self.sim_dir / "hooks" / "domain-event"
        self.bin_dir = self.root / "bin"
        self.build_dir = self.root / "build"
        self.fab_state_dir = self.root / "fab"

    def host_dir(self, host: str) -> Path:
        return self.root / "hosts" / host

    def host_root(self, host: str) -> Path:
        """Host ``host``'s own file tree; its directories are bound over the machine's in its namespace."""
        return self.host_dir(host) / "root"

    def host_bin(self, host: str) -> Path:
        return self.host_dir(host) / "bin"

    def lvm_dir(self, host: str) -> Path:
        return self.host_dir(host) / "lvm"

    def disk_image(self, host: str) -> Path:
        return self.host_dir(host) / "disk.img"

    def guest_dir(self, guest: str) -> Path:
        return self.root / "guests" / guest

    def guest_root(self, guest: str) -> Path:
        return self.guest_dir(guest) / "root"

    def guest_run(self, guest: str) -> Path:
        """Present while the guest is served: its pids, namespace and host."""
        return self.guest_dir(guest) / "run.json"

    def disk_dir(self, guest: str) -> Path:
        """The guest's files that live on its DRBD-replicated root disk."""
        return self.root / "disks" / guest


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(temp, path)
