"""nagios_herd.plugin.range: the Monitoring Plugins guideline range syntax and its alert semantics."""

from __future__ import annotations

import pytest

from nagios_herd.plugin.runtime import Range, RangeError

INF = float("inf")


@pytest.mark.parametrize("text, start, end, inside", [
    ("10", 0, 10, False),
    ("10:", 10, INF, False),
    ("~:10", -INF, 10, False),
    ("10:20", 10, 20, False),
    ("@10:20", 10, 20, True),
    (":5", 0, 5, False),
    ("-5:-1", -5, -1, False),
    ("0.5:1.5", 0.5, 1.5, False),
    ("@~:0", -INF, 0, True),
    (" 7 ", 0, 7, False),
    ("10:10", 10, 10, False),
])
def test_parse(text: str, start: float, end: float, inside: bool) -> None:
    parsed = Range(text)
    assert (parsed.start, parsed.end, parsed.inside) == (start, end, inside)
    assert str(parsed) == text.strip()


@pytest.mark.parametrize("text, alerting, quiet", [
    ("10", [-1, 10.5, 11], [0, 5, 10]),
    ("10:", [9.99, -3], [10, 11, 1e12]),
    ("~:10", [10.01, 100], [-1e12, 0, 10]),
    ("10:20", [9, 21], [10, 15, 20]),
    ("@10:20", [10, 15, 20], [9.99, 20.01]),
])
def test_alert_semantics(text: str, alerting: list[float], quiet: list[float]) -> None:
    parsed = Range(text)
    assert [parsed.alerts(v) for v in alerting] == [True] * len(alerting)
    assert [parsed.alerts(v) for v in quiet] == [False] * len(quiet)


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("20:10", "start 20 is greater than end 10"),
    ("abc", "'abc' is not a number"),
    ("1,5", "'1,5' is not a number"),
    ("5:~", "'~' is not a number"),
    ("@", "'' is not a number"),
    ("nan", "not a finite number"),
    ("1:inf", "not a finite number"),
])
def test_invalid_ranges_say_why(text: str, reason: str) -> None:
    with pytest.raises(RangeError) as raised:
        Range(text)
    assert reason in str(raised.value)


def test_immutable_and_comparable() -> None:
    parsed = Range("10:")
    with pytest.raises(AttributeError):
        parsed.start = 3  # type: ignore[misc]
    assert parsed == Range("10:") and parsed != Range("@10:") and len({parsed, Range("10:")}) == 1
