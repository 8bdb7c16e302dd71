"""Simulator output has the real tools' shape (compared with real fixtures) and the project's parsers read it."""

from __future__ import annotations

import json
import re

import pytest

from nagios_herd.parsers import xen
from nagios_herd.parsers.drbd import formats as drbd
from nagios_herd.parsers.drbd.model import is_connected, is_uptodate

from .conftest import FIXTURES, SimLab

ROW = re.compile(r"^.{40} [ \d]{5} [ \d]{5} [ \d]{5}     [r-][b-][p-][s-][-rscwS][d-]  [ \d]{6}\.\d$")


def _keys(line: str) -> list[str]:
    return [field.split(":", 1)[0] for field in line.split()[2:]]


def test_xl_list_matches_real_layout_and_parses(lab: SimLab) -> None:
    out = lab.ok("primary", "xl", "list")
    real_header = (FIXTURES / "xen-course-notes" / "xl_list_xen_4.9.2_running.txt").read_text().splitlines()[0]
    lines = out.splitlines()
    assert lines[0] == real_header  # literal TABs included
    assert all(ROW.match(line) for line in lines[1:]), lines
    domains = xen.parse_list(out)
    assert [d.name for d in domains] == ["Domain-0", "team-db"]
    assert domains[0].is_dom0 and domains[1].alive and domains[1].domid == 1
    assert [d.name for d in xen.parse_list(lab.ok("backup", "xl", "list", "Domain-0"))] == ["Domain-0"]
    single = lab.ok("backup", "xl", "list", "team-ops")
    assert [d.name for d in xen.parse_list(single)] == ["team-ops"]


def test_xl_list_unknown_domain_fails_like_xl(lab: SimLab) -> None:
    result = lab.run("primary", "xl", "list", "team-ops")
    assert result.returncode == 1
    assert result.stderr == "team-ops is an invalid domain identifier (rc=-6)\n"


def test_xl_list_long_is_libxl_json_without_run_state(lab: SimLab) -> None:
    entries = json.loads(lab.ok("primary", "xl", "list", "-l"))
    assert [sorted(entry) for entry in entries] == [["config", "domid"]]
    config = entries[0]["config"]
    assert config["c_info"]["name"] == "team-db"
    assert config["disks"][0]["pdev_path"] == "/dev/drbd/by-res/team-db/0"
    assert "state" not in json.dumps(config)


def test_xl_info_has_the_real_keys_in_order_and_counts_guest_memory(lab: SimLab) -> None:
    real = (FIXTURES / "ganeti" / "xen-xl-info-4.0.1.txt").read_text().splitlines()
    out = lab.ok("primary", "xl", "info")
    assert [line[:25] for line in out.splitlines()] == [line[:25] for line in real]
    info = xen.parse_info(out)
    assert (info.total_memory_mb, info.free_memory_mb) == (1024, 1024 - 256 - 128)


def test_status_json_follows_drbdsetup_key_order(lab: SimLab) -> None:
    out = lab.ok("primary", "drbdsetup", "status", "--json")
    assert out.endswith("]\n\n") and '"connection-state": "Connected", \n' in out
    real = json.loads((FIXTURES / "ha_cluster_exporter" / "fake_drbdsetup.sh").read_text()
                      .split("<<EOF\n", 1)[1].rsplit("EOF", 1)[0])[0]
    ours = json.loads(out)[0]

    def in_order(real_keys: list[str], our_keys: list[str]) -> bool:
        shared = [key for key in our_keys if key in real_keys]
        return shared == [key for key in real_keys if key in our_keys] and len(shared) >= len(real_keys) - 1

    assert in_order(list(real), list(ours))
    assert in_order(list(real["devices"][0]), list(ours["devices"][0]))
    assert in_order(list(real["connections"][0]), list(ours["connections"][0]))
    assert in_order(list(real["connections"][0]["peer_devices"][0]),
                    list(ours["connections"][0]["peer_devices"][0]))
    status = drbd.parse_status_json(out)
    resource = status.find("team-db")
    assert resource.role == "Primary" and is_connected(resource) and is_uptodate(resource)


