"""One test per hostile-inventory rule: exit status 2, the exact problem line, nothing written.

Each test copies a small valid inventory (tests/fixtures/inventory), breaks exactly one thing and runs the real
``nagios-herd generate``; ``reject`` asserts the failure contract and returns the problem lines.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from inventory_helpers import copy_fixture, edit, line, run_cli

from nagios_herd.cli import main
from nagios_herd.inventory import loader

HERD = "herd.toml"
ALPHA = "teams/alpha.toml"


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


def reject(root: Path, *, subprocess: bool = False) -> list[str]:
    """Run ``nagios-herd generate`` on the broken inventory: exit 2, no traceback, OUT not created.

    ``cli.main`` in-process by default (the same code path, without paying ~0.3 s of start-up per rule);
    ``subprocess=True`` runs the installed command as cron would.
    """
    out = root.parent / "out"
    argv = ["generate", "--inventory", str(root / HERD), "--output", str(out)]
    if subprocess:
        result = run_cli(*argv)
        code, stdout, stderr = result.returncode, result.stdout, result.stderr
    else:
        captured_out, captured_err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(captured_out), contextlib.redirect_stderr(captured_err):
            code = main(argv)
        stdout, stderr = captured_out.getvalue(), captured_err.getvalue()
    assert code == 2, stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists()
    return stderr.splitlines()


def expect(root: Path, name: str, message: str, needle: str | None = None, occurrence: int = 1) -> None:
    """The inventory is rejected with exactly this one line (``needle`` locates the reported line)."""
    suffix = f" (line {line(root, name, needle, occurrence)})" if needle else ""
    assert reject(root) == [f"{root / name}: {message}{suffix}"]


def test_toml_syntax_error_names_the_line(inv: Path) -> None:
    edit(inv, HERD, "memory_mb = 256\nvcpus = 1\naddress = \"192.0.2.101\"", "memory_mb = \nvcpus = 1\naddress = \"192.0.2.101\"")
    expect(inv, HERD, "syntax: Invalid value", "memory_mb = ", 5)


def test_toml_syntax_error_in_a_team_file(inv: Path) -> None:
    edit(inv, ALPHA, 'name = "gw01"', 'name = "gw01')
    expect(inv, ALPHA, "syntax: Illegal character '\\n'", 'name = "gw01')


def test_duplicate_table_is_reported_by_the_parser(inv: Path) -> None:
    edit(inv, HERD, "[guests.gamma]", "[guests.alpha]")
    expect(inv, HERD, "syntax: Cannot declare ('guests', 'alpha') twice", "[guests.alpha]", 2)


def test_unknown_key_suggests_the_close_one(inv: Path) -> None:
    edit(inv, HERD, "vcpus = 2", "vcpu = 2")
    expect(inv, HERD, "guests.beta.vcpu: unknown key (did you mean 'vcpus'?)", "vcpu = 2")


def test_unknown_top_level_table(inv: Path) -> None:
    (inv / HERD).write_text((inv / HERD).read_text() + "\n[guest.delta]\nteam = \"teams/gamma.toml\"\n")
    assert reject(inv) == [f"{inv / HERD}: guest: unknown key (did you mean 'guests'?) (line {line(inv, HERD, '[guest.delta]')})"]


def test_string_where_an_integer_belongs(inv: Path) -> None:
    edit(inv, HERD, "memory_mb = 128", 'memory_mb = "128"')
    expect(inv, HERD, "guests.beta.memory_mb: expected an integer, got a string", 'memory_mb = "128"')


def test_boolean_is_not_an_integer(inv: Path) -> None:
    edit(inv, HERD, "drbd_minor = 3", "drbd_minor = true")
    expect(inv, HERD, "guests.gamma.drbd_minor: expected an integer, got a boolean (true/false)", "drbd_minor = true")


def test_serve_nagios_only_takes_a_boolean(inv: Path) -> None:
    edit(inv, HERD, "serve_nagios = true", "serve_nagios = 1")
    expect(inv, HERD, "guests.beta.serve_nagios: expected a boolean (true/false), got an integer", "serve_nagios")


def test_missing_required_field(inv: Path) -> None:
    edit(inv, HERD, 'mac = "00:16:3e:00:00:02"\n', "")
    expect(inv, HERD, "guests.beta.mac: missing required field", "[guests.beta]")


def test_missing_herd_table(inv: Path) -> None:
    edit(inv, HERD, '[herd]\nname = "test-herd"\nwatcher = "alpha"\nwatcher_peer = "beta"\n', "")
    expect(inv, HERD, "herd: missing required table [herd]")


def test_duplicate_contact_name(inv: Path) -> None:
    (inv / ALPHA).write_text((inv / ALPHA).read_text() + '\n[[contacts]]\nname = "alice"\nalias = "Alice Again"\n'
                             'email = "alice2@example.net"\n')
    expect(inv, ALPHA, "contacts[2].name: duplicate contact name 'alice' (already used by contacts[0].name)",
           'name = "alice"', 2)


def test_duplicate_host_name(inv: Path) -> None:
    edit(inv, ALPHA, 'name = "db02"', 'name = "db01"')
    expect(inv, ALPHA, "hosts[2].name: duplicate host name 'db01' (already used by hosts[1].name)", 'name = "db01"', 2)


def test_duplicate_service_on_a_host(inv: Path) -> None:
    edit(inv, ALPHA, 'description = "PING"', 'description = "PostgreSQL port"')
    expect(inv, ALPHA, "services[1].description: duplicate service 'PostgreSQL port' on host 'db01' "
           "(already defined by services[0])", 'description = "PostgreSQL port"', 2)


def test_team_host_may_not_take_a_herd_name(inv: Path) -> None:
    edit(inv, ALPHA, 'name = "gw01"', 'name = "backup"')
    edit(inv, ALPHA, 'parents = ["gw01"]', 'parents = ["backup"]', count=2)
    edit(inv, ALPHA, 'host = "gw01"', 'host = "backup"')
    expect(inv, ALPHA, "hosts[0].name: 'backup' is a Xen host of the herd; the watcher's Nagios defines that host name",
           'name = "backup"')


@pytest.mark.parametrize(("old", "new", "message"), [
    ("drbd_minor = 3", "drbd_minor = 1",
     "guests.gamma.drbd_minor: duplicate DRBD minor 1 (already used by guests.alpha.drbd_minor)"),
    ("drbd_port = 7791", "drbd_port = 7790",
     "guests.gamma.drbd_port: duplicate DRBD port 7790 (already used by guests.beta.drbd_port)"),
    ('mac = "00:16:3e:00:00:03"', 'mac = "00:16:3e:00:00:01"',
     "guests.gamma.mac: duplicate MAC '00:16:3e:00:00:01' (already used by guests.alpha.mac)"),
    ('address = "192.0.2.103"', 'address = "192.0.2.101"',
     "guests.gamma.address: duplicate IP address '192.0.2.101' (already used by guests.alpha.address)"),
    ('address = "192.0.2.103"', 'address = "192.0.2.12"',  # a guest on a host's management address
     "guests.gamma.address: duplicate IP address '192.0.2.12' (already used by hosts.backup.address)"),
    ('address = "192.0.2.102"', 'address = "198.51.100.11"',  # a guest on the replication link
     "guests.beta.address: duplicate IP address '198.51.100.11' (already used by hosts.primary.replication_address)"),
    ('replication_address = "198.51.100.12"', 'replication_address = "198.51.100.11"',
     "hosts.backup.replication_address: duplicate IP address '198.51.100.11' "
     "(already used by hosts.primary.replication_address)"),
], ids=["drbd-minor", "drbd-port", "mac", "guest-ip", "guest-vs-host-ip", "guest-vs-replication-ip", "replication-ip"])
def test_duplicate_values(inv: Path, old: str, new: str, message: str) -> None:
    edit(inv, HERD, old, new)
    expect(inv, HERD, message, new, 2)


def test_drbd_port_may_not_be_an_ssh_port(inv: Path) -> None:
    edit(inv, HERD, "drbd_port = 7791", "drbd_port = 2222")
    expect(inv, HERD, "guests.gamma.drbd_port: 2222 is the SSH port of host 'backup'", "drbd_port = 2222")


def test_guest_name_outside_the_allowlist(inv: Path) -> None:
    edit(inv, HERD, "[guests.gamma]", "[guests.Gamma_1]")
    expect(inv, HERD, "guests.Gamma_1: 'Gamma_1' is not a valid name (lowercase letters, digits and '-', "
           "2-32 characters, starting with a letter)", "[guests.Gamma_1]")


def test_guest_name_too_long(inv: Path) -> None:
    long_name = "g" + "x" * 32
    edit(inv, HERD, "[guests.gamma]", f"[guests.{long_name}]")
    expect(inv, HERD, f"guests.{long_name}: {long_name!r} is not a valid name (lowercase letters, digits and '-', "
           "2-32 characters, starting with a letter)", f"[guests.{long_name}]")


def test_nagios_host_name_nagios_refuses(inv: Path) -> None:
    edit(inv, ALPHA, 'name = "db02"', 'name = "db$02"')
    expect(inv, ALPHA, "hosts[2].name: 'db$02' contains '$', which Nagios refuses in object names "
           "(illegal_object_name_chars)", 'name = "db$02"')


def test_service_description_nagios_refuses(inv: Path) -> None:
    edit(inv, ALPHA, 'description = "PING"', 'description = "PING (a=b)"')
    expect(inv, ALPHA, "services[1].description: 'PING (a=b)' contains '(', which Nagios refuses in object names "
           "(illegal_object_name_chars)", 'description = "PING (a=b)"')


@pytest.mark.parametrize(("old", "new"), [
    ('name = "db02"', 'name = "db 02"'), ('description = "PING"', 'description = "C:\\\\ Drive Space"'),
    ('alias = "Gateway"', 'alias = "Gate;way `id` $x$ !"'), ('args = ["5432"]', 'args = ["$USER3$ | x"]'),
    ('-p $ARG1$"', '-p $ARG1$ | mail root; `id` $_HOSTPORT$"'),
])
def test_team_values_take_what_nagios_takes(inv: Path, old: str, new: str) -> None:
    """A team's objects reach only the team's own Nagios: what Nagios 4 accepts there is accepted here."""
    edit(inv, ALPHA, old, new)
    loader.load(inv / HERD)


@pytest.mark.parametrize(("raw", "shown", "what"), [
    ("Gateway\\nhost_name pwned", "Gateway\\nhost_name pwned", "a newline"),
    ("Gateway\\r", "Gateway\\r", "a carriage return"),
    ("Gate\\u0000way", "Gate\\x00way", "a NUL byte"),
])
def test_metacharacters_in_text(inv: Path, raw: str, shown: str, what: str) -> None:
    edit(inv, ALPHA, 'alias = "Gateway"', f'alias = "{raw}"')
    expect(inv, ALPHA, f"hosts[0].alias: '{shown}' contains {what}", f'alias = "{raw}"')


def test_metacharacter_in_a_check_argument(inv: Path) -> None:
    edit(inv, ALPHA, 'args = ["5432"]', 'args = ["5432!x"]')
    expect(inv, ALPHA, "services[0].args[0]: '5432!x' contains '!', which separates check_command arguments",
           'args = ["5432!x"]')


def test_macro_in_an_argument_of_a_herd_command(inv: Path) -> None:
    """The herd wrote the herd-wide command's shell line: its arguments stay plain."""
    edit(inv, ALPHA, 'args = ["100.0,20%", "500.0,60%"]', 'args = ["$USER3$", "500.0,60%"]')
    expect(inv, ALPHA, "services[1].args[0]: '$USER3$' contains '$' (an argument of the herd-wide command "
           "'check_ping')", 'args = ["$USER3$"')


