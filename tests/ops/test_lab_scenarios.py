"""Operator scenarios beyond the happy paths, against the lab: every one stays safe (I1-I10), says why in
one line and changes nothing it refuses to change."""

from __future__ import annotations

import stat

import pytest
from inventory_helpers import run_cli

from nagios_herd.lab import guests
from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]

MUTATING = [("failover", "--guest", "lab-db"), ("failback", "--guest", "lab-db"),
            ("rebuild", "--guest", "lab-db"), ("rebuild", "--host", "backup"),
            ("resolve-split-brain", "--guest", "lab-db", "--victim", "backup"),
            ("resolve-split-brain", "--guest", "lab-db", "--victim", "primary")]


def signature(ops) -> dict:
    """What an operation may change: domains per host, DRBD role/disk/up per side, connections."""
    data = ops.state()
    return {"domains": {host: sorted(doms) for host, doms in data["domains"].items()},
            "drbd": {name: ({host: (side["up"], side["role"], side["disk"]) for host, side in res["hosts"].items()},
                            res["connected"]) for name, res in data["resources"].items()}}


def _run_on_both_hosts(ops) -> None:
    """The 2007 drbd-user case: the link breaks and the backup boots its copy of lab-db too."""
    ops.lab.cut_link()
    assert ops.ssh("backup", "drbdadm primary lab-db && xl create /etc/xen/lab-db.cfg").returncode == 0
    ops.lab.heal_link()
    ops.wait(lambda: any(side["split_brain"] for side in ops.state()["resources"]["lab-db"]["hosts"].values()),
             what="split brain at the handshake")


def test_a_guest_on_both_hosts_is_an_error_every_operation_refuses_until_stopped_on_one(ops):
    _run_on_both_hosts(ops)
    status = ops.fab("status")
    assert status.returncode == 1 and "ERROR: lab-db runs on primary and backup" in status.stdout
    verify = ops.fab("verify")
    assert verify.returncode == 1 and "ERROR V7   lab-db: domain exists on primary and backup" in verify.stdout
    before = signature(ops)
    for args in MUTATING:
        result = ops.fab(*args)
        assert result.returncode == 1, (args, result.stdout)
        assert "FAILED  refused:" in result.stdout and "Traceback" not in result.stderr, args
    assert "the domain runs on both hosts: shut it down on the victim by hand first" in result.stdout
    assert signature(ops) == before
    assert ops.ssh("backup", "xl shutdown -w lab-db").returncode == 0  # the documented recovery
    resolved = ops.fab("resolve-split-brain", "--guest", "lab-db", "--victim", "backup")
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    assert ops.fab("status").returncode == 0  # backup's writes during the split were discarded, as chosen


def test_a_stopped_guest_is_not_started_by_a_move_nobody_interrupted(ops):
    """A4.3: runs nowhere, resource Primary on one host (then Secondary on both): refused, not guessed."""
    assert ops.ssh("primary", "xl destroy lab-db").returncode == 0
    for demote in (False, True):
        if demote:
            assert ops.ssh("primary", "drbdadm secondary lab-db").returncode == 0
        before = signature(ops)
        for task in ("failover", "failback"):
            result = ops.fab(task, "--guest", "lab-db", "--nagios-wait", "0")
            assert result.returncode == 1 and "runs nowhere" in result.stdout and "not guessing" in result.stdout
        assert signature(ops) == before and ops.where("lab-db") == []
    assert "Secondary on both hosts" in result.stdout
    assert [entry["step"] for entry in ops.journal()] == ["end"] * 4


def test_planned_failover_to_a_dead_target_or_over_a_cut_link_is_refused_before_anything_stops(ops):
    before = signature(ops)
    ops.lab.crash("backup")
    dead = ops.fab("failover", "--guest", "lab-db", "--connect-timeout", "2")
    assert dead.returncode == 1 and "target backup is unreachable" in dead.stdout
    assert ops.where("lab-db") == ["primary"] and ops.primaries("lab-db") == ["primary"]
    ops.reset()
    ops.lab.cut_link()
    cut = ops.fab("failover", "--guest", "lab-db")
    assert cut.returncode == 1
    assert ("target backup is Connecting (peer disk DUnknown), not Connected to primary: its data may be stale"
            in cut.stdout)
    ops.lab.heal_link()
    assert signature(ops) == before
    assert [entry["step"] for entry in ops.journal()] == ["end"]


