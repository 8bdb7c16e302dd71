"""adopt keeps the server's ``$USERn$`` secrets out of the team file: the macros stay in the command lines, the
values go to the root-only resource secrets file the herd file names for the guest, and generate writes them into
that guest's resource.cfg only. Real nagios4 resolves both sides (adopt's proof) and accepts the generated tree."""

from __future__ import annotations

import grp
import hashlib
import os
import stat
from pathlib import Path

import pytest
from inventory_helpers import adopt, copy_fixture, edit, run_cli

from nagios_herd.errors import HerdError
from nagios_herd.generate import resource_macros

pytestmark = pytest.mark.real  # adopt runs the real nagios4 on both sides

TOKEN = "s3cr3t-token"
CLASH = "hunter2-clash"  # the server's $USER3$; the herd's $USER3$ is the watchers' credentials directory
UNUSED = "never-used-secret"
OBJECTS = """define command {
 command_name check_api
 command_line $USER1$/check_http -H $HOSTADDRESS$ -a $USER7$ -k $ARG1$
}
define contact {
 contact_name ops
 email ops@example.net
 host_notification_period 24x7
 service_notification_period 24x7
 host_notification_commands check_api
 service_notification_commands check_api
}
define timeperiod {
 timeperiod_name 24x7
 alias always
 sunday 00:00-24:00
 monday 00:00-24:00
 tuesday 00:00-24:00
 wednesday 00:00-24:00
 thursday 00:00-24:00
 friday 00:00-24:00
 saturday 00:00-24:00
}
define host {
 host_name api01
 address 192.0.2.50
 max_check_attempts 3
 check_period 24x7
 contacts ops
}
define service {
 host_name api01
 service_description API
 check_command check_api!$USER3$
 max_check_attempts 2
 check_interval 5
 retry_interval 1
 check_period 24x7
 contacts ops
}
"""


@pytest.fixture
def server(tmp_path: Path) -> Path:
    """A team's Nagios whose resource.cfg holds a secret its command uses, one that clashes with the herd's
    $USER3$ (used in a check's argument) and one no command uses."""
    root = tmp_path / "server"
    (root / "objects").mkdir(parents=True)
    (root / "nagios.cfg").write_text("cfg_dir=objects\nresource_file=resource.cfg\n")
    (root / "resource.cfg").write_text(f"$USER1$=/usr/lib/nagios/plugins\n$USER3$={CLASH}\n$USER7$={TOKEN}\n"
                                       f"$USER8$={UNUSED}\n")
    (root / "resource.cfg").chmod(0o640)
    (root / "objects" / "api.cfg").write_text(OBJECTS)
    return root / "nagios.cfg"


@pytest.fixture
def inv(tmp_path: Path) -> tuple[Path, Path]:
    """The test inventory with a resource secrets file named for guest beta (in a directory not yet there)."""
    root = copy_fixture(tmp_path)
    secrets = tmp_path / "private" / "beta-resource.toml"
    edit(root, "herd.toml", 'team = "teams/beta.toml"\n', f'team = "teams/beta.toml"\nresource_secrets = "{secrets}"\n')
    return root, secrets


def _files_holding(root: Path, needle: str) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*")
                  if path.is_file() and needle.encode() in path.read_bytes())


