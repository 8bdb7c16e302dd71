"""fab with Pacemaker managing the herd: status from crm_mon, moves as constraints, standby, refusals, CIB load.

The tasks run their real commands (crm_resource, crm_attribute, crm_mon, cibadmin, crm_verify) against a saved
cluster state through ``CIB_file``, and the scheduler reacts after each change (tests/cluster/simnode.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cibtree import FIXTURE_INVENTORY, cluster, fixture_tree, steady  # noqa: F401  (fixtures)
from simnode import Shared, SimNode

from nagios_herd.errors import HerdError
from nagios_herd.inventory.loader import load
from nagios_herd.model import Herd
from nagios_herd.ops import cib_load
from nagios_herd.ops.cluster import act, show_status

pytestmark = pytest.mark.real

HERD = load(FIXTURE_INVENTORY)


@pytest.fixture()
def nodes(cluster, steady, tmp_path):  # noqa: F811
    shared = Shared(cluster, cluster.fork(steady.state), tmp_path / "root")
    return shared, {name: SimNode(name, shared) for name in ("xen-a", "xen-b")}


def where(shared: Shared, guest: str) -> list[tuple[str, str]]:
    return sorted(shared.cluster.parse_mon(shared.cluster.crm_mon(shared.state)).where(guest))


def constraints(shared: Shared) -> list[str]:
    root = ET.parse(shared.state).getroot()
    return [c.get("id") for c in root.iterfind("./configuration/constraints/rsc_location")
            if c.get("id").startswith("cli-")]


def test_status_reads_the_cluster(nodes):
    _, links = nodes
    out = io.StringIO()
    assert show_status(HERD, links, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "cluster (Pacemaker, read on xen-a; DC xen-a, quorum): xen-a online, xen-b online"
    assert lines[2].split() == ["team-db", "xen-a", "xen-a", "xen-a", "Promoted,", "xen-b", "Unpromoted"]


def test_failover_is_a_live_move_through_pacemaker_and_leaves_no_constraint(nodes):
    shared, links = nodes
    out = io.StringIO()
    assert act(HERD, links, "failover", guest="team-db", out=out, poll=0) == 0, out.getvalue()
    assert where(shared, "vm-team-db") == [("xen-b", "Started")]
    assert where(shared, "drbd-team-db-clone") == [("xen-a", "Unpromoted"), ("xen-b", "Promoted")]
    assert constraints(shared) == []  # cleared: stickiness keeps it, and it may fail over again
    assert [(host, argv[2]) for host, argv in shared.drbd] == [
        ("xen-a", "--allow-two-primaries=yes"), ("xen-b", "--allow-two-primaries=yes"),
        ("xen-a", "--allow-two-primaries=no"), ("xen-b", "--allow-two-primaries=no")]
    text = out.getvalue()
    assert "crm_resource --move --resource vm-team-db --node xen-b" in text
    assert "crm_resource --resource drbd-team-db-clone --meta --set-parameter promoted-max --parameter-value 2" in text
    assert where(shared, "vm-team-ops") == [("xen-a", "Started")]


def test_failback_all_brings_every_guest_home(nodes):
    shared, links = nodes
    assert act(HERD, links, "failover", everything=True, away_from="xen-a", out=io.StringIO(), poll=0) == 0
    assert where(shared, "vm-team-ops") == [("xen-b", "Started")]
    out = io.StringIO()
    assert act(HERD, links, "failback", everything=True, out=out, poll=0) == 0, out.getvalue()
    for guest, host in (("team-db", "xen-a"), ("team-ops", "xen-a"), ("team-web", "xen-b")):
        assert where(shared, f"vm-{guest}") == [(host, "Started")]
    assert constraints(shared) == []


def test_the_plan_changes_nothing(nodes):
    shared, links = nodes
    before = shared.state.read_bytes()
    out = io.StringIO()
    assert act(HERD, links, "failover", guest="team-db", out=out, plan_only=True) == 0
    assert shared.state.read_bytes() == before and shared.drbd == []
    assert "4. move to xen-b (live migration): crm_resource --move --resource vm-team-db --node xen-b" in out.getvalue()


def test_evacuate_is_standby_and_restore_brings_the_host_back_without_moving_guests(nodes):
    shared, links = nodes
    assert act(HERD, links, "evacuate", host="xen-a", out=io.StringIO(), poll=0) == 0
    for guest in ("team-db", "team-ops", "team-web"):
        assert where(shared, f"vm-{guest}") == [("xen-b", "Started")]
    out = io.StringIO()
    assert act(HERD, links, "restore", host="xen-a", out=out, poll=0) == 0
    status = shared.cluster.parse_mon(shared.cluster.crm_mon(shared.state))
    assert status.node("xen-a").online and not status.node("xen-a").standby
    assert where(shared, "vm-team-db") == [("xen-b", "Started")]  # failback is the operator's move
    assert "crm_attribute --node xen-a --name standby --update off" in out.getvalue()


def test_a_move_to_a_host_in_standby_is_refused(nodes):
    shared, links = nodes
    act(HERD, links, "evacuate", host="xen-a", out=io.StringIO(), poll=0)
    out = io.StringIO()
    assert act(HERD, links, "failback", guest="team-db", out=out, poll=0) == 1
    assert "team-db: REFUSED: xen-a is in standby (fab restore --host xen-a)" in out.getvalue()


@pytest.mark.parametrize("task", ["rebuild", "resolve-split-brain"])
def test_tasks_that_would_act_behind_the_clusters_back_are_refused_with_the_command(nodes, task):
    _, links = nodes
    with pytest.raises(HerdError) as error:
        act(HERD, links, task, out=io.StringIO())
    assert "crm_attribute --type crm_config --name maintenance-mode --update true" in str(error.value)


def test_in_maintenance_mode_the_classic_task_runs(nodes):
    shared, links = nodes
    links["xen-a"].run(["crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--update", "true"])
    assert act(HERD, links, "rebuild", out=io.StringIO()) is None


def test_a_forced_failover_is_the_clusters_job(nodes):
    _, links = nodes
    with pytest.raises(HerdError) as error:
        act(HERD, links, "failover", guest="team-db", fenced="xen-a", out=io.StringIO())
    assert "stonith_admin --confirm xen-a" in str(error.value)


def test_status_is_read_on_the_node_that_answers(nodes, cluster):  # noqa: F811
    shared, links = nodes
    shared.state = cluster.step(shared.state, "--node-fail=xen-a").state
    links["xen-a"].down = "no SSH answer"
    out = io.StringIO()
    show_status(HERD, links, out)
    assert out.getvalue().startswith("cluster (Pacemaker, read on xen-b; DC xen-b, quorum): xen-a OFFLINE")
    assert "team-db   xen-b (away)" in out.getvalue()


@pytest.fixture()
def credentials(tmp_path) -> tuple[Herd, Path]:
    """The fixture herd with its fence logins in a root-only file of this test."""
    path = tmp_path / "fencing.toml"
    path.write_text('[xen-a]\nusername = "admin"\npassword = "s3cret-a"\n[xen-b]\nusername = "admin"\n'
                    'password = "s3cret-b"\n')
    path.chmod(0o600)
    return dataclasses.replace(HERD, cluster=dataclasses.replace(HERD.cluster, fence_credentials=str(path))), path


def test_deploy_loads_a_changed_configuration_and_the_fence_logins(nodes, fixture_tree, credentials, tmp_path):
    shared, links = nodes
    cib = tmp_path / "cib.xml"
    cib.write_text((fixture_tree / "cluster" / "cib.xml").read_text().replace(
        'name="resource-stickiness" value="200"', 'name="resource-stickiness" value="300"', 1))
    herd, _ = credentials
    out = io.StringIO()
    assert cib_load.load(herd, links, cib, plan_only=True, out=out) == 0
    assert "would load it" in out.getvalue()
    assert ET.parse(shared.state).getroot().find(".//nvpair[@id='vm-team-db-stickiness']").get("value") == "200"
    assert cib_load.load(herd, links, cib, plan_only=False, out=out) == 0, out.getvalue()
    running = ET.parse(shared.state).getroot()
    assert running.find(".//nvpair[@id='vm-team-db-stickiness']").get("value") == "300"
    assert where(shared, "vm-team-db") == [("xen-a", "Started")]  # the status section was kept
    secret = shared.root / "var/lib/pacemaker/lrm/secrets/fence-xen-b/password"
    assert secret.read_text() == "s3cret-b\n"
    assert (secret.parent / "password.sign").read_text() == hashlib.md5(b"s3cret-b").hexdigest() + "\n"
    assert (secret.stat().st_mode & 0o777) == 0o600
    again = io.StringIO()
    assert cib_load.load(herd, links, cib, plan_only=False, out=again) == 0
    assert "cluster: configuration up to date" in again.getvalue()


def test_deploy_refuses_a_readable_credentials_file_and_a_cib_that_fails_crm_verify(nodes, fixture_tree,
                                                                                  credentials, tmp_path):
    _, links = nodes
    herd, path = credentials
    cib = fixture_tree / "cluster" / "cib.xml"
    path.chmod(0o644)
    with pytest.raises(HerdError) as error:
        cib_load.load(herd, links, cib, plan_only=False, out=io.StringIO())
    assert "readable by nobody else (chmod 600)" in str(error.value)
    path.chmod(0o600)
    broken = tmp_path / "broken.xml"
    broken.write_text(cib.read_text().replace('name="xmfile"', 'name="xmlfile"', 1))
    with pytest.raises(HerdError) as error:
        cib_load.load(herd, links, broken, plan_only=False, out=io.StringIO())
    assert "parameter 'xmlfile' is not a parameter of ocf:heartbeat:Xen" in str(error.value)
