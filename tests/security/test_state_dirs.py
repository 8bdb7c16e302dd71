"""Root's state (herd lock, journal, state.json, publish's lock) apart from the plugins' nagios-owned state.

Each test plants what an unprivileged user could (as ``nobody`` or ``nagios`` through ``setpriv``) and shows
that root neither writes through it nor lets that user hold its lock.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nagios_herd.errors import HerdError
from nagios_herd.ops import herdstate, journal
from nagios_herd.ops.deploy import KEEP_OLD, OLD, unsafe_dirs_command
from nagios_herd.ops.lock import Lock
from nagios_herd.privilege import PLUGIN_STATE_ENV, private_dir

from .conftest import AS_NAGIOS, AS_NOBODY, as_user

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests/fixtures/ganeti/proc_drbd83_sync_want.txt"
pytestmark = pytest.mark.real


def _drop(shared: Path) -> Path:
    """A sticky world-writable directory (like /tmp) where other users create their own entries."""
    drop = shared / "drop"
    drop.mkdir(exist_ok=True)
    drop.chmod(0o1777)
    return drop


def test_a_state_dir_another_user_owns_or_may_write_is_refused(shared) -> None:
    theirs = _drop(shared) / "theirs"
    assert as_user(AS_NOBODY, ["mkdir", str(theirs)]).returncode == 0
    with pytest.raises(HerdError, match=r"owned by uid 65534, not by root"):
        Lock(theirs, "fab failover").__enter__()
    open_dir = shared / "open"
    open_dir.mkdir()
    open_dir.chmod(0o1777)
    for write in (lambda: Lock(open_dir, "fab x").__enter__(),
                  lambda: journal.Journal(open_dir, "x").write("g", "s", "done"),
                  lambda: herdstate.mark_offline(open_dir, "primary", "test")):
        with pytest.raises(HerdError, match=r"writable by group or others \(mode 1777\)"):
            write()
    assert list(open_dir.iterdir()) == [] and list(theirs.iterdir()) == []
    link = shared / "link"
    link.symlink_to(open_dir)
    with pytest.raises(HerdError, match="not a directory"):
        private_dir(link)


def test_a_symlink_in_roots_state_dir_is_never_written_through(shared) -> None:
    state = shared / "state"
    private_dir(state)
    assert oct(state.stat().st_mode & 0o777) == "0o700"
    victim = shared / "victim"
    victim.write_text("precious\n")
    for name in ("lock", "journal.jsonl"):
        (state / name).symlink_to(victim)
    with pytest.raises(HerdError, match="symlink is never followed"):
        Lock(state, "fab deploy").__enter__()
    with pytest.raises(OSError):
        journal.Journal(state, "fab deploy").write("g", "begin", "done")
    (state / "state.json").symlink_to(victim)
    with pytest.raises(HerdError, match="symlink is never followed"):
        herdstate.load(state)
    (state / "state.json").unlink()
    herdstate.record_placement(state, "lab-db", "primary")
    assert victim.read_text() == "precious\n"
    assert not (state / "state.json").is_symlink() and oct((state / "state.json").stat().st_mode & 0o777) == "0o600"


def test_nobody_cannot_hold_the_herd_lock(shared) -> None:
    state = shared / "state"
    with Lock(state, "fab status"):
        pass
    lock = state / "lock"
    assert oct(lock.stat().st_mode & 0o777) == "0o600" and oct(state.stat().st_mode & 0o777) == "0o700"
    held = as_user(AS_NOBODY, ["flock", "-n", str(lock), "true"])
    assert held.returncode != 0 and "Permission denied" in held.stderr
    old = shared / "old"  # an older install left a 0644 lock in a 0755 directory: nobody can open it...
    old.mkdir()
    (old / "lock").write_text("")
    (old / "lock").chmod(0o644)
    sleeper = subprocess.Popen([*AS_NOBODY, "flock", "--no-fork", str(old / "lock"), "sleep", "30"])
    try:
        time.sleep(0.3)
        with pytest.raises(HerdError, match="another run holds the lock"):
            Lock(old, "fab failover").__enter__()  # ...which is what this fix is about
    finally:
        sleeper.kill()
        sleeper.wait()
    with Lock(old, "fab failover"):  # root's first open tightened it: from now on nobody cannot open it
        assert oct((old / "lock").stat().st_mode & 0o777) == "0o600"
    assert as_user(AS_NOBODY, ["flock", "-n", str(old / "lock"), "true"]).returncode != 0


def test_publish_lock_is_private(shared) -> None:
    from nagios_herd.generate.publish import LOCK, locked

    live = shared / "live"
    private_dir(live, 0o755)
    with locked(live, 0):
        pass
    assert oct((live / LOCK).stat().st_mode & 0o777) == "0o600"
    assert as_user(AS_NOBODY, ["flock", "-n", str(live / LOCK), "true"]).returncode != 0


def test_deploy_keeps_the_old_copy_without_following_a_planted_symlink(shared) -> None:
    etc = shared / "etc"
    etc.mkdir()
    (etc / "volumes.json").write_text("old\n")
    victim = shared / "bashrc"
    victim.write_text("# root's\n")
    (etc / ("volumes.json" + OLD)).symlink_to(victim)
    subprocess.run(["sh", "-c", KEEP_OLD, "sh", str(etc / "volumes.json"), OLD], check=True)
    assert victim.read_text() == "# root's\n"
    assert (etc / ("volumes.json" + OLD)).read_text() == "old\n" and not (etc / ("volumes.json" + OLD)).is_symlink()


def test_deploy_refuses_a_directory_nagios_may_write(shared) -> None:
    mine, theirs, open_dir = shared / "mine", _drop(shared) / "theirs", shared / "open"
    mine.mkdir()
    open_dir.mkdir(mode=0o777)
    open_dir.chmod(0o777)
    assert as_user(AS_NAGIOS, ["mkdir", str(theirs)]).returncode == 0
    found = subprocess.run(unsafe_dirs_command([str(mine), str(theirs), str(open_dir)]),
                           capture_output=True, text=True, check=True)
    assert found.stdout.splitlines() == [f"{theirs} (owner uid {pwd.getpwnam('nagios').pw_uid}, mode 755)",
                                         f"{open_dir} (owner uid 0, mode 777)"]


def _run_check(state_dir: Path, user: list[str]) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", PLUGIN_STATE_ENV: str(state_dir), "PYTHONPATH": str(ROOT)}
    return as_user(user, [sys.executable, str(ROOT / "checks/check_drbd_sync"), "--input", str(FIXTURE),
                          "--stall-time", "0.001"], env=env, cwd="/")


def test_stall_detection_works_as_nagios_and_an_impaired_one_is_a_warning(shared) -> None:
    plugin_state = shared / "plugins"
    installed = subprocess.run(["install", "-d", "-o", "nagios", "-g", "nagios", "-m", "0750", str(plugin_state)])
    assert installed.returncode == 0
    first, second = _run_check(plugin_state, AS_NAGIOS), _run_check(plugin_state, AS_NAGIOS)
    assert (first.returncode, second.returncode) == (1, 2), first.stdout + second.stdout
    assert "resync stalled" in second.stdout and (plugin_state / "check_drbd_sync.json").stat().st_uid != 0
    roots = shared / "roots"  # as shipped before: root's 0755 directory, nagios cannot write
    roots.mkdir()
    impaired = _run_check(roots, AS_NAGIOS)
    assert impaired.returncode == 1 and "stall detection impaired" in impaired.stdout.splitlines()[0]
    assert "WARNING: stall detection impaired" in impaired.stdout


def test_the_watchers_state_is_never_read_or_written_through_a_symlink(shared) -> None:
    from nagios_herd.parsers.watch_state import WatchState
    from nagios_herd.watch.watcher import load_state, paused_until, save_state

    state = shared / "state"
    private_dir(state)
    victim = shared / "victim"
    victim.write_text("precious\n")
    (state / "watch.json").symlink_to(victim)
    (state / "watch.pause").symlink_to(victim)
    with pytest.raises(HerdError, match="symlink is never followed"):
        load_state(state / "watch.json")
    with pytest.raises(HerdError, match="symlink is never followed"):
        paused_until(state / "watch.pause", 0)
    save_state(state / "watch.json", WatchState(0, "ok", "", {}, {}))
    assert victim.read_text() == "precious\n" and not (state / "watch.json").is_symlink()
    assert oct((state / "watch.json").stat().st_mode & 0o777) == "0o600"
