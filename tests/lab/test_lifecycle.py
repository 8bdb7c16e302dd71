"""Lab lifecycle: up, up again, status, down, down again — and nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nagios_herd.errors import HerdError
from nagios_herd.inventory import load
from nagios_herd.lab import procs
from nagios_herd.lab.lab import Lab, check_loopback
from nagios_herd.lab.status import report
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


def test_up_twice_down_twice_leaves_nothing(tmp_path):
    if reason := unavailable():
        pytest.skip(reason)
    inventory = relocated_inventory(tmp_path / "inventory")
    lab = Lab(tmp_path / "lab", load(inventory), inventory)
    try:
        assert lab.up().startswith("lab up in ")
        record = lab.record()
        pids = [fields["pid"] for fields in record["hosts"].values()]
        namespaces = [fields["ns"] for fields in record["hosts"].values()]
        assert len(set(namespaces)) == 2 and os.readlink("/proc/self/ns/mnt") not in namespaces
        assert all(procs.runs(pid, "sshd") for pid in pids)
        assert len(_loop_devices_backed_by(lab.layout.root)) == 2
        assert _mounts_mentioning(lab.layout.root)  # the hosts' bind mounts, inside their namespaces

        assert lab.up().startswith("lab already up")
        assert lab.record()["hosts"] == record["hosts"]  # nothing restarted
        lines = report(lab)
        assert sum(line.startswith("host ") and " up (sshd pid " in line for line in lines) == 2
    finally:
        assert lab.down().startswith("lab down")
    assert not any(procs.runs(pid, "sshd") for pid in pids)
    assert not any(procs.pids_in_ns(ns) for ns in namespaces)
    assert _loop_devices_backed_by(lab.layout.root) == []
    assert _mounts_mentioning(lab.layout.root) == []
    assert not lab.layout.root.exists()
    assert lab.down().startswith("lab not up")


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
