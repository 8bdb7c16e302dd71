"""The Debian packages installed the way an operator installs them, on a Debian 12 root of their own.

``scripts/build-deb`` builds nagios-herd and nagios-herd-plugins (lintian: no errors). A debootstrap'd minbase
bookworm root (built once, cached in ``.cache/debian-root`` of the checkout, which git ignores; ``build/`` is the
README's generate output and holds nothing else) gets them with
``apt-get install ./nagios-herd*.deb``, resolving Debian's own dependencies (python3-fabric 2.6,
python3-jinja2, python3-requests; the recommended nagios4-core, drbd-utils, sudo, iproute2 for validate). There:
generate + validate on the packaged example inventory, ``nagios-herd-fab --list``, each installed check on real
fixtures (answering as the checkout's launcher does). Then ``apt-get purge``, and no file of ours is left: the
root's file list is the one before our install (taken with Debian's dependencies already there, since Debian's own
packages leave files behind on purge), apart from apt's and dpkg's own records. Afterwards the root goes back to
the packages debootstrap gave it. Each command runs in a private mount namespace (its /proc mount goes with it).
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

CACHE = ROOT / ".cache" / "debian-root"
SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
PRISTINE = ".packages"  # the root's package set as debootstrap left it
OURS = re.compile(r"nagios[-_]herd|/usr/lib/nagios/plugins/(" + "|".join(bundle.checks()) + ")$")
# apt's and dpkg's own records and caches change with any install; nothing of a package lives there.
STATE = re.compile(r"^/(var/(cache|log|lib/apt|lib/dpkg|lib/ucf|lib/systemd|lib/python)|etc/ld\.so\.cache|"
                   r"tmp/nh|proc|etc/resolv\.conf)(/|$)")


def mirror() -> str | None:
    """The Debian archive this machine's apt uses (deb822 ``URIs:`` or a one-line ``deb URI bookworm ...``)."""
    for source in SOURCES:
        if not source.exists():
            continue
        for line in source.read_text().splitlines():
            words = line.split()
            uris = words[1:] if words[:1] == ["URIs:"] else words[1:2] if words[:1] == ["deb"] else []
            for uri in uris:
                if uri.startswith("http") and not uri.rstrip("/").endswith("-security"):
                    return uri
    return None


def debian_root() -> Path:
    """The cached minbase bookworm root, made on first use (a few minutes; it needs the machine's Debian mirror),
    with the package set debootstrap gave it recorded (so a run can put the root back to it)."""
    root = CACHE / "bookworm"
    if (root / PRISTINE).exists():
        return root
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (scripts/bootstrap installs it)")
    archive = mirror()
    if archive is None:
        pytest.skip("no Debian archive in this machine's apt sources")
    partial = CACHE / "bookworm.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    done = run(["debootstrap", "--variant=minbase", "bookworm", str(partial), archive], ROOT, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (partial / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")  # no daemon starts in the root
    (partial / "usr/sbin/policy-rc.d").chmod(0o755)
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    (root / PRISTINE).write_text("\n".join(sorted(packages(root))) + "\n")
    return root


def packages(root: Path) -> set[str]:
    listed = inside(root, "dpkg-query -W -f '${Package}\\n'")
    assert listed.returncode == 0, listed.stderr
    return set(listed.stdout.split())


def restore(root: Path) -> None:
    """Purge every package the root did not have from debootstrap (an earlier run may have stopped half-way)."""
    extra = sorted(packages(root) - set((root / PRISTINE).read_text().split()))
    if extra:
        # sudo's prerm refuses removal on a root without a password (this throw-away root) unless told.
        purged = inside(root, "SUDO_FORCE_REMOVE=yes apt-get purge -y -qq " + " ".join(extra), timeout=900)
        assert purged.returncode == 0, purged.stdout[-3000:] + purged.stderr[-3000:]


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


