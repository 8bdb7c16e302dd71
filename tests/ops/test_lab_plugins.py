"""The plugin bundle on the lab's hosts and guests, over real SSH: what ``lab up`` and ``fab deploy`` install.

Changed-only (a second install changes nothing), checked on the target (a tampered file is reinstalled), refused
before the switch when a check does not answer ``-V`` (the plugins in use stay), rolled back when the switched
plugins do not answer.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from nagios_herd.errors import HerdError
from nagios_herd.ops import bundle, plugins
from nagios_herd.ops.remote import Endpoint, Session, SshOptions
from nagios_herd.privilege import PLUGIN_STATE_DIR

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def session(lab):
    machines = [*lab.herd.hosts, *(Endpoint(g.name, g.address) for g in lab.herd.guests)]
    with Session(machines, SshOptions(known_hosts=lab.known_hosts, identity=lab.client_key)) as opened:
        yield opened


def sh(link, script: str) -> str:
    result = link.run(["sh", "-c", script], timeout=60)
    assert result.ok, result.why()
    return result.stdout


def variant(launcher: bytes) -> bundle.Bundle:
    """The real bundle with check_xen_domain replaced by ``launcher`` (SHA256SUMS recomputed)."""
    found = dict(bundle.members())
    found["checks/check_xen_domain"] = (launcher, 0o755)
    del found[bundle.SUMS]
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, (data, _) in sorted(found.items()))
    found[bundle.SUMS] = (sums.encode(), 0o644)
    return bundle.pack(found)


def test_lab_up_installed_the_bundle_on_every_host_and_guest(lab, session):
    real = bundle.build()
    plugin_dir = lab.herd.paths.plugin_dir
    for link in session.links.values():
        assert plugins.installed(link, plugin_dir, real.checks) == real.name, link.name
        target = sh(link, f"readlink {plugin_dir}/check_drbd_sync").strip()
        assert target == ".nagios-herd-plugins/current/checks/check_drbd_sync"
        assert sh(link, f"{plugin_dir}/check_lvm_capacity -V || true").split() == ["check_lvm_capacity",
                                                                                   real.version]
        assert "cpython" in sh(link, f"ls {plugin_dir}/.nagios-herd-plugins/current/nagios_herd/plugin/__pycache__")


def test_a_second_install_changes_nothing_and_a_tampered_file_is_reinstalled(lab, session):
    real, out = bundle.build(), io.StringIO()
    link = session[lab.herd.hosts[0].name]
    plugin_dir = lab.herd.paths.plugin_dir
    assert plugins.install(link, plugin_dir, real, out) is False and "up to date" in out.getvalue()
    sh(link, f"echo '# edited' >> {plugin_dir}/.nagios-herd-plugins/current/nagios_herd/parsers/xen.py")
    assert plugins.installed(link, plugin_dir, real.checks) is None
    assert plugins.install(link, plugin_dir, real, out) is True
    assert plugins.installed(link, plugin_dir, real.checks) == real.name


def test_a_bundle_whose_check_does_not_answer_is_refused_before_the_switch(lab, session):
    real = bundle.build()
    link = session[lab.herd.guests[0].name]
    plugin_dir = lab.herd.paths.plugin_dir
    broken = variant(b"#!/bin/sh\necho broken\nexit 3\n")
    with pytest.raises(HerdError, match="refused before the switch.*check_xen_domain -V answered: broken"):
        plugins.install(link, plugin_dir, broken, io.StringIO())
    assert plugins.installed(link, plugin_dir, real.checks) == real.name


def test_plugins_that_fail_after_the_switch_are_rolled_back(lab, session):
    """A launcher that answers only from the staging directory: staged fine, dead once switched."""
    real = bundle.build()
    link = session[lab.herd.hosts[1].name]
    plugin_dir = lab.herd.paths.plugin_dir
    sly = variant(b'#!/bin/sh\ncase "$0" in *.new/*) echo "check_xen_domain ' + real.version.encode() +
                  b'";; *) echo gone; exit 3;; esac\n')
    with pytest.raises(HerdError, match=f"did not answer after the switch.*bundle {real.name} is back"):
        plugins.install(link, plugin_dir, sly, io.StringIO())
    assert plugins.installed(link, plugin_dir, real.checks) == real.name
    assert sh(link, f"{plugin_dir}/check_xen_domain -V || true").split() == ["check_xen_domain", real.version]
    assert sly.name not in sh(link, f"ls -a {plugin_dir}/.nagios-herd-plugins")



def test_the_plugins_get_a_state_dir_of_the_nagios_user_on_every_host(lab, session):
    """check_drbd_sync's stall state needs a directory NRPE's user can write: installing the bundle makes it
    (nagios, 0750), and a wrong mode is put right by the next install."""
    real, out = bundle.build(), io.StringIO()
    for host in lab.herd.hosts:
        link = session[host.name]
        assert sh(link, f"stat -c %U:%G:%a {PLUGIN_STATE_DIR}").strip() == "nagios:nagios:750", host.name
    link = session[lab.herd.hosts[0].name]
    sh(link, f"chmod 0777 {PLUGIN_STATE_DIR}")
    plugins.install(link, lab.herd.paths.plugin_dir, real, out)
    assert sh(link, f"stat -c %U:%G:%a {PLUGIN_STATE_DIR}").strip() == "nagios:nagios:750"
    assert f"created {PLUGIN_STATE_DIR}" in out.getvalue()
