"""The lab as an object: build it up, tear it down, inject faults; every step recorded in ``lab.json``.

``Lab(state_dir, herd, inventory)`` builds a new lab; ``Lab.open(state_dir)`` re-reads a running one
(for ``down``, ``status`` and faults from another process). The record is written before anything is
made and updated after each step, so ``down`` can always undo a half-finished ``up``: it ends the
namespaces it recorded, detaches the loop devices it recorded (only if still backed by its own disk
image) and removes the state directory.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.lab import disks, guests, hosts, nrpe, provision, simlink, sshd, volumes
from nagios_herd.lab.layout import Layout, read_json, write_json
from nagios_herd.model import Herd, XenHost


class Lab:
    """One lab, everything below ``state_dir``; addresses and names come from ``herd``."""

    def __init__(self, state_dir: Path, herd: Herd, inventory: Path | None = None) -> None:
        self.layout = Layout(state_dir)
        self.herd = herd
        self.inventory = Path(inventory or herd.source).absolute()

    @classmethod
    def open(cls, state_dir: Path) -> Lab:
        """The lab recorded in ``state_dir``; HerdError when there is none."""
        from nagios_herd.inventory.loader import load

        record = read_json(Layout(state_dir).record)
        if record is None:
            raise HerdError(f"lab: no lab in {state_dir} (run: nagios-herd lab up)")
        return cls(state_dir, load(record["inventory"]), Path(record["inventory"]))

    # -- record -------------------------------------------------------------------------------
    def record(self) -> dict[str, Any] | None:
        return read_json(self.layout.record)

    def _save(self, record: dict[str, Any]) -> None:
        write_json(self.layout.record, record)

    def _host_record(self, name: str) -> dict[str, Any]:
        return (self.record() or {}).get("hosts", {}).get(name, {})

    def _update_host(self, name: str, **fields: Any) -> None:
        record = self.record() or {}
        record.setdefault("hosts", {}).setdefault(name, {}).update(fields)
        self._save(record)

    # -- queries ------------------------------------------------------------------------------
    @property
    def known_hosts(self) -> Path:
        return self.layout.known_hosts

    @property
    def client_key(self) -> Path:
        return self.layout.client_key

    def host_up(self, name: str) -> bool:
        return procs.alive(self._host_record(name))

    def ssh_argv(self, address: str, command: str, port: int = 22) -> list[str]:
        """An ``ssh`` argv reaching a lab machine as root with the lab's key and pinned host keys."""
        return ["ssh", "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                "-i", str(self.client_key), "-p", str(port), f"root@{address}", command]

    def ssh(self, address: str, command: str, port: int = 22, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``command`` on a lab machine over real SSH (text output, never raises on exit status)."""
        return subprocess.run(self.ssh_argv(address, command, port), capture_output=True, text=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)

    # -- lifecycle ----------------------------------------------------------------------------
    def up(self) -> str:
        """Build and start the lab; when it is already up, say so and change nothing."""
        if self.record() is not None:
            down = [host.name for host in self.herd.hosts if not self.host_up(host.name)]
            note = f"; hosts down: {', '.join(down)} (lab fault HOST revive)" if down else ""
            return f"lab already up in {self.layout.root}{note}"
        preflight()
        check_loopback(self.herd)
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self._save({"inventory": str(self.inventory), "hosts": {},
                    "origin_ns": procs.mount_ns(os.getpid())})
        try:
            self._build()
        except BaseException:
            self.down()
            raise
        return f"lab up in {self.layout.root}: " + ", ".join(
            f"{host.name} {host.address}:{host.ssh_port}" for host in self.herd.hosts)

    def _build(self) -> None:
        layout = self.layout
        layout.ssh_dir.mkdir(parents=True, exist_ok=True)
        sshd.keygen(layout.client_key, "nagios-herd lab client")
        shutil.copyfile(layout.client_key.with_suffix(".pub"), layout.authorized_keys)
        simlink.install(layout, self.herd)
        provision.deploy(layout, self.herd, self.inventory)
        for host in self.herd.hosts:
            hosts.prepare(layout, self.herd, host)
            self._make_volumes(host)
            self._start_host(host)
        hosts.seed_watch_state(layout, self.herd)
        for guest in self.herd.guests:
            guests.prepare(layout, self.herd, guest)
        self._write_known_hosts()
        self.reconcile_guests()
        provision.install_plugins(layout, self.herd)

    def _make_volumes(self, host: XenHost) -> None:
        image = self.layout.disk_image(host.name)
        plan = [(volume.name, volume.size_mb) for guest in self.herd.guests for volume in guest.volumes]
        loop = volumes.attach(image, volumes.disk_mb([size for _, size in plan]))
        self._update_host(host.name, loop=loop, image=str(image))
        volumes.create_vg(host, self.layout.lvm_dir(host.name), loop, plan)

    def _start_host(self, host: XenHost) -> None:
        """The host boots: its sshd (holding its namespace), then its NRPE daemon in that namespace."""
        server = hosts.start(self.layout, self.herd, host)
        self._update_host(host.name, **server, address=host.address, port=host.ssh_port)
        self._update_host(host.name, **nrpe.start(self.layout, host, server["pid"]))

    def _write_known_hosts(self) -> None:
        lines = []
        for host in self.herd.hosts:
            key = self.layout.host_dir(host.name) / "ssh_host_ed25519_key.pub"
            lines += sshd.known_hosts_lines(host.address, host.ssh_port, key)
        for guest in self.herd.guests:
            lines += sshd.known_hosts_lines(guest.address, 22, guests.host_key(self.layout, guest))
        self.layout.known_hosts.write_text("\n".join(lines) + "\n")

    def down(self) -> str:
        """End every process, loop device and file of this lab; safe to repeat."""
        return teardown(self.layout.root)

    def reconcile_guests(self) -> None:
        """Serve exactly the guests the simulator has running, each for its host (after a direct state change)."""
        running = simlink.running_guests(self.layout)
        for guest in self.herd.guests:
            if guest.name in running:
                guests.serve(self.layout, self.herd, guest, running[guest.name])
            else:
                guests.stop(self.layout, guest.name)

    def reset(self, resync_rate_mib: float | None = None) -> None:
        """Back to the state right after ``up``: hosts running, link healthy, guests on their preferred hosts.

        Disks (LVM) and keys stay; the simulator's state is initialised afresh (the tests' clean slate).
        """
        for host in self.herd.hosts:
            if not self.host_up(host.name):
                self._start_host(host)
        hosts.seed_watch_state(self.layout, self.herd)
        with simlink.hooks_paused(self.layout):
            simlink.reset(self.layout, self.herd, resync_rate_mib)
            disks.forget(self.layout)
            self.reconcile_guests()

    # -- faults -------------------------------------------------------------------------------
    def crash(self, name: str) -> None:
        """The host loses power: its sshd, every session on it and every guest it runs end at once."""
        host = self.herd.host(name)
        with simlink.hooks_paused(self.layout):
            for guest in self.herd.guests:
                guests.stop(self.layout, guest.name, host.name)
            procs.end_namespace(self._host_record(host.name), str(self.layout.root))
            self._update_host(host.name, pid=None, start=None, ns=None, nrpe_pid=None, nrpe_start=None, nrpe_ns=None)
            simlink.crash(self.layout, host.name)

    def revive(self, name: str) -> None:
        """The host boots again with the same keys and disks; no guest starts by itself."""
        host = self.herd.host(name)
        if not self.host_up(host.name):
            self._start_host(host)
        simlink.revive(self.layout, host.name)

    def cut_link(self) -> None:
        """The replication link breaks (the simulator's connection-lost hook levels the guests' disks)."""
        simlink.cut_link(self.layout)

    def heal_link(self) -> None:
        simlink.heal_link(self.layout)

    def slow_shutdown(self, name: str, seconds: float) -> None:
        simlink.slow_shutdown(self.layout, self.herd.host(name).name, seconds)

    def set_resync_rate(self, mib_per_second: float) -> None:
        """Resyncs run at ``mib_per_second`` from now on (0: they make no progress, a stalled resync)."""
        simlink.set_resync_rate(self.layout, mib_per_second)


def teardown(state_dir: Path) -> str:
    """``lab down`` from the record alone (the inventory may be gone by now); safe to repeat."""
    layout = Layout(state_dir)
    record = read_json(layout.record)
    if record is None:
        return f"lab not up in {layout.root}"
    with simlink.hooks_paused(layout):  # no guest may be served again behind our back
        for guest_dir in sorted(layout.root.glob("guests/*")):
            guests.stop(layout, guest_dir.name)
        for fields in record.get("hosts", {}).values():
            procs.end_namespace(fields, str(layout.root))
        for fields in record.get("hosts", {}).values():
            volumes.detach(fields.get("loop"), Path(fields.get("image", "")))
        try:
            shutil.rmtree(layout.root)
        except OSError as error:
            raise HerdError(f"lab down: cannot remove {layout.root}: {error}") from None
    return f"lab down: removed {layout.root}"


def check_loopback(herd: Herd) -> None:
    """Refuse an inventory whose machines are not on loopback addresses (the herd's real hosts)."""
    for what, address in [*((f"host {h.name}", h.address) for h in herd.hosts),
                          *((f"guest {g.name}", g.address) for g in herd.guests)]:
        if not ipaddress.ip_address(address).is_loopback:
            raise HerdError(f"lab: {herd.source}: {what} address {address} is not a loopback address "
                            "(the lab runs on this machine: use a lab inventory like etc/lab.toml)")


def preflight() -> None:
    """One clear line when this machine cannot run the lab."""
    if os.geteuid() != 0:
        raise HerdError("lab: must run as root (it starts sshd, attaches loop devices, mounts)")
    volumes.check_loop_support()
    sshd.check_namespace_support()