@pytest.mark.parametrize("statistics", [False, True])
def test_events2_lines_have_the_real_fields_in_order(lab: SimLab, statistics: bool) -> None:
    args = ["events2", "--now", *(["--statistics"] if statistics else [])]
    out = lab.ok("backup", "drbdsetup", *args)
    transcript = (FIXTURES / "drbd-utils" / "events2-sync.test").read_text().split("$ ")
    real = transcript[2 if statistics else 1].splitlines()
    real_by_object = {line.split()[1]: _keys(line) for line in real if line.startswith("create ")}
    lines = out.splitlines()
    assert lines[-1] == "exists -"
    assert [line.split()[1] for line in lines[:-1]] == ["resource", "connection", "device", "peer-device"] * 2
    for line in lines[:-1]:
        assert line.startswith("exists ")
        assert _keys(line) == real_by_object[line.split()[1]], line
    status = drbd.parse_events2(out)
    assert status.complete and status.find("team-ops").role == "Primary"


def test_status_text_matches_the_user_guide_shape_and_parses(lab: SimLab) -> None:
    out = lab.ok("primary", "drbdadm", "status", "team-db")
    real = (FIXTURES / "linbit-documentation" / "UG9_drbdadm_status_home.txt").read_text().splitlines()[1:4]
    indents = [len(line) - len(line.lstrip()) for line in out.splitlines()[:4]]
    assert indents == [len(line) - len(line.lstrip()) for line in real] + [4]
    assert out.splitlines()[0] == "team-db role:Primary" and out.endswith("\n\n")
    resource = drbd.parse_status_text(out).find("team-db")
    assert resource.connections[0].peer == "backup" and resource.connections[0].peer_role == "Secondary"
    verbose = lab.ok("primary", "drbdsetup", "status", "--verbose", "--statistics")
    assert all(len(line) <= 81 + 6 for line in verbose.splitlines())  # wrap_printf folds long lines
    assert {r.name for r in drbd.parse_status_text(verbose).resources} == {"team-db", "team-ops"}


def test_dump_is_the_real_drbdadm_reading_this_hosts_config(lab: SimLab) -> None:
    out = lab.ok("backup", "drbdadm", "dump", "team-ops")
    assert "resource team-ops {" in out and "address          ipv4 127.0.0.12:7791;" in out
    missing = lab.run("backup", "drbdadm", "primary", "nosuch")
    assert missing.returncode == 1
    assert missing.stderr == "'nosuch' not defined in your config (for this host).\n"


def test_status_of_nothing_configured(lab: SimLab) -> None:
    lab.ok("primary", "xl", "destroy", "team-db")
    for res in ("team-db", "team-ops"):
        lab.ok("primary", "drbdadm", "down", res)
    assert lab.ok("primary", "drbdsetup", "status") == "# No currently configured DRBD found.\n"
    assert lab.ok("primary", "drbdsetup", "events2", "--now") == "exists -\n"
    assert lab.ok("primary", "drbdsetup", "status", "--json") == "[\n]\n\n"  # puts("[") then puts("]\\n")
    down = lab.run("primary", "drbdadm", "status", "team-db")
    assert down.returncode == 10 and down.stderr.startswith("team-db: No such resource\n")


def test_version_is_the_real_drbdadm_with_the_simulated_module(lab: SimLab) -> None:
    out = lab.ok("primary", "drbdadm", "--version")
    values = dict(line.split("=", 1) for line in out.splitlines())
    assert values["DRBD_KERNEL_VERSION"] == "9.2.8" and values["DRBDADM_VERSION"].startswith("9.")
    assert out == lab.ok("backup", "drbdadm", "--version")
