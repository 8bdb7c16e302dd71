"""The shipped inventories load into the model the other layers rely on; loader pieces behave as documented."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from inventory_helpers import ROOT, copy_fixture, edit

from nagios_herd.errors import InventoryError
from nagios_herd.inventory import loader as inventory
from nagios_herd.inventory import values
from nagios_herd.inventory.problems import LineLocator
from nagios_herd.inventory.toml_writer import dumps
from nagios_herd.model import Herd


@pytest.fixture(scope="module")
def herd() -> Herd:
    return inventory.load(ROOT / "etc" / "herd.toml")


@pytest.fixture(scope="module")
def lab() -> Herd:
    return inventory.load(ROOT / "etc" / "lab.toml")


def test_shipped_herd_mirrors_the_original_deployment(herd: Herd) -> None:
    assert [(h.name, h.role, h.memory_mb, h.dom0_memory_mb) for h in herd.hosts] == [
        ("primary", "primary", 4096, 256), ("backup", "backup", 4096, 256)]
    assert len(herd.guests) == 14
    assert all(64 <= guest.memory_mb <= 256 for guest in herd.guests)
    assert all(2800 <= guest.root_mb + guest.swap_mb <= 3200 for guest in herd.guests)  # ~3 GB each
    assert {host.volume_group for host in herd.hosts} == {"vg_herd"}
    assert len({guest.drbd_minor for guest in herd.guests}) == len({guest.drbd_port for guest in herd.guests}) == 14
    assert herd.guests_preferring("primary") and herd.guests_preferring("backup")
    assert (herd.watcher, herd.watcher_peer) == ("team-ops", "team-infra")


def test_n_plus_one_holds_on_each_host(herd: Herd, lab: Herd) -> None:
    for each in (herd, lab):
        total = sum(guest.memory_mb for guest in each.guests)
        assert all(total <= host.guest_memory_mb for host in each.hosts)


def test_teams_have_realistic_content(herd: Herd) -> None:
    for guest in herd.guests:
        team = guest.team
        assert 20 <= len(team.hosts) <= 40, guest.name
        assert 2 <= len(team.services) / len(team.hosts) <= 4, guest.name
        assert team.contacts and team.hostgroups
        assert any(host.parents for host in team.hosts)
        assert team.source == str(ROOT / "etc" / "teams" / f"{guest.name}.toml")


def test_collections_are_sorted_tuples(herd: Herd) -> None:
    names = [guest.name for guest in herd.guests]
    assert isinstance(herd.guests, tuple) and names == sorted(names)
    assert [c.name for c in herd.commands] == sorted(c.name for c in herd.commands)
    for guest in herd.guests:
        team = guest.team
        assert isinstance(team.hosts, tuple) and isinstance(team.hosts[0].groups, tuple)
        assert [h.name for h in team.hosts] == sorted(h.name for h in team.hosts)
        assert [(s.host, s.description) for s in team.services] == sorted((s.host, s.description) for s in team.services)
        assert [c.name for c in team.contacts] == sorted(c.name for c in team.contacts)


def test_loading_twice_gives_equal_herds(herd: Herd) -> None:
    assert inventory.load(ROOT / "etc" / "herd.toml") == herd


def test_model_properties(herd: Herd) -> None:
    guest = herd.guest("team-db")
    assert (guest.resource, guest.drbd_device, guest.root_lv, guest.swap_lv) == (
        "team-db", f"/dev/drbd{guest.drbd_minor}", "team-db-root", "team-db-swap")
    assert [(v.name, v.purpose) for v in guest.volumes] == [("team-db-root", "root"), ("team-db-swap", "swap")]
    assert herd.primary.name == "primary" and herd.peer_of("primary") is herd.backup
    assert herd.primary.guest_memory_mb == 3840
    postgres = [s for s in guest.team.services if s.description == "PostgreSQL"]
    assert postgres and all(s.contacts == (guest.team.contacts[0].name,) for s in postgres)


@pytest.mark.real
def test_herd_commands_run_installed_plugins(herd: Herd) -> None:
    """Every herd-wide command names a plugin that Debian's monitoring-plugins actually ships."""
    for command in herd.commands:
        plugin = command.line.split()[0].replace("$USER1$", herd.paths.standard_plugin_dir)
        assert Path(plugin).is_file(), command


