"""The wheel installed into a fresh virtualenv works from an unrelated directory, with no checkout around.

Everything runs from ``tmp_path`` with the venv's own executables: generate/validate/publish/adopt on the
packaged example inventory, the packaged lab inventory and templates, the console-script checks and
``nagios-herd-fab``.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from invoke import Collection

from nagios_herd import __version__, tasks
from tests.install.conftest import FIXTURES, ROOT, run

pytestmark = pytest.mark.real


def data_dir(bin_dir: Path) -> Path:
    found = run([str(bin_dir / "python"), "-c", "import nagios_herd.shipped as s; print(s.PACKAGE_DATA)"], bin_dir)
    return Path(found.stdout.strip())


def test_sdist_and_wheel_carry_templates_and_examples(dists: dict[str, Path]) -> None:
    wheel = set(zipfile.ZipFile(dists["wheel"]).namelist())
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    examples = {p.relative_to(ROOT).as_posix() for p in (ROOT / "etc").rglob("*") if p.is_file()}
    assert {f"nagios_herd/data/{name}" for name in templates | examples} <= wheel
    assert not [name for name in wheel if name.startswith(("tests/", "templates/", "etc/"))]
    with tarfile.open(dists["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert templates | examples | {"setup.py", "checks/check_drbd_sync"} <= members


def test_generate_validate_publish_from_anywhere(installed: Path, tmp_path: Path) -> None:
    inventory = data_dir(installed) / "etc" / "herd.toml"
    assert ROOT not in inventory.parents
    herd = [str(installed / "nagios-herd")]
    generated = run([*herd, "generate", "--inventory", str(inventory), "--output", "build"], tmp_path)
    assert generated.returncode == 0, generated.stderr
    validated = run([*herd, "validate", "--output", "build"], tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "OK guests/team-web/etc/nagios4/nagios.cfg" in validated.stdout.splitlines()
    published = run([*herd, "publish", "--inventory", str(inventory), "--live", "live"], tmp_path)
    assert published.returncode == 0, published.stderr
    assert (tmp_path / "live" / "current" / "MANIFEST.json").is_file()


def test_generated_tree_is_the_checkouts(installed: Path, tmp_path: Path) -> None:
    """Packaged templates render byte for byte what the checkout's do (the golden tree)."""
    done = run([str(installed / "nagios-herd"), "generate", "--inventory",
                str(ROOT / "tests" / "render" / "inventory" / "herd.toml"), "--output", "out"], tmp_path)
    assert done.returncode == 0, done.stderr
    golden = ROOT / "tests" / "golden" / "tree"
    ours = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert ours == sorted(p.relative_to(golden) for p in golden.rglob("*") if p.is_file())
    assert all((tmp_path / "out" / p).read_bytes() == (golden / p).read_bytes() for p in ours)


def test_adopt_into_a_copy_of_the_packaged_inventory(installed: Path, tmp_path: Path) -> None:
    shutil.copytree(data_dir(installed) / "etc", tmp_path / "etc")
    done = run([str(installed / "nagios-herd"), "adopt", "--inventory", "etc/herd.toml", "--team", "db",
                str(FIXTURES / "adopt" / "hand" / "nagios.cfg")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "etc" / "teams" / "team-db.toml").read_text() != \
        (data_dir(installed) / "etc" / "teams" / "team-db.toml").read_text()


def test_the_lab_defaults_to_the_packaged_lab_inventory(installed: Path) -> None:
    found = run([str(installed / "python"), "-c",
                 "from nagios_herd.lab.layout import SHIPPED_INVENTORY as s; print(s, s.is_file())"], installed)
    path, exists = found.stdout.split()
    assert exists == "True" and Path(path).parent.parent == data_dir(installed)


CHECK_INPUTS = {  # check -> real input it reads with --input
    "check_drbd_sync": FIXTURES / "drbd-synthetic" / "proc_drbd_8.4_ok.txt",
    "check_xen_domain": FIXTURES / "ganeti" / "xen-xl-list-4.0.1-four-instances.txt",
    "check_lvm_capacity": FIXTURES / "lvm2-real" / "fullreport_json_units_b.json",
    "check_nagios_guest": (FIXTURES / "nagios4" / "programstatus.json", FIXTURES / "nagios4" / "performancedata.json"),
}


def check_input(check: str, directory: Path) -> Path:
    """The check's input file (check_nagios_guest reads its two statusjson answers from one file)."""
    source = CHECK_INPUTS[check]
    if isinstance(source, Path):
        return source
    joined = directory / f"{check}.input"
    joined.write_text("\n".join(path.read_text() for path in source))
    return joined


def test_console_script_checks_answer_as_the_checkouts_launchers(installed: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "NAGIOS_HERD_PLUGIN_STATE_DIR": str(tmp_path)}
    for check in CHECK_INPUTS:
        fixture = check_input(check, tmp_path)
        ours = run([str(installed / check), "--input", str(fixture)], tmp_path, env=env)
        reference = run([str(ROOT / "checks" / check), "--input", str(fixture)], tmp_path, env=env)
        assert ours.returncode in (0, 1, 2) and not ours.stderr, (check, ours.stdout, ours.stderr)
        assert (ours.returncode, ours.stdout) == (reference.returncode, reference.stdout), check
        version = run([str(installed / check), "-V"], tmp_path, env=env)
        assert version.stdout.split() == [check, __version__], check  # exit 3, as the Monitoring Plugins do


def test_the_installed_checks_start_without_re(installed: Path, tmp_path: Path) -> None:
    """The venv's check scripts are the launchers, not console-script wrappers (a wrapper imports ``re``: the venv
    form measured 1.4-2.2x perl's check_drbd instead of 1.1x), and import the package from site-packages."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "NAGIOS_HERD_PLUGIN_STATE_DIR": str(tmp_path),
           "PYTHONPROFILEIMPORTTIME": "1"}
    for check in ("check_drbd_sync", "check_xen_domain", "check_lvm_capacity"):
        done = run([str(installed / check), "--input", str(check_input(check, tmp_path))], tmp_path, env=env)
        imported = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
                    if line.startswith("import time:")}
        assert done.returncode in (0, 1, 2) and "nagios_herd.plugin.runtime" in imported, (check, done.stdout)
        assert not {"re", "enum", "json"} & imported, (check, sorted(imported))


def test_fab_program_lists_the_packaged_tasks(installed: Path, tmp_path: Path) -> None:
    done = run([str(installed / "nagios-herd-fab"), "--list"], tmp_path)
    assert done.returncode == 0, done.stderr
    names = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ") and line[2] != " "}
    assert names == set(Collection.from_module(tasks).task_names) and {"failover", "deploy"} <= names
    refused = run([str(installed / "nagios-herd-fab"), "status", "--inventory", "missing.toml"], tmp_path)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr and "missing.toml" in refused.stderr
