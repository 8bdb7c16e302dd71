"""``fab status``: one table — guest, where it runs, DRBD role/connection/disk on both hosts, sync %.

Read-only (no lock). A split brain is flagged in the table and the recovery command is printed below it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..model import Herd
from .probe import GuestView
from .verify_checks import split_brain_hint
from .runner import Options, Run


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
        hints = [hint for view in views if (hint := split_brain_hint(view, run_.herd))]
        for hint in hints:
            print(hint, file=out)
    return 0
