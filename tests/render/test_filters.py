"""Every quoting filter: what it writes, and every value it must refuse."""

from __future__ import annotations

import pytest

from nagios_herd.generate.filters import FilterError, drbdval, nagarg, nagval, nrpeval, sudoval, xlval

LINE_BREAKERS = ["a\nb", "a\rb", "a\0b", "trailing\n"]


@pytest.mark.parametrize("flt", [nagval, nagarg, xlval, drbdval, sudoval, nrpeval])
@pytest.mark.parametrize("value", LINE_BREAKERS)
def test_every_filter_refuses_line_breakers(flt, value):
    with pytest.raises(FilterError, match="newline, carriage return or NUL"):
        flt(value)


@pytest.mark.parametrize("flt", [nagval, nagarg, xlval, drbdval, sudoval, nrpeval])
@pytest.mark.parametrize("value", ["", None, 1.5, True, {"a": 1}])
def test_every_filter_refuses_empty_and_non_text(flt, value):
    with pytest.raises(FilterError):
        flt(value)


def test_nagval_escapes_semicolons_and_passes_plain_text():
    assert nagval("Team A; guest") == "Team A\\; guest"
    assert nagval("alice@example.net") == "alice@example.net"
    assert nagval(42) == "42"


@pytest.mark.parametrize("value", ["$USER1$", "a!b", "`id`", " lead", "trail ", "\tx"])
def test_nagval_refuses_macros_splits_backticks_and_outer_whitespace(value):
    with pytest.raises(FilterError) as caught:
        nagval(value)
    assert caught.value.value == value


def test_nagval_command_mode_allows_macros_but_not_backticks():
    line = "$USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$"
    assert nagval(line, command=True) == line
    assert nagval("a;b", command=True) == "a\\;b"
    with pytest.raises(FilterError, match="'`'"):
        nagval("$USER1$/x `id`", command=True)


def test_nagarg_passes_ordinary_arguments():
    assert nagarg("100.0,20%") == "100.0,20%"
    assert nagarg("/healthz") == "/healthz"
    assert nagarg(5432) == "5432"


@pytest.mark.parametrize("value", ["a!b", "$x", "`id`", "a;b", "a|b", "a&b", "a>b", "a<b", "$(id)", "a\\b",
                                   "'q'", '"q"', " x", "x "])
def test_nagarg_refuses_shell_and_nagios_metacharacters(value):
    with pytest.raises(FilterError):
        nagarg(value)


def test_xlval_writes_python_like_literals():
    assert xlval("team-db") == '"team-db"'
    assert xlval(128) == "128"
    assert xlval(["phy:/dev/x,xvda,w", "b"]) == "['phy:/dev/x,xvda,w', 'b']"


def test_drbdval_quotes_and_bare_tokens():
    assert drbdval("/dev/vg/x-root") == '"/dev/vg/x-root"'
    assert drbdval("notify.sh root") == '"notify.sh root"'
    assert drbdval("198.51.100.11:7789", bare=True) == "198.51.100.11:7789"


@pytest.mark.parametrize("value", ["a b", "a;b", "x{"])
def test_drbdval_bare_refuses_anything_but_address_characters(value):
    with pytest.raises(FilterError, match="bare DRBD token"):
        drbdval(value, bare=True)


def test_sudoval_escapes_sudoers_specials():
    assert sudoval("vg_name,vg_attr") == "vg_name\\,vg_attr"
    assert sudoval("a:b=c\\d") == "a\\:b\\=c\\\\d"
    assert sudoval("/usr/sbin/xl") == "/usr/sbin/xl"


@pytest.mark.parametrize("flt, value", [
    *((xlval, value) for value in ['a"b', "a'b", "a\\b", "é", "\x07", [1], ["a\nb"], [True]]),  # quotes, non-ASCII
    *((drbdval, value) for value in ["a;b", "a{b", "a}b", 'a"b', "a\\b", " x"]),  # DRBD statement breakers
    *((sudoval, value) for value in ["*", "/usr/sbin/lv?", "[a]", "two words", "tab\there"]),  # wildcards, spaces
])
def test_format_specific_refusals(flt, value):
    with pytest.raises(FilterError):
        flt(value)


def test_nrpeval_shell_quotes_words_and_lists():
    assert nrpeval("--vg") == "--vg"
    assert nrpeval("a b") == "'a b'"
    assert nrpeval(["x", "it's"]) == "x 'it'\"'\"'s'"


def test_filter_error_names_filter_value_and_reason():
    with pytest.raises(FilterError) as caught:
        nagval("a!b")
    assert str(caught.value) == "nagval: '!' is not allowed in a Nagios value: 'a!b'"
