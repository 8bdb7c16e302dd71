"""Steps and plans: what a mutating operation will do, written down before anything changes.

A :class:`Step` is idempotent by construction: ``done`` is its postcondition, tested on a fresh probe; when it
already holds the step is skipped. That is what makes every operation re-runnable after an interruption
(Ganeti's ``--cleanup``, A4): the re-run re-probes and resumes at the first step not yet true.
``requires`` are preconditions tested right before the command (I1/I2 guards live there), ``stops`` maps
exit codes that end the run with an explanation and no retry (17 from ``drbdadm primary``), and ``undo``
puts the host back into a safe state when the step fails (A1: "shut G's disks on B, leave both Secondary").
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nagios_herd.errors import HerdError
from nagios_herd.ops.probe import GuestView


class StepFailed(HerdError):
    """A step could not be done; the guest's job stops here (other guests go on)."""


@dataclass(frozen=True)
class Check:
    """A named predicate over a guest's view; the text is what the plan and the refusals print."""

    text: str
    test: Callable[[GuestView], bool]

    def __call__(self, view: GuestView) -> bool:
        return bool(self.test(view))


NEVER = Check("always runs", lambda view: False)


@dataclass(frozen=True)
class Step:
    name: str
    guest: str
    host: str  # where the command runs ("local" for actions on the operator's machine)
    done: Check = NEVER
    requires: tuple[Check, ...] = ()
    command: tuple[str, ...] = ()
    action: Callable[[], str] | None = None  # a local effect; returns a detail line
    timeout: float = 60  # remote bound of the command
    wait: float = 30  # how long ``done`` may take to hold after the command (0: it only decides skipping)
    stops: dict[int, str] = field(default_factory=dict)
    tolerate: bool = False  # on failure go on with the next step (shutdown -> destroy)
    undo: tuple[tuple[str, ...], ...] = ()

    def describe(self) -> str:
        if self.command:
            return shlex.join(self.command)
        return "(local)" if self.action else "(wait)"


@dataclass
class GuestPlan:
    """The steps for one guest, or the reasons it is refused (nothing runs for a refused guest)."""

    guest: str
    source: str
    target: str
    steps: list[Step] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    done: str = "on"  # the outcome line: "<done> <target>" (a move: "on backup"; a rebuild: "synced to backup")


def render(plans: Sequence[GuestPlan], views: dict[str, GuestView], title: str) -> str:
    """The human plan ``--plan`` prints: per guest each step, its host, command, pre- and postcondition."""
    lines = [title]
    for plan in plans:
        lines.append(f"\n{plan.guest}: {plan.source} -> {plan.target}")
        lines += [f"  note: {note}" for note in plan.notes]
        if plan.refusals:
            lines += [f"  REFUSED: {reason}" for reason in plan.refusals]
            continue
        view = views[plan.guest]
        for number, step in enumerate(plan.steps, 1):
            state = "already true, skipped" if step.done(view) else "to do"
            lines.append(f"  {number}. {step.name} on {step.host}: {step.describe()}  [{state}]")
            for check in step.requires:
                lines.append(f"       requires: {check.text}")
            lines.append(f"       done when: {step.done.text}")
    return "\n".join(lines)
