"""Shell injection through a host address: Nagios runs host and service checks through /bin/sh."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from inventory_helpers import copy_fixture, edit, run_cli

from nagios_herd.generate.validators import _shell_in_addresses
from nagios_herd.inventory.values import host_address
from nagios_herd.nagios.serve import minimal_objects

pytestmark = pytest.mark.real


def test_a_real_nagios4_runs_what_an_address_smuggles_and_the_screens_refuse_it(tmp_path: Path) -> None:
    from realnagios.harness import RealNagios

    marker = tmp_path / "pwned"
    attack = f"fe80::1%x||touch {marker} #"
    objects = minimal_objects(services={"ADDR": "/bin/false $HOSTADDRESS$"}, check_interval=1)
    objects = objects.replace("address 127.0.0.1", f"address {attack}")
    with RealNagios(tmp_path / "nagios", objects=objects) as nagios:
        nagios.force_service_check("guest01", "ADDR")
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert marker.exists(), "nagios4 did not run the smuggled command: the premise of this test is gone"
    hosts = tmp_path / "hosts.cfg"
    hosts.write_text(objects)
    assert _shell_in_addresses(hosts).startswith("line ") and "holds characters a shell acts on" in \
        _shell_in_addresses(hosts)
    assert "contains '|'" in host_address(attack)
    assert "contains '|'" in host_address("fe80::1%x||cd&&id>pwned #")


@pytest.mark.parametrize("address, accepted", [
    ("fe80::1%eth0", True), ("fe80::1%br-mgmt.10", True), ("fe80::1%3", True), ("db02.example.net", True),
    ("fe80::1%x y", False), ("fe80::1%x&y", False), ("fe80::1%", False), ("10.0.0.1>x", False),
    ("db02$(id)", False), ("fe80::1%é", False),
])
def test_scope_ids_and_addresses_allow_only_safe_characters(address: str, accepted: bool) -> None:
    assert (host_address(address) is None) == accepted, host_address(address)


def test_generate_refuses_the_address_with_one_line(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    edit(root, "teams/alpha.toml", 'address = "db02.example.net"', 'address = "fe80::1%x||cd&&id>pwned #"')
    done = run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "teams/alpha.toml" in done.stderr
    assert "contains '|'" in done.stderr and not (tmp_path / "out").exists()