def test_metacharacter_in_an_email(inv: Path) -> None:
    edit(inv, ALPHA, 'email = "bob@example.net"', 'email = "bob@`reboot`.example.net"')
    expect(inv, ALPHA, "contacts[1].email: 'bob@`reboot`.example.net' contains a backtick", "email = \"bob@`")


def test_command_line_with_a_macro_outside_the_allowlist(inv: Path) -> None:
    edit(inv, HERD, "-H $HOSTADDRESS$\"", "-H $HOSTADDRESS$ -u $HOSTNOTESURL$\"")
    expect(inv, HERD, "commands.check_ssh.line: '$USER1$/check_ssh -H $HOSTADDRESS$ -u $HOSTNOTESURL$' uses "
           "$HOSTNOTESURL$, which is not an allowed macro", "$HOSTNOTESURL$")


@pytest.mark.parametrize(("tail", "what"), [
    ("; rm -rf /", "';'"), ("`id`", "a backtick"), (" | mail root", "'|'"), (" && reboot", "'&'"), (" > /etc/passwd", "'>'"),
])
def test_command_line_with_shell_metacharacters(inv: Path, tail: str, what: str) -> None:
    """A herd-wide command line (the herd's own shell line) stays plain; a team's own is tested above."""
    edit(inv, HERD, '/check_ssh -H $HOSTADDRESS$"', f'/check_ssh -H $HOSTADDRESS${tail}"')
    expect(inv, HERD, f"commands.check_ssh.line: '$USER1$/check_ssh -H $HOSTADDRESS${tail}' contains {what}",
           "/check_ssh")


