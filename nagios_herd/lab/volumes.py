"""A real LVM volume group per lab host, on a sparse file behind a loop device.

Both hosts use the same VG name (as the real pair does), so each host gets its own ``LVM_SYSTEM_DIR``
whose ``lvm.conf`` accepts only that host's loop device: each sees only its own PV. This machine has no
device-mapper, so activation is disabled and LVs are created with ``-an -Zn``; ``lvs`` shows their state
as ``X`` (unknown). Locks, hints, backups and archives live under the host's directory, so several labs
(and the machine's own LVM) never share a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.model import XenHost

MIN_DISK_MB = 4096
HEADROOM_MB = 1024


def lvm_conf(system_dir: Path, loop_device: str) -> str:
    """lvm.conf seeing only ``loop_device``; no activation, no udev, nothing outside ``system_dir``."""
    return f"""\
config {{
    checks = 1
}}
devices {{
    use_devicesfile = 0
    filter = [ "a|^{loop_device}$|", "r|.*|" ]
    global_filter = [ "a|^{loop_device}$|", "r|.*|" ]
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    hints = "none"
}}
global {{
    activation = 0
    locking_dir = "{system_dir}/lock"
    use_lvmlockd = 0
    event_activation = 0
}}
activation {{
    udev_sync = 0
    udev_rules = 0
    monitoring = 0
}}
backup {{
    backup = 1
    backup_dir = "{system_dir}/backup"
    archive = 1
    archive_dir = "{system_dir}/archive"
}}
"""


def lvm_env(system_dir: Path) -> dict[str, str]:
    """The environment the LVM tools need to act as this host."""
    return {**os.environ, "LVM_SYSTEM_DIR": str(system_dir), "LVM_SUPPRESS_FD_WARNINGS": "1",
            "LC_ALL": "C"}


def disk_mb(volume_sizes_mb: list[int]) -> int:
    """Size of the sparse disk: the guests' LVs plus headroom, keeping the VG comfortably free."""
    needed = sum(volume_sizes_mb) * 3 // 2 + HEADROOM_MB
    return max(MIN_DISK_MB, -(-needed // 1024) * 1024)


def attach(image: Path, size_mb: int) -> str:
    """Create the sparse ``image`` and attach it to a free loop device; the device path."""
    with open(image, "wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    return procs.run(["losetup", "--find", "--show", str(image)], f"losetup {image}").strip()


def detach(loop_device: str | None, image: Path) -> None:
    """Detach ``loop_device`` if it is still backed by ``image`` (never someone else's device)."""
    if not loop_device:
        return
    name = Path(loop_device).name
    try:
        backing = Path(f"/sys/block/{name}/loop/backing_file").read_text().strip()
    except OSError:
        return
    if backing.removesuffix(" (deleted)") == str(image):
        procs.run(["losetup", "--detach", loop_device], f"losetup --detach {loop_device}")


def create_vg(host: XenHost, system_dir: Path, loop_device: str,
              volumes: list[tuple[str, int]]) -> None:
    """Write the host's lvm.conf, then pvcreate, vgcreate and one lvcreate per (name, size_mb)."""
    for sub in ("lock", "backup", "archive"):
        (system_dir / sub).mkdir(parents=True, exist_ok=True)
    (system_dir / "lvm.conf").write_text(lvm_conf(system_dir, loop_device))
    env = lvm_env(system_dir)
    procs.run(["pvcreate", "-ff", "-y", loop_device], f"pvcreate {loop_device}", env)
    procs.run(["vgcreate", host.volume_group, loop_device], f"{host.name}: vgcreate", env)
    for name, size_mb in volumes:
        procs.run(["lvcreate", "--driverloaded", "n", "-an", "-Zn", "-y", "-L", f"{size_mb}m",
                   "-n", name, host.volume_group], f"{host.name}: lvcreate {name}", env)


def report(system_dir: Path) -> str:
    """``vgs`` + ``lvs`` JSON reports of this host, for ``nagios_herd.parsers.lvm.parse_report``."""
    env = lvm_env(system_dir)
    out = []
    for tool in ("vgs", "lvs"):
        out.append(procs.run([tool, "--reportformat", "json", "--units", "b", "--nosuffix"],
                             tool, env))
    return "".join(out)


def check_loop_support() -> None:
    """HerdError unless a free loop device can be found."""
    try:
        procs.run(["losetup", "--find"], "losetup --find")
    except HerdError:
        raise HerdError("lab: no free loop device (losetup -f failed); the lab needs loop devices")
