"""Labs for tests: the lab inventory moved to random free loopback addresses, so labs run side by side.

```python
import pytest
from nagios_herd.lab.testing import module_lab

lab = pytest.fixture(scope="module")(module_lab)
# lab.herd (moved addresses), lab.inventory (the moved copy), lab.known_hosts, lab.client_key,
# lab.ssh(address, command), lab.crash(host), lab.reset() ...
```
or ``with running_lab(directory) as lab:`` anywhere.
The copy keeps names, VG names and sizes; only the ``address``/``replication_address`` of hosts and
guests change (127.a.b.c with a, b, c random, a != 0, so never the shipped lab's 127.0.x.x).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.inventory.loader import load
from nagios_herd.lab import sshd, volumes
from nagios_herd.lab.lab import Lab
from nagios_herd.lab.layout import SHIPPED_INVENTORY

PORTS = (22, 80, 5666)  # sshd on every machine, lighttpd on Nagios guests, NRPE on hosts


def free_address(taken: set[str], attempts: int = 200) -> str:
    """A random loopback address, not in ``taken``, with nothing on the lab's ports."""
    for _ in range(attempts):
        address = procs.random_loopback()
        if address not in taken and all(procs.port_free(address, port) for port in PORTS):
            taken.add(address)
            return address
    raise HerdError("lab testing: no free loopback address found")


def relocated_inventory(directory: Path, source: Path = SHIPPED_INVENTORY) -> Path:
    """Copy ``source`` and its team files into ``directory``, every machine on a fresh address."""
    herd = load(source)
    text = source.read_text()
    taken: set[str] = set()
    old = {host.address for host in herd.hosts} | {host.replication_address for host in herd.hosts}
    old |= {guest.address for guest in herd.guests}
    for address in sorted(old):
        text = text.replace(f'"{address}"', f'"{free_address(taken)}"')
    directory.mkdir(parents=True, exist_ok=True)
    for guest in herd.guests:
        team_file = Path(guest.team.source)
        relative = team_file.resolve().relative_to(source.resolve().parent)
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(team_file, directory / relative)
    target = directory / source.name
    target.write_text(text)
    return target


def unavailable() -> str | None:
    """Why a lab cannot run here (not root, no loop devices, no mount namespaces), or None."""
    if os.geteuid() != 0:
        return "the lab needs root"
    try:
        volumes.check_loop_support()
        sshd.check_namespace_support()
    except HerdError as error:
        return str(error)
    return None


@contextmanager
def running_lab(directory: Path, source: Path = SHIPPED_INVENTORY) -> Iterator[Lab]:
    """A lab of ``source`` on fresh addresses below ``directory``; always torn down afterwards."""
    inventory = relocated_inventory(directory / "inventory", source)
    lab = Lab(directory / "lab", load(inventory), inventory)
    try:
        lab.up()
        yield lab
    finally:
        lab.down()


def module_lab(tmp_path_factory) -> Iterator[Lab]:
    """Body of a pytest fixture: skipped where a lab cannot run, else a lab for the fixture's scope."""
    import pytest

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with running_lab(tmp_path_factory.mktemp("lab")) as lab:
        yield lab
