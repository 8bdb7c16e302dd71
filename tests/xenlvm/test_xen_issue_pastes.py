"""Real ``xl list`` pasted into an issue thread, and stub domains in the printer's own format."""

from __future__ import annotations

from nagios_herd.parsers.xen import parse_list

from .helpers import fixture, read, run_check

PAUSED = "issues/sysml_clickos_18_xl_list_paused.txt"
STUB = "xenlvm-synthetic/xl_list_stubdomain.txt"


def test_clickos_18_paused_domain_is_a_warning() -> None:
    dom0, guest = parse_list(read(PAUSED))
    assert (dom0.is_dom0, guest.name, guest.domid, guest.memory_mb, guest.state) == (True, "linux-1", 2, 512, "--p---")
    assert guest.paused and guest.condition == "paused"
    run = run_check("check_xen_domain", "--input", fixture(PAUSED), "--domain", "linux-1")
    assert run.status == 1 and "linux-1: paused [--p---]" in run.first
    assert run.perf["paused"][0] == 1


def test_stub_domain_is_its_own_domain() -> None:
    """``NAME-dm`` (a device-model stub domain) neither stands for NAME nor hides it."""
    names = [d.name for d in parse_list(read(STUB))]
    assert names == ["Domain-0", "sys-net", "sys-net-dm", "nagios-team-a", "nagios-team-b"]
    missing = run_check("check_xen_domain", "--input", fixture(STUB), "--domain", "sys-fw", "--absent", "sys-usb")
    assert missing.status == 2 and "sys-fw: not running here (expected)" in missing.first
    both = run_check("check_xen_domain", "--input", fixture(STUB), "--absent", "sys-net-dm")
    assert both.status == 2 and "sys-net-dm: running [-b----]; must not run here" in both.first
    fine = run_check("check_xen_domain", "--input", fixture(STUB), "--domain", "nagios-team-a", "--absent", "sys-net-d")
    assert fine.status == 0 and fine.perf["running"][0] == 5


NULL_DYING = "issues/QubesOS_qubes-issues_2850_xl_list_null_dying.txt"


def test_qubes_2850_null_domains_are_zombies() -> None:
    """Domains that died but kept memory: xl prints ``(null)`` as the name, paused and dying ``--p--d``."""
    dom0, *zombies = parse_list(read(NULL_DYING))
    assert (dom0.name, dom0.domid, dom0.memory_mb, dom0.vcpus, dom0.state) == ("Domain-0", 0, 3267, 2, "r-----")
    assert len(zombies) == 14
    assert [z.domid for z in zombies[:3]] == [18, 21, 40] and zombies[-1].domid == 97
    assert {(z.name, z.state, z.vcpus, z.condition) for z in zombies} == {("(null)", "--p--d", 2, "zombie")}
    assert all(z.paused and z.dying and z.active and not z.alive for z in zombies)
    assert min(z.memory_mb for z in zombies) == 0
    run = run_check("check_xen_domain", "--input", fixture(NULL_DYING))
    assert run.status == 2 and run.perf["zombie"][0] == 14 and run.perf["domains"][0] == 15
    assert run.first.startswith("XEN CRITICAL - (null) id 18: zombie domain (lost its name while dying) [--p--d]")
