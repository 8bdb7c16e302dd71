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
