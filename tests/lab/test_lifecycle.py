"""Lab lifecycle: up, up again, status, down, down again — and nothing left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.inventory.loader import load
from nagios_herd.lab.lab import Lab, check_loopback
from nagios_herd.lab.testing import relocated_inventory, unavailable

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _loop_devices_backed_by(directory: Path) -> list[str]:
    found = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        if str(directory) in backing.read_text():
            found.append(backing.parent.parent.name)
    return found


def _mounts_mentioning(directory: Path) -> list[str]:
    found = []
    for mountinfo in Path("/proc").glob("[0-9]*/mountinfo"):
        try:
            text = mountinfo.read_text()
        except OSError:
            continue
        found += [line for line in text.splitlines() if str(directory) in line]
    return found


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nagios_herd.cli", "lab", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def test_up_twice_down_twice_through_the_command_leaves_nothing(tmp_path):
    if reason := unavailable():
        pytest.skip(reason)
    inventory = relocated_inventory(tmp_path / "inventory")
    state = tmp_path / "lab"
    lab = Lab(state, load(inventory), inventory)
    try:
        up = _cli("up", "--inventory", str(inventory), "--state-dir", str(state))
        assert up.returncode == 0 and up.stdout.startswith("lab up in "), up.stderr
        record = lab.record()
        servers = list(record["hosts"].values())
        namespaces = [server["ns"] for server in servers]
        assert len(set(namespaces)) == 2 and os.readlink("/proc/self/ns/mnt") not in namespaces
        assert all(procs.alive(server) and "sshd" in " ".join(procs.cmdline(server["pid"]))
                   for server in servers)
        assert len(_loop_devices_backed_by(lab.layout.root)) == 2
        assert _mounts_mentioning(lab.layout.root)  # the hosts' bind mounts, inside their namespaces

        again = _cli("up", "--inventory", str(inventory), "--state-dir", str(state))
        assert again.returncode == 0 and again.stdout.startswith("lab already up"), again.stderr
        assert lab.record()["hosts"] == record["hosts"]  # nothing restarted
        status = _cli("status", "--state-dir", str(state))
        assert status.returncode == 0, status.stderr
        assert sum(" up (sshd pid " in line for line in status.stdout.splitlines()) == 2
        served = [line for line in status.stdout.splitlines() if line.startswith("guest ")]
        assert len(served) == len(lab.herd.guests) and all("served for" in line for line in served)
        shutil.rmtree(inventory.parent)  # down needs only its own record
    finally:
        down = _cli("down", "--state-dir", str(state))
        assert down.returncode == 0 and down.stdout.startswith("lab down"), down.stderr
    assert not any(procs.alive(server) for server in servers)
    # (a namespace inode may already serve another lab: only this lab's processes count)
    assert not [pid for ns in namespaces for pid in procs.pids_in_ns(ns) if procs.mentions(pid, str(state))]
    assert _loop_devices_backed_by(lab.layout.root) == []
    assert _mounts_mentioning(lab.layout.root) == []
    assert not lab.layout.root.exists()
    assert _cli("down", "--state-dir", str(state)).stdout.startswith("lab not up")


def test_faults_on_a_lab_that_is_not_up_say_so(tmp_path):
    done = _cli("fault", "primary", "crash", "--state-dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"nagios-herd: lab: no lab in {tmp_path} (run: nagios-herd lab up)"]


def test_not_root_is_one_clear_line(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                           "nagios_herd.cli", "lab", "up", "--state-dir", str(tmp_path / "lab")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["nagios-herd: lab: must run as root (it starts sshd, attaches "
                                                "loop devices, mounts)"]


def test_a_failed_up_cleans_up_after_itself(tmp_path):
    """An address already taken stops ``up`` half-way; what was made before is removed again."""
    if reason := unavailable():
        pytest.skip(reason)
    inventory = relocated_inventory(tmp_path / "inventory")
    herd = load(inventory)
    blocker = Lab(tmp_path / "first", herd, inventory)
    second = Lab(tmp_path / "second", herd, inventory)
    try:
        blocker.up()
        with pytest.raises(HerdError, match="already in use"):
            second.up()
        assert not second.layout.root.exists()
        assert _loop_devices_backed_by(second.layout.root) == []
    finally:
        blocker.down()


def test_a_herd_inventory_with_real_addresses_is_refused():
    herd = load(Path(__file__).resolve().parents[2] / "etc" / "herd.toml")
    with pytest.raises(HerdError, match="not a loopback address"):
        check_loopback(herd)


@pytest.mark.parametrize("args, message", [
    (["nohost", "crash"], "lab fault: unknown host 'nohost' (hosts: primary, backup; or 'link')"),
    (["link", "crash"], "lab fault link: ACTION must be cut or heal, not 'crash'"),
    (["primary", "slow-shutdown"], "lab fault HOST slow-shutdown: SECONDS (>= 0) is required"),
    (["primary", "crash", "5"], "lab fault: SECONDS only goes with slow-shutdown, not crash"),
])
def test_bad_fault_requests_are_one_line_exit_2(lab_record, args, message):
    done = _cli("fault", *args, "--state-dir", str(lab_record))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"nagios-herd: {message}"]


@pytest.fixture
def lab_record(tmp_path):
    """A lab record naming the shipped inventory: enough for ``fault`` to validate its arguments."""
    from nagios_herd.lab.layout import SHIPPED_INVENTORY, write_json

    write_json(tmp_path / "lab.json", {"inventory": str(SHIPPED_INVENTORY), "hosts": {}})
    return tmp_path
