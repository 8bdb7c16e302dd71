"""A cluster node for the fab tests: the real Pacemaker CLI tools on a saved cluster state (``CIB_file``).

After each command that changes the cluster, the scheduler runs (crm_simulate) until it is idle, as a live
cluster would. DRBD's ``drbdadm`` cannot run without the kernel module: its calls are recorded. Files the tasks
copy or write under ``/var/lib`` land under ``root``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from simulation import Cluster

from nagios_herd.ops.remote import Result

CHANGES = {"crm_resource": ("--move", "--clear", "--set-parameter", "--cleanup"), "crm_attribute": ("--update",),
           "cibadmin": ("--replace",)}


@dataclass
class Shared:
    """The cluster both nodes see: its current state file, and what DRBD was told."""

    cluster: Cluster
    state: Path
    root: Path
    drbd: list[tuple[str, list[str]]] = field(default_factory=list)


class SimNode:
    def __init__(self, name: str, shared: Shared, down: str | None = None) -> None:
        self.name = name
        self.shared = shared
        self.down = down

    def _local(self, arg: str) -> str:
        return str(self.shared.root / arg.lstrip("/")) if arg.startswith("/var/lib/") else arg

    def run(self, argv, *, timeout: float = 60) -> Result:
        argv = [self._local(str(arg)) for arg in argv]
        if argv[0] == "drbdadm":
            self.shared.drbd.append((self.name, argv))
            return Result(self.name, shlex.join(argv), 0, "", "")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                              env={**os.environ, "CIB_file": str(self.shared.state)})
        if done.returncode == 0 and any(flag in argv for flag in CHANGES.get(argv[0], ())):
            self.shared.state = self.shared.cluster.settle(self.shared.state).state
        return Result(self.name, shlex.join(argv), done.returncode, done.stdout, done.stderr)

    def put(self, local: Path, remote: str) -> None:
        target = Path(self._local(remote))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, target)
