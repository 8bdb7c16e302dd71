"""The plugin bundle fab deploy installs: reproducible, checksummed, and self-contained (the checks and only what
they import), each check working from the unpacked bundle with nothing but the system python3."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from nagios_herd import __version__
from nagios_herd.ops import bundle

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def unpack(tmp_path: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(bundle.build().data)) as tar:
        tar.extractall(tmp_path / "bundle")  # our own bytes, built just now
    return tmp_path / "bundle"


def test_the_bundle_is_reproducible_and_names_every_launcher() -> None:
    first, second = bundle.build(), bundle.build()
    assert first.data == second.data and first.name == first.digest[:16]
    assert first.checks == tuple(sorted(p.name for p in (ROOT / "checks").glob("check_*")))
    assert {"check_drbd_sync", "check_xen_domain", "check_lvm_capacity", "check_nagios_guest"} <= set(first.checks)


def test_the_bundle_holds_only_what_the_checks_need(tmp_path: Path) -> None:
    names = set(bundle.members())
    tops = {name.split("/")[1] for name in names if name.startswith("nagios_herd/") and name.count("/") > 1}
    assert tops == {"plugin", "parsers", "checks"}
    assert {name for name in names if name.startswith("nagios_herd/") and name.count("/") == 1} == \
        {"nagios_herd/__init__.py", *(f"nagios_herd/{module}" for module in bundle.CORE_MODULES)}
    checked = subprocess.run(["sha256sum", "-c", "--strict", "--quiet", bundle.SUMS], cwd=unpack(tmp_path),
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_check_runs_from_the_unpacked_bundle_alone(tmp_path: Path) -> None:
    """System python3, isolated (-I: no PYTHONPATH, no user site), cwd elsewhere: only the bundle provides
    nagios_herd, and importing every check loads nothing of generation, inventory, operations or the lab (of the
    core: the error, the sanitiser and the privilege model's names)."""
    tree = unpack(tmp_path)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import nagios_herd.checks.drbd_sync, "
             "nagios_herd.checks.xen_domain, nagios_herd.checks.lvm_capacity; "
             "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('nagios_herd.')}))")
    loaded = subprocess.run(["/usr/bin/python3", "-I", "-c", probe, str(tree)], cwd=tmp_path, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert loaded == "['checks', 'errors', 'parsers', 'plugin', 'privilege', 'textsafe']"
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "NAGIOS_HERD_PLUGIN_STATE_DIR": str(tmp_path)}
    ok = subprocess.run([str(tree / "checks" / "check_drbd_sync"), "--input",
                         str(FIXTURES / "drbd-synthetic" / "proc_drbd_8.4_ok.txt")], cwd=tmp_path, env=env,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stdout.startswith("DRBD OK - 2 resources"), ok.stdout + ok.stderr
    for check in bundle.build().checks:
        version = subprocess.run([str(tree / "checks" / check), "-V"], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, check=False)
        assert version.stdout.split() == [check, __version__], (check, version.stdout, version.stderr)


def test_a_plugin_dir_owned_by_the_debian_package_is_refused(tmp_path: Path) -> None:
    """The guard fab deploy runs on each target, run here by the same sh on a dpkg file list."""
    from nagios_herd.ops.plugins import PACKAGED

    listing = tmp_path / "nagios-herd-plugins.list"
    listing.write_text("/.\n/usr/lib/nagios/plugins\n/usr/lib/nagios/plugins/check_drbd_sync\n")
    checks = bundle.build().checks

    def guard(directory: str, list_file: Path) -> subprocess.CompletedProcess:
        return subprocess.run(["sh", "-c", PACKAGED, "sh", directory, str(list_file), *checks],
                              capture_output=True, text=True, check=False)

    owned = guard("/usr/lib/nagios/plugins", listing)
    assert owned.returncode == 1 and owned.stdout.strip() == "/usr/lib/nagios/plugins/check_drbd_sync"
    assert guard("/usr/lib/nagios/plugins/nagios-herd", listing).returncode == 0
    assert guard("/usr/lib/nagios/plugins", tmp_path / "absent.list").returncode == 0
