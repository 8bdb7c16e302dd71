"""``nagios-herd adopt`` on real Nagios config trees (Debian's nagios4 samples, a hand-made tree, a stress tree),
with Nagios itself as the oracle: the original and the generated tree are both resolved by ``nagios4 -v -p`` and
compared; hostile or broken content leaves the team file untouched; every path stays inside the adopted tree."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from inventory_helpers import FIXTURE, adopt, copy_fixture, edit, run_cli

from nagios_herd.inventory import loader as inventory

FIXTURES = Path(__file__).parent / "fixtures" / "adopt"
HAND = FIXTURES / "hand" / "nagios.cfg"
STRESS = FIXTURES / "stress" / "nagios.cfg"
pytestmark = pytest.mark.real  # every adopt runs the real nagios4 twice


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


def resource_secrets(inv: Path, guest: str) -> Path:
    """Name a root-only resource secrets file for ``guest`` in the herd file (adopt writes it)."""
    path = inv.parent / "secrets" / f"{guest}.toml"
    edit(inv, "herd.toml", f'team = "teams/{guest}.toml"\n',
         f'team = "teams/{guest}.toml"\nresource_secrets = "{path}"\n')
    return path


@pytest.fixture
def debian_sample(tmp_path: Path) -> Path:
    """Debian's shipped nagios.cfg + objects with the Windows, switch and printer samples enabled, and the
    monitoring-plugins command definitions, as one tree in tmp (nagios.cfg's paths rewritten into it)."""
    root = tmp_path / "nagios4"
    shutil.copytree(FIXTURES / "debian", root)
    (root / "conf.d").mkdir()
    text = (root / "nagios.cfg").read_text()
    text = text.replace("/etc/nagios-plugins/config", str(root / "plugins")).replace("/etc/nagios4", str(root))
    text = re.sub(r"^#(cfg_file=.*/objects/(?:switch|printer|windows)\.cfg)$", r"\1", text, flags=re.M)
    (root / "nagios.cfg").write_text(text)
    return root / "nagios.cfg"


def test_adopts_debians_sample_configuration(inv: Path, debian_sample: Path) -> None:
    code, out, err = adopt("--team", "alpha", "--inventory", str(inv / "herd.toml"), str(debian_sample))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{inv / 'teams/alpha.toml'}: adopted from {debian_sample}; guest alpha resolves exactly as the server "
        "(Nagios checked both)",
        "  contacts: 1", "  commands: 15 (renamed: check_ping -> check_ping_alpha, check_ssh -> check_ssh_alpha)",
        "  hosts: 4", "  services: 21", "  timeperiods: 4"]
    team = inventory.load(inv / "herd.toml").guest("alpha").team
    assert (team.name, team.alias) == ("alpha", "Team Alpha")  # [team] is kept
    hosts = {host.name: host for host in team.hosts}
    printer = dict(hosts["hplj2605dn"].nagios or ())
    # what the old adopt lost to the herd's templates: the team's own attempts, period, interval, host check
    assert (printer["max_check_attempts"], printer["notification_period"], printer["check_command"]) == (
        "10", "workhours", "check-host-alive")
    assert "notification_interval" not in printer  # 30, which is also what Nagios uses when none is given
    assert hosts["winserver"].groups == ("windows-servers",)
    services = {(s.host, s.description): s for s in team.services}
    drive = services["winserver", "C:\\ Drive Space"]  # Debian's own windows.cfg: a backslash in a description
    assert (drive.command, drive.args) == ("check_nt", ("USEDDISKSPACE", "-l c -w 80 -c 90"))
    assert services["localhost", "PING"].command == "check_ping_alpha"
    assert dict(services["localhost", "HTTP"].nagios or ())["notifications_enabled"] == "0"  # stays silent
    assert services["localhost", "PING"].contacts == ("nagiosadmin",)  # via contact group admins
    contact = team.contacts[0]
    assert (contact.name, contact.email) == ("nagiosadmin", "nagios@localhost")
    assert dict(contact.nagios or ())["service_notification_commands"] == "notify-service-by-email"
    diff = adopt("--diff", "--team", "alpha", "--inventory", str(inv / "herd.toml"), str(debian_sample))
    assert diff == (0, f"{inv / 'teams/alpha.toml'}: guest alpha resolves exactly as {debian_sample}\n", "")


