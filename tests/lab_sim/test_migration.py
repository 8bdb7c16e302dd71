"""Live migration in the simulator: ``xl migrate`` and DRBD 9's dual-primary rules, through the real entry points."""

from __future__ import annotations

import threading

from .conftest import FIXTURES, SimLab

MESSAGES = [line for line in (FIXTURES / "xen-migration" / "xl-migrate-messages.txt").read_text().splitlines()
            if line and not line.startswith("#")]
REFUSALS = (FIXTURES / "xen-migration" / "drbd9-dual-primary.txt").read_text()


def _dual_primary(lab: SimLab, res: str = "team-db") -> None:
    for host in ("primary", "backup"):
        lab.ok(host, "drbdadm", "net-options", "--allow-two-primaries=yes", res)
    lab.ok("backup", "drbdadm", "primary", res)


def _domains(lab: SimLab, host: str) -> dict[str, str]:
    rows = lab.ok(host, "xl", "list").splitlines()[2:]
    return {row.split()[0]: row.split()[4] for row in rows}


def test_second_primary_needs_the_option_on_both_sides(lab: SimLab) -> None:
    lab.ok("backup", "drbdadm", "net-options", "--allow-two-primaries=yes", "team-db")
    refused = lab.run("backup", "drbdadm", "primary", "team-db")
    assert refused.returncode == 11
    assert refused.stderr.splitlines()[0] == REFUSALS.splitlines()[2].replace("RES", "team-db")
    lab.ok("primary", "drbdadm", "net-options", "--allow-two-primaries", "team-db")
    lab.ok("backup", "drbdadm", "primary", "team-db")
    assert lab.side("team-db", "backup")["role"] == lab.side("team-db", "primary")["role"] == "Primary"


def test_the_option_needs_protocol_c_and_cannot_clear_while_both_are_primary(lab: SimLab, fault) -> None:
    lines = REFUSALS.replace("RES", "team-db").splitlines()
    fault.set_protocol(lab.state, "team-db", "A")
    refused = lab.run("primary", "drbdadm", "net-options", "--allow-two-primaries=yes", "team-db")
    assert (refused.returncode, refused.stderr.splitlines()[0]) == (10, lines[3])
    assert not lab.side("team-db", "primary")["two_primaries"]
    fault.set_protocol(lab.state, "team-db", "C")
    _dual_primary(lab)
    refused = lab.run("backup", "drbdadm", "net-options", "--allow-two-primaries=no", "team-db")
    assert refused.returncode == 10 and refused.stderr.splitlines()[:2] == lines[4:6]
    lab.ok("backup", "drbdadm", "secondary", "team-db")
    for host in ("primary", "backup"):
        lab.ok(host, "drbdadm", "net-options", "--allow-two-primaries=no", "team-db")
        assert not lab.side("team-db", host)["two_primaries"]


def test_migrate_moves_the_running_domain_without_losing_a_write(lab: SimLab, fault) -> None:
    fault.set_migration_speed(lab.state, 16.0)  # 128 MiB: two seconds of copying
    _dual_primary(lab)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(
        done=lab.run("primary", "xl", "migrate", "-s", "ssh -o BatchMode=yes", "team-db", "127.0.0.12")))
    worker.start()
    lab.wait_for(lambda: "team-db--incoming" in _domains(lab, "backup"), "the paused copy on the target")
    assert _domains(lab, "backup")["team-db--incoming"] == "--p---"
    assert "team-db" in _domains(lab, "primary")
    before = lab.canaries("team-db")[2]
    lab.wait_for(lambda: lab.canaries("team-db")[2] > before, "the guest writing during the copy")
    worker.join(30)
    done = result["done"]
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if line in MESSAGES] == MESSAGES[:8]
    assert "team-db" not in _domains(lab, "primary") and "team-db" in _domains(lab, "backup")
    lab.ok("primary", "drbdadm", "secondary", "team-db")
    lab.ok("backup", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked


def test_migrate_without_dual_primary_fails_and_resumes_at_the_sender(lab: SimLab, fault) -> None:
    fault.set_migration_speed(lab.state, 0)
    result = lab.run("primary", "xl", "migrate", "team-db", "backup")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == MESSAGES[-2:]
    assert "team-db" in _domains(lab, "primary") and _domains(lab, "backup").keys() <= {"Domain-0", "team-ops"}


def test_link_cut_during_the_copy_fails_the_migration_at_the_receiver(lab: SimLab, fault) -> None:
    fault.set_migration_speed(lab.state, 16.0)
    _dual_primary(lab)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(done=lab.run("primary", "xl", "migrate", "team-db",
                                                                        "backup")))
    worker.start()
    lab.wait_for(lambda: "team-db--incoming" in _domains(lab, "backup"), "the copy to start")
    fault.cut_link(lab.state)
    worker.join(30)
    assert result["done"].returncode == 1 and result["done"].stderr.splitlines()[-1] == MESSAGES[-1]
    assert "team-db" in _domains(lab, "primary") and "team-db--incoming" not in _domains(lab, "backup")
    lab.ok("backup", "drbdadm", "secondary", "team-db")
    fault.heal_link(lab.state)
    lab.wait_for(lambda: lab.side("team-db", "backup")["disk"] == "UpToDate" and
                 not lab.side("team-db", "backup")["split_brain"], "the resync after the cut")
    lab.ok("primary", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked


def test_target_crash_during_the_copy_leaves_the_guest_on_the_sender(lab: SimLab, fault) -> None:
    fault.set_migration_speed(lab.state, 16.0)
    _dual_primary(lab)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(done=lab.run("primary", "xl", "migrate", "team-db",
                                                                        "backup")))
    worker.start()
    lab.wait_for(lambda: "team-db--incoming" in _domains(lab, "backup"), "the copy to start")
    fault.crash(lab.state, "backup")
    worker.join(30)
    assert result["done"].returncode == 1 and "resuming at sender" in result["done"].stderr
    assert "team-db" in _domains(lab, "primary")
