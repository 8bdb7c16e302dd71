"""The Debian packages installed the way an operator installs them, on a Debian 12 root of their own.

``scripts/build-deb`` builds nagios-herd and nagios-herd-plugins (lintian: no errors). A debootstrap'd minbase
bookworm root (built once, cached in ``build/debian-root`` of the checkout, which git ignores) gets them with
``apt-get install ./nagios-herd*.deb``, resolving Debian's own dependencies (python3-fabric 2.6,
python3-jinja2, python3-requests; the recommended nagios4-core, drbd-utils, sudo, iproute2 for validate). There:
generate + validate on the packaged example inventory, ``nagios-herd-fab --list``, each installed check on real
fixtures (answering as the checkout's launcher does). Then ``apt-get purge`` and ``autoremove --purge``, and no
file of ours is left (the root's file list is the one before the install, apart from apt's and dpkg's own
records). Each command runs in a private mount namespace (its /proc mount goes with it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nagios_herd.ops import bundle
from tests.install.conftest import ROOT, run
from tests.install.test_wheel import CHECK_INPUTS, check_input

pytestmark = pytest.mark.real

CACHE = ROOT / "build" / "debian-root"
MIRROR = "http://deb.debian.org/debian"
OURS = re.compile(r"nagios[-_]herd|/usr/lib/nagios/plugins/(" + "|".join(bundle.checks()) + ")$")
# apt's and dpkg's own records and caches change with any install; nothing of a package lives there.
STATE = re.compile(r"^/(var/(cache|log|lib/apt|lib/dpkg|lib/ucf|lib/systemd|lib/python)|etc/ld\.so\.cache|"
                   r"tmp/nh|proc|etc/resolv\.conf)(/|$)")


def debian_root() -> Path:
    """The cached minbase bookworm root, made on first use (a few minutes; it needs Debian's mirror)."""
    root = CACHE / "bookworm"
    if (root / ".complete").exists():
        return root
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (scripts/bootstrap installs it)")
    partial = CACHE / "bookworm.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    done = run(["debootstrap", "--variant=minbase", "bookworm", str(partial), MIRROR], ROOT, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (partial / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")  # no daemon starts in the root
    (partial / "usr/sbin/policy-rc.d").chmod(0o755)
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    (root / ".complete").touch()
    return root


def inside(root: Path, command: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``command`` by /bin/sh chrooted into ``root``, /proc mounted in a mount namespace of its own."""
    shutil.copyfile("/etc/resolv.conf", root / "etc" / "resolv.conf")
    return run(["unshare", "--mount", "--fork", "sh", "-c",
                'mount -t proc proc "$1/proc" && exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin '
                'LC_ALL=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive /bin/sh -c "$2"', "sh", str(root), command],
               ROOT, timeout=timeout)


def files(root: Path) -> set[str]:
    listed = inside(root, "find / -xdev -not -type d")
    assert listed.returncode == 0, listed.stderr
    return {path for path in listed.stdout.splitlines() if not STATE.match(path)}


@pytest.fixture(scope="module")
def debs(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("deb")
    built = run([str(ROOT / "scripts" / "build-deb"), str(out)], ROOT, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert " E: " not in built.stdout and not re.search(r"^E: ", built.stdout, re.M)
    return sorted(out.glob("*.deb"))


def test_debian_packages_install_work_and_purge_clean(debs: list[Path], tmp_path: Path) -> None:
    assert [deb.name for deb in debs] == ["nagios-herd-plugins_0.1.0_all.deb", "nagios-herd_0.1.0_all.deb"]
    root = debian_root()
    inside(root, "dpkg --purge nagios-herd nagios-herd-plugins >/dev/null 2>&1; "
                 "SUDO_FORCE_REMOVE=yes apt-get -y -qq autoremove --purge "
                 ">/dev/null 2>&1; rm -rf /tmp/nh")
    before = files(root)
    packages_before = set(inside(root, "dpkg-query -W -f '${Package}\\n'").stdout.split())
    work = root / "tmp" / "nh"
    work.mkdir(parents=True)
    for deb in debs:
        shutil.copyfile(deb, work / deb.name)
    for check in CHECK_INPUTS:
        shutil.copyfile(check_input(check, tmp_path), work / f"{check}.input")

    installed = inside(root, "cd /tmp/nh && apt-get update -qq && apt-get install -y -qq ./nagios-herd*.deb",
                       timeout=1800)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    fabric = inside(root, "dpkg-query -W -f '${Version}' python3-fabric")
    assert fabric.stdout.startswith("2.6"), fabric.stdout  # Debian 12's Fabric, not PyPI's

    example = "/usr/share/doc/nagios-herd/examples/herd.toml"
    generated = inside(root, f"cd /tmp && nagios-herd generate --inventory {example} --output /tmp/nh/build && "
                             "nagios-herd validate --output /tmp/nh/build")
    assert generated.returncode == 0, generated.stdout[-3000:] + generated.stderr[-3000:]
    assert "OK guests/team-db/etc/nagios4/nagios.cfg" in generated.stdout.splitlines()
    assert not [line for line in generated.stdout.splitlines() if not line.startswith("OK ")]

    listed = inside(root, "cd /tmp && nagios-herd-fab --list")
    assert listed.returncode == 0 and "failover" in listed.stdout and "deploy" in listed.stdout, listed.stderr

    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "NAGIOS_HERD_STATE_DIR": str(tmp_path)}
    for check in CHECK_INPUTS:
        ours = inside(root, f"NAGIOS_HERD_STATE_DIR=/tmp/nh /usr/lib/nagios/plugins/{check} "
                            f"--input /tmp/nh/{check}.input; echo \"exit $?\"")
        source = check_input(check, tmp_path)
        reference = run([str(ROOT / "checks" / check), "--input", str(source)], tmp_path, env=env)
        expected = reference.stdout.replace(str(source), f"/tmp/nh/{check}.input") + f"exit {reference.returncode}\n"
        assert ours.stdout == expected, (check, ours.stdout, ours.stderr)
    linked = inside(root, "ls /usr/lib/nagios/plugins")
    assert set(bundle.checks()) <= set(linked.stdout.split())
    compiled = inside(root, "ls /usr/lib/nagios-herd-plugins/nagios_herd/plugin/__pycache__")
    assert "runtime.cpython" in compiled.stdout  # byte-compiled at install (start-up time)

    # SUDO_FORCE_REMOVE: sudo's prerm refuses removal on a root without a password (this throw-away root).
    purged = inside(root, "apt-get purge -y -qq nagios-herd nagios-herd-plugins && "
                          "SUDO_FORCE_REMOVE=yes apt-get -y -qq autoremove --purge && rm -rf /tmp/nh", timeout=900)
    assert purged.returncode == 0, purged.stdout[-3000:] + purged.stderr[-3000:]
    after = files(root)
    assert not [path for path in after if OURS.search(path)]
    # APT may keep some of the Debian packages ours brought in (kept by another one's Recommends or Suggests):
    # purge them too, then not one file may differ from before the install (our maintainer scripts left nothing).
    brought = sorted(set(inside(root, "dpkg-query -W -f '${Package}\\n'").stdout.split()) - packages_before)
    if brought:
        cleaned = inside(root, "SUDO_FORCE_REMOVE=yes apt-get purge -y -qq " + " ".join(brought), timeout=900)
        assert cleaned.returncode == 0, cleaned.stdout[-3000:] + cleaned.stderr[-3000:]
        after = files(root)
    assert after - before == set() and before - after == set(), (sorted(after - before)[:20],
                                                                 sorted(before - after)[:20])
