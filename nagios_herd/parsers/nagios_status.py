"""Pure parsers of Nagios 4 ``statusjson.cgi`` answers (status.dat: :mod:`nagios_statusdat`).

Shared by ``check_nagios_guest``, the Fabric tasks and the lab: all of them need to tell a live
Nagios core from a dead or hung one without re-parsing text themselves.

statusjson.cgi (Nagios 4.4, ``format_version`` 0; every time in the JSON is **milliseconds**,
converted here to float seconds since the epoch):

- :func:`parse_answer` ``(text, expect=None) -> Answer``: one answer. ``Answer.envelope`` is the
  ``result`` object (:class:`Envelope`: ``query``, ``query_time``, ``last_data_update``,
  ``program_start``, ``type_code``..., and ``data_age`` = ``query_time - last_data_update``);
  ``Answer.program`` is a :class:`ProgramStatus` for ``query=programstatus``;
  ``Answer.performance`` a :class:`PerformanceData` for ``query=performancedata``.
- :func:`parse_programstatus`, :func:`parse_performancedata`: the same, insisting on that query.
- :func:`parse_answers` ``(text) -> list[Answer]``: several answers saved one after another.

Errors, all subclasses of :class:`StatusError` (a ``ValueError`` with a one-line message):
:class:`EmptyAnswer` (blank body: the CGI prints no JSON once the daemon stopped and deleted
status.dat), :class:`NotJSON` (HTML page, garbage, truncated JSON), :class:`CGIError` (the CGI's
own error envelope, ``type_code != 0``; ``.type_code``), :class:`BadAnswer` (JSON of another shape).

:class:`ProgramStatus` and :class:`StatusError` are shared with :mod:`nagios_statusdat`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class StatusError(ValueError):
    """The status could not be read; ``str()`` is one line saying why."""


class EmptyAnswer(StatusError):
    """A blank body: statusjson.cgi answers this way when the daemon is down."""


class NotJSON(StatusError):
    """The body is not JSON (an HTML error page, garbage, or truncated output)."""


class BadAnswer(StatusError):
    """JSON, but not a statusjson answer of the expected shape."""


class CGIError(StatusError):
    """The CGI answered with its own error envelope (``type_code`` != 0)."""

    def __init__(self, type_code: int, type_text: str, message: str) -> None:
        super().__init__(f"statusjson.cgi error {type_code} ({type_text}): {message}")
        self.type_code = type_code


@dataclass(frozen=True)
class Envelope:
    """The ``result`` object of a JSON CGI answer; times in seconds since the epoch."""

    query: str
    query_time: float
    last_data_update: float
    program_start: float
    type_code: int
    type_text: str
    message: str
    user: str

    @property
    def data_age(self) -> float:
        """Seconds since the core last wrote status.dat, as seen by the CGI (never negative)."""
        return max(0.0, self.query_time - self.last_data_update)


@dataclass(frozen=True)
class ProgramStatus:
    """What says the core is alive and scheduling, from either source."""

    nagios_pid: int
    program_start: float
    daemon_mode: bool
    active_service_checks: bool
    active_host_checks: bool
    version: str = ""


@dataclass(frozen=True)
class CheckCounts:
    """How many checks of one kind ran in each window (``performancedata``)."""

    last_1min: int
    last_5min: int
    last_15min: int
    last_1hour: int
    since_start: int


@dataclass(frozen=True)
class PerformanceData:
    """Active/passive service and host check counts of ``query=performancedata``."""

    service_active: CheckCounts
    service_passive: CheckCounts
    host_active: CheckCounts
    host_passive: CheckCounts


@dataclass(frozen=True)
class Answer:
    """One statusjson answer: the envelope and the typed payload of its query."""

    envelope: Envelope
    program: ProgramStatus | None = None
    performance: PerformanceData | None = None


def _get(obj: Any, path: str, kind: type | tuple[type, ...]) -> Any:
    """``obj[a][b]...`` for ``path`` "a.b...", type-checked; BadAnswer names the path."""
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise BadAnswer(f"statusjson answer has no {path!r}")
        value = value[key]
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise BadAnswer(f"statusjson field {path!r} is {type(value).__name__}, not {kind}")
    return value


def _ms(obj: Any, path: str) -> float:
    return _get(obj, path, int) / 1000.0


def _envelope(doc: Any) -> Envelope:
    type_code = _get(doc, "result.type_code", int)
    if type_code != 0:
        raise CGIError(type_code, str(doc["result"].get("type_text", "")),
                       str(doc["result"].get("message", "")))
    return Envelope(
        query=_get(doc, "result.query", str),
        query_time=_ms(doc, "result.query_time"),
        last_data_update=_ms(doc, "result.last_data_update"),
        program_start=_ms(doc, "result.program_start"),
        type_code=type_code,
        type_text=_get(doc, "result.type_text", str),
        message=_get(doc, "result.message", str),
        user=str(doc["result"].get("user", "")),
    )


def _program(doc: Any) -> ProgramStatus:
    prefix = "data.programstatus."
    return ProgramStatus(
        nagios_pid=_get(doc, prefix + "nagios_pid", int),
        program_start=_ms(doc, prefix + "program_start"),
        daemon_mode=_get(doc, prefix + "daemon_mode", bool),
        active_service_checks=_get(doc, prefix + "execute_service_checks", bool),
        active_host_checks=_get(doc, prefix + "execute_host_checks", bool),
        version=_get(doc, prefix + "version", str),
    )


def _counts(doc: Any, prefix: str) -> CheckCounts:
    keys = ("1min", "5min", "15min", "1hour", "start")
    return CheckCounts(*(_get(doc, f"{prefix}.checks.{key}", int) for key in keys))


def _performance(doc: Any) -> PerformanceData:
    prefix = "data.programstatus"
    return PerformanceData(
        service_active=_counts(doc, f"{prefix}.service_checks.active"),
        service_passive=_counts(doc, f"{prefix}.service_checks.passive"),
        host_active=_counts(doc, f"{prefix}.host_checks.active"),
        host_passive=_counts(doc, f"{prefix}.host_checks.passive"),
    )


def _answer(doc: Any, expect: str | None) -> Answer:
    if not isinstance(doc, dict):
        raise BadAnswer(f"statusjson answer is a JSON {type(doc).__name__}, not an object")
    envelope = _envelope(doc)
    if expect is not None and envelope.query != expect:
        raise BadAnswer(f"expected an answer to query={expect}, got query={envelope.query}")
    if envelope.query == "programstatus":
        return Answer(envelope, program=_program(doc))
    if envelope.query == "performancedata":
        return Answer(envelope, performance=_performance(doc))
    return Answer(envelope)


def _decode_error(error: json.JSONDecodeError, text: str) -> NotJSON:
    start = text.lstrip()[:40].replace("\n", " ")
    return NotJSON(f"answer is not JSON ({error.msg} at line {error.lineno} column {error.colno}):"
                   f" starts {start!r}")


def parse_answer(text: str, expect: str | None = None) -> Answer:
    """Parse one statusjson answer body; ``expect`` insists on the query it answers."""
    if not text.strip():
        raise EmptyAnswer("empty answer from statusjson.cgi (the Nagios daemon is not running)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise _decode_error(error, text) from None
    return _answer(doc, expect)


def parse_programstatus(text: str) -> Answer:
    """Parse the answer to ``statusjson.cgi?query=programstatus``."""
    return parse_answer(text, "programstatus")


def parse_performancedata(text: str) -> Answer:
    """Parse the answer to ``statusjson.cgi?query=performancedata``."""
    return parse_answer(text, "performancedata")


def parse_answers(text: str) -> list[Answer]:
    """Parse answers saved one after another (whitespace between them); EmptyAnswer if none."""
    if not text.strip():
        raise EmptyAnswer("empty answer from statusjson.cgi (the Nagios daemon is not running)")
    decoder = json.JSONDecoder()
    answers, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return answers
        try:
            doc, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _decode_error(error, text) from None
        answers.append(_answer(doc, None))
