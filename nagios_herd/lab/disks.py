"""A guest's files "on its replicated disk": one copy per host, kept as current as DRBD would keep it.

The simulator decides what each host's copy of a resource holds: its generation (``gen``, a new one
whenever a Primary loses its peer or a disconnected side is promoted), the generations it came from
(``history``) and the guest's write counter (``data``, the canary). There is no daemon copying files
continuously; while connected, the peer's copy is brought level at the two moments after which it can
differ from the Primary's:

- the guest stops on a host (:func:`sync`): the copy there is stamped with that host's state and copied
  to every peer holding the very same gen and data (connected and in sync: protocol C);
- the simulator loses a connection while in sync (``drbdadm disconnect`` or ``down``, a cut link, a
  crashed host): its ``hooks/connection-lost`` runs before the command returns and calls :func:`part`,
  so the peer keeps exactly what the guest had written until then.

When the guest starts on a host whose disk by now *contains* a peer's stamped copy (same generation and
at least as many writes, or that generation in its history: a later resync or a resolved split brain
brought it) and its own copy does not, it takes that copy; otherwise it keeps its own, and the guest
comes back with what that disk really had: a write the simulator lost shows as lost Nagios state.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from nagios_herd.lab.layout import Layout
from nagios_herd.lab.sim.state import SimStateError, snapshot

Stamp = dict[str, Any]  # {"gen": int | None, "data": int, "history": [int, ...]}


def _states(layout: Layout, guest: str) -> dict[str, Stamp]:
    """Every host's side of the guest's resource, from ONE snapshot (the guest keeps writing)."""
    try:
        hosts = snapshot(str(layout.sim_dir))["resources"][guest]["hosts"]
        return {host: {"gen": side["gen"], "data": int(side["data"]), "history": list(side["history"])}
                for host, side in hosts.items()}
    except (SimStateError, KeyError, TypeError, ValueError):
        return {}


def _stamp_file(layout: Layout, guest: str, host: str) -> Path:
    return layout.disk_dir(guest) / f"{host}.stamp"


def _stamp(layout: Layout, guest: str, host: str) -> Stamp | None:
    try:
        stamp = json.loads(_stamp_file(layout, guest, host).read_text())
        return {"gen": stamp["gen"], "data": int(stamp["data"]), "history": list(stamp["history"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _contains(state: Stamp | None, stamp: Stamp | None) -> bool:
    """True when a disk in ``state`` holds every write of the copy stamped ``stamp``."""
    if state is None or stamp is None or stamp["gen"] is None:
        return False
    if state["gen"] == stamp["gen"]:
        return state["data"] >= stamp["data"]
    return stamp["gen"] in state["history"]


def sync(layout: Layout, guest: str, host: str, peers: list[str]) -> None:
    """Stamp the copy on ``host`` with its state; copy it to every peer holding the same gen and data."""
    states = _states(layout, guest)
    if host in states:
        mine = states[host]
        _publish(layout, guest, host, mine, [peer for peer in peers if peer in states and
                                             (states[peer]["gen"], states[peer]["data"]) == (mine["gen"], mine["data"])])


def part(layout: Layout, guest: str, primary: str, peer: str, shared: Stamp) -> None:
    """The Primary lost its peer while both held ``shared``: the peer's copy is the Primary's as of now."""
    _publish(layout, guest, primary, shared, [peer])


def _publish(layout: Layout, guest: str, host: str, state: Stamp, peers: list[str]) -> None:
    if not (layout.disk_dir(guest) / host).is_dir():
        return
    _stamp_file(layout, guest, host).write_text(json.dumps(state) + "\n")
    for peer in peers:
        _replace(layout, guest, source=host, target=peer)


def _sockets_and_pipes(directory: str, names: list[str]) -> list[str]:
    """What a running daemon leaves that is not data (Nagios' command FIFO): not replicated."""
    return [name for name in names
            if not (os.path.isdir(os.path.join(directory, name)) or os.path.isfile(os.path.join(directory, name))
                    or os.path.islink(os.path.join(directory, name)))]


def _replace(layout: Layout, guest: str, source: str, target: str) -> None:
    disk = layout.disk_dir(guest)
    shutil.rmtree(disk / target, ignore_errors=True)
    try:
        shutil.copytree(disk / source, disk / target, symlinks=True, ignore=_sockets_and_pipes)
    except shutil.Error:
        pass  # files the running guest removed meanwhile (temp files renamed over): a crash-consistent copy
    shutil.copyfile(_stamp_file(layout, guest, source), _stamp_file(layout, guest, target))


def move(layout: Layout, guest: str, source: str, target: str) -> None:
    """A live migration: the copy in use (``source``'s directory) becomes ``target``'s, and ``source`` keeps
    a copy of it, both stamped with the state they had in sync."""
    disk = layout.disk_dir(guest)
    if not (disk / source).is_dir():
        return
    shutil.rmtree(disk / target, ignore_errors=True)
    os.rename(disk / source, disk / target)
    (disk / source).mkdir()
    state = _states(layout, guest).get(target)
    if state is not None:
        _stamp_file(layout, guest, target).write_text(json.dumps(state) + "\n")
        _replace(layout, guest, source=target, target=source)


def attach(layout: Layout, guest: str, host: str, peers: list[str]) -> Path:
    """The copy the guest starts with on ``host``, brought up to date first when replication did so."""
    own = layout.disk_dir(guest) / host
    now = _states(layout, guest).get(host)
    mine = _stamp(layout, guest, host)
    for peer in peers:
        theirs = _stamp(layout, guest, peer)
        if (_contains(now, theirs) and not _contains(mine, theirs)
                and (layout.disk_dir(guest) / peer).is_dir()):
            _replace(layout, guest, source=peer, target=host)
            mine = theirs
    own.mkdir(parents=True, exist_ok=True)
    return own


def forget(layout: Layout) -> None:
    """The simulator started afresh (``Lab.reset``): stamps name generations of the old state, which
    the new one reuses; without them a copy is taken over only once the new state says so."""
    for stamp in layout.root.glob("disks/*/*.stamp"):
        stamp.unlink(missing_ok=True)
