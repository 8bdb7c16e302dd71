"""The lab's shared replication state: one JSON file per lab, read and written under an fcntl lock.

There is no daemon. Every simulator command (and every fault) locks the file, loads it, lets time pass
(:meth:`Lab.advance`: guest writes, resync progress, finished shutdowns), applies its change, settles
the connections (handshakes, lost links) and saves it atomically. Both lab hosts point
``NAGIOS_HERD_LAB_STATE`` at the same directory, so each sees what the other did, the way two DRBD
peers see each other over the wire.

Python API for tests and the lab: :func:`init_state`, :func:`transaction`, :func:`canary`,
:func:`acknowledged`, :func:`snapshot`, :func:`stop_hooks` (faults are in :mod:`.faults`).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nagios_herd.lab.sim.engine import Lab, new_side

if TYPE_CHECKING:
    from nagios_herd.model import Herd

STATE_FILE = "sim-state.json"
LOCK_FILE = "sim-state.lock"
HOOK = os.path.join("hooks", "domain-event")
LOST_HOOK = os.path.join("hooks", "connection-lost")
DEFAULT_RESYNC_RATE_MIB = 100.0
DEFAULT_SHUTDOWN_SECONDS = 0.3
DEFAULT_MIGRATE_SECONDS_PER_GIB = 1.0  # ``xl migrate``'s memory copy: a 512 MiB guest takes half a second


class SimStateError(RuntimeError):
    """The state directory is missing or unusable; the message is one line for the operator."""


def state_dir_from_env() -> str:
    path = os.environ.get("NAGIOS_HERD_LAB_STATE", "")
    if not path:
        raise SimStateError("NAGIOS_HERD_LAB_STATE is not set (the lab's shared state directory)")
    return path


def metadata_kib(root_kib: int) -> int:
    """Internal DRBD 9 metadata for one peer: 4 KiB superblock, 32 KiB activity log, the bitmap."""
    bitmap_kib = -(-root_kib // (32 * 1024))
    return 36 + -(-bitmap_kib // 4) * 4


def init_state(state_dir: str, herd: Herd, *, resync_rate_mib: float | None = None) -> None:
    """A freshly set-up herd: every resource up and Connected, UpToDate/UpToDate, Primary on the guest's
    preferred host, the guest running there. Overwrites any previous state of this lab."""
    os.makedirs(state_dir, exist_ok=True)
    now = time.time()
    rate = resync_rate_mib or float(os.environ.get("NAGIOS_HERD_LAB_RESYNC_RATE", DEFAULT_RESYNC_RATE_MIB))
    data: dict[str, Any] = {
        "version": 1, "clock": now, "link": "up", "events": [],
        "settings": {"resync_rate_mib": rate, "write_interval": 0.2, "write_kib": 4,
                     "migrate_seconds_per_gib": DEFAULT_MIGRATE_SECONDS_PER_GIB},
        "hosts": {}, "resources": {}, "domains": {},
    }
    for node_id, host in enumerate(herd.hosts):
        data["hosts"][host.name] = {
            "node_id": node_id, "alive": True, "booted_at": now, "next_domid": 1,
            "memory_mb": host.memory_mb, "dom0_memory_mb": host.dom0_memory_mb,
            "address": host.replication_address, "ssh_address": host.address, "shutdown_seconds": DEFAULT_SHUTDOWN_SECONDS,
            "volume_group": host.volume_group,
            "boot_seconds": 0.0,
        }
        data["domains"][host.name] = {}
    by_minor = sorted(herd.guests, key=lambda guest: guest.drbd_minor)
    resync_after = {later.name: earlier.name for earlier, later in zip(by_minor, by_minor[1:])}  # as rendered
    for guest in herd.guests:
        root_kib = guest.root_mb * 1024
        sides = {}
        for host in herd.hosts:
            side = new_side(md=True)
            side.update(up=True, disk="UpToDate", gen=1)
            if host.name == guest.preferred_host:
                side["role"] = "Primary"
            sides[host.name] = side
        data["resources"][guest.name] = {
            "minor": guest.drbd_minor, "port": guest.drbd_port,
            "size_kib": root_kib - metadata_kib(root_kib), "hosts": sides,
            "connected": True, "sync": None, "next_gen": 2, "acked": 0, "protocol": herd.drbd_protocol,
            "resync_after": resync_after.get(guest.name),
            "guest": {"memory_mb": guest.memory_mb, "vcpus": guest.vcpus, "mac": guest.mac},
        }
    lab = Lab(data, now)
    for guest in herd.guests:
        lab.start_domain(guest.preferred_host, guest.name, _initial_config(guest, herd))
    with locked(state_dir):
        _save(state_dir, lab.data)
    _run_hooks(state_dir, lab)


def _initial_config(guest: Any, herd: Herd) -> dict[str, Any]:
    host = herd.host(guest.preferred_host)
    return {
        "name": guest.name, "memory": guest.memory_mb, "vcpus": guest.vcpus,
        "disk": [f"phy:/dev/drbd/by-res/{guest.name}/0,xvda,w",
                 f"phy:/dev/{host.volume_group}/{guest.swap_lv},xvdb,w"],
        "vif": [f"mac={guest.mac},bridge={host.bridge}"],
    }


@contextmanager
def locked(state_dir: str, name: str = LOCK_FILE) -> Iterator[None]:
    """Hold the lab's lock file ``name`` (the state's, or the hook runner's ``hooks.lock``) exclusively."""
    if not os.path.isdir(state_dir):
        raise SimStateError(f"{state_dir}: the lab state directory does not exist (is the lab up?)")
    fd = os.open(os.path.join(state_dir, name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _load(state_dir: str) -> dict[str, Any]:
    path = os.path.join(state_dir, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise SimStateError(f"{path}: no lab state (run 'nagios-herd lab up' first)") from None
    except (OSError, ValueError) as exc:
        raise SimStateError(f"{path}: unreadable lab state: {exc}") from None


def _save(state_dir: str, data: dict[str, Any]) -> None:
    path = os.path.join(state_dir, STATE_FILE)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"))
    os.replace(tmp, path)


@contextmanager
def transaction(state_dir: str, *, now: float | None = None, spawn: bool = True) -> Iterator[Lab]:
    """Lock, load, let time pass, hand the :class:`Lab` to the caller, settle, save, fire hooks.

    The change is saved (and its hooks fired) even when the caller raises: a refused command still
    consumed time, and guests may have stopped meanwhile."""
    lab: Lab | None = None
    try:
        with locked(state_dir):
            lab = Lab(_load(state_dir), time.time() if now is None else now)
            lab.advance()
            try:
                yield lab
            finally:
                lab.settle()
                _save(state_dir, lab.data)
    finally:
        if lab is not None:
            _tell_parted(state_dir, lab)
        if spawn and lab is not None:
            _run_hooks(state_dir, lab)


def _tell_parted(state_dir: str, lab: Lab) -> None:
    """Run ``hooks/connection-lost RES PRIMARY PEER PEER_STATE_JSON`` for each connection this transaction
    lost while in sync, before the command returns (so what the guest wrote before it is on the peer)."""
    hook = os.path.join(state_dir, LOST_HOOK)
    if not lab.parted or not os.access(hook, os.X_OK):
        return
    import subprocess  # only when a connection was lost: keeps read-only commands quick to start

    with open(os.path.join(state_dir, "hooks.log"), "ab") as log:
        for res, primary, peer, side in lab.parted:
            try:
                subprocess.run([hook, res, primary, peer, json.dumps(side)],  # noqa: S603 - fixed argv
                               stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=120, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.write(f"{hook} {res}: {exc}\n".encode())


def _run_hooks(state_dir: str, lab: Lab) -> None:
    """Start the hook runner in its own session when this transaction queued a domain event or set a
    shutdown deadline (the runner fires events in order, so xl never waits for a hook)."""
    if not lab.wake:
        return
    import subprocess  # only when there is something to fire: keeps read-only commands quick to start

    log = open(os.path.join(state_dir, "hooks.log"), "ab")  # noqa: SIM115 - handed to the child
    with log:
        subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-sS", "-m", "nagios_herd.lab.sim.hooks", state_dir],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "PYTHONPATH": _package_root()},
        )


def _package_root() -> str:
    import nagios_herd

    return os.path.dirname(os.path.dirname(os.path.abspath(nagios_herd.__file__)))


def stop_hooks(state_dir: str) -> None:
    """Drop queued domain events and fire no more (``lab down``): runners still waiting exit quietly."""
    with transaction(state_dir, spawn=False) as lab:
        lab.data["events"] = []
        lab.data["hooks_stopped"] = True


def snapshot(state_dir: str) -> dict[str, Any]:
    """The whole state after letting time pass (read-only use: tests, ``lab status``)."""
    with transaction(state_dir) as lab:
        return json.loads(json.dumps(lab.data))


def canary(state_dir: str, resource: str, host: str) -> int:
    """The guest's write counter as stored on ``host``'s copy of the resource."""
    return int(snapshot(state_dir)["resources"][resource]["hosts"][host]["data"])


def acknowledged(state_dir: str, resource: str) -> int:
    """How many writes the guest was told were durable, over its whole life, on any host."""
    return int(snapshot(state_dir)["resources"][resource]["acked"])
