"""The watcher's rules for one guest, on views parsed from tool output in the real formats."""

from __future__ import annotations

from nagios_herd.model import Guest, Team
from nagios_herd.parsers.watch_state import GuestRecord
from nagios_herd.watch.watcher import MAX_TRIES, Settings, decide
from tests.ops.states import resource, snapshot, view, xl_list

SETTINGS = Settings(backoff=300, reset_after=3600)
NOW = 1_800_000_000.0
GUEST = Guest("team-db", Team("ops", "Ops", (), (), ()), "primary", 128, 1, "127.0.1.2", "00:16:3e:00:00:02",
              64, 16, 2, 7790)


def _view(primary_domain: str | None = None, backup_domain: str | None = None, role: str = "Primary",
          disk: str = "UpToDate", backup_down: bool = False):
    primary = snapshot("primary", xl_list(*([(primary_domain.split(":")[0], 128, primary_domain.split(":")[1])]
                                            if primary_domain else [])),
                       [resource("team-db", 2, role, disk)])
    backup = snapshot("backup", xl_list(*([(backup_domain.split(":")[0], 128, backup_domain.split(":")[1])]
                                          if backup_domain else [])),
                      [resource("team-db", 2, "Secondary", "UpToDate", peer_role=role)],
                      down="no SSH answer" if backup_down else None)
    return view(GUEST, {"primary": primary, "backup": backup})


def _record(count: int, when: float = NOW - 10_000, gave_up: bool = False) -> GuestRecord:
    return GuestRecord("primary", count, when, gave_up, "")


def test_a_vanished_guest_is_restarted_where_it_is_recorded_and_primary():
    decision = decide(_view(), "primary", None, {}, NOW, SETTINGS)
    assert decision.restart and decision.record == GuestRecord("primary", 1, NOW, False, "")
    assert decision.destroy is None


def test_a_crashed_domain_is_destroyed_before_the_restart():
    decision = decide(_view("team-db:---sc-"), "primary", _record(1), {}, NOW, SETTINGS)
    assert decision.restart and decision.destroy == "team-db" and decision.record.restart_count == 2


def test_a_running_guest_is_left_alone_and_its_counter_reset_only_after_it_stayed_up():
    assert decide(_view("team-db:-b----"), "primary", None, {}, NOW, SETTINGS) == decide(
        _view("team-db:-b----"), "primary", None, {}, NOW, SETTINGS)
    recent = decide(_view("team-db:-b----"), "primary", _record(2, NOW - 60), {}, NOW, SETTINGS)
    assert not recent.restart and recent.record.restart_count == 2
    settled = decide(_view("team-db:-b----"), "primary", _record(2, NOW - 3600), {}, NOW, SETTINGS)
    assert settled.record is None and "counter reset" in settled.line


def test_backoff_doubles_between_attempts():
    waiting = decide(_view(), "primary", _record(2, NOW - 500), {}, NOW, SETTINGS)  # needs 600 s after #2
    assert not waiting.restart and "backoff" in waiting.line
    due = decide(_view(), "primary", _record(2, NOW - 600), {}, NOW, SETTINGS)
    assert due.restart and due.record.restart_count == 3


def test_gives_up_after_five_attempts_once_then_only_warns():
    first = decide(_view(), "primary", _record(MAX_TRIES), {}, NOW, SETTINGS)
    assert not first.restart and first.record.gave_up and "giving up" in first.line
    later = decide(_view(), "primary", first.record, {}, NOW + 300, SETTINGS)
    assert not later.restart and later.record.gave_up and "retries exhausted" in later.line


def test_never_restarts_where_it_is_not_primary_nor_on_the_other_host():
    secondary = decide(_view(role="Secondary"), "primary", None, {}, NOW, SETTINGS)
    assert not secondary.restart and secondary.record.last.startswith("down on primary")
    elsewhere = decide(_view(backup_domain="team-db:-b----"), "primary", _record(1), {}, NOW, SETTINGS)
    assert not elsewhere.restart and elsewhere.record is None and "runs on backup" in elsewhere.skipped


def test_helpless_hosts_and_migrations_are_skipped():
    for blocked in ({"primary": "in maintenance since x"}, {"primary": "marked offline since x"}):
        decision = decide(_view(), "primary", _record(3), blocked, NOW, SETTINGS)
        assert not decision.restart and decision.record is None and decision.skipped
    moving = decide(_view("team-db:-b----", "team-db--incoming:--p---"), "primary", None, {}, NOW, SETTINGS)
    assert not moving.restart and moving.skipped == "a migration is in progress"
    down = decide(_view(backup_down=True), "backup", _record(1), {}, NOW, SETTINGS)
    assert not down.restart and "unreachable" in down.skipped
