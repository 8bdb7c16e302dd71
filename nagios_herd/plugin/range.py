"""Nagios threshold ranges in the Monitoring Plugins guideline syntax ``[@]start:end``.

Why our own: pynag/nagiosplugin cost several times a check's whole start-up budget.
Semantics (monitoring-plugins.org/doc/guidelines.html#THRESHOLDFORMAT):
``10`` alerts outside 0..10, ``10:`` below 10, ``~:10`` above 10, ``10:20`` outside 10..20,
``@10:20`` inside 10..20 (inclusive). ``start`` must not exceed ``end``.
"""

from __future__ import annotations

_INF = float("inf")


class RangeError(ValueError):
    """A range string that does not follow the guideline syntax (a usage error: UNKNOWN)."""


def _number(text: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RangeError(f"invalid range {whole!r}: {text!r} is not a number") from None
    if value != value or value in (_INF, -_INF):
        raise RangeError(f"invalid range {whole!r}: {text!r} is not a finite number")
    return value


class Range:
    """An immutable parsed range; :meth:`alerts` says whether a value violates it."""

    __slots__ = ("start", "end", "inside", "text")

    start: float
    end: float
    inside: bool
    text: str

    def __init__(self, text: str) -> None:
        spec = text.strip()
        if not spec:
            raise RangeError("invalid range '': empty")
        inside = spec.startswith("@")
        body = spec[1:] if inside else spec
        if ":" in body:
            start_text, end_text = body.split(":", 1)
            if start_text == "~":
                start = -_INF
            elif start_text == "":
                start = 0.0
            else:
                start = _number(start_text, text)
            end = _INF if end_text == "" else _number(end_text, text)
        else:
            start, end = 0.0, _number(body, text)
        if start > end:
            raise RangeError(f"invalid range {text!r}: start {start:g} is greater than end {end:g}")
        for name, value in (("start", start), ("end", end), ("inside", inside), ("text", spec)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Range is immutable")

    def alerts(self, value: float) -> bool:
        """True when ``value`` should raise the alert this range stands for."""
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Range({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Range) and (self.start, self.end, self.inside) == (
            other.start,
            other.end,
            other.inside,
        )

    def __hash__(self) -> int:
        return hash((self.start, self.end, self.inside))