def test_adopted_teams_generate_trees_nagios_accepts(inv: Path, debian_sample: Path, tmp_path: Path) -> None:
    """End to end: adopted servers go through generate and validate (the real ``nagios4 -v``)."""
    herd_file = str(inv / "herd.toml")
    resource_secrets(inv, "gamma")  # the stress server's $USER5$
    assert adopt("--team", "alpha", "--inventory", herd_file, str(debian_sample))[0] == 0
    assert adopt("--team", "beta", "--inventory", herd_file, str(HAND))[0] == 0
    assert adopt("--team", "gamma", "--inventory", herd_file, str(STRESS))[0] == 0
    out = tmp_path / "build"
    generated = run_cli("generate", "--inventory", herd_file, "--output", str(out))
    assert generated.returncode == 0, generated.stderr
    validated = run_cli("validate", "--output", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    for guest in ("alpha", "beta", "gamma"):
        assert f"OK guests/{guest}/etc/nagios4/nagios.cfg" in validated.stdout.splitlines()
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
    assert dict(hosts["router"].nagios or ()) == {"check_command": "check-host-alive", "max_check_attempts": "5",
                                                  "notification_period": "always"}
    services = {(s.host, s.description): s for s in team.services}
    assert sorted(services) == [("pg1", "PING"), ("pg1", "PostgreSQL"), ("pg2", "PostgreSQL"), ("router", "PING"),
                                ("router", "SSH")]  # SSH is on linux,!databases
    assert services["pg1", "PostgreSQL"].contacts == ("boss", "dba")  # own contacts + contact_groups managers
    assert services["pg1", "PostgreSQL"].args == ("appdb",)
    assert services["router", "SSH"].command == "check_ssh"  # same line as the herd's: the herd command serves
    commands = {c.name: c.line for c in team.commands}
    assert commands["check_pg"] == "$USER1$/check_pgsql -H $HOSTADDRESS$ -d $ARG1$"  # the ; comment is not in it
    assert commands["check_ping_beta"] == "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$ -p 3"
    contacts = {c.name: c for c in team.contacts}
    assert contacts["ops1"].pager == "555-0100"
    assert contacts["dba"].alias == "dba"


def test_stress_tree_inheritance_regex_groups_dependencies_escalations(inv: Path) -> None:
    """Multiple ``use``, ``+`` additive inheritance, regex members, custom variables, contacts without e-mail,
    a host without an address, ``$USERn$`` the herd does not have, dependencies and escalations."""
    secrets = resource_secrets(inv, "beta")
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(STRESS))
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == ["  contacts: 3", "  commands: 4", "  hosts: 3", "  services: 4",
                                    "  timeperiods: 2", "  host_dependencies: 2", "  service_dependencies: 4",
                                    "  host_escalations: 1", "  service_escalations: 2",
                                    f"  $USERn$ in {secrets}: $USER5$"]
    team = inventory.load(inv / "herd.toml").guest("beta").team
    hosts = {host.name: host for host in team.hosts}
    web02 = dict(hosts["web02"].nagios or ())
    assert hosts["web02"].address == "web02"  # no address: Nagios uses the host name
    assert hosts["web02"].contacts == ("boss", "ops1", "robot")  # contacts + (+managers, oncall)
    assert (web02["max_check_attempts"], web02["notification_interval"], web02["flap_detection_enabled"],
            web02["_PORT"]) == ("4", "45", "0", "22")  # t-leaf, t-mid, t-flap (second use), t-base
    assert dict(hosts["web01"].nagios or ())["_PORT"] == "2222"
    assert hosts["web01"].groups == ("all-linux", "dc1", "webs")  # +dc1 additive, webs by regular expression
    robot = next(c for c in team.contacts if c.name == "robot")
    assert robot.email is None and dict(robot.nagios or ())["_TICKETQ"] == "infra"
    line = next(c.line for c in team.commands if c.name == "check_by_custom")
    assert line.startswith("$USER5$/check_thing ")  # the team's $USER5$, which the herd lacks, stays a macro
    assert 'USER5 = "/opt/team/plugins"' in secrets.read_text()
    assert {s.host for s in team.services if s.description == "C:\\ Drive Space"} == {"web01", "web02"}
    kinds = [definition.kind for definition in team.definitions]
    assert kinds.count("servicedependency") == 4 and kinds.count("serviceescalation") == 2