def test_both_commands_have_a_manual_page_naming_every_command_and_the_shipped_examples(
        debs: list[Path], tmp_path: Path) -> None:
    """From the built package itself (no root needed): man reads both pages without a warning, each lists every
    subcommand or task, and every path under the examples directory a page names is in the package."""
    from nagios_herd import cli, tasks

    deb = next(deb for deb in debs if deb.name.startswith("nagios-herd_"))
    listing = run(["dpkg-deb", "-c", str(deb)], tmp_path)
    shipped = {line.split()[-1].lstrip(".") for line in listing.stdout.splitlines()}
    assert run(["dpkg-deb", "-x", str(deb), str(tmp_path)], tmp_path).returncode == 0
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "MANWIDTH": "200"}
    for program, names in (("nagios-herd", list(cli.COMMANDS)), ("nagios-herd-fab", tasks.__all__)):
        page = f"/usr/share/man/man1/{program}.1.gz"
        assert page in shipped
        shown = run(["man", "--warnings", "-l", str(tmp_path / page.lstrip("/"))], tmp_path, env=env)
        assert shown.returncode == 0 and shown.stderr == "", shown.stderr
        text = shown.stdout
        assert {"SYNOPSIS", "EXAMPLES", "FILES"} <= set(re.findall(r"^([A-Z]+)$", text, re.M)), text
        missing = [name for name in names if not re.search(rf"^ +{re.escape(name.replace('_', '-'))}\b", text, re.M)]
        assert missing == [], text
        examples = set(re.findall(r"/usr/share/doc/nagios-herd/examples/[\w./-]*\w", text))
        assert "/usr/share/doc/nagios-herd/examples/herd.toml" in examples
        assert "/usr/share/doc/nagios-herd/examples/cron.d/nagios-herd" in examples
        assert examples <= shipped, examples - shipped


def test_debian_packages_install_work_and_purge_clean(debs: list[Path], tmp_path: Path) -> None:
    assert [deb.name for deb in debs] == ["nagios-herd-plugins_0.1.0_all.deb", "nagios-herd_0.1.0_all.deb"]
    root = debian_root()
    restore(root)
    inside(root, "rm -rf /tmp/nh")
    work = root / "tmp" / "nh"
    work.mkdir(parents=True)
    for deb in debs:
        shutil.copyfile(deb, work / deb.name)
    for check in CHECK_INPUTS:
        shutil.copyfile(check_input(check, tmp_path), work / f"{check}.input")

    # Debian's own packages leave files behind on purge (adduser's backups, an MTA's /etc/aliases, ...): so the
    # file list to come back to is taken with Debian's dependencies installed, which a first install resolves.
    install = "cd /tmp/nh && apt-get install -y -qq ./nagios-herd*.deb"
    first = inside(root, f"apt-get update -qq && {install} && apt-get purge -y -qq nagios-herd nagios-herd-plugins",
                   timeout=1800)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    before = files(root)
    installed = inside(root, install, timeout=900)
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
    nrpe = inside(root, "/usr/lib/nagios/plugins/check_nrpe -V")  # recommended: the watcher asks the hosts with it
    assert "NRPE" in nrpe.stdout, nrpe.stdout + nrpe.stderr
    linked = inside(root, "ls /usr/lib/nagios/plugins")
    assert set(bundle.checks()) <= set(linked.stdout.split())
    compiled = inside(root, "ls /usr/lib/nagios-herd-plugins/nagios_herd/plugin/__pycache__")
    assert "runtime.cpython" in compiled.stdout  # byte-compiled at install (start-up time)

    purged = inside(root, "apt-get purge -y -qq nagios-herd nagios-herd-plugins", timeout=900)
    assert purged.returncode == 0, purged.stdout[-3000:] + purged.stderr[-3000:]
    after = files(root)
    assert not [path for path in after if OURS.search(path)]
    # not one file differs from before our install: our maintainer scripts left nothing behind either
    assert after - before == set() and before - after == set(), (sorted(after - before)[:20],
                                                                 sorted(before - after)[:20])
    restore(root)
