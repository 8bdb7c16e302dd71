"""Debian's NRPE daemon on a lab host, as it runs on a dom0: the deployed ``nrpe.d`` file, the nagios user, sudo.

The daemon runs inside the host's mount namespace (entered from the host's sshd), so ``/etc/nagios/nrpe.d``,
``/etc/sudoers.d``, the plugin directory and the simulators are the host's own. Its main configuration is the
lab's (the host's address, a pid and log file of its own); everything a watcher may run, and from where
(``allowed_hosts``), comes from the generated ``nrpe.d/nagios-herd.cfg``, read through ``include_dir``.
Started as root, nrpe drops to ``nagios`` before it runs a command. SSL stays on, as the watcher's
``check_nrpe`` expects by default. Crashing the host ends it with the rest of the namespace.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

from nagios_herd import procs
from nagios_herd.lab.layout import Layout
from nagios_herd.model import XenHost

NRPE = "/usr/sbin/nrpe"
CHECK_NRPE = "/usr/lib/nagios/plugins/check_nrpe"
PORT = 5666
USER = "nagios"
COMMAND_TIMEOUT = 20  # below the watcher's check_nrpe -t, so its message is NRPE's own


def run_dir(layout: Layout, host: str) -> Path:
    return layout.host_dir(host) / "nrpe"


def config(layout: Layout, host: XenHost) -> str:
    """The lab's nrpe.cfg for ``host``: only its address, files and the include of the deployed commands."""
    run = run_dir(layout, host.name)
    return f"""\
log_facility=daemon
debug=1
pid_file={run}/nrpe.pid
server_address={host.address}
server_port={PORT}
nrpe_user={USER}
nrpe_group={USER}
dont_blame_nrpe=0
allow_bash_command_substitution=0
command_timeout={COMMAND_TIMEOUT}
connection_timeout=300
disable_syslog=1
log_file={run}/nrpe.log
include_dir=/etc/nagios/nrpe.d/
"""


def start(layout: Layout, host: XenHost, holder: int) -> dict[str, Any]:
    """Start ``nrpe -f`` in the namespace of ``holder`` (the host's sshd); its identity for the record."""
    run = run_dir(layout, host.name)
    run.mkdir(parents=True, exist_ok=True)
    account = pwd.getpwnam(USER)
    os.chown(run, account.pw_uid, account.pw_gid)  # nrpe re-opens its log as nagios after a SIGHUP
    cfg = run / "nrpe.cfg"
    cfg.write_text(config(layout, host))
    (run / "nrpe.pid").unlink(missing_ok=True)
    argv = ["nsenter", f"--mount=/proc/{holder}/ns/mnt", "--", NRPE, "-c", str(cfg), "-f"]
    process = procs.start_server(argv, run / "nrpe.out", host.address, PORT, f"{host.name}: nrpe")
    return {f"nrpe_{key}": value for key, value in procs.identity(process.pid).items()}


def alive(record: dict[str, Any]) -> bool:
    return procs.alive({key[len("nrpe_"):]: value for key, value in record.items() if key.startswith("nrpe_")})
