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
    ("Name    ID   Mem VCPUs\tState\tTime(s)\n    Domain-0   0  1023  1  r-----  5.0\n", "line 2"),  # indented
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


# Rows as xen's tools/xl/xl_info.c list_domains prints them (header with TABs; the -v, -Z, -c and -n columns).
XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"


def xl_row(name: str, domid: int = 7, mem: int = 2048, vcpus: int = 2, state: str = "-b----",
           seconds: float = 1.5) -> str:
    """``%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f``."""
    return "%-40s %5d %5d %5d     %s  %8.1f" % (name, domid, mem, vcpus, state, seconds)


@pytest.mark.parametrize("name", [
    "web-01.example.com", "nagios-team-a.2", "db1.example-2.org", "a-b-c-d-e", "x.1-2", "42", "1.5", "r-----",
    "Domain-0-copy", "exactly-forty-characters-long.example.o",
    "longer-than-forty-characters.pushes-the-columns.example",
])
def test_names_with_dashes_dots_and_digits(name):
    assert len("exactly-forty-characters-long.example.o") == 39  # the 40th column is the row's separator space
    (domain,) = parse_list(f"{XL_HEADER}\n{xl_row(name)}\n")
    assert (domain.name, domain.domid, domain.memory_mb, domain.vcpus, domain.state, domain.cpu_time) == (
        name, 7, 2048, 2, "-b----", 1.5)


@pytest.mark.parametrize("state, condition, flags, reason", [
    ("r-----", "running", {"running"}, None),
    ("-b----", "running", {"blocked"}, None),
    ("------", "running", set(), None),  # neither running nor blocked: a vCPU between the two
    ("--p---", "paused", {"paused"}, None),
    ("---s--", "shutdown", {"shutdown"}, "poweroff"),
    ("---sr-", "shutdown", {"shutdown"}, "reboot"),
    ("---ss-", "shutdown", {"shutdown"}, "suspend"),
    ("---sw-", "shutdown", {"shutdown"}, "watchdog"),
    ("---sS-", "shutdown", {"shutdown"}, "soft_reset"),
    ("---s?-", "shutdown", {"shutdown"}, "unknown"),
    ("---sc-", "crashed", {"shutdown", "crashed"}, "crash"),
    ("----c-", "crashed", {"crashed"}, "crash"),  # xm's crashed column (no shutdown flag)
    ("-----d", "dying", {"dying"}, None),
    ("--p--d", "dying", {"paused", "dying"}, None),
    ("--psc-", "crashed", {"paused", "shutdown", "crashed"}, "crash"),
])
def test_state_flags(state, condition, flags, reason):
    (domain,) = parse_list(f"{XL_HEADER}\n{xl_row('guest-a', state=state)}\n")
    found = {flag for flag in ("running", "blocked", "paused", "shutdown", "crashed", "dying") if getattr(domain, flag)}
    assert (domain.state, domain.condition, found, domain.shutdown_reason) == (state, condition, flags, reason)
    assert domain.alive == (condition == "running")


@pytest.mark.parametrize("state", ["rb----x", "r----", "R-----", "-b---e", "x-----", "--P---", "---sx-"])
def test_malformed_state_is_not_a_row(state):
    with pytest.raises(XenParseError, match="line 2: not a domain row"):
        parse_list(f"{XL_HEADER}\n{xl_row('guest-a', state=state)}\n")


def test_trailing_whitespace_crlf_and_blank_lines_change_nothing():
    rows = [xl_row("Domain-0", 0, 15084, 8, "r-----", 633.9), xl_row("guest-01", 4, 1024, 2, "-b----", 7.7)]
    clean = parse_list("\n".join([XL_HEADER, *rows]) + "\n")
    assert [d.name for d in clean] == ["Domain-0", "guest-01"]
    for variant in ("\n".join(line + "   " for line in [XL_HEADER, *rows]),
                    "\n".join(line + "\t" for line in [XL_HEADER, *rows]) + "\n",
                    "\r\n".join([XL_HEADER, *rows]) + "\r\n",
                    "\n\n" + "\n\n".join([XL_HEADER, *rows]) + "\n \n\t\n"):
        assert parse_list(variant) == clean, repr(variant)
    assert [d.extra for d in parse_list("\n".join(line + " \t " for line in [XL_HEADER, *rows]))] == ["", ""]


@pytest.mark.parametrize("text", [
    XL_HEADER + "\n", XL_HEADER, XL_HEADER + "\r\n\r\n", "  " + XL_HEADER + "  \n\n",
    "Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            "
    "Reason-Code\tSecurity Label\n",
    "Name                              ID Mem(MiB) VCPUs State  Time(s)\n",
])
def test_header_only_is_no_domains(text):
    assert parse_list(text) == []


def test_verbose_and_context_columns_as_xl_prints_them():
    """``-v``: `` UUID %8x-or-%8s`` then `` %16s`` label; ``-Z``: the label alone; ``-c``: ``%16s`` pool (no
    space before it); ``-n``: a space and the node affinity."""
    uuid = "e430b4b8-dc91-9390-dfe0-b83c138ea0aa"
    base = xl_row("guest-a", state="---sc-")
    domains = parse_list("\n".join([
        XL_HEADER,
        f"{base} {uuid} {3:8x} {'-':>16}",
        f"{base} {uuid} {'-':>8} {'system_u:system_r:domU_t':>16}",
        f"{base} {uuid} {0x1f:8x} {'-':>16}{'Pool-0':>16}",
        f"{base} {'-':>16}",
        f"{base}{'Pool-0':>16}",
        f"{base} all",
        f"{base}\t{uuid}\t-\tlabel\tPool-0",  # TABs, as a paste or an editor may leave them
    ]))
    assert [(d.uuid, d.reason_code, d.security_label, d.extra) for d in domains] == [
        (uuid, "3", "-", ""),
        (uuid, "-", "system_u:system_r:domU_t", ""),
        (uuid, "1f", "-", "Pool-0"),
        (None, None, None, "-"),
        (None, None, None, "Pool-0"),
        (None, None, None, "all"),
        (uuid, "-", "label", "Pool-0"),
    ]
    assert all(d.condition == "crashed" and d.cpu_time == 1.5 for d in domains)
