"""The watcher's state file (``nagios-herd watch``): what it did on its last run and what it gave up on.

A pure reader shared by the watcher (which reads its counters back) and ``check_herd_watch`` (which turns the
file into a Nagios service). JSON, one object::

    {"version": 1,
     "run": {"time": EPOCH, "result": "ran" | "paused" | "locked", "detail": TEXT},
     "guests": {NAME: {"host": HOST, "restart_count": N, "restart_when": EPOCH, "gave_up": BOOL,
                       "last": TEXT}},
     "skipped": {NAME: TEXT}}

A guest has a record only while the watcher is restarting it (or gave up on it); ``skipped`` lists the guests
it left alone on its last run and why (host offline, in maintenance, unreachable, a migration in progress).
Anything else is a :class:`WatchStateError` naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

VERSION = 1
RESULTS = ("ran", "paused", "locked")


class WatchStateError(ValueError):
    """The file is not a watcher state file; the message names the field."""


@dataclass(frozen=True)
class GuestRecord:
    host: str
    restart_count: int
    restart_when: float
    gave_up: bool = False
    last: str = ""


@dataclass(frozen=True)
class WatchState:
    run_time: float
    run_result: str
    run_detail: str = ""
    guests: dict[str, GuestRecord] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({
            "version": VERSION,
            "run": {"time": self.run_time, "result": self.run_result, "detail": self.run_detail},
            "guests": {name: {"host": rec.host, "restart_count": rec.restart_count,
                              "restart_when": rec.restart_when, "gave_up": rec.gave_up, "last": rec.last}
                       for name, rec in sorted(self.guests.items())},
            "skipped": dict(sorted(self.skipped.items())),
        }, indent=2) + "\n"


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WatchStateError(f"{where}: not a number: {value!r}")
    return float(value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise WatchStateError(f"{where}: not a string: {value!r}")
    return value


def _mapping(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise WatchStateError(f"{where}: not an object")
    return value


def parse(text: str) -> WatchState:
    """The state in ``text``; raises :class:`WatchStateError` on anything that is not one."""
    if not text.strip():
        raise WatchStateError("empty input (no watcher state: has nagios-herd watch run here?)")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise WatchStateError(f"not JSON: {error}") from None
    data = _mapping(data, "state")
    if data.get("version") != VERSION:
        raise WatchStateError(f"version: {data.get('version')!r}, expected {VERSION}")
    run = _mapping(data.get("run"), "run")
    result = _text(run.get("result"), "run.result")
    if result not in RESULTS:
        raise WatchStateError(f"run.result: {result!r} is not one of {', '.join(RESULTS)}")
    guests = {}
    for name, record in _mapping(data.get("guests", {}), "guests").items():
        where = f"guests.{name}"
        record = _mapping(record, where)
        count = _number(record.get("restart_count"), f"{where}.restart_count")
        if count < 0 or count != int(count):
            raise WatchStateError(f"{where}.restart_count: {count!r} is not a count")
        gave_up = record.get("gave_up", False)
        if not isinstance(gave_up, bool):
            raise WatchStateError(f"{where}.gave_up: not true/false")
        guests[name] = GuestRecord(_text(record.get("host"), f"{where}.host"), int(count),
                                   _number(record.get("restart_when"), f"{where}.restart_when"), gave_up,
                                   _text(record.get("last", ""), f"{where}.last"))
    skipped = {name: _text(why, f"skipped.{name}") for name, why in _mapping(data.get("skipped", {}),
                                                                             "skipped").items()}
    return WatchState(_number(run.get("time"), "run.time"), result, _text(run.get("detail", ""), "run.detail"),
                      guests, skipped)
