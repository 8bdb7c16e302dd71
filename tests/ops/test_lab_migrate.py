"""``fab migrate`` against the lab: a running guest moves without stopping, every refusal, every failure.

Invariants after each run: never two Primaries unless a migration is mid-window, never the domain on two hosts
(a paused ``--incoming`` copy is not the domain), allow-two-primaries off on both sides, no acknowledged write lost.
"""

from __future__ import annotations

import threading

import pytest

from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _two_primaries_off(ops, guest: str) -> bool:
    return not any(side.get("two_primaries") for side in ops.state()["resources"][guest]["hosts"].values())


def _safe_mid_window(ops, guest: str) -> None:
    """What a killed migration may leave: the domain on one host; two Primaries only inside a dual-primary
    window DRBD accepted (the option on both sides, Connected)."""
    assert len(ops.where(guest)) == 1
    if len(ops.primaries(guest)) > 1:
        resource = ops.state()["resources"][guest]
        assert resource["connected"] and all(side["two_primaries"] for side in resource["hosts"].values())


def _settled(ops, guest: str, host: str) -> None:
    ops.assert_safe()
    assert ops.where(guest) == [host] and ops.primaries(guest) == [host]
    assert _two_primaries_off(ops, guest)
    assert ops.canary_intact(guest, host)


def test_migrate_moves_a_running_guest_and_records_it(ops):
    started = ops.state()["domains"]["primary"]["lab-db"]["started"]
    result = ops.fab("migrate", "--guest", "lab-db")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lab-db" in result.stdout and "migrated to backup" in result.stdout
    _settled(ops, "lab-db", "backup")
    assert ops.state()["domains"]["backup"]["lab-db"]["started"] == started  # the same life, not a boot
    placement = ops.state_file()["guests"]["lab-db"]["host"]
    assert placement == "backup"
    again = ops.fab("migrate", "--guest", "lab-db", "--plan")
    assert again.returncode == 0 and "primary" in again.stdout  # back the other way is a plan, not a refusal


def test_migrate_plan_names_every_step_and_changes_nothing(ops):
    result = ops.fab("migrate", "--guest", "lab-db", "--plan")
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("two-primaries", "promote on backup", "migrate on primary", "xl migrate -s"):
        assert step in result.stdout
    assert ops.where("lab-db") == ["primary"] and ops.journal() == []


@pytest.mark.parametrize("case", ["maintenance", "offline", "resync", "protocol", "memory", "config", "stopped"])
def test_migrate_refused_on_each_failed_precondition(ops, case):
    expected = {"maintenance": "in maintenance", "offline": "marked offline", "resync": "both must be UpToDate",
                "protocol": "protocol C", "memory": "MiB free", "config": "missing on backup",
                "stopped": "does not run on primary"}[case]
    if case == "maintenance":
        ops.mark("maintenance", "backup")
    elif case == "offline":
        ops.mark("offline", "backup")
    elif case == "resync":
        faults.set_resync_rate(ops.sim, 0.0001)
        assert ops.ssh("backup", "drbdadm disconnect lab-db").returncode == 0
        ops.wait(lambda: ops.state()["resources"]["lab-db"]["hosts"]["primary"]["oos_kib"] > 0, 10, "writes")
        assert ops.ssh("backup", "drbdadm connect lab-db").returncode == 0
    elif case == "protocol":
        faults.set_protocol(ops.sim, "lab-db", "A")
    elif case == "memory":
        faults_memory(ops, "backup", 300)
    elif case == "config":
        assert ops.ssh("backup", "mv /etc/xen/lab-db.cfg /etc/xen/lab-db.cfg.away").returncode == 0
    elif case == "stopped":
        assert ops.ssh("primary", "xl destroy lab-db").returncode == 0
    before = ops.state()["resources"]["lab-db"]["hosts"]
    result = ops.fab("migrate", "--guest", "lab-db")
    if case == "config":
        ops.ssh("backup", "mv /etc/xen/lab-db.cfg.away /etc/xen/lab-db.cfg")
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout + result.stderr, result.stdout + result.stderr
    ops.assert_safe()
    assert _two_primaries_off(ops, "lab-db")
    assert ops.state()["resources"]["lab-db"]["hosts"]["backup"]["role"] == before["backup"]["role"]
    if case != "stopped":
        assert ops.where("lab-db") == ["primary"]


