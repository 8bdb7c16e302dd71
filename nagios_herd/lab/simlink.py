"""The lab's side of the simulators (``nagios_herd.lab.sim``): install, initialise, inject faults.

The simulators own the replicated state (``STATE/sim``); the lab installs their wrappers, writes the
``hooks/domain-event`` hook that serves guests and the ``hooks/connection-lost`` hook that levels their
disks (both :mod:`nagios_herd.lab.hook`), and forwards faults.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path

from nagios_herd.lab import sim
from nagios_herd.lab.layout import Layout
from nagios_herd.lab.sim import faults, hooks, state
from nagios_herd.model import Herd

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def install(layout: Layout, herd: Herd) -> None:
    """Wrappers in ``STATE/bin``, a fresh shared state (guests running on their preferred hosts), the hooks."""
    sim.install_wrappers(str(layout.bin_dir), sys.executable, str(REPO_ROOT))
    state.init_state(str(layout.sim_dir), herd)
    layout.hook.parent.mkdir(parents=True, exist_ok=True)
    layout.hook.write_text(
        "#!/bin/sh\n# domain-event HOST GUEST started|stopped: serve or stop the guest (nagios-herd lab)\n"
        f"exec '{sys.executable}' -m nagios_herd.lab.hook '{layout.root}' \"$@\"\n"
    )
    lost = layout.sim_dir / state.LOST_HOOK
    lost.write_text(
        "#!/bin/sh\n# connection-lost RES PRIMARY PEER STATE: the peer keeps the guest's files as of now\n"
        f"exec '{sys.executable}' -m nagios_herd.lab.hook '{layout.root}' \"$2\" \"$1\" parted \"$3\" \"$4\"\n"
    )
    for hook in (layout.hook, lost):
        hook.chmod(0o755)


def reset(layout: Layout, herd: Herd, resync_rate_mib: float | None) -> None:
    """A fresh simulator state (no queued domain events)."""
    state.init_state(str(layout.sim_dir), herd, resync_rate_mib=resync_rate_mib)


def hooks_paused(layout: Layout) -> AbstractContextManager[None]:
    """No domain-event hook runs inside this block (see :func:`nagios_herd.lab.sim.hooks.pause_hooks`)."""
    return hooks.pause_hooks(str(layout.sim_dir))


def running_guests(layout: Layout) -> dict[str, str]:
    """guest -> host for every domain the simulator has running (crashed hosts run nothing)."""
    snapshot = state.snapshot(str(layout.sim_dir))
    placed = {}
    for host, domains in snapshot["domains"].items():
        if snapshot["hosts"][host].get("alive", True):
            placed.update({name: host for name in domains})
    return placed


def crash(layout: Layout, host: str) -> None:
    faults.crash(str(layout.sim_dir), host)


def revive(layout: Layout, host: str) -> None:
    faults.revive(str(layout.sim_dir), host)


def cut_link(layout: Layout) -> None:
    faults.cut_link(str(layout.sim_dir))


def heal_link(layout: Layout) -> None:
    faults.heal_link(str(layout.sim_dir))


def slow_shutdown(layout: Layout, host: str, seconds: float) -> None:
    faults.slow_shutdown(str(layout.sim_dir), host, seconds)


def set_resync_rate(layout: Layout, mib_per_second: float) -> None:
    faults.set_resync_rate(str(layout.sim_dir), mib_per_second)
