"""DRBD and Xen rules the simulators enforce, each proved through the real entry points."""

from __future__ import annotations

from nagios_herd.lab.sim.state import acknowledged, canary
from nagios_herd.parsers.drbd import formats as drbd_formats
from nagios_herd.parsers.drbd import model as drbd

from .conftest import SimLab


def _resource(lab: SimLab, host: str, res: str = "team-db") -> drbd.Resource:
    return drbd_formats.parse_events2(lab.ok(host, "drbdsetup", "events2", "--now", "--statistics", res)).find(res)


def _failover(lab: SimLab, src: str, dst: str, res: str = "team-db") -> None:
    lab.ok(src, "xl", "shutdown", "-w", res)
    lab.ok(src, "drbdadm", "secondary", res)
    lab.ok(dst, "drbdadm", "primary", res)
    lab.ok(dst, "xl", "create", lab.cfg(res))


def test_second_primary_refused_while_connected(lab: SimLab) -> None:
    result = lab.run("backup", "drbdadm", "primary", "team-db")
    assert result.returncode == 11
    assert result.stderr == ("team-db: State change failed: (-1) Multiple primaries not allowed by config\n"
                             "Command 'drbdsetup primary team-db' terminated with exit code 11\n")
    assert _resource(lab, "backup").role == "Secondary"


def test_secondary_and_down_refused_while_the_guest_holds_the_device(lab: SimLab) -> None:
    for command in ("secondary", "down"):
        result = lab.run("primary", "drbdadm", command, "team-db")
        assert result.returncode == 11
        assert "(-12) Device is held open by someone" in result.stderr
    assert _resource(lab, "primary").role == "Primary"


def test_xl_create_refused_unless_primary_here(lab: SimLab) -> None:
    result = lab.run("backup", "xl", "create", lab.cfg("team-db"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Parsing config from {lab.cfg('team-db')}\nlibxl: error: ")
    assert "unable to add disk devices" in result.stderr
    assert "team-db" not in lab.ok("backup", "xl", "list")


def test_planned_failover_loses_no_acknowledged_write(lab: SimLab) -> None:
    _failover(lab, "primary", "backup")
    on_backup = _resource(lab, "backup")
    assert on_backup.role == "Primary" and drbd.is_connected(on_backup) and drbd.is_uptodate(on_backup)
    assert "team-db" in lab.ok("backup", "xl", "list")
    lab.ok("backup", "xl", "destroy", "team-db")
    acked = acknowledged(lab.state, "team-db")
    assert acked > 0
    assert canary(lab.state, "team-db", "backup") == canary(lab.state, "team-db", "primary") == acked


def test_primary_exits_17_without_up_to_date_data(lab: SimLab, fault) -> None:
    fault.crash(lab.state, "backup")
    fault.revive(lab.state, "backup")
    fault.cut_link(lab.state)
    lab.ok("backup", "drbdadm", "up", "team-db")
    assert _resource(lab, "backup").devices[0].disk_state == "Consistent"
    result = lab.run("backup", "drbdadm", "primary", "team-db")
    assert result.returncode == 17
    assert result.stderr.startswith("team-db: State change failed: (-2) Need access to UpToDate data\n")
    lab.ok("backup", "drbdadm", "primary", "--force", "team-db")
    assert _resource(lab, "backup").role == "Primary"


def test_cut_link_leaves_both_sides_connecting_then_resyncs_the_gap(lab: SimLab, fault) -> None:
    fault.cut_link(lab.state)
    for host in ("primary", "backup"):
        connection = _resource(lab, host).connections[0]
        assert connection.state == "Connecting"
        assert connection.peer_devices[0].peer_disk_state == "DUnknown"
    assert _resource(lab, "primary").connections[0].peer_devices[0].out_of_sync_bytes > 0  # the bitmap grows
    assert "out-of-sync:" in lab.ok("primary", "drbdsetup", "status", "--statistics", "team-db")
    fault.heal_link(lab.state)
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "backup")), "resync after the link healed")
    lab.ok("primary", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked


def test_split_brain_detected_on_reconnect_and_loses_the_victims_writes(lab: SimLab, fault) -> None:
    fault.cut_link(lab.state)
    before_split = canary(lab.state, "team-db", "backup")
    lab.ok("backup", "drbdadm", "primary", "team-db")  # no peer to refuse it: the classic mistake
    lab.ok("backup", "xl", "create", lab.cfg("team-db"))  # both copies of the guest now write
    lab.ok("backup", "xl", "list")
    fault.heal_link(lab.state)
    for host in ("primary", "backup"):
        resource = _resource(lab, host)
        assert resource.connections[0].state == "StandAlone" and drbd.split_brain_suspected(resource)
        assert "sync-state:SplitBrain" in lab.ok(host, "drbdsetup", "events2", "--now", "team-db")
    lab.ok("backup", "xl", "destroy", "team-db")
    lab.ok("backup", "drbdadm", "secondary", "team-db")
    victim_writes = canary(lab.state, "team-db", "backup")
    lab.ok("backup", "drbdadm", "connect", "--discard-my-data", "team-db")
    lab.ok("primary", "drbdadm", "connect", "team-db")
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "backup")), "victim resynced")
    survivor, victim, acked = lab.canaries("team-db")
    assert victim == survivor  # the victim now holds the survivor's data
    assert acked - survivor == victim_writes - before_split > 0  # exactly the victim's own writes are gone


