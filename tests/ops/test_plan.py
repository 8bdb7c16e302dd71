"""Plan building on probe results parsed from real-format text: the refusals (I4) and the step sequences."""

from __future__ import annotations

from pathlib import Path

import pytest

from nagios_herd.inventory.loader import load
from nagios_herd.ops import failover, verify_checks
from nagios_herd.ops.facts import HostFacts
from nagios_herd.ops.failover import MoveOptions
from nagios_herd.ops.plan import render
from nagios_herd.parsers import xen

from .states import resource, snapshot, view, xl_list

ROOT = Path(__file__).resolve().parents[2]
XL_INFO = (ROOT / "tests/fixtures/ganeti/xen-xl-info-4.0.1.txt").read_text()  # free_memory 8004


@pytest.fixture(scope="module")
def herd():
    return load(ROOT / "etc/lab.toml")


def facts(free_mb_text: str = XL_INFO, cfg: dict[str, str] | None = None) -> dict[str, HostFacts]:
    info = xen.parse_info(free_mb_text)
    sums = cfg if cfg is not None else {"/etc/xen/lab-db.cfg": "a" * 64}
    return {h: HostFacts(h, info.free_memory_mb, info, None, dict(sums)) for h in ("primary", "backup")}


def healthy(herd, **backup_changes):
    """lab-db running on primary, Primary/UpToDate there, Secondary/UpToDate on backup, Connected."""
    guest = herd.guest("lab-db")
    primary = snapshot("primary", xl_list(("lab-db", 64, "-b----")),
                       [resource("lab-db", 3, "Primary", "UpToDate")])
    backup = snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", **{
        "disk": "UpToDate", "peer_role": "Primary", **backup_changes})])
    return view(guest, {"primary": primary, "backup": backup})


def plan(herd, v, options=MoveOptions(), offline=None, fx=None, needed=None, tmp=Path("/nonexistent"),
         interrupted=False):
    return failover.plan_guest(herd, v, "primary", "backup", fx or facts(), offline or {},
                               needed or {"backup": 64}, options, tmp, interrupted)


def test_planned_failover_steps_in_safe_order(herd):
    p = plan(herd, healthy(herd))
    assert p.refusals == []
    assert [s.name for s in p.steps] == ["shutdown", "destroy", "demote", "handshake", "promote", "start",
                                         "nagios", "record"]
    promote = p.steps[4]
    assert promote.command == ("drbdadm", "primary", "lab-db") and 17 in promote.stops
    text = render([p], {"lab-db": healthy(herd)}, "plan")
    assert "1. shutdown on primary: xl shutdown -w lab-db  [to do]" in text
    assert "requires: no domain on primary" in text


@pytest.mark.parametrize("changes, reason", [
    ({"disk": "Inconsistent", "replication": "SyncTarget", "done": 40.0}, "disk is Inconsistent on target"),
    ({"disk": "Outdated", "connection": "Connecting"}, "not Connected"),
    ({"out_of_sync_kib": 64}, "out of sync"),
])
def test_degraded_target_is_refused_before_anything_stops(herd, changes, reason):
    p = plan(herd, healthy(herd, **changes))
    assert p.steps == [] and any(reason in r for r in p.refusals), p.refusals


def test_offline_target_missing_config_and_memory_are_refused(herd):
    p = plan(herd, healthy(herd), offline={"backup": {"since": "then", "reason": "fenced"}},
             fx=facts(cfg={}), needed={"backup": 9000})
    joined = " | ".join(p.refusals)
    assert "marked offline" in joined and "missing on backup" in joined and "8004 MiB free" in joined


def test_config_differing_between_hosts_is_refused(herd):
    fx = facts()
    fx["primary"] = HostFacts("primary", 8004, fx["primary"].info, None, {"/etc/xen/lab-db.cfg": "b" * 64})
    assert any("differs" in r for r in plan(herd, healthy(herd), fx=fx).refusals)


def test_domain_on_both_hosts_is_refused(herd):
    guest = herd.guest("lab-db")
    both = view(guest, {
        "primary": snapshot("primary", xl_list(("lab-db", 64, "-b----")),
                            [resource("lab-db", 3, "Primary", "UpToDate")]),
        "backup": snapshot("backup", xl_list(("lab-db", 64, "-b----")),
                           [resource("lab-db", 3, "Secondary", "UpToDate", peer_role="Primary")])})
    assert any("both hosts" in r for r in plan(herd, both).refusals)


def test_failback_waits_for_the_resync_and_says_how_far(herd):
    v = healthy(herd, disk="Inconsistent", replication="SyncTarget", done=62.5)
    p = plan(herd, v, MoveOptions(failback=True))
    assert p.refusals == ["resync still running on backup (SyncTarget, 62.5% done): wait for it to finish"]


