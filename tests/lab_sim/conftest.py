"""A two-host simulator lab in a temp dir: shared state, per-host DRBD configuration, tools run as
subprocesses exactly as the lab's wrappers run them (no sshd needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nagios_herd.lab.sim import faults
from nagios_herd.lab.sim.state import init_state, snapshot
from nagios_herd.model import Guest, Herd, Team, XenHost

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
HOSTS = ("primary", "backup")


def make_herd() -> Herd:
    team = Team("ops", "Ops", (), (), ())
    hosts = (XenHost("primary", "primary", "127.0.0.11", "127.0.0.11", 1024, 256, "vg_herd", "xenbr0"),
             XenHost("backup", "backup", "127.0.0.12", "127.0.0.12", 1024, 256, "vg_herd", "xenbr0"))
    guests = (Guest("team-db", team, "primary", 128, 1, "127.0.1.2", "00:16:3e:00:00:02", 64, 16, 2, 7790),
              Guest("team-ops", team, "backup", 128, 1, "127.0.1.3", "00:16:3e:00:00:03", 64, 16, 3, 7791))
    return Herd("lab", hosts, guests, "team-ops", "team-db")


RES_TEMPLATE = """resource {name} {{
  on primary {{ node-id 0; device /dev/drbd{minor} minor {minor}; disk /dev/vg_herd/{name}-root;
               meta-disk internal; address 127.0.0.11:{port}; }}
  on backup {{ node-id 1; device /dev/drbd{minor} minor {minor}; disk /dev/vg_herd/{name}-root;
              meta-disk internal; address 127.0.0.12:{port}; }}
  connection-mesh {{ hosts primary backup; }}
}}
"""

XL_CFG = """# team-db, as generated
name = "{name}"
memory = 128
vcpus = 1
disk = [ 'phy:/dev/drbd/by-res/{name}/0,xvda,w',
         'phy:/dev/vg_herd/{name}-swap,xvdb,w' ]
vif = [ 'mac=00:16:3e:00:00:02,bridge=xenbr0' ]
"""


class SimLab:
    """The state directory plus a runner for ``xl``/``drbdadm``/``drbdsetup`` on either host."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = str(root / "state")
        herd = make_herd()
        init_state(self.state, herd, resync_rate_mib=8.0)
        res_dir = root / "drbd.d"
        res_dir.mkdir()
        for guest in herd.guests:
            (res_dir / f"{guest.name}.res").write_text(
                RES_TEMPLATE.format(name=guest.name, minor=guest.drbd_minor, port=guest.drbd_port))
            (root / f"{guest.name}.cfg").write_text(XL_CFG.format(name=guest.name))
        self.conf = root / "drbd.conf"
        self.conf.write_text(f'include "{res_dir}/*.res";\n')

    def env(self, host: str) -> dict[str, str]:
        return {**os.environ, "LAB_HOST": host, "NAGIOS_HERD_LAB_STATE": self.state,
                "NAGIOS_HERD_LAB_DRBD_CONF": str(self.conf), "PYTHONPATH": str(REPO), "LC_ALL": "C"}

    def run(self, host: str, tool: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-sS", "-m", f"nagios_herd.lab.sim.{tool}", *args],
                              env=self.env(host), input=stdin, capture_output=True, text=True,
                              timeout=60, check=False)

    def ok(self, host: str, tool: str, *args: str) -> str:
        result = self.run(host, tool, *args)
        assert result.returncode == 0, (tool, args, result.returncode, result.stderr)
        return result.stdout

    def cfg(self, guest: str) -> str:
        return str(self.root / f"{guest}.cfg")

    def cfg_text(self, guest: str) -> str:
        return (self.root / f"{guest}.cfg").read_text()

    def side(self, res: str, host: str) -> dict:
        return snapshot(self.state)["resources"][res]["hosts"][host]

    def canaries(self, res: str) -> tuple[int, int, int]:
        """(primary's copy, backup's copy, writes acknowledged) read in one transaction."""
        resource = snapshot(self.state)["resources"][res]
        return resource["hosts"]["primary"]["data"], resource["hosts"]["backup"]["data"], resource["acked"]

    def wait_for(self, predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
        """Poll until ``predicate`` holds (a semantic wait, not a timing assertion)."""
        deadline = time.monotonic() + limit
        while not predicate():
            assert time.monotonic() < deadline, f"never happened: {what}"
            time.sleep(0.1)


@pytest.fixture
def lab(tmp_path: Path) -> SimLab:
    return SimLab(tmp_path)


@pytest.fixture
def fault() -> object:
    return faults
