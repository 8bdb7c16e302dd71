"""``fab status``: one table — guest, where it runs, DRBD role/connection/disk on both hosts, sync %.

Read-only (no lock), so it runs while a mutating run holds the lock (it then shows the states mid-move).
A split brain is flagged in the table and the recovery command is printed below it. Exit 0 unless a guest
breaks I1 right now (its domain on both hosts, or two Primaries): then one ERROR line each and exit 1.
"""

from __future__ import annotations

import sys
from typing import TextIO

from nagios_herd.model import Herd
from nagios_herd.ops import herdstate
from nagios_herd.ops.probe import GuestView
from nagios_herd.ops.runner import Options, Run
from nagios_herd.ops.verify_checks import split_brain_hint


def _cell(view: GuestView, host: str) -> str:
    if view.down(host):
        return "DOWN"
    if view.resource(host) is None:
        return "unconfigured"
    return f"{view.role(host)}/{view.connection(host)}/{view.disk(host)}"


def _sync(view: GuestView, herd: Herd) -> str:
    for host in herd.hosts:
        percent = view.sync_percent(host.name)
        if percent is not None:
            return f"{percent:.1f}% ({view.replication(host.name)} on {host.name})"
    if any(view.out_of_sync(host.name) for host in herd.hosts):
        return "out of sync"
    return "100%" if all(view.disk(h.name) == "UpToDate" for h in herd.hosts) else "-"


def table(herd: Herd, views: list[GuestView]) -> list[str]:
    hosts = [host.name for host in herd.hosts]
    rows = [["guest", "runs on", *[f"{h} (role/conn/disk)" for h in hosts], "sync"]]
    for view in views:
        where = view.runs_on()
        runs = ",".join(f"{h}" + ("" if view.alive_on(h) else f"({view.domain(h).condition})")
                        for h in where) or "nowhere"
        if len(where) > 1:
            runs += " !BOTH"
        rows.append([view.name, runs, *[_cell(view, h) for h in hosts], _sync(view, herd)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def run(options: Options, out: TextIO = sys.stdout) -> int:
    with Run(options, "fab status", mutating=False) as run_:
        snaps = run_.prober.everything()
        views = [GuestView(guest, snaps) for guest in run_.herd.guests]
        for line in table(run_.herd, views):
            print(line, file=out)
        for name, link in run_.links.items():
            if link.down:
                print(f"host {name} is DOWN: {link.down}", file=out)
        for name, entry in herdstate.maintenance(run_.state_dir).items():
            print(f"host {name} is IN MAINTENANCE since {entry.get('since')} ({entry.get('reason')})", file=out)
        for name, entry in herdstate.offline(run_.state_dir).items():
            print(f"host {name} is marked OFFLINE since {entry.get('since')} ({entry.get('reason')})", file=out)
        hints = [hint for view in views if (hint := split_brain_hint(view, run_.herd))]
        for hint in hints:
            print(hint, file=out)
        dangers = [line for view in views for line in dangerous(view)]
        for line in dangers:
            print(f"ERROR: {line}", file=out)
    return 1 if dangers else 0


def dangerous(view: GuestView) -> list[str]:
    """What breaks I1 right now (exit 1): the domain on both hosts, or two Primaries."""
    out = []
    if len(view.runs_on()) > 1:
        out.append(f"{view.name} runs on {' and '.join(view.runs_on())}: shut it down on one host by hand, "
                   f"then fab resolve-split-brain")
    primaries = [host for host in view.snaps if view.role(host) == "Primary"]
    if len(primaries) > 1:
        out.append(f"{view.name} is Primary on {' and '.join(primaries)} (two Primaries)")
    return out