def test_the_secret_stays_out_of_the_team_file_and_reaches_only_the_guests_resource_cfg(
        inv: tuple[Path, Path], server: Path, tmp_path: Path) -> None:
    root, secrets = inv
    herd_file = str(root / "herd.toml")
    code, out, err = adopt("--team", "beta", "--inventory", herd_file, str(server))
    assert (code, err) == (0, ""), err
    assert out.splitlines()[0].endswith("guest beta resolves exactly as the server (Nagios checked both)")
    assert out.splitlines()[-1] == f"  $USERn$ in {secrets}: $USER4$, $USER7$ (renamed: $USER3$ -> $USER4$)"
    assert TOKEN not in out and CLASH not in out

    team = (root / "teams/beta.toml").read_text()
    assert TOKEN not in team and CLASH not in team and UNUSED not in team
    assert 'line = "$USER1$/check_http -H $HOSTADDRESS$ -a $USER7$ -k $ARG1$"' in team  # as on the server
    assert 'args = ["$USER4$"]' in team  # the server's $USER3$ under a number the herd does not use
    info = secrets.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, os.geteuid())
    assert stat.S_IMODE(secrets.parent.stat().st_mode) == 0o700
    assert resource_macros.load(str(secrets)) == {"USER4": CLASH, "USER7": TOKEN}  # only what the commands use

    diff = adopt("--diff", "--team", "beta", "--inventory", herd_file, str(server))
    assert diff == (0, f"{root / 'teams/beta.toml'}: guest beta resolves exactly as {server}\n", "")

    before = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in (secrets, root / "teams/beta.toml")}
    assert adopt("--team", "beta", "--inventory", herd_file, str(server))[0] == 0
    assert {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in before} == before  # nothing rewritten

    out_dir = tmp_path / "build"
    generated = run_cli("generate", "--inventory", herd_file, "--output", str(out_dir))
    assert generated.returncode == 0, generated.stderr
    assert TOKEN not in generated.stdout + generated.stderr
    resource = "guests/beta/etc/nagios4/resource.cfg"
    assert _files_holding(out_dir, TOKEN) == [resource] and _files_holding(out_dir, CLASH) == [resource]
    assert f"$USER7$={TOKEN}\n" in (out_dir / resource).read_text()
    assert f"$USER4$={CLASH}\n" in (out_dir / resource).read_text()
    assert stat.S_IMODE((out_dir / resource).stat().st_mode) == 0o600
    digest = hashlib.sha256((out_dir / resource).read_bytes()).hexdigest()  # a guessing aid for a short secret
    assert _files_holding(out_dir, digest) == ["MANIFEST.json"]
    assert stat.S_IMODE((out_dir / "MANIFEST.json").stat().st_mode) == 0o600
    assert not _files_holding(out_dir, UNUSED)
    validated = run_cli("validate", "--output", str(out_dir))  # the real nagios4 -v over every guest's tree
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "OK guests/beta/etc/nagios4/nagios.cfg" in validated.stdout.splitlines()
    assert TOKEN not in validated.stdout + validated.stderr

    live = tmp_path / "live"
    published = run_cli("publish", "--inventory", herd_file, "--live", str(live), "--scope", "guests/beta")
    assert published.returncode == 0, published.stderr
    assert TOKEN not in published.stdout + published.stderr
    current = (live / "current").resolve()
    assert _files_holding(current, TOKEN) == [resource]
    info = (current / resource).stat()  # Nagios re-reads it as the nagios user on a reload
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 0, grp.getgrnam("nagios").gr_gid)


def test_adopt_refuses_to_put_a_secret_anywhere_the_herd_file_does_not_name(server: Path, tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    before = (root / "teams/beta.toml").read_bytes()
    code, out, err = adopt("--team", "beta", "--inventory", str(root / "herd.toml"), str(server))
    assert (code, out) == (2, "")
    assert err == (f"{root / 'herd.toml'}: guests.beta.resource_secrets: not set, but the team's commands use "
                   "$USER3$, $USER7$ of the server's resource file, whose values are secrets and never go into the "
                   "team file: name a root-only file for them in [guests.beta] (e.g. resource_secrets = "
                   "\"/etc/nagios-herd/resource/beta.toml\") and adopt again\n")
    assert (root / "teams/beta.toml").read_bytes() == before


def test_a_team_file_cannot_name_a_secrets_file(tmp_path: Path) -> None:
    """Only the herd's file names it: a team naming one could have root copy another team's into its guest."""
    root = copy_fixture(tmp_path)
    edit(root, "teams/beta.toml", "[team]\n", '[team]\nresource_secrets = "/etc/nagios-herd/resource/alpha.toml"\n')
    done = run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(tmp_path / "build"))
    assert done.returncode != 0 and "team.resource_secrets: unknown key" in done.stderr + done.stdout


