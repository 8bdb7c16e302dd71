"""fab status/verify/failover/failback against the lab over real SSH: happy paths and every refusal."""

from __future__ import annotations

import json

import pytest

from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]


def test_status_and_verify_on_a_healthy_herd(ops):
    status = ops.fab("status")
    assert status.returncode == 0, status.stderr
    assert "lab-db     primary  Primary/Connected/UpToDate    Secondary/Connected/UpToDate  100%" in status.stdout
    verify = ops.fab("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "verify: 0 error(s)" in verify.stdout


def test_verify_reports_deployed_files_others_may_read_or_write(ops):
    res, nrpe, sudoers = "/etc/drbd.d/lab-db.res", "/etc/nagios/nrpe.d/nagios-herd.cfg", "/etc/sudoers.d/nagios-herd"
    assert ops.ssh("primary", f"stat -c %a {res} {nrpe} {sudoers}").stdout.split() == ["600", "644", "440"]
    assert ops.ssh("primary", f"chmod 0640 {res} && chmod 0664 {nrpe} && chmod 0644 {sudoers}").returncode == 0
    try:
        verify = ops.fab("verify")
    finally:
        assert ops.ssh("primary", f"chmod 0600 {res} && chmod 0644 {nrpe} && chmod 0440 {sudoers}").returncode == 0
    assert verify.returncode == 1, verify.stdout + verify.stderr
    found = [line for line in verify.stdout.splitlines() if " V15 " in line]
    assert found == [
        "WARN  V15  primary: /etc/drbd.d/lab-db.res is readable by group or others (mode 0640): it may hold the DRBD "
        "peers' shared secret (fab deploy installs it 0600)",
        "ERROR V15  primary: /etc/nagios/nrpe.d/nagios-herd.cfg is writable by group or others (mode 0664): whoever "
        "can write it chooses what NRPE runs, with the nagios user's sudo rules",
        "WARN  V15  primary: /etc/sudoers.d/nagios-herd has mode 0644, not 0440 or 0400 as sudo wants (fab deploy "
        "installs it 0440)"], verify.stdout


def test_plan_changes_nothing(ops):
    result = ops.fab("failover", "--guest", "lab-db", "--plan")
    assert result.returncode == 0, result.stderr
    assert "5. promote on backup: drbdadm primary lab-db  [to do]" in result.stdout
    away = ops.fab("failover", "--all", "--away-from", "backup", "--plan")
    assert away.returncode == 0, away.stderr
    assert "lab-web: backup -> primary" in away.stdout and "lab-db: backup -> primary" in away.stdout
    assert "5. promote on primary: drbdadm primary lab-db  [already true, skipped]" in away.stdout
    assert ops.where("lab-db") == ["primary"] and ops.journal() == []


def test_failover_and_failback_all_keep_every_write(ops):
    result = ops.fab("failover", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    for guest in ops.lab.herd.guests:
        target = ops.lab.herd.peer_of(guest.preferred_host).name
        assert ops.where(guest.name) == [target] and ops.primaries(guest.name) == [target]
        assert ops.canary_intact(guest.name, target)
    assert "lab-ops              nagios       done" in result.stdout and "Nagios answers at http://" in result.stdout
    assert json.loads((ops.state_dir / "state.json").read_text())["guests"]["lab-db"]["host"] == "backup"
    back = ops.fab("failback", "--all")
    assert back.returncode == 0, back.stdout + back.stderr
    for guest in ops.lab.herd.guests:
        assert ops.where(guest.name) == [guest.preferred_host]
        assert ops.canary_intact(guest.name, guest.preferred_host)
    again = ops.fab("failback", "--all")
    assert again.returncode == 0 and "shutdown     on" not in again.stdout  # nothing left to do


def _degrade_backup(ops, guest="lab-db"):
    """backup rebooted: its copy of ``guest`` resyncs slowly from primary (SyncTarget, Inconsistent)."""
    faults.set_resync_rate(ops.sim, 0.001)
    ops.lab.crash("backup")
    ops.lab.revive("backup")
    assert ops.ssh("backup", f"drbdadm up {guest}").returncode == 0
    ops.wait(lambda: ops.state()["resources"][guest]["sync"] is not None, what="resync start")


def test_failover_to_a_degraded_target_is_refused_before_anything_stops(ops):
    _degrade_backup(ops)
    result = ops.fab("failover", "--guest", "lab-db")
    assert result.returncode == 1
    assert "REFUSED" not in result.stdout and "refused" in result.stdout
    assert "disk is Inconsistent on target backup" in result.stdout
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    assert [entry["step"] for entry in ops.journal()] == ["end"]


def test_promote_exit_17_stops_without_retry(ops, lab):
    """The race the target check cannot see: the target lost its UpToDate peer after the plan was made."""
    from nagios_herd.ops import failover
    from nagios_herd.ops.engine import Engine
    from nagios_herd.ops.plan import GuestPlan
    from nagios_herd.ops.runner import Options, Run

    _degrade_backup(ops)
    ops.lab.crash("primary")
    options = Options(inventory=str(lab.inventory), known_hosts=str(lab.known_hosts),
                      identity=str(lab.client_key), state_dir=str(ops.state_dir), connect_timeout=2)
    with Run(options, "test: forced promote race", mutating=True) as run:
        guest = run.herd.guest("lab-db")
        plan = GuestPlan("lab-db", "primary", "backup",
                         steps=failover.steps(run.herd, guest, "primary", "backup",
                                              failover.MoveOptions(fenced="primary"), ops.state_dir))
        outcome, = Engine(run.herd, run.links, run.prober, run.journal).run([plan])
    assert not outcome.ok and "exit 17" in outcome.detail and "not retried" in outcome.detail
    promotes = [e for e in ops.journal() if e["step"] == "promote"]
    assert len(promotes) == 1 and promotes[0]["result"] == "failed"
    assert "drbdadm primary lab-db" in promotes[0]["command"] and "--force" not in promotes[0]["command"]
    assert not any(e["step"] == "start" for e in ops.journal())
    assert ops.primaries("lab-db") == [] and ops.where("lab-db") == []


def test_slow_shutdown_is_destroyed_after_the_timeout(ops):
    faults.slow_shutdown(ops.sim, "primary", 60)
    result = ops.fab("failover", "--guest", "lab-db", "--shutdown-timeout", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    steps = {(e["step"], e["result"]) for e in ops.journal()}
    assert ("shutdown", "failed") in steps and ("destroy", "done") in steps
    assert ops.where("lab-db") == ["backup"] and ops.canary_intact("lab-db", "backup")


def test_dead_primary_needs_fencing_then_moves_with_every_write(ops):
    ops.lab.crash("primary")
    status = ops.fab("status", "--connect-timeout", "2")
    assert status.returncode == 0 and "host primary is DOWN" in status.stdout
    planned = ops.fab("failover", "--guest", "lab-db", "--connect-timeout", "2")
    assert planned.returncode == 1 and "use --force --fenced primary" in planned.stdout
    unfenced = ops.fab("failover", "--guest", "lab-db", "--force")
    assert unfenced.returncode == 1 and "--force and --fenced HOST go together" in unfenced.stderr
    forced = ops.fab("failover", "--all", "--force", "--fenced", "primary", "--connect-timeout", "2")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    for guest in ("lab-db", "lab-ops"):
        assert ops.where(guest) == ["backup"] and ops.canary_intact(guest, "backup")
    assert json.loads((ops.state_dir / "state.json").read_text())["hosts"]["primary"]["offline"] is True
    ops.lab.revive("primary")
    back = ops.fab("failback", "--guest", "lab-db")
    assert back.returncode == 1 and "primary is marked offline" in back.stdout
    assert ops.where("lab-db") == ["backup"]


def test_stale_data_is_promoted_only_with_the_extra_flag_and_the_guest_named(ops):
    _degrade_backup(ops)
    ops.lab.crash("primary")
    forced = ["failover", "--guest", "lab-db", "--force", "--fenced", "primary", "--connect-timeout", "2"]
    refused = ops.fab(*forced)
    assert refused.returncode == 1 and "disk on backup is Inconsistent" in refused.stdout
    assert "--allow-stale --confirm lab-db" in refused.stdout
    wrong_name = ops.fab(*forced, "--allow-stale", "--confirm", "lab-ops")
    assert wrong_name.returncode == 1 and "--confirm with that same NAME" in wrong_name.stderr
    stale = ops.fab(*forced, "--allow-stale", "--confirm", "lab-db")
    assert stale.returncode == 0, stale.stdout + stale.stderr
    assert "drbdadm primary --force lab-db" in stale.stdout and ops.where("lab-db") == ["backup"]


def test_failback_before_the_resync_ends_is_refused(ops):
    assert ops.fab("failover", "--guest", "lab-db").returncode == 0
    faults.set_resync_rate(ops.sim, 0.001)
    ops.lab.crash("primary")
    ops.lab.revive("primary")
    assert ops.ssh("primary", "drbdadm up lab-db").returncode == 0
    ops.wait(lambda: ops.state()["resources"]["lab-db"]["sync"] is not None, what="resync start")
    result = ops.fab("failback", "--guest", "lab-db")
    assert result.returncode == 1
    assert "resync still running on primary (SyncTarget" in result.stdout and "% done" in result.stdout
    assert ops.where("lab-db") == ["backup"]


def test_unknown_host_key_is_refused(ops, tmp_path):
    stranger = tmp_path / "known_hosts"
    stranger.write_text("")
    result = ops.fab("status", "--known-hosts", str(stranger))
    assert result.returncode == 1
    assert "host key unknown" in result.stderr and "Traceback" not in result.stderr


def test_a_second_mutating_run_is_refused_while_the_first_holds_the_lock(ops):
    faults.slow_shutdown(ops.sim, "primary", 4)
    first = ops.start("failover", "--guest", "lab-db")
    try:
        ops.wait(lambda: (ops.state_dir / "lock").exists() and (ops.state_dir / "lock").read_text().strip(),
                 what="the first run's lock")
        second = ops.fab("failover", "--guest", "lab-ops")
        assert second.returncode == 1
        assert f"pid {first.pid}" in second.stderr and "fab failover --guest lab-db" in second.stderr
    finally:
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert ops.where("lab-ops") == ["primary"]
