"""Put the herd's generated files on the lab machines, as a fresh install of the herd would.

``nagios-herd generate`` (the real command, same inventory) writes ``STATE/build``; each host's tree is
copied into that host's own root (``/etc/xen/G.cfg``, ``/etc/drbd.d/G.res``, NRPE, sudoers, volume plan)
and each guest's ``/etc/nagios4`` into the guest's root. Every host and guest also gets its own, empty,
plugin directory (the inventory's ``paths.plugin_dir``); once they answer SSH, :func:`install_plugins` fills it
the production way: the plugin bundle installed over SSH exactly as ``fab deploy`` installs it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.lab.layout import Layout
from nagios_herd.model import Herd

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


def install_plugins(layout: Layout, herd: Herd) -> None:
    """The plugin bundle into every host's and guest's plugin dir, over SSH, as ``fab deploy`` does it."""
    from nagios_herd.ops import plugins
    from nagios_herd.ops.bundle import build
    from nagios_herd.ops.remote import Endpoint, Session, SshOptions

    bundle = build()
    machines = [*herd.hosts, *(Endpoint(guest.name, guest.address) for guest in herd.guests)]
    options = SshOptions(known_hosts=layout.known_hosts, identity=layout.client_key)
    with Session(machines, options) as session:
        down = [f"{link.name} ({link.down})" for link in session.links.values() if link.down]
        if down:
            raise HerdError(f"lab: cannot install the plugins, unreachable: {', '.join(down)}")
        with ThreadPoolExecutor(max_workers=len(machines)) as pool:
            list(pool.map(lambda link: plugins.install(link, herd.paths.plugin_dir, bundle, io.StringIO()),
                          session.links.values()))


def deploy(layout: Layout, herd: Herd, inventory: Path) -> None:
    """Generate the herd's files and copy each machine's share into its own root."""
    generate(inventory, layout.build_dir)
    for host in herd.hosts:
        tree = layout.build_dir / "hosts" / host.name
        if not tree.is_dir():
            raise HerdError(f"lab: generate wrote no tree for host {host.name} ({tree})")
        shutil.copytree(tree, layout.host_root(host.name), dirs_exist_ok=True)
        (layout.host_root(host.name) / herd.paths.plugin_dir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for guest in herd.guests:
        tree = layout.build_dir / "guests" / guest.name
        if not tree.is_dir():
            raise HerdError(f"lab: generate wrote no tree for guest {guest.name} ({tree})")
        shutil.copytree(tree, layout.guest_root(guest.name), dirs_exist_ok=True)
        (layout.guest_dir(guest.name) / "plugins").mkdir(parents=True, exist_ok=True)
