"""Each guest's web users file, generated from the root-only web secrets file the inventory names."""

from __future__ import annotations

import grp
import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from inventory_helpers import copy_fixture, edit, run_cli

from nagios_herd.generate.buildtree import write_files
from nagios_herd.generate.views import CGI_READER
from nagios_herd.inventory.loader import load

pytestmark = pytest.mark.real
USERS = "etc/nagios4/htdigest.users"
WEB_CONF = "etc/lighttpd/conf-available/50-nagios-herd.conf"


def _inventory(tmp_path: Path, secrets: Path) -> Path:
    root = copy_fixture(tmp_path)
    edit(root, "herd.toml", 'watcher_peer = "beta"\n', f'watcher_peer = "beta"\nweb_secrets = "{secrets}"\n')
    return root


def _password(name: str) -> str:
    return f"pw-{name}-0123456789"


def _secrets(tmp_path: Path, herd, *, drop: str = "", mode: int = 0o600) -> Path:
    people = sorted({c.name for g in herd.guests for c in g.team.contacts} | {a.name for a in herd.admins})
    lines = ["[contacts]", *(f'{name} = "{_password(name)}"' for name in people if name != drop),
             "[reader]", *(f'{g.name} = "{_password(g.name)}"' for g in herd.guests)]
    path = tmp_path / "web.toml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(mode)
    return path


def _herd(tmp_path: Path):
    return load(copy_fixture(tmp_path / "plain") / "herd.toml")


def generate(root: Path, out: Path) -> subprocess.CompletedProcess:
    return run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(out))


def _digest(user: str, password: str) -> str:
    return hashlib.md5(f"{user}:Nagios4:{password}".encode()).hexdigest()


def test_each_guest_gets_its_people_and_the_watchers_reader_hashed(tmp_path: Path) -> None:
    herd = _herd(tmp_path)
    root = _inventory(tmp_path, _secrets(tmp_path, herd))
    done = generate(root, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    for guest in herd.guests:
        users = tmp_path / "out" / "guests" / guest.name / USERS
        assert stat.S_IMODE(users.stat().st_mode) == 0o600
        lines = users.read_text().splitlines()
        expected = [c.name for c in guest.team.contacts]
        if guest.name in (herd.watcher, herd.watcher_peer):
            expected += [a.name for a in herd.admins if a.name not in expected]
        expected.append(CGI_READER)
        assert [line.split(":")[0] for line in lines] == expected
        for line in lines:
            user, realm, digest = line.split(":")
            secret = _password(guest.name if user == CGI_READER else user)
            assert realm == "Nagios4" and digest == _digest(user, secret)
        assert all(_password(name) not in users.read_text() for name in expected)
        conf = (tmp_path / "out" / "guests" / guest.name / WEB_CONF).read_text()
        people = "|".join(f"user={name}" for name in expected if name != CGI_READER)
        assert f'"require" => "{people}"' in conf and CGI_READER not in people
    validated = run_cli("validate", "--output", str(tmp_path / "out"), "--quiet")  # lighttpd -tt, htdigest lines
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_a_person_without_a_password_stops_the_generation_in_one_line(tmp_path: Path) -> None:
    herd = _herd(tmp_path)
    missing = herd.guests[0].team.contacts[0].name
    root = _inventory(tmp_path, _secrets(tmp_path, herd, drop=missing))
    done = generate(root, tmp_path / "out")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"contacts.{missing}: missing" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_secrets_file_others_may_read_is_refused(tmp_path: Path) -> None:
    herd = _herd(tmp_path)
    secrets = _secrets(tmp_path, herd, mode=0o644)
    done = generate(_inventory(tmp_path, secrets), tmp_path / "out")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"{secrets}: the web secrets file is accessible by group or others (mode 0644)" in done.stderr
    assert "pw-" not in done.stderr


def test_a_bad_password_is_named_without_showing_it(tmp_path: Path) -> None:
    secrets = tmp_path / "web.toml"
    secrets.write_text('[contacts]\nalice = "short pw"\n')
    secrets.chmod(0o600)
    done = generate(_inventory(tmp_path, secrets), tmp_path / "out")
    assert done.returncode != 0 and "contacts.alice: a password is 12 to 128" in done.stderr
    assert "short pw" not in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="publishing sets owners")
def test_a_published_users_file_is_root_www_data_0640(tmp_path: Path) -> None:
    files = {f"guests/g/{USERS}": b"alice:Nagios4:" + b"0" * 32 + b"\n", "guests/g/etc/nagios4/cgi.cfg": b"x=1\n",
             "guests/g/etc/nagios4/objects/hosts.cfg": b"\n"}
    write_files(tmp_path, files, group=grp.getgrnam("nagios").gr_gid)
    web = grp.getgrnam("www-data").gr_gid
    for name in (USERS, "etc/nagios4/cgi.cfg"):  # the web server's own files: nobody else reads them
        info = (tmp_path / "guests/g" / name).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, web, 0o640), name
    objects = (tmp_path / "guests/g/etc/nagios4/objects/hosts.cfg").stat()
    assert (objects.st_gid, stat.S_IMODE(objects.st_mode)) == (grp.getgrnam("nagios").gr_gid, 0o640)


@pytest.mark.skipif(os.geteuid() != 0, reason="publishing sets owners")
def test_without_a_web_servers_group_its_files_are_roots_own(tmp_path: Path, monkeypatch) -> None:
    """A tree published where there is no www-data (an operator's machine): the web server's files fall back to
    root's own 0600, as the whole tree does without a nagios group; the rest keeps the tree's group."""
    real = grp.getgrnam

    def no_web_group(name: str) -> grp.struct_group:
        if name == "www-data":
            raise KeyError(name)
        return real(name)

    monkeypatch.setattr(grp, "getgrnam", no_web_group)
    files = {f"guests/g/{USERS}": b"alice:Nagios4:" + b"0" * 32 + b"\n", "guests/g/etc/nagios4/cgi.cfg": b"x=1\n",
             "guests/g/etc/nagios4/objects/hosts.cfg": b"\n"}
    nagios = real("nagios").gr_gid
    write_files(tmp_path, files, group=nagios)
    for name in (USERS, "etc/nagios4/cgi.cfg"):
        info = (tmp_path / "guests/g" / name).stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o600), name
    objects = (tmp_path / "guests/g/etc/nagios4/objects/hosts.cfg").stat()
    assert (objects.st_gid, stat.S_IMODE(objects.st_mode)) == (nagios, 0o640)
