"""nagios_herd.parsers.xen on every real `xl list`/`xm list`/`xl info` fixture and on hand-built rows in the real format."""

from __future__ import annotations

import pytest

from nagios_herd.parsers.xen import Domain, XenParseError, parse_info, parse_list

from .helpers import read


def by_name(domains: list[Domain]) -> dict[str, Domain]:
    return {domain.name: domain for domain in domains}


def test_dom0_only():
    (dom0,) = parse_list(read("ganeti/xen-xl-list-4.0.1-dom0-only.txt"))
    assert (dom0.name, dom0.domid, dom0.memory_mb, dom0.vcpus, dom0.state) == ("Domain-0", 0, 1023, 1, "r-----")
    assert dom0.cpu_time == 121152.6
    assert dom0.is_dom0 and dom0.running and dom0.alive and dom0.condition == "running"


def test_four_instances_names_with_dots_and_digits():
    domains = parse_list(read("ganeti/xen-xl-list-4.0.1-four-instances.txt"))
    assert [d.name for d in domains] == ["Domain-0", "server01.example.com", "web3106215069.example.com",
                                         "testinstance.example.com"]
    web = by_name(domains)["web3106215069.example.com"]
    assert (web.domid, web.memory_mb, web.vcpus, web.state) == (3, 4096, 1, "-b----")
    assert web.blocked and not web.running and web.alive
    assert all(d.condition == "running" for d in domains)


def test_crashed_instances_and_null_zombie():
    domains = by_name(parse_list(read("ganeti/xen-xl-list-4.4-crashed-instances.txt")))
    zombie = domains["(null)"]
    assert zombie.zombie and zombie.domid == 28441 and zombie.condition == "zombie"
    dying = domains["alsodying.example.com"]
    assert dying.state == "--psc-"
    assert dying.paused and dying.shutdown and dying.crashed and not dying.dying
    assert dying.shutdown_reason == "crash" and dying.condition == "crashed" and not dying.alive


@pytest.mark.parametrize("name, state, condition", [
    ("xl_list_xen_4.9.2_running.txt", "-b----", "running"),
    ("xl_list_xen_4.9.2_paused.txt", "-bp---", "paused"),
])
def test_tab_header_xen_492(name, state, condition):
    domains = by_name(parse_list(read(f"xen-course-notes/{name}")))
    guest = domains["guest-01"]
    assert (guest.domid, guest.memory_mb, guest.vcpus, guest.state) == (4, 1024, 2, state)
    assert guest.condition == condition
    assert domains["Domain-0"].memory_mb == 15084


def test_migration_names():
    domains = by_name(parse_list(read("xenlvm-synthetic/xl_list_migration.txt")))
    incoming = domains["nagios-team-a--incoming"]
    away = domains["nagios-team-b--migratedaway"]
    assert incoming.migrating and incoming.base_name == "nagios-team-a" and incoming.condition == "migrating"
    assert away.migrating and away.base_name == "nagios-team-b"
    assert domains["nagios-team-c"].base_name == "nagios-team-c" and not domains["nagios-team-c"].migrating


def test_shutdown_reasons_dying_and_long_name():
    domains = by_name(parse_list(read("xenlvm-synthetic/xl_list_shutdown_dying.txt")))
    assert domains["nagios-team-a"].shutdown_reason == "poweroff"
    assert domains["nagios-team-a"].condition == "shutdown"
    assert domains["nagios-team-b"].shutdown_reason == "reboot"
    assert domains["nagios-team-c"].dying and domains["nagios-team-c"].condition == "dying"
    long = domains["nagios-team-with-a-very-long-name.example.org"]
    assert (long.domid, long.memory_mb, long.state) == (5, 128, "-b----")


def test_verbose_columns():
    domains = by_name(parse_list(read("xenlvm-synthetic/xl_list_verbose.txt")))
    team_a = domains["nagios-team-a"]
    assert team_a.uuid == "e430b4b8-dc91-9390-dfe0-b83c138ea0aa"
    assert team_a.reason_code == "-" and team_a.security_label == "-" and team_a.extra == ""
    crashed = domains["nagios-team-b"]
    assert crashed.reason_code == "3" and crashed.crashed and crashed.condition == "crashed"


def test_xm_managed_domain_without_id():
    domains = by_name(parse_list(read("xenlvm-synthetic/xm_list_managed.txt")))
    halted = domains["nagios-team-b"]
    assert halted.domid is None and halted.state == "" and halted.memory_mb == 256
    assert not halted.active and halted.condition == "inactive" and not halted.alive
    assert domains["nagios-team-a"].domid == 12 and domains["nagios-team-a"].alive


def test_xm_30_header_and_unknown_reason():
    text = ("Name                              ID Mem(MiB) VCPUs State  Time(s)\n"
            "Domain-0                           0      512     1 r-----  1234.5\n"
            "odd                                7      128     1 ---s?-     1.0\n")
    domains = by_name(parse_list(text))
    assert domains["odd"].shutdown_reason == "unknown" and domains["odd"].condition == "shutdown"


@pytest.mark.parametrize("text, message", [
    ("", "empty input"),
    ("\n\n  \n", "empty input"),
    ("root:x:0:0:root:/root:/bin/bash\n", "line 1: not an `xl list`"),
    ("Name    ID   Mem VCPUs\tState\tTime(s)\nDomain-0   0  1023  1  r-----\n", "line 2: not a domain row"),
    ("Name    ID   Mem VCPUs\tState\tTime(s)\nDomain-0   0  1023  1  rxyz--  5.0\n", "line 2"),
])
def test_hostile_lists(text, message):
    with pytest.raises(XenParseError, match=message):
        parse_list(text)


def test_long_sxp_format_is_not_a_list():
    with pytest.raises(XenParseError, match="line 1"):
        parse_list(read("ganeti/xen-xl-list-long-4.0.1.txt"))


def test_xl_info_memory():
    info = parse_info(read("ganeti/xen-xl-info-4.0.1.txt"))
    assert (info.total_memory_mb, info.free_memory_mb) == (16378, 8004)
    assert info.values["xen_major"] == "4" and info.values["xen_caps"] == "xen-3.0-x86_64 xen-3.0-x86_32p"
    assert info.values["host"] == "host.example.com"


@pytest.mark.parametrize("text, message", [
    ("", "no total_memory"),
    ("total_memory : 100\n", "no free_memory"),
    ("total_memory : 100\nfree_memory : lots\n", "free_memory is not a number"),
])
def test_xl_info_hostile(text, message):
    with pytest.raises(XenParseError, match=message):
        parse_info(text)


def test_domain_is_immutable_value():
    first, second = (parse_list(read("ganeti/xen-xl-list-4.0.1-dom0-only.txt"))[0] for _ in range(2))
    assert first == second and hash(first) == hash(second)
    with pytest.raises(AttributeError):
        first.name = "other"  # type: ignore[misc]
