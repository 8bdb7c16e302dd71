"""The numbers the operator's options take (counts, seconds), parsed once for the fab tasks and ``nagios-herd``.

Why one place: a bad value must be refused the same way everywhere, as one line saying what is wrong, before
anything runs. The refusal is argparse's ``ArgumentTypeError``: argparse prints its message as it is, and the fab
tasks turn it into their own one-line refusal (invoke's own ``int()`` would end in a traceback).
"""

from __future__ import annotations

import math
from argparse import ArgumentTypeError

DAY = 86400  # the longest wait any option may ask for: longer is a typo, and a timer cannot hold every number


class Number:
    """An option's number: whole or not, at least ``minimum``, at most ``maximum``; calling it parses one value.

    A plain class, not a dataclass: ``nagios-herd publish`` runs from cron, and dataclasses would import ``re``."""

    __slots__ = ("minimum", "maximum", "whole")

    def __init__(self, minimum: float, maximum: float | None = None, *, whole: bool = True) -> None:
        self.minimum, self.maximum, self.whole = minimum, maximum, whole

    def __call__(self, text: str) -> int | float:
        try:
            value: int | float = int(text) if self.whole else float(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r}: not a {'whole ' if self.whole else ''}number") from None
        if not math.isfinite(value):
            raise ArgumentTypeError(f"{text!r}: not a finite number")
        if value < self.minimum:
            raise ArgumentTypeError(f"{text!r}: must be at least {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ArgumentTypeError(f"{text!r}: must be at most {self.maximum:g}")
        return value


COUNT = Number(1)  # things at once, generations kept
TIMEOUT = Number(1, DAY)  # whole seconds to wait before giving up; 0 would give up at once
SECONDS = Number(0, DAY, whole=False)  # a delay or a wait; 0 is no wait at all