def test_resumed_run_skips_what_is_already_true(herd):
    guest = herd.guest("lab-db")
    half = view(guest, {
        "primary": snapshot("primary", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate")]),
        "backup": snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate")])})
    p = plan(herd, half, interrupted=True)
    assert p.refusals == [] and "resuming the unfinished job" in p.notes[0]
    done = [step.name for step in p.steps if step.done(half)]
    assert done == ["shutdown", "destroy", "demote", "handshake"]


def test_a_guest_already_home_is_left_alone_while_the_other_host_is_offline(herd):
    """failback --all after a forced failover and a revive: the fenced host's stale side is not demoted."""
    guest = herd.guest("lab-db")
    home = view(guest, {
        "primary": snapshot("primary", xl_list(), []),  # revived: its resources not yet brought up
        "backup": snapshot("backup", xl_list(("lab-db", 64, "-b----")),
                           [resource("lab-db", 3, "Primary", "UpToDate", connection="Connecting",
                                     peer_role="Unknown")])})
    offline = {"primary": {"since": "now", "reason": "fenced"}}
    p = plan(herd, home, options=MoveOptions(failback=True), offline=offline)
    assert p.refusals == [] and [s.name for s in p.steps] == ["promote", "start", "nagios", "record"]
    assert all(step.done(home) for step in p.steps[:2]) and "primary is offline" in p.notes[-1]
    online = plan(herd, healthy_home(herd), options=MoveOptions(failback=True))
    assert [s.name for s in online.steps][:3] == ["shutdown", "destroy", "demote"]


def healthy_home(herd):
    guest = herd.guest("lab-db")
    return view(guest, {
        "primary": snapshot("primary", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate")]),
        "backup": snapshot("backup", xl_list(("lab-db", 64, "-b----")),
                           [resource("lab-db", 3, "Primary", "UpToDate", peer_role="Secondary")])})


def test_a_stopped_guest_nobody_was_moving_is_not_started_anywhere(herd):
    """A4.3: runs nowhere and no unclosed job in the journal: refused (Primary somewhere, or Secondary on both)."""
    guest = herd.guest("lab-db")
    for role in ("Primary", "Secondary"):
        stopped = view(guest, {
            "primary": snapshot("primary", xl_list(), [resource("lab-db", 3, role, "UpToDate")]),
            "backup": snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate")])})
        p = plan(herd, stopped)
        assert p.steps == [] and len(p.refusals) == 1 and "runs nowhere" in p.refusals[0]
        assert ("Primary on primary" if role == "Primary" else "Secondary on both hosts") in p.refusals[0]


def test_a_target_cut_off_from_the_source_is_refused_as_possibly_stale(herd):
    cut = healthy(herd, connection="Connecting", peer_role="Unknown")
    assert plan(herd, cut).refusals == ["target backup is Connecting (peer disk DUnknown), not Connected to "
                                        "primary: its data may be stale; restore the replication link first"]


def test_forced_failover_refuses_a_live_source_and_stale_data(herd):
    live = plan(herd, healthy(herd), MoveOptions(fenced="primary"))
    assert any("answers SSH" in r for r in live.refusals)
    guest = herd.guest("lab-db")
    dead = {"primary": snapshot("primary", None, None, down="no SSH answer"),
            "backup": snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", "Outdated",
                                                               connection="Connecting", peer_role="Unknown")])}
    stale = plan(herd, view(guest, dead), MoveOptions(fenced="primary"))
    assert any("Outdated" in r and "--allow-stale --confirm lab-db" in r for r in stale.refusals)
    forced = plan(herd, view(guest, dead), MoveOptions(fenced="primary", allow_stale=True, confirm="lab-db"))
    assert forced.refusals == []
    assert [s.name for s in forced.steps] == ["mark-offline", "promote", "start", "nagios", "record"]
    assert forced.steps[1].command == ("drbdadm", "primary", "--force", "lab-db")


def test_forced_failover_with_uptodate_data_promotes_without_force(herd):
    guest = herd.guest("lab-db")
    dead = {"primary": snapshot("primary", None, None, down="no SSH answer"),
            "backup": snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate",
                                                               connection="Connecting", peer_role="Unknown")])}
    forced = plan(herd, view(guest, dead), MoveOptions(fenced="primary"))
    assert forced.refusals == [] and forced.steps[1].command == ("drbdadm", "primary", "lab-db")


def test_split_brain_is_refused_and_status_prints_the_recovery(herd):
    guest = herd.guest("lab-db")
    split = view(guest, {
        "primary": snapshot("primary", xl_list(("lab-db", 64, "-b----")),
                            [resource("lab-db", 3, "Primary", "UpToDate", connection="StandAlone",
                                      peer_role="Unknown")]),
        "backup": snapshot("backup", xl_list(), [resource("lab-db", 3, "Secondary", "UpToDate",
                                                           connection="StandAlone", peer_role="Unknown")])})
    assert any("split brain" in r for r in plan(herd, split).refusals)
    assert verify_checks.split_brain_hint(split, herd) == (
        "lab-db: split brain suspected; keep the data of primary (where it runs) with: "
        "fab resolve-split-brain --guest lab-db --victim backup")


def test_target_without_the_bridge_the_source_has_is_refused(herd):
    fx = facts()
    fx["primary"] = HostFacts("primary", 8004, fx["primary"].info, None, fx["primary"].checksums, bridge=True)
    fx["backup"] = HostFacts("backup", 8004, fx["backup"].info, None, fx["backup"].checksums, bridge=False)
    assert plan(herd, healthy(herd), fx=fx).refusals == ["the guests' bridge exists on primary but not on backup"]
