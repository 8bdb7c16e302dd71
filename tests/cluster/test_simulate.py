"""The generated CIB under the real Pacemaker 2.1 scheduler (crm_simulate), scenario by scenario.

Fixture herd: primary xen-a (team-db and team-ops prefer it), backup xen-b (team-web prefers it). Placement is
read from crm_simulate's XML, the order of actions from the transition graph it saves.
"""

from __future__ import annotations

import pytest
from cibtree import cib_text, cluster, failed_over, fixture_tree, returned, steady  # noqa: F401  (fixtures)

pytestmark = pytest.mark.real

PREFERS = {"team-db": "xen-a", "team-ops": "xen-a", "team-web": "xen-b"}


def test_from_both_online_every_guest_is_promoted_and_started_on_its_preferred_host(steady):
    for guest, host in PREFERS.items():
        other = "xen-b" if host == "xen-a" else "xen-a"
        assert steady.where(f"vm-{guest}") == [(host, "Started")]
        assert steady.where(f"drbd-{guest}-clone") == sorted([(host, "Promoted"), (other, "Unpromoted")])
        promote = steady.one("promote", f"drbd-{guest}", host)
        start = steady.one("start", f"vm-{guest}", host)
        assert steady.graph.waits_for(start, promote)
    assert steady.where("fence-xen-a") == [("xen-b", "Started")]  # never on the host it powers off
    assert steady.where("fence-xen-b") == [("xen-a", "Started")]


def test_primary_failing_is_fenced_first_then_every_guest_promoted_and_started_on_backup(failed_over):
    fencing = failed_over.one("stonith", "", "xen-a")
    for guest in PREFERS:
        assert failed_over.where(f"vm-{guest}") == [("xen-b", "Started")]
        assert failed_over.where(f"drbd-{guest}-clone") == [("xen-b", "Promoted")]
    for guest in ("team-db", "team-ops"):  # the two that move
        promote = failed_over.one("promote", f"drbd-{guest}", "xen-b")
        start = failed_over.one("start", f"vm-{guest}", "xen-b")
        assert failed_over.graph.waits_for(promote, fencing), f"{guest} promoted before xen-a was fenced"
        assert failed_over.graph.waits_for(start, promote), f"{guest} started before its promotion"
    assert not failed_over.graph.find("start", "vm-team-web")  # already where it belongs
    assert failed_over.status.node("xen-a").online is False


def test_primary_returning_does_not_pull_guests_back_while_stickiness_holds(returned):
    for guest in PREFERS:
        assert returned.where(f"vm-{guest}") == [("xen-b", "Started")]
        assert ("xen-a", "Unpromoted") in returned.where(f"drbd-{guest}-clone")
    assert not returned.graph.real()  # settled: nothing planned


def test_the_documented_failback_step_moves_a_guest_home_and_clear_keeps_it_there(cluster, returned):
    state = cluster.fork(returned.state)
    cluster.tool(state, "crm_resource", "--move", "--resource", "vm-team-db", "--node", "xen-a")
    moved = cluster.step(state)
    assert moved.where("vm-team-db") == [("xen-a", "Started")]
    assert moved.where("drbd-team-db-clone") == [("xen-a", "Promoted"), ("xen-b", "Unpromoted")]
    stop, demote = moved.one("stop", "vm-team-db", "xen-b"), moved.one("demote", "drbd-team-db", "xen-b")
    promote, start = moved.one("promote", "drbd-team-db", "xen-a"), moved.one("start", "vm-team-db", "xen-a")
    assert moved.graph.waits_for(demote, stop) and moved.graph.waits_for(promote, demote)
    assert moved.graph.waits_for(start, promote)
    assert moved.where("vm-team-ops") == [("xen-b", "Started")]  # the others stay
    cluster.tool(moved.state, "crm_resource", "--clear", "--resource", "vm-team-db")
    cleared = cluster.step(moved.state)
    assert cleared.where("vm-team-db") == [("xen-a", "Started")] and not cleared.graph.real()


def test_a_move_with_live_migration_plans_migrate_to_then_migrate_from(cluster, steady):
    state = cluster.fork(steady.state)
    cluster.tool(state, "crm_resource", "--resource", "drbd-team-db-clone", "--meta", "--set-parameter",
                 "promoted-max", "--parameter-value", "2")
    dual = cluster.step(state)
    assert dual.where("drbd-team-db-clone") == [("xen-a", "Promoted"), ("xen-b", "Promoted")]
    assert dual.where("vm-team-db") == [("xen-a", "Started")]
    cluster.tool(dual.state, "crm_resource", "--move", "--resource", "vm-team-db", "--node", "xen-b")
    moved = cluster.step(dual.state)
    migrate_to, migrate_from = moved.one("migrate_to", "vm-team-db", "xen-a"), \
        moved.one("migrate_from", "vm-team-db", "xen-b")
    assert moved.graph.waits_for(migrate_from, migrate_to)
    assert not [a for a in moved.graph.find("start", "vm-team-db") if a.kind == "rsc_op"]  # it moves live
    assert moved.where("vm-team-db") == [("xen-b", "Started")]
    cluster.tool(moved.state, "crm_resource", "--resource", "drbd-team-db-clone", "--meta", "--set-parameter",
                 "promoted-max", "--parameter-value", "1")
    single = cluster.step(moved.state)
    assert single.where("drbd-team-db-clone") == [("xen-a", "Unpromoted"), ("xen-b", "Promoted")]
    assert single.where("vm-team-db") == [("xen-b", "Started")]
    assert single.one("demote", "drbd-team-db", "xen-a")


def test_two_guests_failing_on_one_host_are_recovered_in_place(cluster, steady):
    failed = cluster.step(steady.state, "--op-inject=vm-team-db_monitor_10000@xen-a=7",
                          "--op-inject=vm-team-ops_monitor_10000@xen-a=7")
    for guest in ("team-db", "team-ops"):
        stop, start = failed.one("stop", f"vm-{guest}", "xen-a"), failed.one("start", f"vm-{guest}", "xen-a")
        assert failed.graph.waits_for(start, stop)
        assert failed.where(f"vm-{guest}") == [("xen-a", "Started")]
    assert not failed.graph.find("start", "vm-team-web")
    status = cluster.parse_mon(cluster.crm_mon(failed.state))
    assert {(f.resource, f.node) for f in status.failures} == {("vm-team-db", "xen-a"), ("vm-team-ops", "xen-a")}


def test_a_guest_failing_past_migration_threshold_moves_to_the_other_host(cluster, steady):
    state = steady.state
    for failure in range(1, 4):
        step = cluster.step(state, "--op-inject=vm-team-db_monitor_10000@xen-a=1")
        state = step.state
        if failure < 3:
            assert step.where("vm-team-db") == [("xen-a", "Started")], f"moved after {failure} failures"
    assert step.where("vm-team-db") == [("xen-b", "Started")]
    assert step.where("drbd-team-db-clone") == [("xen-a", "Unpromoted"), ("xen-b", "Promoted")]
    promote, start = step.one("promote", "drbd-team-db", "xen-b"), step.one("start", "vm-team-db", "xen-b")
    assert step.graph.waits_for(start, promote)
    assert step.where("vm-team-ops") == [("xen-a", "Started")]  # the healthy guest stays