def test_failover_all_skips_a_guest_already_there_refuses_a_degraded_one_and_moves_the_rest(ops):
    assert ops.fab("failover", "--guest", "lab-db", "--nagios-wait", "0").returncode == 0
    assert ops.ssh("backup", "drbdadm disconnect lab-ops").returncode == 0  # lab-ops' target is StandAlone
    result = ops.fab("failover", "--all", "--nagios-wait", "0")
    assert result.returncode == 1
    report = result.stdout.split("\nresult:\n")[1]
    assert "lab-db               ok      skipped: already on backup, nothing changed" in report
    assert "lab-ops              FAILED  refused:" in report and "target backup is StandAlone" in report
    assert "lab-infra            ok      on primary" in report and "lab-web              ok      on primary" in report
    assert ops.where("lab-ops") == ["primary"] and ops.primaries("lab-ops") == ["primary"]
    for guest, host in (("lab-db", "backup"), ("lab-infra", "primary"), ("lab-web", "primary")):
        assert ops.where(guest) == [host] and ops.canary_intact(guest, host)
    ops.assert_safe()


def test_plan_changes_nothing_for_any_operation(ops):
    build = str(ops.lab.layout.build_dir)
    assert ops.ssh("backup", "echo '# drift' >> /etc/drbd.d/lab-web.res").returncode == 0
    before = signature(ops)
    plans = [("failover", "--guest", "lab-db"), ("failover", "--all"), ("failback", "--all"),
             ("failover", "--all", "--away-from", "backup"), ("rebuild", "--guest", "lab-db"),
             ("rebuild", "--host", "backup"), ("resolve-split-brain", "--guest", "lab-db", "--victim", "backup"),
             ("deploy", "--build", build)]
    for args in plans:
        result = ops.fab(*args, "--plan")
        assert "Traceback" not in result.stderr, args
        assert signature(ops) == before, args
    assert "backup: would install 1 file(s): /etc/drbd.d/lab-web.res" in result.stdout
    assert "# drift" in ops.ssh("backup", "cat /etc/drbd.d/lab-web.res").stdout
    assert ops.journal() == [] and not (ops.state_dir / "state.json").exists()
    assert not (ops.state_dir / "lock").exists()


@pytest.mark.parametrize("args, line", [
    (("failover", "--guest", "nope"), "fab: --guest 'nope': not a guest of this herd (lab-db, lab-infra, lab-ops, lab-web)"),
    (("failback", "--guest", "nope"), "fab: --guest 'nope': not a guest of this herd (lab-db, lab-infra, lab-ops, lab-web)"),
    (("rebuild", "--guest", "nope"), "fab: --guest 'nope': not a guest of this herd (lab-db, lab-infra, lab-ops, lab-web)"),
    (("rebuild", "--host", "nope"), "fab: --host 'nope': not a host of this herd (primary, backup)"),
    (("resolve-split-brain", "--guest", "nope", "--victim", "backup"), "fab: --guest 'nope': not a guest of this herd (lab-db, lab-infra, lab-ops, lab-web)"),
    (("resolve-split-brain", "--guest", "lab-db", "--victim", "nope"),
     "fab: --victim 'nope': not a host of this herd (primary, backup)"),
    (("failover", "--all", "--away-from", "nope"), "fab: --away-from 'nope': not a host of this herd (primary, backup)"),
    (("failover", "--all", "--force", "--fenced", "nope"), "fab: --fenced 'nope': not a host of this herd (primary, backup)"),
])
def test_unknown_names_are_one_line_and_exit_1(ops, args, line):
    result = ops.fab(*args)
    assert result.returncode == 1 and result.stderr == line + "\n" and result.stdout == ""


def test_verify_runs_while_a_failover_holds_the_lock_and_says_so(ops):
    faults.slow_shutdown(ops.sim, "primary", 4)
    moving = ops.start("failover", "--guest", "lab-db", "--nagios-wait", "0")
    try:
        ops.wait(lambda: any(e["step"] == "begin" for e in ops.journal()), what="the failover's first step")
        verify = ops.fab("verify")
    finally:
        out, err = moving.communicate(timeout=120)
    assert f"WARN  V13  a mutating run is in progress (pid {moving.pid}" in verify.stdout
    assert "lab-db: the job of run" in verify.stdout and "is in progress, at step" in verify.stdout
    assert "ERROR V13" not in verify.stdout
    assert moving.returncode == 0, out + err
    assert ops.fab("verify").returncode == 0


