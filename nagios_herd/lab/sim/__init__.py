"""Simulators of ``xl``, ``drbdadm`` and ``drbdsetup`` for the two-host lab, sharing one replication state.

Each lab host runs the simulators as plain executables (see :func:`install_wrappers`); they know who they
are from ``LAB_HOST`` and find the lab's shared state in ``NAGIOS_HERD_LAB_STATE``. Modules: ``state``
(file, lock, init, canary API), ``engine`` (replication and guest semantics), ``drbd_ops`` (drbdadm
actions with the real refusals), ``views`` + ``drbd_format`` (what drbdsetup reports, in DRBD 9
formats), ``xl`` (reads xl.cfg with :mod:`nagios_herd.parsers.xlcfg`), ``drbdadm``/``drbdsetup`` (entry points),
``faults`` (fault injection), ``hooks`` (domain-event hook runner).
"""

from __future__ import annotations

import os

TOOLS = ("xl", "drbdadm", "drbdsetup")


def install_wrappers(bin_dir: str, python: str, repo_root: str) -> list[str]:
    """Write ``bin_dir/{xl,drbdadm,drbdsetup}``: tiny shell scripts that exec the simulators with
    ``python`` and the checkout at ``repo_root`` first on ``PYTHONPATH``. Returns the paths written."""
    import shlex  # here, not at the top: every simulator run imports this package

    os.makedirs(bin_dir, exist_ok=True)
    written = []
    for tool in TOOLS:
        path = os.path.join(bin_dir, tool)
        text = ("#!/bin/sh\n"
                f"# nagios-herd lab simulator of {tool}\n"
                f"PYTHONPATH={shlex.quote(repo_root)}${{PYTHONPATH:+:$PYTHONPATH}}\n"
                "export PYTHONPATH\n"
                f"exec {shlex.quote(python)} -sS -m nagios_herd.lab.sim.{tool} \"$@\"\n")
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        written.append(path)
    return written
