"""``nagios-herd adopt`` on real Nagios config trees: Debian's nagios4 sample objects and a hand-made tree with
templates, nested host/contact groups and services on hostgroups; hostile content leaves the team file untouched."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from inventory_helpers import FIXTURE, copy_fixture, run_cli

from nagios_herd.inventory import loader as inventory

HAND = Path(__file__).parent / "fixtures" / "adopt" / "hand" / "nagios.cfg"


def adopt(*args: str) -> tuple[int, str, str]:
    result = run_cli("adopt", *args)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


@pytest.fixture
def debian_sample(tmp_path: Path) -> Path:
    """Debian's shipped nagios.cfg + objects (switch.cfg enabled) and the monitoring-plugins commands, in tmp."""
    root = tmp_path / "nagios4"
    shutil.copytree("/etc/nagios4/objects", root / "objects")
    shutil.copytree("/etc/nagios-plugins/config", root / "plugins")
    (root / "conf.d").mkdir()
    shutil.copy("/etc/nagios4/resource.cfg", root)
    text = Path("/etc/nagios4/nagios.cfg").read_text()
    text = text.replace("/etc/nagios-plugins/config", str(root / "plugins")).replace("/etc/nagios4", str(root))
    text = re.sub(r"^#(cfg_file=.*/objects/switch\.cfg)$", r"\1", text, flags=re.M)
    (root / "nagios.cfg").write_text(text)
    return root / "nagios.cfg"


@pytest.mark.real
def test_adopts_debians_sample_configuration(inv: Path, debian_sample: Path) -> None:
    code, out, err = adopt("--team", "alpha", "--inventory", str(inv / "herd.toml"), str(debian_sample))
    assert (code, err) == (0, "")
    assert out == (f"{inv / 'teams/alpha.toml'}: adopted 2 hosts, 12 services, 1 contacts, 10 commands "
                   f"from {debian_sample}\n")
    team = inventory.load(inv / "herd.toml").guest("alpha").team
    assert (team.name, team.alias) == ("alpha", "Team Alpha")  # [team] is kept
    assert [(c.name, c.alias, c.email) for c in team.contacts] == [("nagiosadmin", "Nagios Admin", "nagios@localhost")]
    assert [(h.name, h.address, h.groups) for h in team.hosts] == [
        ("linksys-srw224p", "192.168.1.253", ("switches",)), ("localhost", "127.0.0.1", ("linux-servers",))]
    localhost = {s.description: s for s in team.services if s.host == "localhost"}
    assert sorted(localhost) == ["Current Load", "Current Users", "HTTP", "PING", "Root Partition", "SSH",
                                 "Swap Usage", "Total Processes"]
    assert localhost["Root Partition"].command == "check_local_disk"
    assert localhost["Root Partition"].args == ("20%", "10%", "/")
    assert localhost["PING"].contacts == ("nagiosadmin",)  # generic-service template: contact_groups admins
    # Debian's check_ping differs from the herd's, so the adopted one keeps its own line under a team name
    assert localhost["PING"].command == "check_ping_alpha"
    commands = {c.name: c.line for c in team.commands}
    assert commands["check_ping_alpha"] == "/usr/lib/nagios/plugins/check_ping -H '$HOSTADDRESS$' -w '$ARG1$' -c '$ARG2$'"
    assert {s.description for s in team.services if s.host == "linksys-srw224p"} == {
        "PING", "Uptime", "Port 1 Link Status", "Port 1 Bandwidth Usage"}