def faults_memory(ops, host: str, free_mb: int) -> None:
    """Leave ``free_mb`` free on ``host`` (the lab hosts' total memory, lowered)."""
    from nagios_herd.lab.sim.state import transaction

    with transaction(ops.sim) as lab:
        used = lab.host(host)["dom0_memory_mb"] + sum(d["memory_mb"] for d in lab.domains(host).values())
        lab.host(host)["memory_mb"] = used + free_mb - 250


STEPS = 6  # journal lines of the forward job before its "end": begin, drop-leftover, 2 x two-primaries, promote, migrate


@pytest.mark.parametrize("kill_after", range(2, STEPS + 1))
def test_migration_killed_after_each_step_converges_on_rerun(ops, kill_after):
    faults.set_migration_speed(ops.sim, 30.0)  # 64 MiB: about two seconds in xl migrate
    run = ops.start("migrate", "--guest", "lab-db")
    try:
        ops.wait(lambda: len(ops.journal()) >= kill_after or run.poll() is not None, 60, "journal lines")
    finally:
        run.kill()
        run.wait()
    _safe_mid_window(ops, "lab-db")
    again = ops.fab("migrate", "--guest", "lab-db")  # the same command: resumes, never sends it back
    assert again.returncode == 0, again.stdout + again.stderr
    ops.wait(lambda: not any("--" in name for doms in ops.state()["domains"].values() for name in doms), 30,
             "no migration copies left")
    where = ops.where("lab-db")
    assert len(where) == 1
    if where == ["primary"]:  # killed before the switch: the re-run migrated it
        pytest.fail(f"re-run did not migrate: {again.stdout}")
    _settled(ops, "lab-db", "backup")


def test_a_failed_xl_migrate_leaves_the_guest_on_the_source_single_primary(ops):
    faults.set_migration_speed(ops.sim, 60.0)
    run = ops.start("migrate", "--guest", "lab-db")
    ops.wait(lambda: "lab-db--incoming" in ops.state()["domains"]["backup"], 60, "the copy to start")
    ops.lab.cut_link()
    out, err = run.communicate(timeout=120)
    assert run.returncode == 1, out + err
    assert "migration failed" in out and "left running on primary, single-primary" in out, out
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    assert _two_primaries_off(ops, "lab-db")
    ops.lab.heal_link()
    ops.wait(lambda: ops.state()["resources"]["lab-db"]["connected"], 30, "reconnect")
    ops.wait(lambda: ops.state()["resources"]["lab-db"]["sync"] is None, 30, "resync")
    assert ops.canary_intact("lab-db", "backup") and ops.canary_intact("lab-db", "primary")


def test_target_crash_during_the_copy_leaves_the_guest_on_the_source(ops):
    faults.set_migration_speed(ops.sim, 60.0)
    run = ops.start("migrate", "--guest", "lab-db")
    ops.wait(lambda: "lab-db--incoming" in ops.state()["domains"]["backup"], 60, "the copy to start")
    ops.lab.crash("backup")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 1, out + err
    assert "left running on primary" in out, out
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    assert _two_primaries_off(ops, "lab-db")


def _program_start(ops, guest: str) -> int | None:
    """The guest's nagios4 ``program_start`` from its statusjson.cgi; None while it does not answer."""
    import json
    import urllib.request

    from nagios_herd.lab import guests

    url = guests.web_url(ops.lab.herd.guest(guest)) + "?query=programstatus"
    request = urllib.request.Request(url, headers=guests.reader_header(ops.lab.layout, guest))
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - the lab's own address
            return int(json.load(answer)["data"]["programstatus"]["program_start"])
    except (OSError, ValueError, KeyError):
        return None


def test_a_served_guest_keeps_its_nagios_and_canary_across_the_migration(ops):
    from nagios_herd.lab import guests

    ops.wait(lambda: _program_start(ops, "lab-ops") is not None, 60, "lab-ops' Nagios")
    before = _program_start(ops, "lab-ops")
    acked = ops.state()["resources"]["lab-ops"]["acked"]
    result = ops.fab("migrate", "--guest", "lab-ops")
    assert result.returncode == 0, result.stdout + result.stderr
    ops.wait(lambda: guests.served_on(ops.lab.layout, "lab-ops") == "backup", 30, "serving moved to backup")
    assert _program_start(ops, "lab-ops") == before
    ops.wait(lambda: ops.state()["resources"]["lab-ops"]["acked"] > acked + 5, 10, "the canary writing on")
    _settled(ops, "lab-ops", "backup")
    assert ops.ssh("backup", "xl destroy lab-ops").returncode == 0
    ops.wait(lambda: guests.served_on(ops.lab.layout, "lab-ops") is None, 30, "serving to stop")
    assert _program_start(ops, "lab-ops") is None
