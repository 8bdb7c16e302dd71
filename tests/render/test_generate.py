"""generate: deterministic across hash seeds, atomic, nothing written on bad input, errors name the file."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat

import herdbuilder
import pytest
from conftest import FIXTURE_INVENTORY, ROOT, SHIPPED, cli, generate

from nagios_herd.errors import HerdError
from nagios_herd.generate.buildtree import read_manifest, write_tree
from nagios_herd.generate.inputs import Digests
from nagios_herd.generate.render import render


def _tree(root):
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_same_inventory_gives_byte_identical_trees_under_any_hash_seed(tmp_path):
    trees = []
    for seed in ("0", "1", "2"):
        output = tmp_path / f"seed{seed}"
        done = cli("generate", "--inventory", str(SHIPPED["herd"]), "--output", str(output),
                   env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr
        trees.append(_tree(output))
    assert trees[0] == trees[1] == trees[2]
    assert len(trees[0]) > 200


def test_generate_replaces_the_whole_tree(tmp_path):
    """An earlier build tree is replaced whole (a file left in it goes); a directory that is not one is refused
    (tests/test_cli_bad_input.py)."""
    output = tmp_path / "build"
    assert cli("generate", "--inventory", str(FIXTURE_INVENTORY), "--output", str(output)).returncode == 0
    (output / "stale.cfg").write_text("left over\n")
    assert cli("generate", "--inventory", str(FIXTURE_INVENTORY), "--output", str(output)).returncode == 0
    assert not (output / "stale.cfg").exists()
    assert set(read_manifest(output)["files"]) == set(_tree(output)) - {"MANIFEST.json"}
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no staging left behind


def test_the_build_tree_holds_each_file_at_the_mode_deploy_keeps(tmp_path):
    """The DRBD files (the peers' shared secret) 0600, a host's sudoers file 0440 (as Debian and sudo want it)."""
    output = tmp_path / "build"
    assert cli("generate", "--inventory", str(FIXTURE_INVENTORY), "--output", str(output)).returncode == 0
    modes = {path.relative_to(output).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in output.rglob("*") if path.is_file()}
    sudoers = [path for path in modes if "/etc/sudoers.d/" in path]
    assert sudoers and {modes[path] for path in sudoers} == {0o440}
    assert {modes[path] for path in modes if "/etc/drbd.d/" in path} == {0o600}


def test_invalid_inventory_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "herd.toml"
    bad.write_text(FIXTURE_INVENTORY.read_text().replace('memory_mb = 64', 'memory_mb = 5'))
    (tmp_path / "teams").symlink_to(FIXTURE_INVENTORY.parent / "teams")
    output = tmp_path / "build"
    done = cli("generate", "--inventory", str(bad), "--output", str(output))
    assert done.returncode == 2
    assert "memory_mb" in done.stderr and "Traceback" not in done.stderr
    assert not output.exists()


def test_a_refused_value_names_the_file_being_rendered():
    herd = herdbuilder.herd()
    guest = herd.guests[0]
    team = dataclasses.replace(guest.team, alias="Team ! bang")
    herd = dataclasses.replace(herd, guests=(dataclasses.replace(guest, team=team), *herd.guests[1:]))
    with pytest.raises(HerdError) as caught:
        render(herd, Digests("h", {g.name: "g" for g in herd.guests}, "a"))
    assert str(caught.value) == (f"guests/{guest.name}/etc/nagios4/objects/contacts.cfg: cannot write "
                                 "'Team ! bang': '!' is not allowed in a Nagios value (nagval)")


def test_team_objects_clashing_with_the_herds_own_are_refused():
    herd = herdbuilder.herd()
    watcher = herd.guest(herd.watcher)
    hosts = (*watcher.team.hosts, dataclasses.replace(watcher.team.hosts[0], name="alpha"))
    team = dataclasses.replace(watcher.team, hosts=hosts)
    guests = tuple(dataclasses.replace(g, team=team) if g.name == herd.watcher else g for g in herd.guests)
    with pytest.raises(HerdError, match="name clash with the herd's own monitoring objects: host 'alpha'"):
        render(dataclasses.replace(herd, guests=guests), Digests("h", {g.name: "g" for g in guests}, "a"))


def test_failed_write_leaves_the_previous_tree(tmp_path, monkeypatch):
    output = tmp_path / "build"
    write_tree(output, {"a/one.cfg": b"one\n"}, herd="h", inputs_sha256="x")

    def explode(root, files, group=None):
        (root / "partial.cfg").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nagios_herd.generate.buildtree.write_files", explode)
    with pytest.raises(HerdError, match="No space left on device"):
        write_tree(output, {"b/two.cfg": b"two\n"}, herd="h", inputs_sha256="y")
    assert _tree(output).keys() == {"a/one.cfg", "MANIFEST.json"}
    assert [path.name for path in tmp_path.iterdir()] == ["build"]


def test_editing_one_team_changes_only_that_guests_files(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(FIXTURE_INVENTORY.parent, inventory)
    before = _tree(generate(inventory / "herd.toml", tmp_path / "before"))
    team = inventory / "teams" / "web.toml"
    team.write_text(team.read_text().replace('alias = "Web server 1"', 'alias = "Web server one"'))
    after = _tree(generate(inventory / "herd.toml", tmp_path / "after"))
    changed = {path for path in before if before[path] != after[path]} - {"MANIFEST.json"}
    assert changed and all(path.startswith("guests/team-web/") for path in changed)


def test_editing_a_host_template_leaves_every_guest_tree_as_it_was(tmp_path, monkeypatch):
    before = _tree(generate(FIXTURE_INVENTORY, tmp_path / "before"))
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    xen = templates / "host" / "xen.cfg.j2"
    xen.write_text(xen.read_text().replace("on_reboot = \"restart\"", "on_reboot = \"restart\"\n# edited"))
    monkeypatch.setenv("NAGIOS_HERD_TEMPLATES", str(templates))
    after = _tree(generate(FIXTURE_INVENTORY, tmp_path / "after"))
    changed = {path for path in before if before[path] != after[path]} - {"MANIFEST.json"}
    assert any(path.endswith(".cfg") and "/etc/xen/" in path for path in changed)
    assert all(path.startswith("hosts/") for path in changed)


def test_an_undefined_template_variable_is_one_line_naming_file_and_template(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    sudoers = templates / "host" / "sudoers.j2"
    sudoers.write_text(sudoers.read_text() + "{{ no_such_variable }}\n")
    done = cli("generate", "--inventory", str(FIXTURE_INVENTORY), "--output", str(tmp_path / "build"),
               env={**os.environ, "NAGIOS_HERD_TEMPLATES": str(templates)})
    assert done.returncode == 1
    assert done.stderr == ("nagios-herd: hosts/xen-a/etc/sudoers.d/nagios-herd: template error in host/sudoers.j2: "
                           "'no_such_variable' is undefined\n")
    assert not (tmp_path / "build").exists()
