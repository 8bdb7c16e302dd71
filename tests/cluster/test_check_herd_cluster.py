"""check_herd_cluster on what the real crm_mon prints for each simulated state, and on real pasted output.

The states come from the scheduler scenarios (tests/cluster/simulation.py); crm_mon reads each saved state through
``CIB_file``, and the installed launcher judges its XML (``--input``), as NRPE runs it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cibtree import ROOT, cluster, failed_over, fixture_tree, returned, steady  # noqa: F401  (fixtures)

from nagios_herd.parsers import crm_mon

pytestmark = pytest.mark.real

CHECK = ROOT / "checks" / "check_herd_cluster"
FIXTURES = ROOT / "tests" / "fixtures" / "pacemaker"
GUESTS = ["--guest", "team-db@xen-a", "--guest", "team-ops@xen-a", "--guest", "team-web@xen-b"]


def judge(cluster, state: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / f"{state.stem}-crm_mon.xml"
    saved.write_text(cluster.crm_mon(state))
    done = subprocess.run([str(CHECK), "--input", str(saved), *args], capture_output=True, text=True, timeout=30,
                          check=False)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def test_steady_herd_is_ok(cluster, steady, tmp_path):
    done = judge(cluster, steady.state, tmp_path, *GUESTS)
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("CLUSTER OK - 2/2 nodes online, 3/3 guests started")


def test_after_the_primary_failed_its_node_is_critical_and_moved_guests_warn(cluster, failed_over, tmp_path):
    done = judge(cluster, failed_over.state, tmp_path, *GUESTS)
    assert done.returncode == 2, done.stdout
    lines = done.stdout.splitlines()
    assert "CRITICAL: node xen-a OFFLINE" in lines
    assert "WARNING: team-db: runs on xen-b, not on its preferred host xen-a" in lines
    assert "OK: team-web: started on xen-b" in lines
    assert "WARNING: fence device fence-xen-b stopped: it is not being monitored" in lines  # it ran on xen-a


def test_after_the_primary_returned_only_the_placement_warns(cluster, returned, tmp_path):
    done = judge(cluster, returned.state, tmp_path, *GUESTS)
    assert done.returncode == 1, done.stdout
    assert [line for line in done.stdout.splitlines()[1:] if not line.startswith("OK")] == [
        "WARNING: team-db: runs on xen-b, not on its preferred host xen-a",
        "WARNING: team-ops: runs on xen-b, not on its preferred host xen-a"]


def test_a_node_waiting_to_be_fenced_is_unclean(cluster, steady, tmp_path):
    state = cluster.directory / "unclean.xml"
    cluster.tool(steady.state, "crm_simulate", "--xml-file", str(steady.state), "--node-fail=xen-a", "--run",
                 "--save-output", str(state))  # the failure seen, the fencing not yet done
    done = judge(cluster, state, tmp_path, *GUESTS)
    assert done.returncode == 2 and "CRITICAL: node xen-a UNCLEAN: waiting to be fenced" in done.stdout


def test_failed_actions_warn_with_the_cleanup_command(cluster, steady, tmp_path):
    failed = cluster.step(steady.state, "--op-inject=vm-team-db_monitor_10000@xen-a=7")
    done = judge(cluster, failed.state, tmp_path, *GUESTS)
    assert done.returncode == 1, done.stdout
    assert ("WARNING: failed action vm-team-db monitor on xen-a: not running (Simulated action result); "
            "crm_resource --cleanup --resource vm-team-db") in done.stdout.splitlines()


@pytest.mark.parametrize("change, expected, code", [
    (("crm_resource", "--resource", "vm-team-web", "--meta", "--set-parameter", "target-role", "--parameter-value",
      "Stopped"), "CRITICAL: team-web: stopped", 2),
    (("crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--update", "true"),
     "WARNING: maintenance-mode: the cluster does not start, stop or move anything", 1),
    (("crm_attribute", "--node", "xen-b", "--name", "standby", "--update", "on"),
     "WARNING: node xen-b in standby: it runs no guest", 1),  # and the guest it preferred runs elsewhere
    (("crm_resource", "--resource", "vm-team-db", "--meta", "--set-parameter", "is-managed", "--parameter-value",
      "false"), "WARNING: team-db: vm-team-db is unmanaged", 1),
])
def test_each_operator_visible_state(cluster, steady, tmp_path, change, expected, code):
    state = cluster.fork(steady.state)
    cluster.tool(state, *change)
    after = cluster.step(state)
    done = judge(cluster, after.state, tmp_path, *GUESTS)
    assert expected in done.stdout.splitlines(), done.stdout
    assert done.returncode == code


def test_standby_moves_the_guests_and_the_check_names_both(cluster, steady, tmp_path):
    state = cluster.fork(steady.state)
    cluster.tool(state, "crm_attribute", "--node", "xen-b", "--name", "standby", "--update", "on")
    after = cluster.settle(state)
    assert after.where("vm-team-web") == [("xen-a", "Started")]
    done = judge(cluster, after.state, tmp_path, *GUESTS)
    assert "WARNING: team-web: runs on xen-a, not on its preferred host xen-b" in done.stdout.splitlines()


def test_a_partition_without_quorum_is_critical(cluster, steady, tmp_path):
    state = cluster.fork(steady.state)
    state.write_text(state.read_text().replace('have-quorum="1"', 'have-quorum="0"', 1))
    done = judge(cluster, state, tmp_path, *GUESTS)
    assert done.returncode == 2
    assert "CRITICAL: partition WITHOUT quorum (DC xen-a): resources are stopped" in done.stdout


def test_without_guest_options_every_xen_primitive_is_a_guest(cluster, steady, tmp_path):
    done = judge(cluster, steady.state, tmp_path)
    assert done.returncode == 0 and "3/3 guests started" in done.stdout


def test_crm_mon_on_a_node_without_a_cluster_is_critical_not_unknown():
    done = subprocess.run([str(CHECK), "--input", str(FIXTURES / "crm_mon-2.1.5-not-connected.xml")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stdout.startswith("CLUSTER CRITICAL - the cluster is not running on this node: Not connected (code 102)")


PASTED = FIXTURES / "ClusterLabs_ha_cluster_exporter_193_crm_mon_X_2.0.1_TRUNCATED.xml"


def test_a_truncated_paste_is_unknown_in_one_line(tmp_path):
    done = subprocess.run([str(CHECK), "--input", str(PASTED)], capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 3 and "not XML" in done.stdout and "Traceback" not in done.stderr


def test_the_pasted_legacy_crm_mon_format_reads_the_same_way(tmp_path):
    text = PASTED.read_text()
    whole = text[:text.index("    <resources>")] + "</crm_mon>\n"  # the part of the paste that is complete
    status = crm_mon.parse(whole)
    assert (status.dc, status.quorum) == ("hana00", True)
    assert [(node.name, node.online, node.is_dc) for node in status.nodes] == [("hana00", True, True),
                                                                               ("hana01", True, False)]
    assert status.options["stonith-enabled"] == "true" and not status.maintenance_mode
    saved = tmp_path / "pasted.xml"
    saved.write_text(whole)
    done = subprocess.run([str(CHECK), "--input", str(saved), "--guest", "team-db"], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 2 and "CRITICAL: team-db: no resource vm-team-db in the cluster" in done.stdout


def test_a_failed_fence_device_is_critical(cluster, steady, tmp_path):
    state = cluster.directory / "fence-failed.xml"
    cluster.tool(steady.state, "crm_simulate", "--xml-file", str(steady.state),
                 "--op-inject=fence-xen-a_monitor_60000@xen-b=1", "--run", "--save-output", str(state))
    done = judge(cluster, state, tmp_path, *GUESTS)  # the failure recorded, the recovery not yet run
    assert done.returncode == 2
    assert "CRITICAL: fence device fence-xen-a FAILED: the cluster may not be able to fence" in done.stdout
