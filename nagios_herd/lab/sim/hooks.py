"""The domain-event hook runner: ``python -m nagios_herd.lab.sim.hooks STATE_DIR``.

Started in its own session by any simulator command that queued a domain event (or left a shutdown
to finish later). It runs ``$STATE_DIR/hooks/domain-event HOST GUEST started|stopped`` for each event
in order, once each, when the event is due (a guest counts as started when its boot time has passed),
so ``xl`` never waits for the lab's guest services. One runner at a time (``hooks.lock``); a runner
that finds nothing to do exits. :func:`pause_hooks` holds the same lock so that no hook runs while the
lab changes what hooks act on (crash, link cut, reset, teardown).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from nagios_herd.lab.sim.state import HOOK, SimStateError, locked, transaction

HOOK_TIMEOUT = 120
LOCK = "hooks.lock"


@contextmanager
def pause_hooks(state_dir: str) -> Iterator[None]:
    """No domain-event hook runs inside this block: waits for one that is running, keeps the next out
    (events queued meanwhile fire afterwards). A state directory that does not exist has no hooks."""
    if not os.path.isdir(state_dir):
        yield
        return
    with locked(state_dir, LOCK):
        yield


def run(state_dir: str) -> int:
    try:
        with locked(state_dir, LOCK):
            return _fire_due(state_dir)
    except SimStateError:
        return 0  # the lab went away under us: nothing left to tell


def _fire_due(state_dir: str) -> int:
    while True:
        with transaction(state_dir, spawn=False) as lab:
            if lab.data.get("hooks_stopped"):
                return 0
            events = lab.data["events"]
            event = events.pop(0) if events and events[0][3] <= lab.now else None
            wake = events[0][3] if events else lab.pending_deadline()
        if event is not None:
            _fire(state_dir, *event[:3])
        elif wake is None:
            return 0
        else:
            time.sleep(min(max(wake - time.time(), 0.01), 5.0))


def _fire(state_dir: str, host: str, guest: str, what: str) -> None:
    hook = os.path.join(state_dir, HOOK)
    if not os.access(hook, os.X_OK):
        return
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {hook} {host} {guest} {what}", flush=True)
    try:
        result = subprocess.run([hook, host, guest, what], stdin=subprocess.DEVNULL,  # noqa: S603
                                timeout=HOOK_TIMEOUT, check=False)
        if result.returncode:
            print(f"  exited with status {result.returncode}", flush=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"  failed: {exc}", flush=True)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