def test_split_brain_resolved_on_a_victim_that_never_wrote_loses_nothing(lab: SimLab, fault) -> None:
    fault.cut_link(lab.state)
    lab.ok("backup", "drbdadm", "primary", "team-db")  # promoted, but its guest never started
    lab.ok("backup", "drbdadm", "secondary", "team-db")
    lab.ok("primary", "xl", "list")
    fault.heal_link(lab.state)
    assert _resource(lab, "backup").connections[0].state == "StandAlone"
    lab.ok("backup", "drbdadm", "connect", "--discard-my-data", "team-db")
    lab.ok("primary", "drbdadm", "connect", "team-db")
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "backup")), "victim resynced")
    lab.ok("primary", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked


def test_rebuild_full_sync_progresses_with_done_and_eta(lab: SimLab, fault) -> None:
    fault.crash(lab.state, "backup")
    fault.wipe_disks(lab.state, "backup")
    fault.revive(lab.state, "backup")
    fault.set_resync_rate(lab.state, 16.0)  # 64 MiB root: about 4 s
    assert lab.run("backup", "drbdadm", "up", "team-db").returncode == 10  # no metadata yet
    lab.ok("backup", "drbdadm", "create-md", "team-db")
    lab.ok("backup", "drbdadm", "up", "team-db")
    first = _resource(lab, "primary").connections[0].peer_devices[0]
    assert first.replication_state == "SyncSource" and first.peer_disk_state == "Inconsistent"
    assert first.sync_done_percent is not None and first.eta_seconds is not None
    target = _resource(lab, "backup")
    assert target.devices[0].disk_state == "Inconsistent"
    assert target.connections[0].peer_devices[0].replication_state == "SyncTarget"
    lab.wait_for(lambda: _resource(lab, "primary").connections[0].peer_devices[0].sync_done_percent
                 > first.sync_done_percent, "resync progress")
    statistics = lab.ok("primary", "drbdsetup", "status", "--verbose", "--statistics", "team-db")
    assert " done:" in statistics and " eta:" in statistics
    assert '"percent-resync-done"' in lab.ok("backup", "drbdsetup", "status", "--json", "team-db")
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "backup")), "full sync finished")
    lab.ok("primary", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked


def test_create_md_over_existing_metadata_needs_confirmation(lab: SimLab) -> None:
    lab.ok("backup", "drbdadm", "down", "team-db")
    refused = lab.run("backup", "drbdadm", "create-md", "team-db")
    assert refused.returncode == 1 and "Operation canceled." in refused.stderr
    assert lab.run("backup", "drbdadm", "create-md", "team-db", stdin="yes\n").returncode == 0
    assert lab.side("team-db", "backup")["gen"] is None


def test_up_twice_and_connect_twice_fail_like_drbd(lab: SimLab) -> None:
    assert lab.run("primary", "drbdadm", "up", "team-db").returncode == 10
    assert lab.run("primary", "drbdadm", "connect", "team-db").returncode == 10
    lab.ok("primary", "drbdadm", "disconnect", "team-db")
    lab.ok("primary", "drbdadm", "disconnect", "team-db")
    assert _resource(lab, "primary").connections[0].state == "StandAlone"
    assert _resource(lab, "backup").connections[0].state == "Connecting"
    lab.ok("primary", "drbdadm", "adjust", "team-db")
    assert drbd.is_connected(_resource(lab, "primary"))


def test_slow_shutdown_is_honoured(lab: SimLab, fault) -> None:
    fault.slow_shutdown(lab.state, "primary", 1.5)
    lab.ok("primary", "xl", "shutdown", "team-db")
    assert "team-db" in lab.ok("primary", "xl", "list", "team-db")  # still shutting down
    waited = lab.run("primary", "xl", "shutdown", "-w", "team-db")
    assert waited.returncode == 0 and "has been shut down" in waited.stderr
    assert lab.run("primary", "xl", "list", "team-db").returncode == 1


def test_crashed_host_answers_nothing_and_comes_back_empty(lab: SimLab, fault) -> None:
    fault.crash(lab.state, "primary")
    assert lab.run("primary", "xl", "list").returncode == 255
    peer = _resource(lab, "backup")
    assert peer.connections[0].state == "Connecting"
    assert peer.connections[0].peer_devices[0].peer_disk_state == "DUnknown"
    lab.ok("backup", "drbdadm", "primary", "team-db")  # still UpToDate: a forced failover works
    lab.ok("backup", "xl", "create", lab.cfg("team-db"))
    fault.revive(lab.state, "primary")
    assert [line.split()[0] for line in lab.ok("primary", "xl", "list").splitlines()[1:]] == ["Domain-0"]
    assert lab.ok("primary", "drbdsetup", "status") == "# No currently configured DRBD found.\n"
    lab.ok("primary", "drbdadm", "up", "team-db")
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "primary")), "returning host resynced")
    assert _resource(lab, "primary").role == "Secondary"