def test_ten_thousand_services_round_trip(inv: Path, tmp_path: Path) -> None:
    """A big server: 200 hosts x 50 services on hostgroups, every one resolved and compared on both sides."""
    root = tmp_path / "big"
    (root / "objects").mkdir(parents=True)
    (root / "nagios.cfg").write_text("cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    parts = ["define command {\n command_name check_x\n command_line $USER1$/check_dummy $ARG1$ $ARG2$\n}\n",
             "define contact {\n contact_name ops\n email ops@example.net\n host_notification_period none\n"
             " service_notification_period none\n host_notification_commands check_x\n"
             " service_notification_commands check_x\n}\n",
             "define timeperiod {\n timeperiod_name none\n alias never\n}\n",
             "define host {\n name h\n max_check_attempts 2\n contacts ops\n register 0\n}\n",
             "define service {\n name s\n max_check_attempts 3\n check_interval 7\n contacts ops\n register 0\n}\n"]
    for group in range(10):
        parts.append(f"define hostgroup {{\n hostgroup_name g{group}\n alias g{group}\n}}\n")
        for number in range(50):
            parts.append(f"define service {{\n use s\n hostgroup_name g{group}\n service_description svc {number}\n"
                         f" check_command check_x!{number}!{group}\n}}\n")
    for number in range(200):
        parts.append(f"define host {{\n use h\n host_name host{number:03}\n address 192.0.2.{number % 250 + 1}\n"
                     f" hostgroups g{number % 10}\n}}\n")
    (root / "objects" / "big.cfg").write_text("".join(parts))
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(root / "nagios.cfg"))
    assert (code, err) == (0, "")
    assert "  services: 10000" in out.splitlines()


@pytest.mark.parametrize(("old", "new", "count", "difference"), [
    ('max_check_attempts = "4"', 'max_check_attempts = "3"', 2, "host 'web01': max_check_attempts: '4' on the "
     "server, '3' in the herd"),
    ('contacts = ["boss", "ops1", "robot"]', 'contacts = ["boss", "ops1"]', 2, "host 'web02': contacts: "
     "'boss,ops1,robot' on the server, 'boss,ops1' in the herd"),
    ('friday = "09:00-15:00"', 'friday = "09:00-16:00"', 1, "host 'db01': notification_period: 'friday 09:00-15:00;"),
    ("-s '$_SERVICESECRET$'", "-s '$_SERVICESECRETX$'", 1, "service 'db01/DB': check_command: "),
    ('notifications_enabled = "0"', 'notifications_enabled = "1"', 3, "notifications_enabled: '0' on the server"),
    ('first_notification = "3"', 'first_notification = "4"', 2, "serviceescalation "),
    ('notification_failure_options = "d,u"', 'notification_failure_options = "d"', 2, "hostdependency "),
])
def test_diff_names_each_difference(inv: Path, old: str, new: str, count: int, difference: str) -> None:
    """The comparer can fail: a changed team file is one line per resolved difference, exit 1."""
    args = ("--team", "beta", "--inventory", str(inv / "herd.toml"), str(STRESS))
    resource_secrets(inv, "beta")
    assert adopt(*args)[0] == 0
    edit(inv, "teams/beta.toml", old, new, count)
    code, out, err = adopt("--diff", *args)
    assert (code, err) == (1, "")
    assert any(difference in line for line in out.splitlines()[:-1]), out
    assert out.splitlines()[-1].endswith(f"differences from {STRESS}")


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


def test_fixture_inventory_is_valid() -> None:
    assert inventory.load(FIXTURE / "herd.toml").name == "test-herd"


@pytest.mark.parametrize(("main", "objects", "expected"), [
    ("cfg_dir=objects\n", "define host {\n  use nothere\n  host_name a\n  max_check_attempts 1\n}\n",
     "{main}: Nagios: Error: Template 'nothere' specified in host definition could not be not found (config file "
     "'{objects}', starting on line 1)"),
    ("cfg_dir=objects\n", "define host {\n  host_name a\n",
     "{main}: Nagios: Error: Unexpected EOF in file '{objects}' on line 2 - check for a missing closing bracket.\n"
     "{main}: Nagios: Error: Invalid max_check_attempts value for host 'a'\n"
     "{main}: Nagios: Error: Could not register host (config file '{objects}', starting on line 1)"),
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


def _tree(tmp_path: Path, main: str) -> Path:
    """The hand-made server copied to tmp with its own main file."""
    root = tmp_path / "server"
    shutil.copytree(HAND.parent, root)
    (root / "nagios.cfg").write_text(main)
    return root


def _refused(inv: Path, main: Path, *extra: str) -> list[str]:
    before = (inv / "teams/beta.toml").read_bytes()
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), *extra, str(main))
    assert (code, out) == (2, "")
    assert (inv / "teams/beta.toml").read_bytes() == before
    return err.splitlines()


