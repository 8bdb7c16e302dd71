"""``fab evacuate`` and ``fab restore`` share one entry (``tasks._host_task``): what they refuse before any host is
asked, as one line on stderr and exit 1, through the real ``fab`` program."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from inventory_helpers import ROOT, copy_fixture

FAB = os.path.join(os.path.dirname(sys.executable), "fab")
NOT_A_HOST = "fab: --host 'xen-z': not a host of this herd (primary, backup)"


@pytest.mark.parametrize("args, message", [
    (["evacuate"], "fab: name the host to empty with --host HOST"),
    (["evacuate", "--plan", "--allow-restart"], "fab: name the host to empty with --host HOST"),
    (["restore"], "fab: name the host with --host HOST"),
    (["restore", "--plan"], "fab: name the host with --host HOST"),
    (["evacuate", "--host", "xen-z", "--plan"], NOT_A_HOST),
    (["restore", "--host", "xen-z", "--plan"], NOT_A_HOST),
])
def test_refused_before_any_host_is_asked(tmp_path, args, message):
    inventory = copy_fixture(tmp_path) / "herd.toml"
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C", "NAGIOS_HERD_INVENTORY": str(inventory),
           "NAGIOS_HERD_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    done = subprocess.run([FAB, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr, done.stdout) == (1, message + "\n", "")
    assert not (tmp_path / "state" / "lock").exists()
