"""A real nagios4 runs the host-side plugins (with --input fixtures) and shows their verdicts.

Each service's expected state comes from the verdict tables of docs/checks.md, not from the
plugins' own output; Nagios must run the executables from a generated config, parse their
output and perfdata, and publish the state both in status.dat and through statusjson.cgi.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .harness import STATE_NAMES, RealNagios

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_BITS = {OK: 2, WARNING: 4, UNKNOWN: 8, CRITICAL: 16}  # statusjson's service status bitmask


def case(plugin: str, fixture: str, *extra: str) -> list[str]:
    return [str(ROOT / "checks" / plugin), "--input", str(FIXTURES / fixture), *extra]


# service description -> (argv, expected state, why, per the verdict table)
CASES = {
    "DRBD connected": (case("check_drbd_sync", "checkmk/proc_drbd_8.3.8_connected.txt"), OK,
                       "Connected, UpToDate/UpToDate, one Primary"),
    "DRBD resync": (case("check_drbd_sync", "ganeti/proc_drbd83_sync_want.txt"), WARNING,
                    "SyncTarget at 44.4%"),
    "DRBD broken": (case("check_drbd_sync", "ganeti/proc_drbd84.txt"), CRITICAL,
                    "WFConnection, StandAlone, local Diskless"),
    "DRBD 9 proc": (case("check_drbd_sync", "linbit-documentation/UG9_proc_drbd_v9.txt"), UNKNOWN,
                    "DRBD 9 /proc/drbd with no status source"),  # the listing's prompt line is dropped below
    "XEN running": (case("check_xen_domain", "ganeti/xen-xl-list-4.0.1-four-instances.txt",
                         "--domain", "server01.example.com"), OK, "r/b states, expected domain runs"),
    "XEN migrating": (case("check_xen_domain", "xenlvm-synthetic/xl_list_migration.txt"), WARNING,
                      "NAME--incoming / NAME--migratedaway"),
    "XEN crashed": (case("check_xen_domain", "ganeti/xen-xl-list-4.4-crashed-instances.txt"),
                    CRITICAL, "crashed domain and a (null) zombie"),
    "XEN on both hosts": (case("check_xen_domain", "ganeti/xen-xl-list-4.0.1-four-instances.txt",
                               "--absent", "server01.example.com"), CRITICAL, "--absent domain runs"),
    "LVM room": (case("check_lvm_capacity", "lvm2-real/fullreport_json_units_b.json", "--vg", "vg_herd"), OK,
                 "VGs and LVs reported, room against the defaults -w 10: -c 5:"),
    "LVM low": (case("check_lvm_capacity", "lvm2-real/vgs_json_units_b_nearly_full.json",
                     "-w", "15:", "-c", "5:"), WARNING, "13.31% free, below -w 15:"),
    "LVM partial": (case("check_lvm_capacity", "lvm2-real/vgs_json_partial_missing_pv.json"),
                    CRITICAL, "partial VG (attr p)"),
    "LVM unreadable": (case("check_lvm_capacity", "nagios4/no-such-report.json"), UNKNOWN,
                       "input file missing"),
}


def _tool_output(fixture: Path, root: Path) -> str:
    """The fixture as the tool printed it: a documentation listing loses its ``$ command`` prompt line."""
    if not fixture.is_file() or not fixture.read_text().startswith("$ "):
        return str(fixture)
    reduced = root / fixture.name
    reduced.write_text("".join(fixture.read_text().splitlines(keepends=True)[1:]))
    return str(reduced)


@pytest.fixture(scope="module")
def herd_nagios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealNagios]:
    root = tmp_path_factory.mktemp("plugins")
    missing = sorted({argv[0] for argv, _, _ in CASES.values() if not os.access(argv[0], os.X_OK)})
    assert not missing, f"plugin executables not there (yet?): {', '.join(missing)}"
    state = ["--state-file", str(root / "drbd-state.json"), "--stall-time", "3600"]
    services = {}
    for name, (argv, _, _) in CASES.items():
        argv = [*argv[:2], _tool_output(Path(argv[2]), root), *argv[3:]]
        full = [*argv, *state] if argv[0].endswith("check_drbd_sync") else argv
        services[name] = shlex.join(full)
    with RealNagios(root, host="xenhost", services=services) as nagios:
        yield nagios


@pytest.mark.parametrize("service", sorted(CASES))
def test_state_in_status_dat(herd_nagios: RealNagios, service: str) -> None:
    argv, expected, why = CASES[service]
    status = herd_nagios.wait_for_service_state("xenhost", service, expected)
    assert status.plugin_output.split(" ", 1)[0] in ("DRBD", "XEN", "LVM"), status.plugin_output
    assert f" {STATE_NAMES[expected]} - " in status.plugin_output, (why, status.plugin_output)


def test_states_through_statusjson(herd_nagios: RealNagios) -> None:
    for service, (_, expected, _) in CASES.items():
        herd_nagios.wait_for_service_state("xenhost", service, expected)
    answer = requests.get(herd_nagios.url, params={"query": "servicelist", "hostname": "xenhost"},
                          timeout=10).json()
    got = answer["data"]["servicelist"]["xenhost"]
    assert got == {service: STATUS_BITS[expected] for service, (_, expected, _) in CASES.items()}


def test_drbd9_proc_reason(herd_nagios: RealNagios) -> None:
    """UNKNOWN for the right reason: a DRBD 9 /proc/drbd has no state (not "not a DRBD status format")."""
    status = herd_nagios.wait_for_service_state("xenhost", "DRBD 9 proc", UNKNOWN)
    assert "/proc/drbd carries no resource state" in status.plugin_output, status.plugin_output


def test_perfdata_reaches_nagios(herd_nagios: RealNagios) -> None:
    status = herd_nagios.wait_for_service_state("xenhost", "LVM room", OK)
    assert status.fields["performance_data"].startswith("vg_herd_free=13.31%;10:;5:;0;100")
    resync = herd_nagios.wait_for_service_state("xenhost", "DRBD resync", WARNING)
    assert "0/0_sync=44.4%" in resync.fields["performance_data"]
