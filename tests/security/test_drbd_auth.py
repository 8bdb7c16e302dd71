"""DRBD peer authentication from a root-only secrets file, checked by the real drbdadm; replication network."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from inventory_helpers import copy_fixture, edit, run_cli

from .conftest import AS_NOBODY, as_user

SECRET = "Zq7#p!x0/kLm9@Tr"
OTHER = "aaaaBBBBccccDDDD-web"
pytestmark = pytest.mark.real


def _inventory(tmp_path: Path, secrets: str) -> Path:
    root = copy_fixture(tmp_path)
    edit(root, "herd.toml", 'watcher_peer = "beta"\n', f'watcher_peer = "beta"\ndrbd_secrets = "{secrets}"\n')
    return root


def _secrets(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def generate(root: Path, out: Path) -> subprocess.CompletedProcess:
    return run_cli("generate", "--inventory", str(root / "herd.toml"), "--output", str(out))


def test_the_secret_reaches_every_resource_and_the_real_drbdadm_accepts_it(tmp_path: Path) -> None:
    secrets = _secrets(tmp_path / "drbd.toml", f'cram_hmac_alg = "sha256"\nshared_secret = "{SECRET}"\n')
    root = _inventory(tmp_path, str(secrets))
    done = generate(root, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "out" / "hosts").glob("*/etc/drbd.d/*"))
    assert files and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)
    res = [path for path in files if path.suffix == ".res"]
    assert all(f'shared-secret "{SECRET}";' in path.read_text() and "cram-hmac-alg sha256;" in path.read_text()
               for path in res)
    guests = [(p.name, stat.S_IMODE(p.stat().st_mode)) for p in (tmp_path / "out" / "guests").rglob("*.cfg")]
    assert guests and all(mode == (0o600 if name == "resource.cfg" else 0o644) for name, mode in guests)
    validated = run_cli("validate", "--output", str(tmp_path / "out"), "--quiet")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    from nagios_herd.generate.validators import _addresses_of

    host = res[0].parents[2].name
    wrapper = tmp_path / "drbd.conf"
    wrapper.write_text(f'include "{res[0]}";\n')
    script = ('ip link set lo up && for a in $3; do ip addr add "$a" dev lo; done && '
              'exec /usr/sbin/drbdadm -c "$1" dump "$2"')
    dump = subprocess.run(["unshare", "--net", "--", "sh", "-c", script, "sh", str(wrapper), res[0].stem,
                           " ".join(_addresses_of(host, [res[0].read_text()]))],
                          capture_output=True, text=True, env={**os.environ, "__DRBD_NODE__": host})
    words = " ".join(dump.stdout.split())
    assert f'shared-secret "{SECRET}";' in words and "cram-hmac-alg sha256;" in words, dump.stdout + dump.stderr


def test_a_resource_may_have_its_own_secret(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    out = tmp_path / "plain"
    assert generate(root, out).returncode == 0
    name = sorted(p.stem for p in out.glob("hosts/*/etc/drbd.d/*.res"))[0]
    resource = next(line.split()[1].strip('"') for line in next(out.glob(f"hosts/*/etc/drbd.d/{name}.res"))
                    .read_text().splitlines() if line.startswith("resource "))
    secrets = _secrets(tmp_path / "drbd.toml", f'cram_hmac_alg = "sha512"\nshared_secret = "{SECRET}"\n'
                                               f'[resources]\n{resource} = "{OTHER}"\n')
    root = _inventory(tmp_path / "second", str(secrets))
    assert generate(root, tmp_path / "out").returncode == 0
    text = next((tmp_path / "out").glob(f"hosts/*/etc/drbd.d/{name}.res")).read_text()
    assert f'shared-secret "{OTHER}";' in text and "cram-hmac-alg sha512;" in text


@pytest.mark.parametrize("content, mode, message", [
    (f'cram_hmac_alg = "sha256"\nshared_secret = "{SECRET}"\n', 0o644,
     "the DRBD secrets file is accessible by group or others (mode 0644); chmod 600 it"),
    (f'cram_hmac_alg = "md4"\nshared_secret = "{SECRET}"\n', 0o600, "cram_hmac_alg: must be one of"),
    ('cram_hmac_alg = "sha256"\nshared_secret = "short"\n', 0o600, "shared_secret: a secret is 16 to 64"),
    ('cram_hmac_alg = "sha256"\nshared_secret = "has\\"quote;and more text"\n', 0o600,
     "shared_secret: a secret is 16 to 64"),
    ('cram_hmac_alg = "sha256"\n', 0o600, "shared_secret: missing"),
    (f'cram_hmac_alg = "sha256"\nshared_secret = "{SECRET}"\n[resources]\nnobody-here = "{OTHER}"\n', 0o600,
     "resources.nobody-here: not a DRBD resource of this herd"),
    (f'cram_hmac_alg = "sha256"\nshared_secret = "{SECRET}"\npassword = "x"\n', 0o600, "password: unknown key"),
])
def test_a_bad_secrets_file_is_one_line_naming_it_never_the_secret(tmp_path: Path, content: str, mode: int,
                                                                    message: str) -> None:
    secrets = _secrets(tmp_path / "drbd.toml", content, mode)
    done = generate(_inventory(tmp_path, str(secrets)), tmp_path / "out")
    assert done.returncode != 0 and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert str(secrets) in done.stderr and message in done.stderr, done.stderr
    assert SECRET not in done.stderr and "quote" not in done.stderr and not (tmp_path / "out").exists()


def test_a_secrets_file_another_user_owns_or_a_symlink_is_refused(shared: Path, tmp_path: Path) -> None:
    drop = shared / "drop"
    drop.mkdir(mode=0o1777)
    drop.chmod(0o1777)
    planted = drop / "drbd.toml"
    made = as_user(AS_NOBODY, ["sh", "-c", f"umask 077; printf '%s\\n' 'cram_hmac_alg = \"sha256\"' "
                                           f"'shared_secret = \"{SECRET}\"' > {planted}"])
    assert made.returncode == 0, made.stderr
    done = generate(_inventory(tmp_path, str(planted)), tmp_path / "out")
    assert done.returncode != 0 and "owned by uid 65534, not root" in done.stderr
    real = _secrets(tmp_path / "real.toml", f'cram_hmac_alg = "sha256"\nshared_secret = "{SECRET}"\n')
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    done = generate(_inventory(tmp_path / "l", str(link)), tmp_path / "out")
    assert done.returncode != 0 and "cannot read the DRBD secrets file" in done.stderr


def test_replication_over_the_management_address_is_refused_unless_allowed(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    edit(root, "herd.toml", 'replication_address = "198.51.100.11"', 'replication_address = "192.0.2.11"')
    done = generate(root, tmp_path / "out")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert "hosts.primary.replication_address: same as the management address" in done.stderr
    edit(root, "herd.toml", 'watcher_peer = "beta"\n', 'watcher_peer = "beta"\nreplication_over_management = true\n')
    assert generate(root, tmp_path / "out").returncode == 0