def test_xl_create_reads_the_real_config_file(lab: SimLab) -> None:
    broken = lab.root / "broken.cfg"
    broken.write_text('name = "team-ops"\nmemory = [\n')
    result = lab.run("backup", "xl", "create", str(broken))
    assert result.returncode == 1 and "Failed to parse config" in result.stderr
    missing = lab.run("backup", "xl", "create", str(lab.root / "nosuch.cfg"))
    assert missing.returncode == 1 and "No such file or directory" in missing.stderr
    lab.ok("backup", "xl", "destroy", "team-ops")
    lab.ok("backup", "xl", "create", lab.cfg("team-ops"))
    assert "team-ops" in lab.ok("backup", "xl", "list", "team-ops")


def test_resyncs_run_one_after_another_by_resync_after(lab: SimLab, fault) -> None:
    lab.ok("backup", "xl", "destroy", "team-ops")
    lab.ok("backup", "drbdadm", "secondary", "team-ops")
    fault.crash(lab.state, "backup")
    fault.wipe_disks(lab.state, "backup")
    fault.revive(lab.state, "backup")
    fault.set_resync_rate(lab.state, 32.0)
    for res in ("team-db", "team-ops"):
        lab.ok("backup", "drbdadm", "create-md", "--force", res)
        lab.ok("backup", "drbdadm", "up", res)
    status = drbd_formats.parse_events2(lab.ok("backup", "drbdsetup", "events2", "--now", "--statistics"))
    first, second = (status.find(res).connections[0].peer_devices[0] for res in ("team-db", "team-ops"))
    assert first.replication_state == "SyncTarget"
    assert second.replication_state == "PausedSyncT" and second.resync_suspended == ("dependency",)
    assert "resync-suspended:dependency" in lab.ok("backup", "drbdadm", "status", "team-ops")
    lab.wait_for(lambda: all(drbd.is_uptodate(_resource(lab, "backup", res)) for res in ("team-db", "team-ops")),
                 "both resyncs finished, one after the other")


def test_xl_create_refused_without_free_memory(lab: SimLab) -> None:
    big = lab.root / "big.cfg"
    big.write_text(lab.cfg_text("team-ops").replace("memory = 128", "memory = 900"))
    lab.ok("backup", "xl", "destroy", "team-ops")
    result = lab.run("backup", "xl", "create", str(big))
    assert result.returncode == 1 and "cannot (re-)build domain" in result.stderr
    assert lab.run("backup", "xl", "list", "team-ops").returncode == 1
    lab.ok("backup", "xl", "create", lab.cfg("team-ops"))


def test_configuration_errors_come_from_the_real_drbdadm_parser(lab: SimLab) -> None:
    (lab.root / "drbd.d" / "broken.res").write_text("resource broken { on primary { bogus; } }\n")
    result = lab.run("primary", "drbdadm", "status")
    assert result.returncode == 10
    assert "Parse error" in result.stderr and "bogus" in result.stderr


def test_a_configured_resource_the_lab_does_not_know(lab: SimLab) -> None:
    (lab.root / "drbd.d" / "newbie.res").write_text(
        "resource newbie { on primary { node-id 0; device /dev/drbd9 minor 9; disk /dev/vg_herd/newbie-root;"
        " meta-disk internal; address 127.0.0.11:7799; } on backup { node-id 1; device /dev/drbd9 minor 9;"
        " disk /dev/vg_herd/newbie-root; meta-disk internal; address 127.0.0.12:7799; } }\n")
    assert "newbie" not in lab.ok("primary", "drbdadm", "status")
    refused = lab.run("primary", "drbdadm", "up", "newbie")
    assert refused.returncode == 10 and "not a resource of this lab" in refused.stderr


def test_a_guest_started_on_a_sync_target_keeps_its_writes(lab: SimLab, fault) -> None:
    fault.set_resync_rate(lab.state, 8.0)
    lab.ok("primary", "xl", "shutdown", "-w", "team-db")
    lab.ok("primary", "drbdadm", "secondary", "team-db")
    lab.ok("backup", "drbdadm", "down", "team-db")
    lab.ok("backup", "drbdadm", "create-md", "--force", "team-db")
    lab.ok("backup", "drbdadm", "up", "team-db")
    assert _resource(lab, "backup").connections[0].peer_devices[0].replication_state == "SyncTarget"
    lab.ok("backup", "drbdadm", "primary", "team-db")  # DRBD 9: the peer has UpToDate data
    lab.ok("backup", "xl", "create", lab.cfg("team-db"))
    lab.wait_for(lambda: drbd.is_uptodate(_resource(lab, "backup")), "sync finished under the guest")
    lab.ok("backup", "xl", "destroy", "team-db")
    primary, backup, acked = lab.canaries("team-db")
    assert primary == backup == acked
