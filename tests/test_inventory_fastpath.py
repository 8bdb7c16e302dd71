"""The happy-path table test (``Spec.fine``) never passes a table the reporting path would find a problem in.

``read_table`` skips the per-field reporting when ``Spec.fine`` says the table is fine, so ``fine`` must be at least
as strict as the reporting path: for every table spec and a sweep of good and bad values per field, ``fine`` true
implies the reporting path records nothing and keeps exactly the same fields.
"""

from __future__ import annotations

import itertools

import pytest

from nagios_herd.inventory import schema
from nagios_herd.inventory.problems import Problems

SPECS = {name: spec for name, spec in vars(schema).items() if isinstance(spec, schema.Spec)}
GOOD = {
    "address": "192.0.2.10", "replication_address": "198.51.100.10", "mac": "00:16:3e:00:00:01", "email": "a@b.net",
    "team": "teams/a.toml", "role": "primary", "drbd_protocol": "C", "line": "$USER1$/check_tcp -p $ARG1$",
    "args": ["5432"], "plugin_dir": "/usr/lib/x", "standard_plugin_dir": "/usr/lib/y", "state_dir": "/var/lib/z",
    "nagios_cgi_path": "/cgi-bin/s.cgi", "volume_group": "vg_herd", "bridge": "xenbr0", "ssh_user": "root",
    "description": "TCP 1000", "alias": "Some host", "pager": "p@x", "agent": "fence_ipmilan", "ip": "192.0.2.20",
    "fence_credentials": "/etc/nagios-herd/fencing.toml", "web_scheme": "https",
    "host_command": "/usr/local/bin/page $CONTACTPAGER$", "service_command": "/usr/local/bin/page $CONTACTPAGER$",
    "capture": "/run/nagios4/notifications.log", "drbd_secrets": "/etc/nagios-herd/drbd.toml",
    "web_secrets": "/etc/nagios-herd/web.toml", "resource_secrets": "/etc/nagios-herd/resource/db.toml",
}
BAD_SUFFIXES = ["\n", "\r", ";", "!", "$", "`", "|", "\\", "\x00", "\x7f", " ", "\u00e9", "..", "/../x", "A", "-"]


def _values(spec: schema.Field, key: str) -> list[object]:
    """Good and bad candidates for one field."""
    if spec.kind is bool:
        return [True, False, 1, "true", None]
    if spec.kind is int:
        low, high = spec.low, spec.high
        return [low, high, low - 1, high + 1, (low + high) // 2, True, str(low), float(low)]  # type: ignore[operator]
    base = GOOD.get(key, "db-01")
    if spec.kind is dict:  # a nagios directives table
        return [{"max_check_attempts": "3"}, {}, {"_CUSTOM": "any $thing"}, {"max_check_attempts": "x"},
                {"no_such_directive": "1"}, {"notes": "a\nb"}, {"max_check_attempts": 3}, "x", ["x"]]
    if spec.kind is list:
        item = base[0] if isinstance(base, list) else base
        return [[], [item], [item, item], [item, 1], [item, {"a": 1}], "x", [item + "\n"], [item, item + "-b"], *(
            [item + suffix] for suffix in BAD_SUFFIXES)]
    return [base, 7, ["x"], "", " " + base, *(base + suffix for suffix in BAD_SUFFIXES),
            *(suffix + base for suffix in BAD_SUFFIXES)]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fine_implies_no_problem(name: str) -> None:
    spec = SPECS[name]
    good = {key: _values(field, key)[0] for key, field in spec.items()}
    tables = [good, {key: value for key, value in good.items() if not spec[key].required}, {**good, "extra": 1}]
    for key, field in spec.items():
        tables += [{**good, key: value} for value in _values(field, key)]
        tables.append({other: value for other, value in good.items() if other != key})
    for first, second in itertools.combinations(list(spec)[:4], 2):
        tables.append({**good, first: _values(spec[first], first)[3], second: _values(spec[second], second)[3]})
    fine = 0
    for table in tables:
        problems = Problems()
        kept = schema.read_reporting(problems, "f.toml", "t", table, spec)
        if spec.fine(table) is not None:
            fine += 1
            assert not problems, (table, problems.lines)
            assert spec.fine(table) == kept
            assert kept == {key: tuple(value) if isinstance(value, list) else tuple(value.items())
                                if isinstance(value, dict) else value for key, value in table.items()}
        assert schema.read_table(Problems(), "f.toml", "t", table, spec) == kept
    assert fine >= 2


@pytest.mark.parametrize("check", ["object_name", "nagios_text", "team_command_line", "team_arg"])
def test_team_value_regexes_agree_with_their_checks(check: str) -> None:
    """The loader's fast path for a team value is a regular expression: it accepts exactly what the check does."""
    from nagios_herd.inventory import values

    slow = getattr(values, check)
    fast = values.accepts(slow)
    chars = ["a", " ", "\t", "\n", "$", "!", "\\", ";", "\u00e9", "\x7f", "`", ",", "(", "\u2028", "\x85", "\x00"]
    for length in range(4):
        for combo in itertools.product(chars, repeat=length):
            value = "".join(combo)
            assert bool(fast(value)) == (slow(value) is None), (check, value)
    assert bool(fast("x" * 256)) == (slow("x" * 256) is None)


def test_host_address_fast_path_agrees_with_the_check() -> None:
    """A dotted quad skips ipaddress on the loader's fast path; every address is still accepted exactly as the
    check accepts it (octet bounds, leading zeros, non-ASCII digits, the other address forms)."""
    from nagios_herd.inventory import values

    fast = values.accepts(values.host_address)
    octets = ["0", "1", "9", "10", "01", "99", "100", "199", "200", "249", "250", "255", "256", "300", "\u0661", "a"]
    for combo in itertools.product(octets, repeat=2):
        for value in (f"10.{combo[0]}.{combo[1]}.1", f"{combo[0]}.2.3.{combo[1]}"):
            assert bool(fast(value)) == (values.host_address(value) is None), value
    for value in ("1.2.3", "1.2.3.4.5", "1.2.3.4\n", "1.2.3.4 ", "fe80::1", "fe80::1%eth0", "host.example", "a|b", ""):
        assert bool(fast(value)) == (values.host_address(value) is None), value