def test_a_cfg_dir_outside_the_adopted_tree_is_refused(inv: Path, tmp_path: Path) -> None:
    """Another team's published objects are not imported through a cfg_dir (or a symlink) pointing at them."""
    other = tmp_path / "other-team" / "objects"
    other.mkdir(parents=True)
    (other / "theirs.cfg").write_text("define host {\n host_name theirs\n max_check_attempts 1\n}\n")
    root = _tree(tmp_path, f"cfg_dir=objects\nresource_file=resource.cfg\ncfg_dir={other}\n")
    (root / "objects" / "link").symlink_to(other)
    assert _refused(inv, root / "nagios.cfg") == [
        f"{root / 'nagios.cfg'}: cfg_dir: {root / 'objects' / 'link'} is outside the adopted tree {root}",
        f"{root / 'nagios.cfg'}: cfg_dir: {other} is outside the adopted tree {root}"]
    (root / "objects" / "link").unlink()
    (tmp_path / "secrets.cfg").write_text("$USER9$=hunter2\n")
    (root / "nagios.cfg").write_text("cfg_dir=objects\nresource_file=../secrets.cfg\n")
    assert _refused(inv, root / "nagios.cfg") == [
        f"{root / 'nagios.cfg'}: resource_file: {root / '../secrets.cfg'} is outside the adopted tree {root}"]


def test_tree_widens_the_confinement(inv: Path, tmp_path: Path) -> None:
    root = _tree(tmp_path, "cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "nagios.cfg").write_text(f"cfg_dir={root / 'objects'}\nresource_file={root / 'resource.cfg'}\n")
    main = tmp_path / "etc" / "nagios.cfg"
    main.parent.mkdir()
    main.write_text((root / "nagios.cfg").read_text())
    assert _refused(inv, main)[0].endswith(f"is outside the adopted tree {main.parent}")
    assert adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), "--tree", str(tmp_path), str(main))[0] == 0


def test_a_symlink_loop_in_a_cfg_dir_ends(inv: Path, tmp_path: Path) -> None:
    """A directory that links back to its parent is entered once (Nagios' files are read once each)."""
    root = _tree(tmp_path, "cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "objects" / "again").symlink_to(root / "objects")
    (root / "objects" / "deeper").mkdir()
    (root / "objects" / "deeper" / "up").symlink_to(root / "objects")
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(root / "nagios.cfg"))
    assert (code, err) == (0, "")
    assert "  hosts: 3" in out.splitlines()


def test_a_symlink_loop_of_files_is_one_line(inv: Path, tmp_path: Path) -> None:
    root = _tree(tmp_path, "cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "objects" / "a.cfg").symlink_to("b.cfg")
    (root / "objects" / "b.cfg").symlink_to("a.cfg")
    assert _refused(inv, root / "nagios.cfg") == [
        f"{root / 'nagios.cfg'}: cfg_dir: {root / 'objects' / 'a.cfg'} is a symlink loop",
        f"{root / 'nagios.cfg'}: cfg_dir: {root / 'objects' / 'b.cfg'} is a symlink loop"]


def test_include_lines_in_object_files_are_refused(inv: Path, tmp_path: Path) -> None:
    root = _tree(tmp_path, "cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "objects" / "inc.cfg").write_text("; pulls in more\ninclude_dir=/etc/nagios4\n")
    assert _refused(inv, root / "nagios.cfg") == [
        f"{root / 'objects' / 'inc.cfg'}: include_dir (line 2): not followed by adopt; name the file with cfg_file "
        "or cfg_dir in the main file"]


def test_a_symlink_loop_as_team_include_is_one_line(inv: Path) -> None:
    team = inv / "teams" / "beta.toml"
    team.unlink()
    team.symlink_to("beta-again.toml")
    (inv / "teams" / "beta-again.toml").symlink_to("beta.toml")
    code, out, err = adopt("--team", "beta", "--inventory", str(inv / "herd.toml"), str(HAND))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"{inv / 'herd.toml'}: guests.beta.team: include 'teams/beta.toml' is a symlink "
                                f"loop ({inv / 'teams/beta.toml'}) (line {_line(inv / 'herd.toml', 'teams/beta.toml')})"]


def _line(path: Path, needle: str) -> int:
    return next(number for number, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def test_what_the_herd_cannot_hold_is_one_line_per_object(inv: Path, tmp_path: Path) -> None:
    """Nagios takes any text as an address, but the herd's host check puts it on a shell line."""
    root = _tree(tmp_path, "cfg_dir=objects\nresource_file=resource.cfg\n")
    objects = root / "objects" / "objects.cfg"
    objects.write_text(objects.read_text().replace("address         pg2.example.net",
                                                   "address         pg2.example.net$(reboot)"))
    source = root / "nagios.cfg"
    assert _refused(inv, source) == [
        f"{source}: host 'pg2': address: 'pg2.example.net$(reboot)' contains '$'"]