@pytest.mark.real
def test_adopted_teams_generate_trees_nagios_accepts(inv: Path, debian_sample: Path, tmp_path: Path) -> None:
    """End to end: both adopted servers go through generate and validate (the real ``nagios4 -v``)."""
    herd_file = str(inv / "herd.toml")
    assert adopt("--team", "alpha", "--inventory", herd_file, str(debian_sample))[0] == 0
    assert adopt("--team", "beta", "--inventory", herd_file, str(HAND))[0] == 0
    out = tmp_path / "build"
    generated = run_cli("generate", "--inventory", herd_file, "--output", str(out))
    assert generated.returncode == 0, generated.stderr
    validated = run_cli("validate", "--output", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "OK guests/alpha/etc/nagios4/nagios.cfg" in validated.stdout.splitlines()
    assert "check_ping_alpha!200.0,20%!600.0,60%" in (out / "guests/alpha/etc/nagios4/objects/services.cfg").read_text()


def test_adopts_templates_groups_and_hostgroup_services(inv: Path) -> None:
    code, _, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(HAND))
    assert (code, err) == (0, "")
    team = inventory.load(inv / "herd.toml").guest("beta").team
    hosts = {host.name: host for host in team.hosts}
    assert hosts["pg2"].address == "pg2.example.net"
    assert hosts["pg1"].alias == "pg1"  # no alias: Nagios falls back to the host name
    assert hosts["pg1"].parents == ("router",)
    # linux from the template's hostgroups, databases from members, everything through hostgroup_members
    assert hosts["pg1"].groups == ("databases", "everything", "linux")
    assert hosts["router"].groups == ("everything", "linux")
    assert hosts["router"].contacts == ("boss", "ops1")  # oncall = ops1 + nested managers (boss)
    services = {(s.host, s.description): s for s in team.services}
    assert sorted(services) == [("pg1", "PING"), ("pg1", "PostgreSQL"), ("pg2", "PostgreSQL"), ("router", "PING"),
                                ("router", "SSH")]  # SSH is on linux,!databases
    assert services["pg1", "PostgreSQL"].contacts == ("boss", "dba")  # own contacts + contact_groups managers
    assert services["pg1", "PostgreSQL"].args == ("appdb",)
    assert services["router", "SSH"].command == "check_ssh"  # same line as the herd's: the herd command serves
    assert {c.name: c.line for c in team.commands} == {
        "check_pg": "$USER1$/check_pgsql -H $HOSTADDRESS$ -d $ARG1$",  # the ; comment is not part of the line
        "check_ping_beta": "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$ -p 3"}
    contacts = {c.name: c for c in team.contacts}
    assert contacts["ops1"].pager == "555-0100"
    assert contacts["dba"].alias == "dba"


def test_adopt_replaces_team_content_and_is_deterministic(inv: Path) -> None:
    args = ("--team", "beta", "--inventory", str(inv / "herd.toml"), str(HAND))
    assert adopt(*args)[0] == 0
    first = (inv / "teams/beta.toml").read_bytes()
    assert b'"web01"' not in first  # replaced, not merged
    assert adopt(*args)[0] == 0
    assert (inv / "teams/beta.toml").read_bytes() == first


def test_adopt_finds_the_team_by_guest_name(inv: Path) -> None:
    assert adopt("--team", "gamma", "--inventory", str(inv / "herd.toml"), str(HAND))[0] == 0
    assert {h.name for h in inventory.load(inv / "herd.toml").guest("gamma").team.hosts} == {"pg1", "pg2", "router"}


def test_unknown_team(inv: Path) -> None:
    code, out, err = adopt("--team", "omega", "--inventory", str(inv / "herd.toml"), str(HAND))
    assert (code, out) == (2, "")
    assert err == f"nagios-herd: {inv / 'herd.toml'}: no guest has team 'omega' (teams: alpha, beta, gamma)\n"


def test_missing_nagios_cfg(inv: Path, tmp_path: Path) -> None:
    code, _, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(tmp_path / "nope.cfg"))
    assert code == 2
    assert err == f"nagios-herd: {tmp_path / 'nope.cfg'}: no such Nagios main config file\n"