def test_command_line_with_a_newline(inv: Path) -> None:
    edit(inv, ALPHA, '-p $ARG1$"', '-p $ARG1$\\nreboot"')
    expect(inv, ALPHA, "commands[0].line: '$USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$\\nreboot' contains a newline",
           "line = ")


@pytest.mark.parametrize(("mac", "problem"), [
    ("00:16:3e:00:00", "is not a MAC address (six lowercase hex pairs separated by ':')"),
    ("00-16-3e-00-00-03", "is not a MAC address (six lowercase hex pairs separated by ':')"),
    ("01:00:5e:00:00:03", "is a multicast MAC address; a guest needs a unicast one"),
])
def test_bad_mac(inv: Path, mac: str, problem: str) -> None:
    edit(inv, HERD, 'mac = "00:16:3e:00:00:03"', f'mac = "{mac}"')
    expect(inv, HERD, f"guests.gamma.mac: '{mac}' {problem}", f'mac = "{mac}"')


@pytest.mark.parametrize("address", ["192.0.2.300", "2001:db8::1", "guest.example.net", "224.0.0.1"])
def test_guest_address_must_be_unicast_ipv4(inv: Path, address: str) -> None:
    edit(inv, HERD, 'address = "192.0.2.103"', f'address = "{address}"')
    problem = "is not a unicast IPv4 address" if address == "224.0.0.1" else "is not an IPv4 address"
    expect(inv, HERD, f"guests.gamma.address: '{address}' {problem}", f'address = "{address}"')