def test_rebuild_refuses_a_busy_host_and_a_cut_link_and_is_a_no_op_when_healthy(ops):
    before = signature(ops)
    busy = ops.fab("rebuild", "--host", "backup")
    assert busy.returncode == 1
    assert "backup runs or is Primary for lab-infra, lab-web: it is not a replaced host" in busy.stdout
    healthy = ops.fab("rebuild", "--guest", "lab-db")
    assert healthy.returncode == 0 and "skipped: already rebuilt on backup, nothing changed" in healthy.stdout
    ops.lab.cut_link()
    cut = ops.fab("rebuild", "--guest", "lab-db")
    assert cut.returncode == 1 and "lab-db is up on backup but Connecting: no resync can start" in cut.stdout
    ops.lab.heal_link()
    assert signature(ops) == before


def test_verify_finds_autostart_links_and_a_missing_split_brain_handler(ops):
    conf = "/etc/drbd.d/global_common.conf"
    assert ops.ssh("primary", f"cp -p {conf} /root/gc.keep && sed -i '/split-brain /d' {conf} && "
                              "mkdir -p /etc/xen/auto && ln -sf /etc/xen/lab-db.cfg /etc/xen/auto/").returncode == 0
    try:
        verify = ops.fab("verify")
    finally:
        assert ops.ssh("primary", f"mv -f /root/gc.keep {conf} && rm -rf /etc/xen/auto").returncode == 0
    assert verify.returncode == 1
    assert "ERROR V11  primary: no split-brain handler (a split brain would go unnoticed)" in verify.stdout
    assert "ERROR V11  primary: /etc/xen/auto starts guests behind the tool's back: lab-db.cfg" in verify.stdout
    assert "backup: no split-brain handler" not in verify.stdout


def test_a_resync_at_rate_zero_reads_as_stalled_not_as_broken_json(ops):
    """drbdsetup prints 987654321 for an unknown ETA; status shows the resync, verify calls it stuck (V12)."""
    faults.set_resync_rate(ops.sim, 0.0)
    ops.lab.crash("backup")
    ops.lab.revive("backup")
    assert ops.ssh("backup", "drbdadm up lab-db").returncode == 0
    raw = ops.ssh("backup", "drbdsetup status --json lab-db").stdout
    assert '"estimated-seconds-to-finish": 987654321,' in raw and "nan" not in raw
    status = ops.fab("status", "--connect-timeout", "2")
    assert status.returncode == 0 and "0.0% (SyncSource on primary)" in status.stdout
    verify = ops.fab("verify")
    assert "ERROR V12  lab-db: resync on backup stuck at 0.0%" in verify.stdout
    moved = ops.fab("failover", "--guest", "lab-db")
    assert moved.returncode == 1 and "disk is Inconsistent on target backup" in moved.stdout


def test_deploy_with_a_host_down_installs_what_it_reaches_and_names_the_rest(ops):
    build = str(ops.lab.layout.build_dir)
    assert ops.ssh("primary", "echo '# drift' >> /etc/drbd.d/lab-db.res").returncode == 0
    ops.lab.crash("backup")  # its guests (lab-infra, lab-web) go down with it
    result = ops.fab("deploy", "--build", build, "--connect-timeout", "2")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "primary: installed 1 changed file(s): /etc/drbd.d/lab-db.res" in result.stdout
    for machine in ("backup", "lab-infra", "lab-web"):
        assert f"{machine}: FAILED: unreachable (" in result.stdout and "re-run when it is back" in result.stdout
    assert "# drift" not in ops.ssh("primary", "cat /etc/drbd.d/lab-db.res").stdout
    ends = {(e["guest"], e["result"]) for e in ops.journal() if e["step"] == "end"}
    assert ("backup", "stopped") in ends and ("primary", "done") in ends


def test_deploy_installs_a_guests_resource_cfg_readable_by_the_nagios_group(ops):
    """The build tree keeps resource.cfg (the team's $USERn$ secrets) 0600; on the guest Nagios re-reads it as the
    nagios user on a reload, so deploy installs it root:nagios 0640, as Debian's package does."""
    guest = ops.lab.herd.guest("lab-db").address
    build = ops.lab.layout.build_dir
    assert stat.S_IMODE((build / "guests/lab-db/etc/nagios4/resource.cfg").stat().st_mode) == 0o600
    assert ops.lab.ssh(guest, "echo '# drift' >> /etc/nagios4/resource.cfg").returncode == 0
    result = ops.fab("deploy", "--build", str(build))
    assert "lab-db: installed 1 changed file(s): /etc/nagios4/resource.cfg" in result.stdout, result.stdout
    owner = ops.lab.ssh(guest, "stat -c '%U:%G %a' /etc/nagios4/resource.cfg").stdout.strip()
    assert owner == "root:nagios 640"


