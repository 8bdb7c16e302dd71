"""Slow-changing host facts the target checks and ``verify`` need: free memory, LVs, config checksums.

Probed once per run per host (they do not change while guests move), through the project's parsers
(``xen.parse_info``, ``lvm.parse_report``). Config checksums are sha256 over the lines that are not
comments (the generator names the host in a comment; what xl reads must be identical); a missing file is
simply absent from the answer, and each config is checked to use the guest's DRBD device
(``/dev/drbd/by-res/<guest>/``). ``verify`` also asks (``audit=True``) for the host's configured addresses
(``ip -json address show``, each with its prefix length) and for the owner and mode of the deployed files that hold
a secret or grant privilege (one ``stat`` over all of them), which the moving tasks do not need.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from nagios_herd.model import Herd, XenHost
from nagios_herd.ops.probe import run_parsed
from nagios_herd.ops.remote import Link
from nagios_herd.parsers import ip_addr, lvm, xen

XEN_CONFIG = "/etc/xen/{guest}.cfg"
CONFIG_DIGESTS = ('for f; do [ -f "$f" ] || continue; g=${f##*/}; g=${g%.cfg}; '
                  'd=$(grep -v "^[[:space:]]*#" "$f" | sha256sum); '
                  'if grep -v "^[[:space:]]*#" "$f" | grep -q "/dev/drbd/by-res/$g/"; then r=drbd; else r=-; fi; '
                  'echo "${d%% *} $r $f"; done')

DRBD_DIR = "/etc/drbd.d"  # its *.res files are audited too, whatever resources they are for
AUDITED_DIRS = (DRBD_DIR, "/etc/sudoers.d", "/etc/nagios/nrpe.d")  # DRBD_DIR first: the script's $1
AUDITED_FILES = (f"{DRBD_DIR}/global_common.conf", "/etc/sudoers.d/nagios-herd", "/etc/nagios/nrpe.d/nagios-herd.cfg")
# Owner uid and octal mode of each path that exists (symlinks followed: what reads the content counts).
FILE_MODES = 'for f in "$@" "$1"/*.res; do [ -e "$f" ] && stat -L -c "%u %a %n" -- "$f"; done; true'


@dataclass(frozen=True)
class HostFacts:
    host: str
    free_mb: int | None = None
    info: xen.HostInfo | None = None
    lvs: lvm.Report | None = None
    checksums: dict[str, str] = field(default_factory=dict)  # path -> sha256
    on_drbd: frozenset[str] = frozenset()  # configs whose disk is the guest's /dev/drbd/by-res/<guest>/
    bridge: bool | None = None  # the host's guest bridge exists (None: not asked)
    addresses: tuple[ip_addr.Address, ...] | None = None  # configured addresses (None: not asked or unreadable)
    modes: dict[str, tuple[int, int]] | None = None  # audited path -> (owner uid, mode); None: not asked or unread

    def lv_size(self, vg: str, name: str) -> int | None:
        """Size in bytes of ``vg/name``, None when it does not exist."""
        if self.lvs is None:
            return None
        return next((lv.size for lv in self.lvs.lvs if lv.vg == vg and lv.name == name), None)


def lvs_command(vg: str) -> list[str]:
    return ["lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
            "-o", "vg_name,lv_name,lv_size,lv_attr,origin", vg]


def gather(herd: Herd, host: XenHost, link: Link, *, audit: bool = False) -> HostFacts:
    """Everything at once; a down host gives empty facts (its ``down`` is on the link). ``audit``: verify's
    extra facts too."""
    if link.down is not None:
        return HostFacts(host.name)
    paths = [XEN_CONFIG.format(guest=guest.name) for guest in herd.guests]
    with ThreadPoolExecutor(max_workers=5 if audit else 3) as pool:
        info_ = pool.submit(run_parsed, link, ["xl", "info"], xen.parse_info, "xl info")
        report_ = pool.submit(run_parsed, link, lvs_command(host.volume_group), lvm.parse_report, "lvs")
        bridge = pool.submit(link.run, ["test", "-e", f"/sys/class/net/{host.bridge}"], timeout=20)
        addresses = pool.submit(_addresses, link) if audit else None
        modes = pool.submit(_modes, link) if audit else None
        result = pool.submit(link.run, ["sh", "-c", CONFIG_DIGESTS, "sh", *paths], timeout=20).result()
        info, report = info_.result(), report_.result()
    checksums, on_drbd = {}, set()
    for line in result.stdout.splitlines():
        digest, device, path = (line.split(" ", 2) + ["", ""])[:3]
        if len(digest) == 64 and path:
            checksums[path] = digest
            if device == "drbd":
                on_drbd.add(path)
    return HostFacts(host.name, info.free_memory_mb, info, report, checksums, on_drbd=frozenset(on_drbd),
                     bridge=bridge.result().ok, addresses=addresses.result() if addresses else None,
                     modes=modes.result() if modes else None)


def _addresses(link: Link) -> tuple[ip_addr.Address, ...] | None:
    """The host's configured addresses; None when ``ip`` is missing or answers something unreadable (verify
    says so rather than guessing the networks)."""
    result = link.run(["ip", "-json", "address", "show"], timeout=20)
    try:
        return ip_addr.parse_addresses(result.stdout) if result.ok else None
    except ip_addr.IpAddrError:
        return None


def _modes(link: Link) -> dict[str, tuple[int, int]] | None:
    """Owner uid and mode of each audited path that exists (every ``/etc/drbd.d/*.res`` included); None when the
    host could not say."""
    result = link.run(["sh", "-c", FILE_MODES, "sh", *AUDITED_DIRS, *AUDITED_FILES], timeout=20)
    if not result.ok:
        return None
    modes = {}
    for line in result.stdout.splitlines():
        uid, mode, path = (line.split(" ", 2) + ["", ""])[:3]
        if uid.isdigit() and mode and all(c in "01234567" for c in mode) and path.startswith("/"):
            modes[path] = (int(uid), int(mode, 8))
    return modes