@pytest.mark.parametrize("memory", [32, 8192])
def test_guest_memory_outside_64_to_4096(inv: Path, memory: int) -> None:
    edit(inv, HERD, "memory_mb = 64", f"memory_mb = {memory}")
    expect(inv, HERD, f"guests.gamma.memory_mb: {memory} MB is outside 64..4096 MB", f"memory_mb = {memory}")


def test_vcpus_at_least_one(inv: Path) -> None:
    edit(inv, HERD, "vcpus = 2", "vcpus = 0")
    expect(inv, HERD, "guests.beta.vcpus: 0 is outside 1..32", "vcpus = 0")


def test_root_volume_too_small(inv: Path) -> None:
    edit(inv, HERD, "root_mb = 2048", "root_mb = 20")
    expect(inv, HERD, "guests.gamma.root_mb: 20 MB is outside 1024..102400 MB", "root_mb = 20")


def test_swap_volume_too_large(inv: Path) -> None:
    edit(inv, HERD, "swap_mb = 256", "swap_mb = 65536")
    expect(inv, HERD, "guests.gamma.swap_mb: 65536 MB is outside 64..8192 MB", "swap_mb = 65536")


@pytest.mark.parametrize("port", [0, 65536])
def test_port_outside_range(inv: Path, port: int) -> None:
    edit(inv, HERD, "ssh_port = 2222", f"ssh_port = {port}")
    expect(inv, HERD, f"hosts.backup.ssh_port: {port} is outside 1..65535", f"ssh_port = {port}")