def test_deploy_installs_the_sudoers_file_root_0440_and_sudo_reads_it(ops):
    """Whatever mode a drifted sudoers file had, deploy puts the generated one in place root:root 0440 (Debian's and
    sudo's convention), checked by visudo first; the nagios user's sudo still allows exactly its lines."""
    sudoers = "/etc/sudoers.d/nagios-herd"
    assert ops.ssh("primary", f"echo '# drift' >> {sudoers} && chmod 0644 {sudoers}").returncode == 0
    result = ops.fab("deploy", "--build", str(ops.lab.layout.build_dir))
    installed = [line for line in result.stdout.splitlines() if line.startswith("primary: installed ")]
    assert result.returncode == 0 and sudoers in installed[0].split(), result.stdout + result.stderr
    assert ops.ssh("primary", f"stat -c '%U:%G %a' {sudoers}").stdout.strip() == "root:root 440"
    assert "# drift" not in ops.ssh("primary", f"cat {sudoers}").stdout
    allowed = ops.ssh("primary", "runuser -u nagios -- sudo -n /usr/sbin/xl list")
    assert allowed.returncode == 0 and "Domain-0" in allowed.stdout, allowed
    refused = ops.ssh("primary", "runuser -u nagios -- sudo -n /usr/bin/id")
    assert refused.returncode != 0 and refused.stdout == "", refused


def test_deploy_installs_a_guests_web_users_file_readable_by_the_web_server(ops, tmp_path):
    """With ``herd.web_secrets`` each guest's tree has its htdigest.users, 0600 in the build tree; lighttpd opens it
    as www-data on every request, so deploy installs it root:www-data 0640, as publish writes it. The CGIs read
    cgi.cfg (root:www-data 0640) and the nagios.cfg it names (root:nagios 0644: Nagios reads it too)."""
    layout, herd = ops.lab.layout, ops.lab.herd
    people = sorted({c.name for g in herd.guests for c in g.team.contacts} | {a.name for a in herd.admins})
    secrets = tmp_path / "web.toml"  # the lab's own passwords: the logins of the other tests keep working
    secrets.write_text("\n".join(["[contacts]", *(f'{name} = "{guests.web_password(layout, name)}"' for name in people),
                                  "[reader]", *(f'{g.name} = "{guests.reader_auth(layout, g.name)[1]}"'
                                                for g in herd.guests)]) + "\n")
    secrets.chmod(0o600)
    inventory = ops.lab.inventory.parent / "herd-web-secrets.toml"  # beside the lab's: its team files are relative
    inventory.write_text(ops.lab.inventory.read_text().replace("[herd]\n", f'[herd]\nweb_secrets = "{secrets}"\n', 1))
    build = tmp_path / "build"
    done = run_cli("generate", "--inventory", str(inventory), "--output", str(build))
    assert done.returncode == 0, done.stderr
    users, cgi, main = "/etc/nagios4/htdigest.users", "/etc/nagios4/cgi.cfg", "/etc/nagios4/nagios.cfg"
    assert stat.S_IMODE((build / f"guests/lab-db{users}").stat().st_mode) == 0o600
    guest = herd.guest("lab-db").address
    for path in (users, cgi, main):
        assert ops.lab.ssh(guest, f"echo '# drift' >> {path} && chmod 0600 {path}").returncode == 0
    result = ops.fab("deploy", "--build", str(build))
    installed = [line for line in result.stdout.splitlines() if line.startswith("lab-db: installed ")]
    assert installed and {users, cgi, main} <= set(installed[0].split()), result.stdout + result.stderr
    for path, wanted in ((users, "root:www-data 640"), (cgi, "root:www-data 640"), (main, "root:nagios 644")):
        assert ops.lab.ssh(guest, f"stat -c '%U:%G %a' {path}").stdout.strip() == wanted, path
        read = ops.lab.ssh(guest, f"runuser -u www-data -- cat {path}")
        assert read.returncode == 0 and "# drift" not in read.stdout, read
    assert ops.lab.ssh(guest, f"runuser -u www-data -- cat {users}").stdout.count(":Nagios4:") >= 2
