"""Which DRBD resources this lab host's configuration defines, as the real ``drbdadm`` reads it.

The simulators keep replication state for every guest of the lab, but (like the real tools) a host
only acts on resources its own configuration defines: ``/etc/drbd.conf`` (which includes
``/etc/drbd.d/*.res``, bind-mounted per lab host) or ``-c FILE``. The installed drbd-utils
``drbdadm`` parses it (``sh-resources`` with ``__DRBD_NODE__`` set to the lab host's name, so
``on <host>`` sections match), so syntax errors are reported by the real parser with its exit code.
"""

from __future__ import annotations

import os
import subprocess

from nagios_herd.lab.sim.drbd_ops import SimError

REAL_DRBDADM = os.environ.get("NAGIOS_HERD_LAB_REAL_DRBDADM", "/usr/sbin/drbdadm")
DEFAULT_CONFIG = "/etc/drbd.conf"
_NOISE = ("   found __DRBD_NODE__ in environment", "   PRETENDING that I am >>", "sh: 1: modinfo: not found")


def real_drbdadm(args: list[str], host: str) -> subprocess.CompletedProcess[str]:
    """Run the installed drbdadm as if on ``host``; stderr loses the pretend banner and the
    ``IP ... not found on this host`` complaint (lab addresses are loopback aliases)."""
    try:
        result = subprocess.run([REAL_DRBDADM, *args], capture_output=True, text=True, check=False,  # noqa: S603
                                env={**os.environ, "__DRBD_NODE__": host})
    except OSError as exc:
        raise SimError([f"drbdadm: cannot run the real {REAL_DRBDADM}: {exc.strerror}"], 20) from None
    kept: list[str] = []
    for line in result.stderr.splitlines():
        if "not found on this host." in line and kept and ", on " in kept[-1]:
            kept.pop()
        elif not line.startswith(_NOISE) and (line.strip() or kept):
            kept.append(line)
    result.stderr = "".join(f"{line}\n" for line in kept)
    return result


def defined_resources(config: str, host: str) -> list[str]:
    """Resource names defined for ``host`` in ``config`` (raises with the real parser's message)."""
    result = real_drbdadm(["-c", config, "sh-resources"], host)
    if result.returncode != 0:
        raise SimError(result.stderr.rstrip("\n").split("\n"), result.returncode)
    return result.stdout.split()