def test_a_scoped_publish_reads_no_other_guests_secrets(inv: tuple[Path, Path], tmp_path: Path) -> None:
    """Guest alpha publishing its own tree never needs beta's secrets file on its machine."""
    root, secrets = inv
    herd_file = str(root / "herd.toml")
    everything = run_cli("generate", "--inventory", herd_file, "--output", str(tmp_path / "build"))
    assert everything.returncode != 0
    assert f"{secrets}: cannot read the resource secrets file: No such file or directory" in everything.stderr
    alone = run_cli("publish", "--inventory", herd_file, "--live", str(tmp_path / "live"), "--scope", "guests/alpha")
    assert alone.returncode == 0, alone.stderr
    own = run_cli("publish", "--inventory", herd_file, "--live", str(tmp_path / "live2"), "--scope", "guests/beta")
    assert own.returncode != 0 and f"{secrets}: cannot read the resource secrets file" in own.stderr


def test_two_guests_cannot_share_a_secrets_file(inv: tuple[Path, Path], tmp_path: Path) -> None:
    root, secrets = inv
    edit(root, "herd.toml", 'team = "teams/gamma.toml"\n', f'team = "teams/gamma.toml"\nresource_secrets = "{secrets}"\n')
    done = run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(tmp_path / "build"))
    assert done.returncode != 0
    assert (f"guests.gamma.resource_secrets: duplicate resource secrets file '{secrets}' (already used by "
            "guests.beta.resource_secrets)") in done.stderr


@pytest.mark.parametrize(("text", "mode", "problem"), [
    (f'[macros]\nUSER7 = "{TOKEN}"\n', 0o640,
     "the resource secrets file is accessible by group or others (mode 0640); chmod 600 it"),
    (f'[macros]\nUSER2 = "{TOKEN}"\n', 0o600, "macros.USER2: $USER2$ is the herd's own (USER1 to USER3)"),
    (f'[macros]\nUSER257 = "{TOKEN}"\n', 0o600, "macros.USER257: not a Nagios macro name USER1 .. USER256"),
    (f'[macros]\nUSER7 = "{TOKEN}\\nUSER8=x"\n', 0o600, "macros.USER7: holds a control character or a line break"),
    (f'[macros]\nUSER7 = "{TOKEN} "\n', 0o600, "macros.USER7: has leading or trailing spaces"),
    (f'USER7 = "{TOKEN}"\n', 0o600, "USER7: unknown key (known: macros)"),
])
def test_generate_refuses_a_bad_secrets_file_in_one_line_without_the_value(
        inv: tuple[Path, Path], tmp_path: Path, text: str, mode: int, problem: str) -> None:
    root, secrets = inv
    secrets.parent.mkdir(mode=0o700)
    secrets.write_text(text)
    secrets.chmod(mode)
    done = run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(tmp_path / "build"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"nagios-herd: {secrets}: ") and problem in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert TOKEN not in done.stderr
    assert not (tmp_path / "build").exists()


def test_a_secrets_file_someone_else_owns_is_refused(tmp_path: Path) -> None:
    secrets = tmp_path / "resource.toml"
    secrets.write_text(f'[macros]\nUSER7 = "{TOKEN}"\n')
    secrets.chmod(0o600)
    os.chown(secrets, 65534, -1)
    with pytest.raises(HerdError, match=r"resource secrets file is owned by uid 65534, not root"):
        resource_macros.load(str(secrets))


def test_the_secrets_file_comes_back_when_the_team_file_cannot_be_written(tmp_path: Path) -> None:
    """The two files change together: a failure after the secrets file was replaced puts the old one back."""
    from nagios_herd.commands.adopt import _restored_on_failure, _write_secrets

    secrets = tmp_path / "private" / "resource.toml"
    with pytest.raises(OSError), _restored_on_failure(secrets):
        _write_secrets(secrets, b"[macros]\n")
        raise OSError("the team file could not be written")
    assert not secrets.exists()
    _write_secrets(secrets, b"old\n")
    with pytest.raises(OSError), _restored_on_failure(secrets):
        _write_secrets(secrets, b"new\n")
        raise OSError("the team file could not be written")
    assert secrets.read_bytes() == b"old\n" and stat.S_IMODE(secrets.stat().st_mode) == 0o600
