"""``parsers.cjson`` against ``json`` itself as the oracle: the same values, text and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nagios_herd.parsers import cjson

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENTS = sorted(FIXTURES.glob("lvm2-real/*.json")) + sorted(FIXTURES.glob("xenlvm-synthetic/*.json"))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_lvm_reports_read_as_json_reads_them(path: Path) -> None:
    text = path.read_text()
    start = len(text) - len(text.lstrip())
    assert cjson.raw_decode(text, start) == json.JSONDecoder().raw_decode(text, start)


@pytest.mark.parametrize("text", ['{"a": [1, 2.5, -3e2, true, false, null, "\\u00e9\\n"]}', " [NaN, Infinity] ",
                                  '"x"', "0"])
def test_values(text: str) -> None:
    assert repr(cjson.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["", "{", '{"a": 1,}', "[1] [2]", '"\x01"', "nul"])
def test_invalid_documents_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError) as ours:
        cjson.loads(text)
    with pytest.raises(ValueError) as theirs:
        json.loads(text)
    assert type(ours.value) is type(theirs.value) or str(ours.value).startswith("extra data")


@pytest.mark.parametrize("data", [{"b": [1, 2.5, None], "a": {"é": True}}, [], "x", {"k": float("inf")}])
def test_dumps_is_json_dumps(data: object) -> None:
    assert cjson.dumps(data) == json.dumps(data, sort_keys=True)
    assert cjson.dumps(data, sort_keys=False) == json.dumps(data)
    with pytest.raises(TypeError):
        cjson.dumps({"a": object()})