def test_lab_inventory(lab: Herd) -> None:
    assert [(h.name, h.address, h.replication_address) for h in lab.hosts] == [
        ("primary", "127.0.0.11", "127.0.0.11"), ("backup", "127.0.0.12", "127.0.0.12")]
    assert sorted(g.address for g in lab.guests) == [f"127.0.1.{n}" for n in range(1, 5)]
    assert all(g.serve_nagios for g in lab.guests)  # the watchers ask every guest's Nagios
    assert lab.lab is not None and lab.lab.interval_length == 1 and lab.notifications.capture
    assert lab.paths.state_dir == "/var/lib/nagios-herd" and lab.paths.plugin_dir == "/opt/nagios-herd/checks"


def test_fixture_defaults(tmp_path: Path) -> None:
    herd = inventory.load(copy_fixture(tmp_path) / "herd.toml")
    assert (herd.primary.ssh_port, herd.primary.ssh_user) == (22, "root")
    assert (herd.backup.ssh_port, herd.backup.ssh_user) == (2222, "herd")
    assert herd.guest("alpha").serve_nagios is False and herd.drbd_protocol == "C"
    assert herd.guest("alpha").team.hosts[1].address == "db02.example.net"  # DNS names are fine for team hosts


def test_replace_validates_a_candidate_without_reading_the_file(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    team_file = (root / "teams" / "gamma.toml").resolve()
    candidate = team_file.read_text().replace('host = "web01"', 'host = "web09"')
    with pytest.raises(InventoryError) as caught:
        inventory.load(root / "herd.toml", replace={team_file: candidate})
    assert caught.value.problems == [f"{root / 'teams/gamma.toml'}: services[0].host: 'web09' is not a host of this "
                                     "team (line 17)"]
    inventory.load(root / "herd.toml")  # the file itself is untouched


def test_unreadable_inventory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as caught:
        inventory.load(tmp_path / "missing.toml")
    assert caught.value.problems == [f"{tmp_path / 'missing.toml'}: file: cannot read: No such file or directory"]


def test_non_utf8_inventory(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "teams" / "beta.toml").write_bytes(b'[team]\nname = "b\xffeta"\n')
    with pytest.raises(InventoryError) as caught:
        inventory.load(root / "herd.toml")
    assert caught.value.problems == [f"{root / 'teams/beta.toml'}: file: not UTF-8 text (byte 16)"]


def test_line_locator() -> None:
    locator = LineLocator('[herd]\nname = "x"\n\n[guests."team-a"]\nmemory_mb = 1\n[[hosts]]\nname = "a"\n'
                          '[[hosts]]\nname = "b"\ngroups = ["x"]\n')
    assert locator.line_of("herd.name") == 2
    assert locator.line_of("guests.team-a.memory_mb") == 5
    assert locator.line_of("guests.team-a.vcpus") == 4  # missing key: its table
    assert locator.line_of("guests") == 4
    assert locator.line_of("hosts[1].name") == 9
    assert locator.line_of("hosts[1].groups[0]") == 10
    assert locator.line_of("nothing") is None


@pytest.mark.parametrize("text", ['quote " and backslash \\', "new\nline\ttab", "nul\x00 del\x7f", "ünïcode ✓", ""])
def test_toml_writer_round_trips_strings(text: str) -> None:
    document = {"team": {"name": text, "n": 3, "flag": True}, "hosts": [{"groups": [text, "b"]}, {"key with space": "x"}]}
    assert tomllib.loads(dumps(document, header="# generated")) == document


def test_toml_writer_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        dumps({"team": {"ratio": 0.5}})


@pytest.mark.parametrize(("value", "ok"), [
    ("$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG32$", True),
    ("/usr/lib/nagios/plugins/check_http -H '$HOSTADDRESS$' -u '/a b'", True),
    ("$USER257$/check_x", False), ("$ARG33$", False), ("check $HOSTADDRESS", False), ("$$", False),
    (" leading", False), ("a\\b", False),
])
def test_command_line_allowlist(value: str, ok: bool) -> None:
    assert (values.command_line(value) is None) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("team-db", True), ("a1", True), ("a", False), ("1team", False), ("team-", False), ("team_db", False),
    ("Team", False), ("t" * 32, True), ("t" * 33, False),
])
def test_name_allowlist(value: str, ok: bool) -> None:
    assert (values.name(value) is None) is ok


def test_edit_helper_refuses_ambiguous_edits(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    with pytest.raises(AssertionError):
        edit(root, "herd.toml", "vcpus = 1", "vcpus = 2")
