"""Execute plans: re-probe before each step, skip what is already true, stop on what must not be retried.

Each step writes one journal line (state before, command, result). A guest's job ends with an ``end`` line
(``done``/``stopped``/``refused``) so an interrupted job is visible to ``verify``. ``--all`` runs guests in a
bounded thread pool; commands share the one connection per host opened up front (see ``remote``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Herd
from nagios_herd.ops.journal import Journal
from nagios_herd.ops.plan import NEVER, GuestPlan, Step, StepFailed
from nagios_herd.ops.probe import Prober
from nagios_herd.ops.remote import HostDown, Link

POLL = 0.2  # seconds between probes while waiting for a postcondition


@dataclass
class Outcome:
    guest: str
    ok: bool
    detail: str


class Engine:
    def __init__(self, herd: Herd, links: dict[str, Link], prober: Prober, journal: Journal,
                 out: TextIO = sys.stdout) -> None:
        self.herd = herd
        self.links = links
        self.prober = prober
        self.journal = journal
        self._out = out
        self._print_lock = threading.Lock()

    def say(self, guest: str, step: str, text: str) -> None:
        with self._print_lock:
            print(f"{time.strftime('%H:%M:%S')} {guest:<20} {step:<12} {text}", file=self._out, flush=True)

    def run(self, plans: Sequence[GuestPlan], parallel: int = 1, since: float | None = None) -> list[Outcome]:
        """Run every plan (refused ones only report); returns one outcome per guest, in plan order.

        ``since``: the first step may decide on state probed after this time (the plan's own probe)."""
        since = time.monotonic() if since is None else since
        if parallel <= 1 or len(plans) <= 1:
            return [self._run_guest(plan, since) for plan in plans]
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="guest") as pool:
            return list(pool.map(lambda plan: self._run_guest(plan, since), plans))

    def _run_guest(self, plan: GuestPlan, since: float) -> Outcome:
        if plan.refusals:
            reason = "; ".join(plan.refusals)
            self.journal.write(plan.guest, "end", "refused", detail=reason)
            self.say(plan.guest, "refused", reason)
            return Outcome(plan.guest, False, f"refused: {reason}")
        started = time.monotonic()
        self.journal.write(plan.guest, "begin", "started", detail=f"{plan.source} -> {plan.target}")
        changed = False
        try:
            for step in plan.steps:
                since, ran = self._run_step(step, since)
                changed = changed or (ran and bool(step.command))
        except HerdError as error:  # a failed step, a host gone, a probe that could not be read
            self.journal.write(plan.guest, "end", "stopped", detail=str(error))
            self.say(plan.guest, "STOPPED", str(error))
            return Outcome(plan.guest, False, str(error))
        self.journal.write(plan.guest, "end", "done", detail=f"{plan.source} -> {plan.target}")
        self.say(plan.guest, "finished", f"{time.monotonic() - started:.1f}s")
        return Outcome(plan.guest, True, f"{plan.done} {plan.target}" if changed else
                       f"skipped: already {plan.done} {plan.target}, nothing changed")

    def _run_step(self, step: Step, since: float) -> tuple[float, bool]:
        """Run one step on state probed after ``since``; returns when its effects were last probed and
        whether the step ran (False: its postcondition already held)."""
        guest = self.herd.guest(step.guest)
        view = self.prober.view(guest, after=since)
        if step.done(view):
            self.journal.write(step.guest, step.name, "skipped", host=step.host, before=view.summary(),
                               detail=f"already: {step.done.text}")
            self.say(step.guest, step.name, f"skip (already {step.done.text})")
            return since, False
        for check in step.requires:
            if not check(view):
                self.journal.write(step.guest, step.name, "refused", host=step.host, before=view.summary(),
                                   detail=f"precondition failed: {check.text}")
                raise StepFailed(f"{step.guest}: {step.name} on {step.host}: precondition failed: {check.text}")
        before = view.summary()
        started = time.monotonic()
        self.say(step.guest, step.name, f"on {step.host}: {step.describe()}")
        command, detail = "", ""
        try:
            if step.command:
                command = self.links[step.host].command(step.command, step.timeout)
                self._command(step)
            if step.action is not None:
                detail = step.action()
            if step.command:
                since = time.monotonic()
            self._wait_done(step, detail, since)
        except StepFailed as error:
            self.journal.write(step.guest, step.name, "failed", host=step.host, before=before,
                               command=command, detail=str(error))
            if step.tolerate:
                self.say(step.guest, step.name, f"WARNING: failed, going on without it: {error}")
                return time.monotonic(), True
            self._undo(step)
            raise
        self.journal.write(step.guest, step.name, "done", host=step.host, before=before, command=command,
                           detail=detail)
        self.say(step.guest, step.name, f"done {time.monotonic() - started:.1f}s{': ' + detail if detail else ''}")
        return since, True

    def _command(self, step: Step) -> None:
        link = self.links[step.host]
        result = link.run(step.command, timeout=step.timeout)
        if result.exited in step.stops:
            raise StepFailed(f"{step.guest}: {step.name} on {step.host}: {step.stops[result.exited]} "
                             f"({result.why()}); not retried")
        if result.timed_out:
            raise StepFailed(f"{step.name} on {step.host}: no result within {step.timeout:g}s")
        if not result.ok:
            raise StepFailed(f"{step.guest}: {step.name} on {step.host} failed ({result.why()})")

    def _wait_done(self, step: Step, detail: str, since: float) -> None:
        if step.done is NEVER or step.wait <= 0:
            return
        deadline = since + step.wait
        while not step.done(self.prober.view(self.herd.guest(step.guest), after=since)):
            if time.monotonic() > deadline:
                raise StepFailed(f"{step.guest}: {step.name} on {step.host}: not true after {step.wait:g}s: "
                                 f"{step.done.text}{' (' + detail + ')' if detail else ''}")
            time.sleep(POLL)
            since = time.monotonic()

    def _undo(self, step: Step) -> None:
        for argv in step.undo:
            try:
                result = self.links[step.host].run(argv, timeout=30)
            except HostDown as error:
                self.journal.write(step.guest, f"undo-{step.name}", "failed", host=step.host, detail=str(error))
                return
            self.journal.write(step.guest, f"undo-{step.name}", "done" if result.ok else "failed",
                               host=step.host, command=result.command, detail=result.why())
            self.say(step.guest, "undo", f"on {step.host}: {' '.join(argv)}: {result.why()}")
