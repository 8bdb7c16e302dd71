"""A guest's files "on its replicated disk": one copy per host, kept as current as DRBD would keep it.

The simulator decides what each host's copy of a resource holds; its public measure is the canary
(:func:`nagios_herd.lab.sim.state.canary`, the guest's write counter as stored on that host). There is
no daemon copying files continuously, so the lab replicates at the moments that matter: when the
guest stops on a host, and just before the lab cuts the link or crashes a host (:func:`sync`), the
copy there is stamped with that host's counter and copied to every peer whose counter equals it (the
peer is connected and in sync: protocol C). When the guest starts on a host whose counter has reached
another copy's stamp, that host received those writes (e.g. by a later resync), so it takes that copy;
otherwise it keeps its own, and the guest comes back with what that disk really had — a write lost by
the simulator shows as lost Nagios state. (A link broken by ``drbdadm disconnect`` alone has no such
moment: the peer then keeps the copy of the last one.)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .layout import Layout
from .sim.state import SimStateError, snapshot


def _counters(layout: Layout, guest: str) -> dict[str, int]:
    """Every host's canary for the guest's resource, from ONE snapshot (the guest keeps writing)."""
    try:
        hosts = snapshot(str(layout.sim_dir))["resources"][guest]["hosts"]
        return {host: int(side["data"]) for host, side in hosts.items()}
    except (SimStateError, KeyError, TypeError, ValueError):
        return {}


def _stamp_file(layout: Layout, guest: str, host: str) -> Path:
    return layout.disk_dir(guest) / f"{host}.stamp"


def _stamp(layout: Layout, guest: str, host: str) -> int:
    try:
        return int(json.loads(_stamp_file(layout, guest, host).read_text())["data"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def sync(layout: Layout, guest: str, host: str, peers: list[str]) -> None:
    """Stamp the copy on ``host`` with its counter; copy it to every peer that holds the same data."""
    counters = _counters(layout, guest)
    own = layout.disk_dir(guest) / host
    if host not in counters or not own.is_dir():
        return
    _stamp_file(layout, guest, host).write_text(json.dumps({"data": counters[host]}) + "\n")
    for peer in peers:
        if counters.get(peer) == counters[host]:
            _replace(layout, guest, source=host, target=peer)


def _sockets_and_pipes(directory: str, names: list[str]) -> list[str]:
    """What a running daemon leaves that is not data (Nagios' command FIFO): not replicated."""
    return [name for name in names
            if not (os.path.isdir(os.path.join(directory, name)) or os.path.isfile(os.path.join(directory, name))
                    or os.path.islink(os.path.join(directory, name)))]


def _replace(layout: Layout, guest: str, source: str, target: str) -> None:
    disk = layout.disk_dir(guest)
    shutil.rmtree(disk / target, ignore_errors=True)
    shutil.copytree(disk / source, disk / target, symlinks=True, ignore=_sockets_and_pipes)
    shutil.copyfile(_stamp_file(layout, guest, source), _stamp_file(layout, guest, target))


def attach(layout: Layout, guest: str, host: str, peers: list[str]) -> Path:
    """The copy the guest starts with on ``host``, brought up to date first when replication did so."""
    own = layout.disk_dir(guest) / host
    counter = _counters(layout, guest).get(host)
    newest = max(peers, key=lambda peer: _stamp(layout, guest, peer), default=None)
    if (newest is not None and counter is not None
            and _stamp(layout, guest, host) < _stamp(layout, guest, newest) <= counter
            and (layout.disk_dir(guest) / newest).is_dir()):
        _replace(layout, guest, source=newest, target=host)
    own.mkdir(parents=True, exist_ok=True)
    return own
