"""The project's check plugins, fed the simulators' output, give the verdicts docs/checks.md requires."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import REPO, SimLab


def _check(plugin: str, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "checks" / plugin), "--input", "-", *args], input=text,
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("form", [["status", "--json"], ["events2", "--now", "--statistics"],
                                  ["status", "--verbose", "--statistics"]])
def test_drbd_verdicts_healthy_syncing_split_brain_crashed(lab: SimLab, fault, form: list[str]) -> None:
    healthy = _check("check_drbd_sync", lab.ok("primary", "drbdsetup", *form))
    assert healthy.returncode == 0, healthy.stdout

    fault.set_resync_rate(lab.state, 0.001)  # 1 KiB/s: the few KiB written while apart take seconds
    lab.ok("backup", "drbdadm", "disconnect", "team-ops")
    lab.ok("primary", "xl", "list")  # team-db's guest writes; team-ops' guest writes on backup
    lab.ok("backup", "drbdadm", "connect", "team-ops")
    syncing = _check("check_drbd_sync", lab.ok("primary", "drbdsetup", *form), "--resource", "team-ops")
    assert syncing.returncode == 1 and "%" in syncing.stdout, syncing.stdout

    fault.cut_link(lab.state)
    lab.ok("backup", "drbdadm", "primary", "team-db")
    fault.heal_link(lab.state)
    split = _check("check_drbd_sync", lab.ok("primary", "drbdsetup", *form), "--resource", "team-db")
    assert split.returncode == 2, split.stdout

    fault.crash(lab.state, "primary")
    crashed = _check("check_drbd_sync", lab.ok("backup", "drbdsetup", *form), "--resource", "team-ops")
    assert crashed.returncode == 2, crashed.stdout


def test_xen_verdicts_where_the_guest_runs_and_where_it_must_not(lab: SimLab) -> None:
    on_primary, on_backup = lab.ok("primary", "xl", "list"), lab.ok("backup", "xl", "list")
    assert _check("check_xen_domain", on_primary, "--domain", "team-db").returncode == 0
    assert _check("check_xen_domain", on_backup, "--absent", "team-db").returncode == 0
    assert _check("check_xen_domain", on_backup, "--domain", "team-db").returncode == 2
