"""Put the herd's generated files on the lab machines, as a fresh install of the herd would.

``nagios-herd generate`` (the real command, same inventory) writes ``STATE/build``; each host's tree is
copied into that host's own root (``/etc/xen/G.cfg``, ``/etc/drbd.d/G.res``, NRPE, sudoers, volume plan)
and each guest's ``/etc/nagios4`` into the guest's root. Every host and guest also gets its own plugin
directory (the inventory's ``paths.plugin_dir``) holding links to the checkout's check plugins, so the
generated NRPE and Nagios commands find them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.lab.layout import Layout
from nagios_herd.model import Herd

CHECKS_DIR = Path(__file__).resolve().parent.parent.parent / "checks"


def generate(inventory: Path, output: Path) -> None:
    """Run ``nagios-herd generate`` into ``output``; HerdError with its message when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "nagios_herd.cli", "generate", "--inventory", str(inventory),
         "--output", str(output)],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=300,
    )
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise HerdError(f"lab: nagios-herd generate --inventory {inventory} failed: {tail}")


def link_plugins(directory: Path) -> None:
    """``directory/check_*`` -> the checkout's launchers (they find the package from their real path)."""
    directory.mkdir(parents=True, exist_ok=True)
    for plugin in sorted(CHECKS_DIR.glob("check_*")):
        link = directory / plugin.name
        if not link.is_symlink() and not link.exists():
            link.symlink_to(plugin)


def deploy(layout: Layout, herd: Herd, inventory: Path) -> None:
    """Generate the herd's files and copy each machine's share into its own root."""
    generate(inventory, layout.build_dir)
    for host in herd.hosts:
        tree = layout.build_dir / "hosts" / host.name
        if not tree.is_dir():
            raise HerdError(f"lab: generate wrote no tree for host {host.name} ({tree})")
        shutil.copytree(tree, layout.host_root(host.name), dirs_exist_ok=True)
        link_plugins(layout.host_root(host.name) / herd.paths.plugin_dir.lstrip("/"))
    for guest in herd.guests:
        tree = layout.build_dir / "guests" / guest.name
        if not tree.is_dir():
            raise HerdError(f"lab: generate wrote no tree for guest {guest.name} ({tree})")
        shutil.copytree(tree, layout.guest_root(guest.name), dirs_exist_ok=True)
        link_plugins(layout.guest_dir(guest.name) / "plugins")
