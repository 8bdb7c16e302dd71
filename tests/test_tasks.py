"""What the fab tasks refuse before any host is asked, through the real ``fab`` program: every bad value of a
number option, unknown host and guest names, conflicting flags, and the files options and ``NAGIOS_HERD_*`` point
at. Each is one line on stderr naming the option (or variable), a non-zero exit, never a traceback, no lock taken.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from invoke import Collection

from inventory_helpers import ROOT, copy_fixture
from nagios_herd import tasks

FAB = os.path.join(os.path.dirname(sys.executable), "fab")
NOT_A_HOST = "fab: --host 'xen-z': not a host of this herd (primary, backup)"
NOT_A_GUEST = "fab: --guest 'nosuch': not a guest of this herd (alpha, beta, gamma)"


def fab(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``fab`` on a private copy of the small inventory; ``env`` adds (or, empty, removes) variables."""
    inventory = copy_fixture(tmp_path) / "herd.toml"
    base = {"PATH": os.environ["PATH"], "LC_ALL": "C", "NAGIOS_HERD_INVENTORY": str(inventory),
            "NAGIOS_HERD_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path)}
    environment = {name: value for name, value in {**base, **env}.items() if value}
    return subprocess.run([FAB, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("args, message", [
    (["evacuate"], "fab: name the host to empty with --host HOST"),
    (["evacuate", "--plan", "--allow-restart"], "fab: name the host to empty with --host HOST"),
    (["restore"], "fab: name the host with --host HOST"),
    (["restore", "--plan"], "fab: name the host with --host HOST"),
    (["evacuate", "--host", "xen-z", "--plan"], NOT_A_HOST),
    (["restore", "--host", "xen-z", "--plan"], NOT_A_HOST),
])
def test_refused_before_any_host_is_asked(tmp_path, args, message):
    done = fab(tmp_path, *args)
    assert (done.returncode, done.stderr, done.stdout) == (1, message + "\n", "")
    assert not (tmp_path / "state" / "lock").exists()


def test_every_number_option_of_every_task_is_checked_while_fab_reads_the_command_line():
    """Each task's whole-number options are parsed by one of NUMBERS (a new one without an entry fails here)."""
    collection = Collection.from_module(tasks)
    for name in collection.task_names:
        for argument in collection[name].get_arguments():
            assert isinstance(argument, tasks.NumberArgument) == (argument.kind is int), (name, argument)


# (argv, the line on stderr): {tmp} is the test's tmp_path. Every number option at least once, every bound.
BAD_INPUT = [
    (["status", "--connect-timeout", "x"], "fab: --connect-timeout 'x': not a whole number"),
    (["verify", "--connect-timeout=1.5"], "fab: --connect-timeout '1.5': not a whole number"),
    (["deploy", "--connect-timeout", "0"], "fab: --connect-timeout '0': must be at least 1"),
    (["resolve-split-brain", "--connect-timeout", "-3"], "fab: --connect-timeout '-3': must be at least 1"),
    (["status", "--connect-timeout", "86401"], "fab: --connect-timeout '86401': must be at most 86400"),
    (["failover", "--all", "--parallel", "0"], "fab: --parallel '0': must be at least 1"),
    (["rebuild", "--host", "backup", "--parallel", "two"], "fab: --parallel 'two': not a whole number"),
    (["failback", "--all", "--channels", "-2"], "fab: --channels '-2': must be at least 1"),
    (["restore", "--host", "primary", "--channels", ""], "fab: --channels '': not a whole number"),
    (["failover", "--all", "--shutdown-timeout", "1e3"], "fab: --shutdown-timeout '1e3': not a whole number"),
    (["evacuate", "--host", "primary", "--shutdown-timeout", "0"],
     "fab: --shutdown-timeout '0': must be at least 1"),
    (["failback", "--all", "--nagios-wait", "-1"], "fab: --nagios-wait '-1': must be at least 0"),
    (["migrate", "--all", "--transfer-timeout", "0"], "fab: --transfer-timeout '0': must be at least 1"),
    (["evacuate", "--host", "primary", "--transfer-timeout", "inf"],
     "fab: --transfer-timeout 'inf': not a whole number"),
    (["failover", "--guest", "nosuch", "--plan"], NOT_A_GUEST),
    (["migrate", "--guest", "nosuch", "--plan"], NOT_A_GUEST),
    (["failover", "--guest", "alpha", "--all", "--plan"], "fab: name one guest with --guest NAME, or pass --all"),
    (["migrate", "--guest", "alpha", "--all", "--plan"], "fab: name one guest with --guest NAME, or pass --all"),
    (["failover", "--all", "--away-from", "xen-z", "--plan"],
     "fab: --away-from 'xen-z': not a host of this herd (primary, backup)"),
    (["failover", "--all", "--force", "--fenced", "xen-z", "--plan"],
     "fab: --fenced 'xen-z': not a host of this herd (primary, backup)"),
    (["failover", "--all", "--force", "--plan"],
     "fab: --force and --fenced HOST go together: confirm the dead host is powered off"),
    (["failover", "--all", "--allow-stale", "--plan"],
     "fab: --allow-stale only applies to a forced failover (--force --fenced HOST)"),
    (["failover", "--all", "--confirm", "alpha", "--plan"],
     "fab: --confirm GUEST only confirms --allow-stale; drop it or add --allow-stale"),
    (["rebuild", "--host", "primary", "--guest", "alpha", "--plan"],
     "fab: name the replaced host with --host NAME, or one guest with --guest NAME"),
    (["rebuild", "--host", "xen-z", "--plan"], NOT_A_HOST),
    (["resolve-split-brain", "--guest", "alpha", "--victim", "xen-z", "--plan"],
     "fab: --victim 'xen-z': not a host of this herd (primary, backup)"),
    (["status", "--inventory", "{tmp}/missing.toml"], "fab: --inventory {tmp}/missing.toml: No such file or directory"),
    (["status", "--known-hosts", "{tmp}"], "fab: --known-hosts {tmp}: is a directory"),
    (["status", "--identity", "/dev/null"], "fab: --identity /dev/null: not a regular file"),
    (["status", "--state-dir", "{tmp}/file"],
     "fab: --state-dir {tmp}/file: not a directory (a symlink or a file); refusing to use it"),
]
BAD_ENVIRONMENT = [
    ({"NAGIOS_HERD_INVENTORY": "{tmp}/missing.toml"},
     "fab: $NAGIOS_HERD_INVENTORY {tmp}/missing.toml: No such file or directory"),
    ({"NAGIOS_HERD_INVENTORY": "{tmp}"}, "fab: $NAGIOS_HERD_INVENTORY {tmp}: is a directory"),
    ({"NAGIOS_HERD_KNOWN_HOSTS": "{tmp}/missing"},
     "fab: $NAGIOS_HERD_KNOWN_HOSTS {tmp}/missing: No such file or directory"),
    ({"NAGIOS_HERD_KNOWN_HOSTS": "{tmp}"}, "fab: $NAGIOS_HERD_KNOWN_HOSTS {tmp}: is a directory"),
    ({"NAGIOS_HERD_IDENTITY": "{tmp}/missing"}, "fab: $NAGIOS_HERD_IDENTITY {tmp}/missing: No such file or directory"),
    ({"NAGIOS_HERD_IDENTITY": "{tmp}"}, "fab: $NAGIOS_HERD_IDENTITY {tmp}: is a directory"),
    ({"NAGIOS_HERD_STATE_DIR": "{tmp}/file"},
     "fab: $NAGIOS_HERD_STATE_DIR {tmp}/file: not a directory (a symlink or a file); refusing to use it"),
    ({"NAGIOS_HERD_STATE_DIR": "{tmp}/file/state"}, "fab: $NAGIOS_HERD_STATE_DIR {tmp}/file/state: Not a directory"),
]


@pytest.mark.parametrize("args, env, message", [(args, {}, message) for args, message in BAD_INPUT] +
                         [(["failover", "--all", "--plan"], env, message) for env, message in BAD_ENVIRONMENT])
def test_bad_input_is_one_line_naming_the_option(tmp_path, args, env, message):
    (tmp_path / "file").write_text("not a directory\n")
    done = fab(tmp_path, *(arg.format(tmp=tmp_path) for arg in args),
               **{name: value.format(tmp=tmp_path) for name, value in env.items()})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [message.format(tmp=tmp_path)], done.stderr
    assert not (tmp_path / "state" / "lock").exists()
