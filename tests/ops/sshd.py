"""A throw-away OpenSSH sshd on a random free loopback address, with its own host and client keys.

Used by the connection tests (pinned keys, unknown key refused, connect timeout) that do not need the lab.
"""

from __future__ import annotations

import random
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Sshd:
    address: str
    port: int
    known_hosts: Path
    identity: Path
    process: subprocess.Popen


def free_loopback(port: int = 22) -> str:
    """A 127.x.y.z address nobody listens on at ``port`` (random, so parallel test runs do not collide)."""
    for _ in range(200):
        address = f"127.{random.randint(100, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex((address, port)) != 0:
                return address
    raise RuntimeError("no free loopback address")


def start_sshd(directory: Path) -> Sshd:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    host_key, client_key = directory / "host_key", directory / "client_key"
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    address, port = free_loopback(), 22
    config = directory / "sshd_config"
    config.write_text(
        f"ListenAddress {address}:{port}\nHostKey {host_key}\nPidFile {directory}/sshd.pid\n"
        f"AuthorizedKeysFile {directory}/authorized_keys\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        "MaxSessions 10\n")
    process = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"{address} {(directory / 'host_key.pub').read_text().split(' ', 2)[0]} "
                           f"{(directory / 'host_key.pub').read_text().split(' ', 2)[1]}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((address, port)) == 0:
                return Sshd(address, port, known_hosts, client_key, process)
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("sshd did not listen")


def stop_sshd(sshd: Sshd) -> None:
    sshd.process.terminate()
    try:
        sshd.process.wait(5)
    except subprocess.TimeoutExpired:
        sshd.process.kill()
        sshd.process.wait()
