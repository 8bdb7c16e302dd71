"""nagios_status parsers on real Nagios 4.4.6 answers (tests/fixtures/nagios4, see PROVENANCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nagios_herd.parsers import nagios_status as ns

FIXTURES = Path(__file__).parent / "fixtures" / "nagios4"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_programstatus_answer_is_typed_in_seconds() -> None:
    answer = ns.parse_programstatus(fixture("programstatus.json"))
    envelope, program = answer.envelope, answer.program
    assert envelope.query == "programstatus" and envelope.type_code == 0
    assert envelope.user == "nagiosadmin"
    assert envelope.query_time == 1795659480.0  # 1795659480000 ms in the JSON
    assert envelope.data_age == envelope.query_time - envelope.last_data_update >= 0
    assert program is not None and answer.performance is None
    assert program.version == "4.4.6" and program.nagios_pid > 1 and program.daemon_mode
    assert program.active_service_checks and program.active_host_checks
    assert program.program_start == envelope.program_start


def test_reference_programstatus_body_after_cgi_headers() -> None:
    raw = fixture("statusjson_programstatus.txt")
    headers, body = raw.split("\n\n", 1)
    assert "Content-type: application/json" in headers
    answer = ns.parse_programstatus(body)
    assert answer.envelope.data_age == 8.0  # query_time 1795657489000 - last_data_update 1795657481000
    assert answer.program is not None and answer.program.nagios_pid == 8468
    assert not answer.program.daemon_mode


def test_performancedata_counts_checks_per_window() -> None:
    answer = ns.parse_performancedata(fixture("performancedata.json"))
    perf = answer.performance
    assert perf is not None and answer.program is None
    assert perf.service_active == ns.CheckCounts(3, 3, 3, 3, 3)  # three services, checked once each
    assert perf.service_active.last_5min >= perf.service_active.last_1min
    assert perf.host_active.since_start >= 1
    assert perf.service_passive == ns.CheckCounts(0, 0, 0, 0, 0)


def test_expecting_another_query_is_bad_answer() -> None:
    with pytest.raises(ns.BadAnswer, match="query=performancedata, got query=programstatus"):
        ns.parse_performancedata(fixture("programstatus.json"))


def test_other_queries_parse_envelope_only() -> None:
    answer = ns.parse_answer(fixture("servicelist.json"))
    assert answer.envelope.query == "servicelist"
    assert answer.program is None and answer.performance is None


def test_concatenated_answers() -> None:
    text = fixture("programstatus.json") + "\n" + fixture("performancedata.json")
    answers = ns.parse_answers(text)
    assert [a.envelope.query for a in answers] == ["programstatus", "performancedata"]


@pytest.mark.parametrize("body", ["", "\n", "  \n\t\n"])
def test_blank_body_means_daemon_down(body: str) -> None:
    with pytest.raises(ns.EmptyAnswer, match="not running"):
        ns.parse_programstatus(body)
    with pytest.raises(ns.EmptyAnswer):
        ns.parse_answers(body)


def test_real_stopped_daemon_answer_is_empty() -> None:
    with pytest.raises(ns.EmptyAnswer):
        ns.parse_programstatus(fixture("programstatus-daemon-stopped.txt"))


def test_cgi_error_envelope() -> None:
    with pytest.raises(ns.CGIError, match=r"error 6 \(Option Value Invalid\).*'bogus'") as caught:
        ns.parse_answer(fixture("error-query-invalid.json"))
    assert caught.value.type_code == 6


@pytest.mark.parametrize(
    "text",
    [
        fixture("lighttpd-401.html"),
        fixture("programstatus.json")[:300],  # truncated
        "garbage \x00\x01 not json",
        fixture("programstatus.json") + "}",  # trailing junk
    ],
    ids=["html-401", "truncated", "garbage", "trailing-junk"],
)
def test_not_json(text: str) -> None:
    with pytest.raises(ns.NotJSON, match="not JSON"):
        ns.parse_answer(text)


def _mutated(path: str, value: object) -> str:
    doc = json.loads(fixture("programstatus.json"))
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    "path,value,message",
    [
        ("result.last_data_update", KeyError, "no 'result.last_data_update'"),
        ("result.query_time", "soon", "'result.query_time' is str"),
        ("data.programstatus.nagios_pid", True, "'data.programstatus.nagios_pid' is bool"),
        ("data.programstatus.daemon_mode", 1, "'data.programstatus.daemon_mode' is int"),
        ("data", [], "no 'data.programstatus.nagios_pid'"),
        ("result", None, "no 'result.type_code'"),
    ],
)
def test_wrong_shapes_name_the_field(path: str, value: object, message: str) -> None:
    with pytest.raises(ns.BadAnswer, match=message):
        ns.parse_programstatus(_mutated(path, value))


@pytest.mark.parametrize("text", ["[1, 2]", "42", '"programstatus"', "null"])
def test_json_that_is_not_an_object(text: str) -> None:
    with pytest.raises(ns.BadAnswer):
        ns.parse_answer(text)


def test_all_errors_are_value_errors_with_one_line() -> None:
    for text in ["", "<html>", "[]", fixture("error-query-invalid.json")]:
        with pytest.raises(ValueError) as caught:
            ns.parse_answer(text)
        assert isinstance(caught.value, ns.StatusError)
        assert "\n" not in str(caught.value)
