"""Every generated file through the real program that reads it, and each validator catching a real breakage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import cli

from nagios_herd.generate.buildtree import MANIFEST, read_manifest
from nagios_herd.generate.validators import validate
from nagios_herd.nagios.stage import PATH_DIRECTIVES, rebase

pytestmark = pytest.mark.real


@pytest.mark.parametrize("name", ["herd", "lab"])
def test_every_shipped_file_passes_its_real_validator(shipped_trees, name):
    tree = shipped_trees[name]
    results = validate(tree)
    assert [result.line() for result in results if not result.ok] == []
    files = {path.relative_to(tree).as_posix() for path in tree.rglob("*") if path.is_file()}
    assert {result.path for result in results} == files  # one result per file, none unchecked
    assert set(read_manifest(tree)["files"]) | {MANIFEST} == files


def test_validate_command_prints_one_ok_line_per_file(shipped_trees):
    done = cli("validate", "--output", str(shipped_trees["lab"]))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    files = [path for path in shipped_trees["lab"].rglob("*") if path.is_file()]
    assert len(lines) == len(files)
    assert all(line.startswith("OK ") for line in lines)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture()
def broken_lab(shipped_trees, tmp_path) -> Path:
    tree = tmp_path / "lab"
    shutil.copytree(shipped_trees["lab"], tree)
    tmp_path.chmod(0o755)
    return tree


def test_each_validator_fails_the_file_it_was_given_broken(broken_lab):
    tree = broken_lab
    _edit(tree / "hosts/primary/etc/drbd.d/lab-db.res", "after-sb-1pri disconnect", "after-sb-1pri bogus")
    _edit(tree / "hosts/backup/etc/xen/lab-web.cfg", "vcpus = 1", "vcpus = [1")
    _edit(tree / "hosts/backup/etc/sudoers.d/nagios-herd", "NOPASSWD:", "NOPASSWD")
    _edit(tree / "guests/lab-db/etc/nagios4/objects/services.cfg", "use                     herd-service",
          "use                     no-such-template")
    (tree / "guests/lab-db/etc/nagios4/objects/extra.cfg").write_text("define host {\n}\n")
    done = cli("validate", "--quiet", "--output", str(tree))
    assert done.returncode == 1
    failed = {line.split(":", 1)[0]: line for line in done.stdout.splitlines()}
    assert "Value is not valid" in failed["FAIL hosts/primary/etc/drbd.d/lab-db.res"]
    assert "xl.cfg: line" in failed["FAIL hosts/backup/etc/xen/lab-web.cfg"]
    assert "visudo:" in failed["FAIL hosts/backup/etc/sudoers.d/nagios-herd"]
    assert "no-such-template" in failed["FAIL guests/lab-db/etc/nagios4/objects/services.cfg"]
    assert "FAIL guests/lab-db/etc/nagios4/objects/extra.cfg" in failed  # not in the manifest, not read by nagios
    assert "changed since generation" in failed["FAIL MANIFEST.json"]
    assert all(line.startswith("FAIL ") for line in done.stdout.splitlines())
    assert not any(path.startswith("FAIL guests/lab-web") for path in failed)  # the other guests stay OK


def test_drbd_is_validated_as_the_host_it_is_for(broken_lab):
    # a resource file without an "on" section for this host parses, but not as this host
    _edit(broken_lab / "hosts/primary/etc/drbd.d/lab-web.res", 'on "primary"', 'on "elsewhere"')
    results = {result.path: result for result in validate(broken_lab, only="hosts/primary")}
    assert not results["hosts/primary/etc/drbd.d/lab-web.res"].ok
    assert results["hosts/primary/etc/xen/lab-web.cfg"].ok
    assert all(path.startswith("hosts/primary/") or path == MANIFEST for path in results)


def test_validate_without_a_tree_is_one_line_and_exit_2(tmp_path):
    done = cli("validate", "--output", str(tmp_path / "nothing"))
    assert done.returncode == 2
    assert done.stderr.strip().endswith("run 'nagios-herd generate' first")
    assert len(done.stderr.splitlines()) == 1


def test_staging_rewrites_only_path_values():
    text = ("# comment /etc/nagios4/x\ncfg_file=/etc/nagios4/objects/hosts.cfg\nstatus_file=/var/lib/nagios4/s.dat\n"
            "admin_email=a@b\nnagios_user=nagios\ntemp_path=/tmp\n")
    staged, paths = rebase(text, "/stage", {"nagios_user": "root"})
    assert staged == ("# comment /etc/nagios4/x\ncfg_file=/stage/etc/nagios4/objects/hosts.cfg\n"
                      "status_file=/stage/var/lib/nagios4/s.dat\nadmin_email=a@b\nnagios_user=root\n"
                      "temp_path=/stage/tmp\n")
    assert paths == [("/stage/etc/nagios4/objects/hosts.cfg", False), ("/stage/var/lib/nagios4/s.dat", False),
                     ("/stage/tmp", True)]
    assert {"check_result_path", "lock_file", "command_file"} <= set(PATH_DIRECTIVES)


def test_a_guest_tree_without_its_main_file_fails_every_file_of_it(broken_lab):
    (broken_lab / "guests/lab-db/etc/nagios4/nagios.cfg").unlink()
    results = {result.path: result for result in validate(broken_lab, only="guests/lab-db")}
    hosts = results["guests/lab-db/etc/nagios4/objects/hosts.cfg"]
    assert not hosts.ok and hosts.reason.startswith("cannot check: ")
    assert "guests/lab-db/etc/nagios4/nagios.cfg missing" in results[MANIFEST].reason