def test_n_plus_one_capacity(inv: Path) -> None:
    edit(inv, HERD, "memory_mb = 1024\ndom0_memory_mb = 256\nvolume_group = \"vg_herd\"\nbridge = \"xenbr0\"\nssh_port",
         "memory_mb = 512\ndom0_memory_mb = 256\nvolume_group = \"vg_herd\"\nbridge = \"xenbr0\"\nssh_port")
    expect(inv, HERD, "hosts.backup.memory_mb: N+1 capacity: dom0 256 MB + 3 guests 448 MB = 704 MB exceeds host "
           "'backup' capacity of 512 MB (each host must hold every guest)", "memory_mb = 512")


def test_two_primary_hosts(inv: Path) -> None:
    edit(inv, HERD, 'role = "backup"', 'role = "primary"')
    assert reject(inv) == [
        f"{inv / HERD}: hosts: no host has role 'backup' (line {line(inv, HERD, '[hosts.primary]')})",
        f"{inv / HERD}: hosts.backup.role: a second 'primary' host (hosts.primary is primary) "
        f"(line {line(inv, HERD, 'role = ', 2)})",
    ]


def test_exactly_two_hosts(inv: Path) -> None:
    text = (inv / HERD).read_text()
    start, end = text.index("[hosts.backup]"), text.index("[guests.alpha]")
    (inv / HERD).write_text(text[:start] + text[end:])
    edit(inv, HERD, 'preferred_host = "backup"', 'preferred_host = "primary"')
    assert reject(inv) == [
        f"{inv / HERD}: hosts: expected exactly two hosts (one primary, one backup), found 1 (line 14)",
        f"{inv / HERD}: hosts: no host has role 'backup' (line 14)",
    ]


def test_preferred_host_must_be_defined(inv: Path) -> None:
    edit(inv, HERD, 'preferred_host = "backup"', 'preferred_host = "spare"')
    expect(inv, HERD, "guests.beta.preferred_host: 'spare' is not a host defined under [hosts]", "preferred_host = \"spare\"")


def test_watcher_must_be_a_guest(inv: Path) -> None:
    edit(inv, HERD, 'watcher = "alpha"', 'watcher = "omega"')
    expect(inv, HERD, "herd.watcher: 'omega' is not a guest defined under [guests]", 'watcher = "omega"')


def test_watcher_peer_must_differ(inv: Path) -> None:
    edit(inv, HERD, 'watcher_peer = "beta"', 'watcher_peer = "alpha"')
    expect(inv, HERD, "herd.watcher_peer: must be a different guest than herd.watcher (who watches the watcher?)",
           "watcher_peer")


def test_service_contact_must_be_defined(inv: Path) -> None:
    edit(inv, ALPHA, 'contacts = ["bob"]', 'contacts = ["mallory"]')
    expect(inv, ALPHA, "services[0].contacts[0]: 'mallory' is not a contact of this team", 'contacts = ["mallory"]')


def test_host_contact_must_be_defined(inv: Path) -> None:
    edit(inv, ALPHA, 'contacts = ["alice"]', 'contacts = ["alice", "eve"]')
    expect(inv, ALPHA, "hosts[1].contacts[1]: 'eve' is not a contact of this team", 'contacts = ["alice", "eve"]')


def test_service_host_must_be_defined(inv: Path) -> None:
    edit(inv, ALPHA, 'host = "gw01"', 'host = "gw09"')
    expect(inv, ALPHA, "services[2].host: 'gw09' is not a host of this team", 'host = "gw09"')


