"""nagios_herd.parsers.ip_addr on real ``ip -json address show`` output: a captured dom0 and a live namespace."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path

import pytest

from nagios_herd.parsers.ip_addr import IpAddrError, parse_addresses

FIXTURE = Path(__file__).parent / "fixtures" / "iproute2" / "ip-json-address-dom0.json"


def test_a_dom0_s_addresses_with_their_interfaces_and_prefixes():
    found = {(a.interface, str(a.configured)) for a in parse_addresses(FIXTURE.read_text())}
    assert {("xenbr0", "192.0.2.10/24"), ("xenbr0", "2001:db8:1::10/64"), ("eth1", "198.51.100.10/24"),
            ("eth1-peer", "10.99.0.1/32"), ("lo", "127.0.0.1/8"), ("lo", "::1/128")} <= found
    bridge = next(a for a in parse_addresses(FIXTURE.read_text()) if str(a.configured) == "192.0.2.10/24")
    assert bridge.configured.network == ipaddress.ip_network("192.0.2.0/24")
    assert not [a for a in found if a[0] in ("eth0", "vif1.0") and not a[1].startswith("fe80::")]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("<html>", "not JSON"),
    ('{"ifname": "lo"}', "not a list"),
    ('[{"addr_info": []}]', "interface 1: no ifname"),
    ('[{"ifname": "eth1", "addr_info": {}}]', "eth1: addr_info is not a list"),
    ('[{"ifname": "eth1", "addr_info": [{"family": "inet", "local": "10.0.0.1", "prefixlen": "24"}]}]',
     "eth1: address '10.0.0.1' with prefix length '24'"),
    ('[{"ifname": "eth1", "addr_info": [{"family": "inet", "local": "10.0.0.1", "prefixlen": 64}]}]', "eth1: "),
])
def test_what_ip_never_prints_is_one_line_error(text, message):
    with pytest.raises(IpAddrError, match=message) as error:
        parse_addresses(text)
    assert "\n" not in str(error.value)


def test_other_families_and_links_without_addresses_are_left_out():
    text = ('[{"ifname": "eth2", "addr_info": []}, {"ifname": "can0"}, '
            '{"ifname": "eth3", "addr_info": [{"family": "mpls", "local": "x"}, {"family": "inet6", "prefixlen": 64}]}]')
    assert parse_addresses(text) == ()


@pytest.mark.real
def test_live_ip_in_a_namespace_of_its_own():
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare or ip is not installed")
    script = ("ip link add eth1 type veth peer name eth2 && ip addr add 10.1.200.5/24 dev eth1 && "
              "ip addr add 10.1.0.5/16 dev eth2 && ip addr add 2001:db8:2::5/48 dev eth2 nodad && "
              "ip -json address show")
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, check=False)
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip("no permission for a network namespace")
    assert done.returncode == 0, done.stderr
    found = {(a.interface, str(a.configured)) for a in parse_addresses(done.stdout)}
    assert {("eth1", "10.1.200.5/24"), ("eth2", "10.1.0.5/16"), ("eth2", "2001:db8:2::5/48")} <= found
