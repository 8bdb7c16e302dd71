"""Plugin states, performance data and the report that renders a check's output.

``State`` is an ``int`` subclass rather than an ``enum.Enum``: importing ``enum`` alone costs about a
third of a check's start-up budget. Worst-wins order follows monitoring-plugins' ``max_state_alt``:
CRITICAL > WARNING > UNKNOWN > OK, so a readable CRITICAL object is not hidden behind an unreadable one
and nothing unknown ever comes out as OK.
"""

from __future__ import annotations

from nagios_herd.plugin.range import Range
from nagios_herd.textsafe import one_line

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost)
if TYPE_CHECKING:
    from collections.abc import Iterable

_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
_RANK = (0, 2, 3, 1)


class State(int):
    """A plugin exit status 0..3 with its name; ``State.worst`` picks the most severe."""

    __slots__ = ()
    OK: State
    WARNING: State
    CRITICAL: State
    UNKNOWN: State

    @property
    def name(self) -> str:
        return _NAMES[self]

    def __str__(self) -> str:
        return _NAMES[self]

    def __repr__(self) -> str:
        return f"State.{_NAMES[self]}"

    @property
    def rank(self) -> int:
        """Severity order: OK 0 < UNKNOWN 1 < WARNING 2 < CRITICAL 3."""
        return _RANK[self]

    @staticmethod
    def worst(states: Iterable[State]) -> State:
        """The most severe of ``states`` (OK when there are none)."""
        found = State.OK
        for state in states:
            if _RANK[state] > _RANK[found]:
                found = state
        return found


State.OK, State.WARNING, State.CRITICAL, State.UNKNOWN = (State(code) for code in range(4))


def format_bytes(count: int) -> str:
    """A byte count for people (``0 B``, ``272.0 MiB``, ``2.0 GiB``), binary units, one decimal."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_number(value: float) -> str:
    """Dot decimal, no exponent, no trailing zeros: what perfdata parsers accept."""
    if isinstance(value, bool):
        raise TypeError("perfdata value must be a number, not bool")
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"perfdata value {value!r} is not finite")
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def quote_label(label: str) -> str:
    """Quote a perfdata label when it holds a space, ``=`` or ``'`` (``'`` doubled inside)."""
    if not label or "\n" in label or "|" in label:
        raise ValueError(f"invalid perfdata label {label!r}")
    if any(char in label for char in " ='"):
        return "'" + label.replace("'", "''") + "'"
    return label


class Perf:
    """One perfdata item ``'label'=value[UOM];warn;crit;min;max``."""

    __slots__ = ("label", "value", "uom", "warn", "crit", "minimum", "maximum")

    def __init__(
        self,
        label: str,
        value: float,
        uom: str = "",
        *,
        warn: Range | str | None = None,
        crit: Range | str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> None:
        if any(char in uom for char in "0123456789;'= -"):
            raise ValueError(f"invalid unit of measurement {uom!r}")
        self.label, self.value, self.uom = label, value, uom
        self.warn, self.crit, self.minimum, self.maximum = warn, crit, minimum, maximum

    def __str__(self) -> str:
        fields = [
            format_number(self.value) + self.uom,
            "" if self.warn is None else str(self.warn),
            "" if self.crit is None else str(self.crit),
            "" if self.minimum is None else format_number(self.minimum),
            "" if self.maximum is None else format_number(self.maximum),
        ]
        while fields[-1] == "":
            fields.pop()
        return quote_label(self.label) + "=" + ";".join(fields)


def nagios_line(text: str) -> str:
    """Free text made safe for plugin output: one line, control characters shown as escapes, and no ``|``
    (Nagios would take perfdata from it)."""
    return one_line(text).replace("|", "_")


class Report:
    """Collects one result line per checked object and the perfdata; renders the plugin output.

    The status line is ``LABEL STATE - summary | perfdata``; each object's line follows as long
    output (``STATE: text``). Without an explicit summary, the non-OK lines (worst first) form it.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.results: list[tuple[State, str]] = []
        self.perfdata: list[Perf] = []
        self.details: list[str] = []
        self.summary: str | None = None
        self.ok_summary = "all OK"
        self._labels: set[str] = set()

    def add(self, state: State, text: str) -> None:
        """Record one object's verdict and its one-line description."""
        self.results.append((state, nagios_line(text)))

    def perf(self, label: str, value: float, uom: str = "", **limits: object) -> None:
        """Add a perfdata item; labels must be unique (a duplicate is a programming error). A label may hold
        names read from a host: it is made safe (one line, no ``|``, controls escaped) first."""
        label = nagios_line(label)
        if label in self._labels:
            raise ValueError(f"duplicate perfdata label {label!r}")
        item = Perf(label, value, uom, **limits)  # type: ignore[arg-type]
        str(item)  # validate now, so a bad value fails where it was added
        self._labels.add(label)
        self.perfdata.append(item)

    def detail(self, text: str) -> None:
        """A line shown only with ``-v`` (after the per-object lines)."""
        self.details.append(text)

    @property
    def state(self) -> State:
        return State.worst(state for state, _ in self.results)

    def summary_text(self) -> str:
        if self.summary is not None:
            return self.summary
        problems = [(state, text) for state, text in self.results if state != State.OK]
        if not problems:
            return self.ok_summary
        problems.sort(key=lambda item: -item[0].rank)
        return "; ".join(text for _, text in problems)

    def render(self, verbose: int = 0) -> str:
        """The complete plugin output (status line, long output), without a trailing newline."""
        line = f"{self.label} {self.state} - {nagios_line(self.summary_text())}"
        if self.perfdata:
            line += " | " + " ".join(str(item) for item in self.perfdata)
        lines = [line] + [f"{state}: {text}" for state, text in self.results]
        if verbose:
            lines += [nagios_line(text) for text in self.details]
        return "\n".join(lines)