def test_service_command_must_be_defined(inv: Path) -> None:
    edit(inv, ALPHA, 'command = "check_ssh"', 'command = "check_sshd"')
    expect(inv, ALPHA, "services[2].command: 'check_sshd' is not a herd-wide or team command", "check_sshd")


def test_team_command_may_not_shadow_a_herd_command(inv: Path) -> None:
    edit(inv, ALPHA, 'name = "check_pgsql_port"', 'name = "check_ping"')
    edit(inv, ALPHA, 'command = "check_pgsql_port"', 'command = "check_ping"')
    expect(inv, ALPHA, f"commands[0].name: 'check_ping' is already a herd-wide command in {inv / HERD}",
           'name = "check_ping"')


def test_parent_must_be_defined(inv: Path) -> None:
    edit(inv, ALPHA, 'parents = ["gw01"]\ncontacts', 'parents = ["gw02"]\ncontacts')
    expect(inv, ALPHA, "hosts[1].parents[0]: 'gw02' is not a host of this team", 'parents = ["gw02"]')


def test_host_cannot_be_its_own_parent(inv: Path) -> None:
    edit(inv, ALPHA, 'groups = ["network"]', 'groups = ["network"]\nparents = ["gw01"]')
    expect(inv, ALPHA, "hosts[0].parents[0]: host 'gw01' cannot be its own parent", 'parents = ["gw01"]')


def test_parent_cycle(inv: Path) -> None:
    edit(inv, ALPHA, 'groups = ["network"]', 'groups = ["network"]\nparents = ["db02"]')
    expect(inv, ALPHA, "hosts[0].parents: parent cycle: gw01 -> db02 -> gw01", 'parents = ["db02"]')


def test_include_outside_the_inventory_directory(inv: Path) -> None:
    edit(inv, HERD, 'team = "teams/gamma.toml"', 'team = "../gamma.toml"')
    expect(inv, HERD, "guests.gamma.team: include '../gamma.toml' is outside the inventory directory",
           'team = "../gamma.toml"')


