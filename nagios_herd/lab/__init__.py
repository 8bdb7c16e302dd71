"""The two-host rehearsal lab: sshd per host, LVM on loop devices, xl/drbdadm/drbdsetup simulators.

``nagios_herd.lab.Lab`` is :class:`nagios_herd.lab.lab.Lab` (imported on first use, so the ``nagios-herd``
command stays quick to start).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "Lab":
        from nagios_herd.lab.lab import Lab

        return Lab
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
