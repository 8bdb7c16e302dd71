"""``fab evacuate`` / ``fab restore`` against the lab: a host with a mix of guests (a served Nagios, a plain one,
one that cannot migrate) is emptied by live migration, marked in maintenance, and filled again."""

from __future__ import annotations

import pytest

from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _on_preferred_hosts(ops) -> bool:
    return all(ops.where(g.name) == [g.preferred_host] for g in ops.lab.herd.guests)


def test_evacuate_migrates_what_it_can_marks_the_host_and_restore_brings_them_back(ops):
    faults.set_protocol(ops.sim, "lab-db", "A")  # DRBD refuses its dual-primary window: it cannot migrate
    result = ops.fab("evacuate", "--host", "primary")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lab-ops" in result.stdout and "migrated to backup" in result.stdout
    assert "lab-db" in result.stdout and "left on primary" in result.stdout and "--allow-restart" in result.stdout
    assert ops.where("lab-ops") == ["backup"] and ops.where("lab-db") == ["primary"]
    ops.assert_safe()
    assert "primary" in ops.state_file()["maintenance"]
    status = ops.fab("status")
    assert "host primary is IN MAINTENANCE" in status.stdout
    assert "primary is in maintenance" in ops.fab("verify").stdout
    refused = ops.fab("failover", "--guest", "lab-infra", "--nagios-wait", "0")
    assert refused.returncode == 1 and "in maintenance" in refused.stdout
    refused = ops.fab("migrate", "--guest", "lab-web")
    assert refused.returncode == 1 and "in maintenance" in refused.stdout
    assert ops.where("lab-infra") == ["backup"] and ops.where("lab-web") == ["backup"]

    faults.set_protocol(ops.sim, "lab-db", "C")
    back = ops.fab("restore", "--host", "primary")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "primary is out of maintenance" in back.stdout and "lab-ops" in back.stdout
    assert ops.state_file()["maintenance"] == {}
    assert _on_preferred_hosts(ops)
    ops.assert_safe()
    for guest in ops.lab.herd.guests:
        assert ops.canary_intact(guest.name, guest.preferred_host)


def test_evacuate_allow_restart_fails_over_what_cannot_migrate(ops):
    faults.set_protocol(ops.sim, "lab-db", "A")
    plan = ops.fab("evacuate", "--host", "primary", "--plan")
    assert plan.returncode == 0 and "marked in maintenance first" in plan.stdout
    assert ops.state_file().get("maintenance", {}) == {}
    result = ops.fab("evacuate", "--host", "primary", "--allow-restart", "--nagios-wait", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failing over what could not migrate (--allow-restart): lab-db" in result.stdout
    assert ops.where("lab-db") == ["backup"] and ops.where("lab-ops") == ["backup"]
    assert all(ops.where(g.name) == ["backup"] for g in ops.lab.herd.guests)
    ops.assert_safe()
    again = ops.fab("evacuate", "--host", "primary")
    assert again.returncode == 0 and "no guest runs on primary" in again.stdout
