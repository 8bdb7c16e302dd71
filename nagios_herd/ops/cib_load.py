"""``fab deploy`` for a herd Pacemaker manages: load the generated CIB into the running cluster, safely.

Order: the CIB is checked here first (``crm_verify`` and the agents' metadata, as ``nagios-herd validate``);
the fence logins are read from the root-only credentials file the inventory names and installed on every node in
Pacemaker's CIB secrets store (``/var/lib/pacemaker/lrm/secrets/RSC/PARAM`` + ``.sign``, the layout ``cibsecret``
writes), so the CIB itself carries only ``lrm://``; the configuration is compared with the running one and only
when it differs copied to a node and loaded with ``cibadmin --replace --scope configuration`` (the cluster's
status section is never touched); ``crm_verify --live-check`` then reads the running cluster, and on a complaint
the previous configuration is put back. ``--plan`` says which of these would happen.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.model import Herd
from nagios_herd.ops import crm
from nagios_herd.ops.remote import Link
from nagios_herd.ops.runner import Options, Run, command_line, load_herd

CIB = "cluster/cib.xml"
SECRETS = "/var/lib/pacemaker/lrm/secrets"
REMOTE_COPY = "/var/lib/nagios-herd/cib-configuration.xml"
REMOTE_OLD = "/var/lib/nagios-herd/cib-configuration.previous.xml"
SECRET_PARAMS = ("username", "password")


def credentials(herd: Herd) -> dict[str, dict[str, str]]:
    """``{host: {"username": ..., "password": ...}}`` from the credentials file, which must be root-only."""
    path = Path(herd.cluster.fence_credentials)
    try:
        info = path.stat()
        if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise HerdError(f"{path}: must belong to the user running fab and be readable by nobody else "
                            f"(chmod 600): it holds the fence logins", exit_code=2)
        document = tomllib.loads(path.read_text())
    except OSError as error:
        raise HerdError(f"{path}: cannot read the fence credentials: {error.strerror}", exit_code=2) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise HerdError(f"{path}: not TOML: {error}", exit_code=2) from None
    logins = {}
    for device in herd.cluster.fencing:
        table = document.get(device.host)
        if not isinstance(table, dict):
            raise HerdError(f"{path}: no [{device.host}] table with the fence login of host {device.host}", exit_code=2)
        for key in SECRET_PARAMS:
            value = table.get(key)
            if not isinstance(value, str) or not value or "\n" in value:
                raise HerdError(f"{path}: {device.host}.{key}: missing or not a one-line string", exit_code=2)
        logins[device.host] = {key: table[key] for key in SECRET_PARAMS}
    return logins


def configuration(cib: Path) -> bytes:
    """The ``<configuration>`` element of the generated CIB, the part ``cibadmin --scope configuration`` takes."""
    try:
        element = ET.parse(cib).getroot().find("configuration")
    except (OSError, ET.ParseError) as error:
        raise HerdError(f"{cib}: {error}") from None
    if element is None:
        raise HerdError(f"{cib}: no <configuration> element")
    return ET.tostring(element)


def _canonical(text: str) -> str:
    try:
        return ET.canonicalize(text, strip_text=True)
    except ET.ParseError:
        return ""


def install_secrets(link: Link, logins: dict[str, dict[str, str]], scratch: Path) -> None:
    """Each fence device's login into the node's CIB secrets store, root-only, with its md5 signature."""
    for host, values in logins.items():
        directory = f"{SECRETS}/fence-{host}"
        result = link.run(["install", "-d", "-m", "0700", directory], timeout=30)
        if not result.ok:
            raise HerdError(f"{link.name}: cannot create {directory} ({result.why()})")
        for key, value in values.items():
            for suffix, content in (("", value), (".sign", hashlib.md5(value.encode()).hexdigest())):
                local = scratch / f"{host}-{key}{suffix}"
                local.write_text(content + "\n")
                target = f"{directory}/{key}{suffix}"
                link.put(local, target + ".new")
                moved = link.run(["sh", "-c", 'chmod 600 "$1.new" && mv -f "$1.new" "$1"', "sh", target], timeout=30)
                if not moved.ok:
                    raise HerdError(f"{link.name}: cannot install {target} ({moved.why()})")


def run(options: Options, *, build: str, plan_only: bool, out: TextIO = sys.stdout) -> int | None:
    """Load the CIB when Pacemaker manages the herd (None when it does not: nothing to do)."""
    herd = load_herd(options.inventory)
    if not herd.cluster.manages_herd:
        return None
    command = command_line("deploy", build=build, plan=plan_only)
    with Run(options, command, mutating=not plan_only) as run_:
        code = load(herd, dict(run_.links), Path(build) / CIB, plan_only=plan_only, out=out)
        if not plan_only:
            run_.journal.write("cluster", "end", "done", command=command, detail="CIB configuration deployed")
        return code


def load(herd: Herd, nodes: dict[str, Link], cib: Path, *, plan_only: bool, out: TextIO) -> int:
    """Check ``cib``, install the fence logins on every reachable node, load the configuration if it changed."""
    from nagios_herd.generate import cib_check

    if not cib.is_file():
        raise HerdError(f"{cib}: missing: run nagios-herd generate first")
    problems = cib_check.check(cib)
    if problems:
        raise HerdError(f"{cib}: fails crm_verify or its agents' metadata, nothing loaded: {problems[0]}")
    wanted = configuration(cib)
    logins = credentials(herd) if herd.cluster.fencing else {}
    node, _ = crm.reachable(list(nodes.values()))
    current = node.run(["cibadmin", "--query", "--scope", "configuration"], timeout=60)
    differs = not current.ok or _canonical(current.stdout) != _canonical(wanted.decode())
    up = [link for link in nodes.values() if not link.down]
    if plan_only:
        print(f"cluster: would install the fence logins of {', '.join(logins) or 'no device'} on "
              f"{', '.join(link.name for link in up)}", file=out)
        print(f"cluster: {cib} passes crm_verify; {'would load it' if differs else 'up to date, would not load'}"
              f" on {node.name}: {crm.show(crm.replace_configuration(REMOTE_COPY))}, then "
              f"{crm.show(crm.LIVE_CHECK)}", file=out)
        return 0
    with tempfile.TemporaryDirectory(prefix="nagios-herd-secrets-") as scratch:
        for link in up:
            install_secrets(link, logins, Path(scratch))
    print(f"cluster: fence logins installed on {', '.join(link.name for link in up)}", file=out)
    if not differs:
        print("cluster: configuration up to date", file=out)
        return 0
    with tempfile.TemporaryDirectory(prefix="nagios-herd-cib-") as scratch:
        (Path(scratch) / "new.xml").write_bytes(wanted)
        (Path(scratch) / "old.xml").write_text(current.stdout)
        node.put(Path(scratch) / "new.xml", REMOTE_COPY)
        node.put(Path(scratch) / "old.xml", REMOTE_OLD)
    loaded = node.run(crm.replace_configuration(REMOTE_COPY), timeout=120)
    if not loaded.ok:
        raise HerdError(f"{node.name}: {crm.show(crm.replace_configuration(REMOTE_COPY))} failed "
                        f"({loaded.why()}); the running configuration is unchanged")
    checked = node.run(list(crm.LIVE_CHECK), timeout=120)
    if not checked.ok and (checked.exited != crm.WARNINGS_ONLY or "Errors found" in checked.stderr):
        node.run(crm.replace_configuration(REMOTE_OLD), timeout=120)
        raise HerdError(f"{node.name}: {crm.show(crm.LIVE_CHECK)} complains about the running cluster "
                        f"({checked.why()}); the previous configuration was loaded back")
    print(f"cluster: configuration loaded on {node.name}", file=out)
    return 0