def test_include_through_a_symlink_leaving_the_directory(inv: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.toml").write_text((inv / "teams/gamma.toml").read_text())
    (inv / "teams/link.toml").symlink_to(tmp_path / "elsewhere.toml")
    edit(inv, HERD, 'team = "teams/gamma.toml"', 'team = "teams/link.toml"')
    expect(inv, HERD, "guests.gamma.team: include 'teams/link.toml' is outside the inventory directory",
           'team = "teams/link.toml"')


def test_include_missing(inv: Path) -> None:
    (inv / "teams/gamma.toml").unlink()
    expect(inv, HERD, f"guests.gamma.team: include 'teams/gamma.toml' not found ({inv / 'teams/gamma.toml'})",
           'team = "teams/gamma.toml"')


def test_two_guests_may_not_share_a_team_file(inv: Path) -> None:
    edit(inv, HERD, 'team = "teams/gamma.toml"', 'team = "teams/beta.toml"')
    expect(inv, HERD, "guests.gamma.team: 'teams/beta.toml' is already the team of guest 'beta'",
           'team = "teams/beta.toml"', 2)


def test_team_names_unique_across_the_herd(inv: Path) -> None:
    edit(inv, "teams/gamma.toml", 'name = "gamma"', 'name = "beta"')
    expect(inv, "teams/gamma.toml", f"team.name: duplicate team name 'beta' (already used by {inv / 'teams/beta.toml'}: "
           "team.name)", 'name = "beta"')


def test_team_needs_a_contact(inv: Path) -> None:
    edit(inv, "teams/gamma.toml", '[[contacts]]\nname = "carol"\nalias = "Carol Example"\nemail = "carol.gamma@example.net"\n',
         "")
    expect(inv, "teams/gamma.toml", "contacts: a team needs at least one [[contacts]] entry")


def test_only_drbd_protocol_c(inv: Path) -> None:
    edit(inv, HERD, 'watcher_peer = "beta"', 'watcher_peer = "beta"\ndrbd_protocol = "A"')
    expect(inv, HERD, "herd.drbd_protocol: 'A' is not supported; only protocol \"C\" (synchronous)", "drbd_protocol")


@pytest.mark.parametrize(("path", "problem"), [
    ("var/lib/herd", "is not an absolute path of letters, digits and _.+-"),
    ("/var/lib/../../etc", "contains a '.' or '..' component"),
    ("/var/lib/herd state", "is not an absolute path of letters, digits and _.+-"),
])
def test_paths_must_be_clean_absolute_paths(inv: Path, path: str, problem: str) -> None:
    edit(inv, HERD, "[commands.check_ping]", f'[paths]\nstate_dir = "{path}"\n\n[commands.check_ping]')
    expect(inv, HERD, f"paths.state_dir: '{path}' {problem}", "state_dir")


def test_every_problem_in_every_file_is_reported_at_once(inv: Path) -> None:
    edit(inv, HERD, "vcpus = 2", "vcpus = 0")
    edit(inv, HERD, 'mac = "00:16:3e:00:00:03"', 'mac = "00:16:3e:00:00:01"')
    edit(inv, ALPHA, 'alias = "Gateway"', 'alias = "Gate\\rway"')
    edit(inv, "teams/gamma.toml", 'host = "web01"', 'host = "web02"')
    assert reject(inv, subprocess=True) == [
        f"{inv / HERD}: guests.beta.vcpus: 0 is outside 1..32 (line {line(inv, HERD, 'vcpus = 0')})",
        f"{inv / HERD}: guests.gamma.mac: duplicate MAC '00:16:3e:00:00:01' (already used by guests.alpha.mac) "
        f"(line {line(inv, HERD, 'mac = ', 3)})",
        f"{inv / ALPHA}: hosts[0].alias: 'Gate\\rway' contains a carriage return (line {line(inv, ALPHA, 'Gate')})",
        f"{inv / 'teams/gamma.toml'}: services[0].host: 'web02' is not a host of this team "
        f"(line {line(inv, 'teams/gamma.toml', 'web02')})",
    ]


def test_float_is_not_an_integer(inv: Path) -> None:
    edit(inv, HERD, "memory_mb = 128", "memory_mb = 128.5")
    expect(inv, HERD, "guests.beta.memory_mb: expected an integer, got a number with a fraction", "memory_mb = 128.5")


def test_list_items_must_be_strings(inv: Path) -> None:
    edit(inv, ALPHA, 'groups = ["network"]', 'groups = ["network", 7]')
    expect(inv, ALPHA, "hosts[0].groups[1]: expected a string, got an integer", 'groups = ["network", 7]')


def test_list_may_not_repeat_a_value(inv: Path) -> None:
    edit(inv, ALPHA, 'groups = ["network"]', 'groups = ["network", "network"]')
    expect(inv, ALPHA, "hosts[0].groups: lists the same value twice", 'groups = ["network", "network"]')


def test_team_arrays_must_be_arrays_of_tables(inv: Path) -> None:
    edit(inv, "teams/gamma.toml", '[team]', 'hosts = "web01"\n\n[team]')
    edit(inv, "teams/gamma.toml", '[[hosts]]\nname = "web01"\naddress = "10.2.0.1"\nalias = "Web server"\ngroups = ["web"]\n', "")
    assert reject(inv) == [
        f"{inv / 'teams/gamma.toml'}: hosts: expected an array of tables ([[hosts]]), got a string (line 1)",
        f"{inv / 'teams/gamma.toml'}: services[0].host: 'web01' is not a host of this team "
        f"(line {line(inv, 'teams/gamma.toml', 'host = ')})",
    ]


def test_unknown_key_in_a_team_file(inv: Path) -> None:
    edit(inv, ALPHA, 'alias = "Gateway"', 'alias = "Gateway"\nhostgroups = ["network"]')
    expect(inv, ALPHA, "hosts[0].hostgroups: unknown key", "hostgroups = ")


def test_xen_host_name_outside_the_allowlist(inv: Path) -> None:
    edit(inv, HERD, "[hosts.backup]", "[hosts.Backup_1]")
    edit(inv, HERD, 'preferred_host = "backup"', 'preferred_host = "Backup_1"')
    invalid = "'Backup_1' is not a valid name (lowercase letters, digits and '-', 2-32 characters, starting with a letter)"
    assert reject(inv) == [
        f"{inv / HERD}: hosts.Backup_1: {invalid} (line {line(inv, HERD, '[hosts.Backup_1]')})",
        f"{inv / HERD}: guests.beta.preferred_host: {invalid} (line {line(inv, HERD, 'Backup_1', 2)})",
    ]


def test_team_host_may_not_take_a_guest_name(inv: Path) -> None:
    edit(inv, "teams/gamma.toml", 'name = "web01"', 'name = "alpha"')
    edit(inv, "teams/gamma.toml", 'host = "web01"', 'host = "alpha"')
    expect(inv, "teams/gamma.toml", "hosts[0].name: 'alpha' is a guest of the herd; the watcher's Nagios defines that "
           "host name", 'name = "alpha"')


def test_deeply_nested_toml_is_one_line_not_a_traceback(inv: Path) -> None:
    (inv / HERD).write_text((inv / HERD).read_text() + "\nbomb = " + "[" * 100000 + "]" * 100000 + "\n")
    expect(inv, HERD, "syntax: arrays or tables nested too deeply")


def test_hostile_key_cannot_split_a_problem_line(inv: Path) -> None:
    edit(inv, HERD, "[guests.gamma]", '[guests."gamma\\nhost_name pwned"]')
    expect(inv, HERD, "guests.gamma\\nhost_name pwned: 'gamma\\nhost_name pwned' contains a newline", "[guests.\"gamma")


def test_guest_may_not_be_named_like_a_xen_host(inv: Path) -> None:
    edit(inv, HERD, "[guests.gamma]", "[guests.backup]")
    expect(inv, HERD, "guests.backup: 'backup' is already the name of a Xen host", "[guests.backup]")


def _append(root: Path, text: str) -> None:
    path = root / HERD
    path.write_text(path.read_text() + text)


def test_an_admin_named_like_a_watcher_teams_contact(inv: Path) -> None:
    _append(inv, '\n[[admins]]\nname = "alice"\nalias = "Alice"\nemail = "alice@example.org"\n')
    expect(inv, ALPHA, f"contacts[0].name: 'alice' is also one of the herd's [[admins]] in {inv / HERD}; this "
                       "team's guest watches the herd, so its Nagios cannot hold both", 'name = "alice"')


def test_capture_and_notification_commands_exclude_each_other(inv: Path) -> None:
    _append(inv, '\n[notifications]\ncapture = "/run/x.log"\nhost_command = "/usr/local/bin/page $CONTACTPAGER$"\n'
                 'service_command = "/usr/local/bin/page $CONTACTPAGER$"\n')
    expect(inv, HERD, "notifications.capture: capture replaces the notification commands; set one or the other",
           "capture = ")


def test_a_notification_command_with_a_shell_pipe(inv: Path) -> None:
    _append(inv, '\n[notifications]\nhost_command = "/bin/echo $HOSTNAME$ | mail x"\n'
                 'service_command = "/usr/local/bin/page"\n')
    lines = reject(inv)
    assert len(lines) == 1 and "notifications.host_command:" in lines[0] and "'|'" in lines[0], lines


def test_the_lab_clock_refuses_an_unknown_scheme_and_a_zero_interval(inv: Path) -> None:
    _append(inv, '\n[lab]\ninterval_length = 0\nweb_scheme = "ftp"\n')
    lines = reject(inv)
    assert [line.split(": ", 1)[1].split(" (line")[0] for line in lines] == [
        "lab.interval_length: 0 s is outside 1..60 s",
        "lab.web_scheme: 'ftp' is not a scheme; use \"https\" or \"http\""], lines
