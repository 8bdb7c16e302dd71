"""rebuild (a host whose disks were replaced), resolve-split-brain and deploy, against the lab."""

from __future__ import annotations

import json

import pytest

from nagios_herd.lab.sim import faults

pytestmark = [pytest.mark.lab, pytest.mark.real]


def _lvs(ops, host: str) -> dict[str, int]:
    from nagios_herd.parsers import lvm

    out = ops.ssh(host, "lvs --reportformat json --units b --nosuffix -o vg_name,lv_name,lv_size vg_herd").stdout
    return {lv.name: lv.size for lv in lvm.parse_report(out).lvs}


def test_replaced_backup_is_rebuilt_from_primary_and_becomes_a_target_again(ops):
    ops.lab.crash("backup")
    forced = ops.fab("failover", "--all", "--force", "--fenced", "backup", "--connect-timeout", "2",
                     "--nagios-wait", "0")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    ops.lab.revive("backup")
    faults.wipe_disks(ops.sim, "backup")
    assert ops.ssh("backup", "lvremove -f vg_herd/lab-db-root vg_herd/lab-db-swap").returncode == 0
    before = _lvs(ops, "primary")

    plan = ops.fab("rebuild", "--host", "backup", "--plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "lvcreate -y -Wy -Zy -L" in plan.stdout and "drbdadm create-md --force lab-db" in plan.stdout
    assert "lab-db-root" not in _lvs(ops, "backup")

    rebuilt = ops.fab("rebuild", "--host", "backup")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    after = _lvs(ops, "backup")
    assert after["lab-db-root"] >= before["lab-db-root"] and "lab-db-swap" in after
    data = ops.state()
    for guest in ops.lab.herd.guests:
        sides = data["resources"][guest.name]["hosts"]
        assert sides["backup"]["role"] == "Secondary" and sides["backup"]["disk"] == "UpToDate"
        assert ops.where(guest.name) == ["primary"] and ops.canary_intact(guest.name, "primary")
    assert "backup" not in json.loads((ops.state_dir / "state.json").read_text())["hosts"]
    assert "it is a failover target again" in rebuilt.stdout
    back = ops.fab("failback", "--all", "--nagios-wait", "0")
    assert back.returncode == 0, back.stdout + back.stderr
    assert ops.where("lab-web") == ["backup"] and ops.canary_intact("lab-web", "backup")


def test_rebuild_of_the_host_running_a_guest_is_refused(ops):
    result = ops.fab("rebuild", "--guest", "lab-db", "--plan")
    assert result.returncode == 0 and "lab-db: primary -> backup" in result.stdout
    refused = ops.fab("rebuild", "--host", "primary", "--plan")
    assert refused.returncode == 1 and "the domain runs on primary, the host being rebuilt" in refused.stdout


def test_split_brain_is_reported_then_resolved_discarding_the_victim(ops):
    ops.lab.cut_link()
    assert ops.ssh("backup", "drbdadm primary lab-db").returncode == 0  # two Primaries while cut
    assert ops.ssh("backup", "drbdadm secondary lab-db").returncode == 0
    ops.lab.heal_link()
    ops.wait(lambda: any(side["split_brain"] for side in ops.state()["resources"]["lab-db"]["hosts"].values()),
             what="split brain at the handshake")
    status = ops.fab("status")
    assert "fab resolve-split-brain --guest lab-db --victim backup" in status.stdout
    verify = ops.fab("verify")
    assert verify.returncode == 1 and "fab resolve-split-brain --guest lab-db --victim backup" in verify.stdout
    wrong = ops.fab("resolve-split-brain", "--guest", "lab-db", "--victim", "primary")
    assert wrong.returncode == 1 and "the domain runs on the victim primary" in wrong.stdout
    resolved = ops.fab("resolve-split-brain", "--guest", "lab-db", "--victim", "backup")
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert "WARNING" in resolved.stdout and "snapshot" in resolved.stdout  # no device-mapper in the lab
    data = ops.state()["resources"]["lab-db"]
    assert data["connected"] and data["hosts"]["backup"]["disk"] == "UpToDate"
    assert ops.where("lab-db") == ["primary"] and ops.canary_intact("lab-db", "primary")
    assert ops.fab("verify").returncode == 0


def test_deploy_installs_only_what_changed_validates_and_reloads(ops):
    build = str(ops.lab.layout.build_dir)
    ops.lab.ssh(ops.lab.herd.guest("lab-ops").address, "chown -R nagios:nagios /var/lib/nagios4 /var/log/nagios4")
    first = ops.fab("deploy", "--build", build)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "installed" not in first.stdout and "primary: plugins up to date (bundle " in first.stdout
    assert ops.ssh("backup", "echo '# drift' >> /etc/drbd.d/lab-web.res").returncode == 0
    guest = ops.lab.herd.guest("lab-ops").address
    assert ops.lab.ssh(guest, "echo '# drift' >> /etc/nagios4/objects/commands.cfg").returncode == 0
    plan = ops.fab("deploy", "--build", build, "--plan")
    assert "backup: would install 1 file(s): /etc/drbd.d/lab-web.res" in plan.stdout
    second = ops.fab("deploy", "--build", build)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "backup: installed 1 changed file(s): /etc/drbd.d/lab-web.res" in second.stdout
    assert "backup: drbdadm adjust lab-web: ok" in second.stdout
    assert "lab-ops: installed 1 changed file(s): /etc/nagios4/objects/commands.cfg" in second.stdout
    assert "lab-ops: Nagios reload sent" in second.stdout
    assert "# drift" not in ops.ssh("backup", "cat /etc/drbd.d/lab-web.res").stdout
    assert ops.ssh("backup", "stat -c %a /etc/drbd.d/lab-web.res").stdout.strip() == "600"  # may hold a secret
    third = ops.fab("deploy", "--build", build)
    assert third.returncode == 0 and "installed" not in third.stdout


def test_deploy_refuses_an_invalid_build_and_rolls_back_when_the_target_check_fails(ops, tmp_path):
    import shutil

    build = tmp_path / "build"
    shutil.copytree(ops.lab.layout.build_dir, build)
    with open(build / "hosts/backup/etc/drbd.d/lab-db.res", "a") as handle:
        handle.write("garbage {\n")
    invalid = ops.fab("deploy", "--build", str(build))
    assert invalid.returncode == 1 and "fail validation, nothing deployed" in invalid.stderr
    guest = ops.lab.herd.guest("lab-ops").address
    ops.lab.ssh(guest, "chown -R nagios:nagios /var/lib/nagios4 /var/log/nagios4 && "
                       "chown root:root /var/lib/nagios4/spool/checkresults")  # nagios4 -v must fail there
    assert ops.lab.ssh(guest, "echo '# drift' >> /etc/nagios4/objects/commands.cfg").returncode == 0
    result = ops.fab("deploy", "--build", str(ops.lab.layout.build_dir))
    assert result.returncode == 1
    assert "lab-ops: FAILED" in result.stdout and "the previous files are back" in result.stdout
    assert "# drift" in ops.lab.ssh(guest, "cat /etc/nagios4/objects/commands.cfg").stdout
    assert ops.lab.ssh(guest, "ls /etc/nagios4/objects/").stdout.count("nagios-herd") == 0
