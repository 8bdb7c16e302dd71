"""The xl.cfg(5) parser that stands in for ``xl`` (which refuses to run without a hypervisor)."""

from __future__ import annotations

import pytest

from nagios_herd.parsers.xlcfg import XlConfigError, check_domain, parse

GOOD = """# comment
name = "team-db"   # trailing comment
memory = 128; maxmem = 0x80
vcpus = 1
kernel = '/usr/lib/grub-xen/grub-x86_64-xen.bin'
disk = [ 'phy:/dev/drbd/by-res/team-db/0,xvda,w',
         "phy:/dev/vg_herd/team-db-swap,xvdb,w", ]
vif = ['mac=00:16:3e:00:00:01,bridge=xenbr0']
vif += ['mac=00:16:3e:00:00:02,bridge=xenbr1']
on_crash = "destroy"
extra = "a\\"b\\tc\\x41\\101"
"""


def test_parses_strings_numbers_lists_comments_and_appends():
    settings = parse(GOOD)
    assert settings["name"] == "team-db"
    assert settings["memory"] == 128 and settings["maxmem"] == 128
    assert settings["disk"] == ["phy:/dev/drbd/by-res/team-db/0,xvda,w", "phy:/dev/vg_herd/team-db-swap,xvdb,w"]
    assert len(settings["vif"]) == 2
    assert settings["extra"] == 'a"b\tcAA'
    assert check_domain(settings, name="team-db") == []


@pytest.mark.parametrize("text, message", [
    ('name = "x', "line 1: unterminated string"),
    ("name = x", "line 1: expected a value, found 'x'"),
    ("name 'x'", "line 1: expected '=' after 'name'"),
    ("disk = ['a' 'b']", "line 1: expected ',' or ']' in list"),
    ("disk = ['a',", "expected a value"),
    ('name = "a"\nname = "b"', "line 2: 'name' is set twice"),
    ("memory = 1 2", "line 1: unexpected '2' after the value of 'memory'"),
    ("= 1", "line 1: expected a setting name, found '='"),
    ('x = "\\q"', "line 1: unknown escape \\q in string"),
    ("memory = 1\nvcpus = @", "line 2: unexpected character '@'"),
    ("memory += 1", "line 1: '+=' needs lists for 'memory'"),
])
def test_syntax_errors_name_the_line(text, message):
    with pytest.raises(XlConfigError) as caught:
        parse(text)
    assert message in str(caught.value)


def test_domain_check_names_what_nagios_herd_needs():
    settings = parse(GOOD)
    settings["disk"] = ["phy:/dev/drbd0,xvda,w"]
    settings["maxmem"] = 64
    del settings["kernel"]
    problems = check_domain(settings, name="other")
    assert "name is 'team-db', the file is for domain 'other'" in problems
    assert "first disk must be 'phy:/dev/drbd/by-res/other/0,xvda,w'" in problems
    assert "neither bootloader nor kernel is set" in problems
    assert "maxmem is below memory" in problems
    assert check_domain({}, name="x")[:2] == ["missing name", "missing memory"]