def test_hostile_objects_are_reported_and_the_team_file_is_untouched(inv: Path, tmp_path: Path) -> None:
    tree = tmp_path / "hostile"
    shutil.copytree(HAND.parent, tree)
    objects = tree / "objects" / "objects.cfg"
    text = objects.read_text()
    text = text.replace("host_name       pg2\n", "host_name       pg2$(reboot)\n")
    text = text.replace("alias           Edge router", "alias           Edge `router`")
    text = text.replace("check_command       check_pg!appdb", "check_command       check_pg!app|db")
    objects.write_text(text)
    before = (inv / "teams/beta.toml").read_bytes()
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(tree / "nagios.cfg"))
    assert (code, out) == (2, "")
    assert (inv / "teams/beta.toml").read_bytes() == before
    assert not list((inv / "teams").glob(".*tmp"))
    lines = text.splitlines()

    def defined_at(needle: str) -> int:
        """The ``define`` line of the object whose body contains ``needle`` (pynag's line_start)."""
        found = next(number for number, content in enumerate(lines, 1) if needle in content)
        return max(number for number, content in enumerate(lines[:found], 1) if content.startswith("define"))

    pg2, router = defined_at("pg2$(reboot)"), defined_at("Edge `router`")
    ssh, postgres = defined_at("service_description SSH"), defined_at("check_pg!app|db")
    assert err.splitlines() == [
        f"{objects}: host[pg2$(reboot)].host_name: 'pg2$(reboot)' contains '$' (line {pg2})",
        f"{objects}: host[pg2$(reboot)].alias: 'pg2$(reboot)' contains '$' (line {pg2})",  # alias defaults to the name
        f"{objects}: host[router].alias: 'Edge `router`' contains a backtick (line {router})",
        f"{objects}: service[pg1/PostgreSQL].check_command: 'app|db' contains '|' (line {postgres})",
        # hostgroup databases still lists "pg2", which no longer exists
        f"{objects}: service[pg2/PostgreSQL].host_name: 'pg2' is not a host of this team (line {postgres})",
        f"{objects}: service[pg2/PostgreSQL].check_command: 'app|db' contains '|' (line {postgres})",
        # and the renamed host is no longer excluded from SSH on linux,!databases
        f"{objects}: service[pg2$(reboot)/SSH].host_name: 'pg2$(reboot)' contains '$' (line {ssh})",
    ]


def test_fixture_inventory_is_valid() -> None:
    assert inventory.load(FIXTURE / "herd.toml").name == "test-herd"


@pytest.mark.parametrize(("main", "objects", "expected"), [
    ("cfg_dir=objects\n", "define host {\n  use nothere\n  host_name a\n}\n",
     "{objects}: definition: Can not find any host named nothere (line 1)"),
    ("cfg_dir=objects\n", "define host {\n  host_name a\n",
     "{main}: definition: Error: Unexpected EOF in file '{objects}'"),
    ("cfg_file=objects/missing.cfg\n", "", "{main}: cfg_file: {root}/objects/missing.cfg does not exist"),
], ids=["unknown-template", "unterminated-define", "missing-cfg-file"])
def test_broken_nagios_trees_are_one_line_each(inv: Path, tmp_path: Path, main: str, objects: str,
                                               expected: str) -> None:
    root = tmp_path / "broken"
    (root / "objects").mkdir(parents=True)
    (root / "nagios.cfg").write_text(main)
    (root / "objects" / "a.cfg").write_text(objects)
    before = (inv / "teams/beta.toml").read_bytes()
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(root / "nagios.cfg"))
    assert (code, out) == (2, "")
    assert err == expected.format(main=root / "nagios.cfg", objects=root / "objects" / "a.cfg", root=root) + "\n"
    assert (inv / "teams/beta.toml").read_bytes() == before


def test_unreadable_team_file_is_reported_not_overwritten(inv: Path) -> None:
    (inv / "teams/beta.toml").write_text('[team]\nname = "beta\n')
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(HAND))
    assert (code, out) == (2, "")
    assert err == f"{inv / 'teams/beta.toml'}: syntax: Illegal character '\\n' (line 2)\n"
    assert (inv / "teams/beta.toml").read_text() == '[team]\nname = "beta\n'
