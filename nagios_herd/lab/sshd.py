"""A real OpenSSH sshd per lab machine (host or guest), each in a mount namespace of its own.

``unshare --mount --propagation private`` gives the server a private copy of the mount table; bind
mounts made there (the machine's own ``/etc/xen`` shadowed by the host's directory, and so on) are seen
by every session it starts and by nothing else, so the machine's own files stay untouched. The lab's
keys pin both directions: each server has a host key the lab generated (listed in the lab's
``known_hosts``), and root logs in only with the lab's client key.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nagios_herd import procs
from nagios_herd.errors import HerdError

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it; systemd normally creates it


def keygen(path: Path, comment: str) -> None:
    """An ed25519 key pair at ``path`` (kept when it exists, so a revived host keeps its identity)."""
    if path.exists():
        return
    procs.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
              f"ssh-keygen {path}")


def known_hosts_lines(address: str, port: int, public_key_file: Path) -> list[str]:
    """Entries for ``address`` and ``[address]:port`` (OpenSSH and paramiko look up either)."""
    key_type, key = public_key_file.read_text().split()[:2]
    return [f"{address} {key_type} {key}", f"[{address}]:{port} {key_type} {key}"]


def config(*, address: str, port: int, host_key: Path, pid_file: Path, authorized_keys: Path,
           env: Mapping[str, str]) -> str:
    """sshd_config: key-only root login, no PAM (no machine-wide session side effects)."""
    set_env = " ".join(f"{key}={value}" for key, value in env.items())
    return f"""\
ListenAddress {address}:{port}
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 50
SetEnv {set_env}
Subsystem sftp internal-sftp
"""


def start(*, name: str, config_file: Path, binds: Sequence[tuple[Path, str]], log: Path,
          address: str, port: int, overlays: Sequence[tuple[Path, str]] = (),
          unmount: Sequence[str] = (), timeout: float = 30.0) -> dict[str, Any]:
    """Start ``sshd -D`` in a new mount namespace after the bind mounts; its :func:`procs.identity`.

    ``overlays`` are (layer, target) pairs: a read-only overlay puts the files of ``layer`` on top of
    the machine's ``target`` directory (how ``/usr/sbin/xl`` appears on a lab host). ``unmount`` lists
    mounts to drop first in the new namespace (a copy of the caller's) where they are mount points.
    ``binds`` are (source, target) pairs. A missing target directory is created empty on the machine
    (a mount point must exist) and left there: removing it would tear the mount out of other labs.
    """
    if not procs.port_free(address, port):
        raise HerdError(f"lab: {name}: {address}:{port} is already in use")
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    for _, target in binds:
        if not os.path.lexists(target):
            Path(target).mkdir(mode=0o755, parents=True, exist_ok=True)
    procs.run([SSHD, "-t", "-f", str(config_file)], f"{name}: sshd -t -f {config_file}")
    steps = [f"if mountpoint -q {shlex.quote(path)}; then umount -l {shlex.quote(path)}; fi" for path in unmount]
    steps += [f"mount --bind {shlex.quote(str(src))} {shlex.quote(dst)}" for src, dst in binds]
    for layer, target in overlays:
        if any(bad in f"{layer}{target}" for bad in ",:"):
            raise HerdError(f"lab: {name}: overlay path {layer} or {target} contains ',' or ':'")
        steps.append(f"mount -t overlay lab-{shlex.quote(name)} "
                     f"-o {shlex.quote(f'lowerdir={layer}:{target}')} {shlex.quote(target)}")
    steps.append(f"exec {SSHD} -D -e -f {shlex.quote(str(config_file))}")
    script = "set -e; " + "; ".join(steps)
    process = procs.start_server(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                 log, address, port, f"{name}: sshd", timeout)
    server = procs.identity(process.pid)
    if server["ns"] is None or server["start"] is None:
        raise HerdError(f"lab: {name}: sshd (pid {process.pid}) vanished after starting")
    return server


def check_namespace_support() -> None:
    """HerdError unless this machine lets us create mount namespaces with bind and overlay mounts."""
    with tempfile.TemporaryDirectory(prefix="nagios-herd-lab-check-") as scratch:
        upper, lower, target = (Path(scratch, name) for name in ("upper", "lower", "target"))
        for directory in (upper, lower, target):
            directory.mkdir()
        script = (f"mount --bind {shlex.quote(str(lower))} {shlex.quote(str(target))} && "
                  f"mount -t overlay lab-check -o {shlex.quote(f'lowerdir={upper}:{lower}')} "
                  f"{shlex.quote(str(target))}")
        try:
            procs.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], "unshare --mount")
        except HerdError:
            raise HerdError("lab: cannot create mount namespaces with bind and overlay mounts "
                            "(unshare --mount, mount -t overlay); the lab needs them") from None
