"""``drbdadm`` for the lab: ``python -m nagios_herd.lab.sim.drbdadm [-c FILE] COMMAND [options] RES|all``.

Commands: up, down, primary [--force], secondary, connect [--discard-my-data], disconnect, create-md
[--force], adjust, net-options [--protocol=A|B|C] [--allow-two-primaries[=yes|no]], status [--verbose] [--statistics] [--json], dump, role, cstate, dstate, and the lab-only
``--lab-canary RES`` (this host's copy of the guest's write counter). Resources must be defined for this
host in the configuration (``-c FILE``, else ``$NAGIOS_HERD_LAB_DRBD_CONF``, else ``/etc/drbd.conf``),
read by the real drbdadm; an undefined one gives the real
``'RES' not defined in your config (for this host).`` and exit 1.
"""

from __future__ import annotations

import os
import sys

from nagios_herd.lab.sim import drbd_ops
from nagios_herd.lab.sim.common import main_wrapper, session, this_host
from nagios_herd.lab.sim.drbd_format import status_json, status_text
from nagios_herd.lab.sim.drbd_ops import SimError
from nagios_herd.lab.sim.drbdconf import DEFAULT_CONFIG, defined_resources, real_drbdadm
from nagios_herd.lab.sim.engine import Lab
from nagios_herd.lab.sim.views import resource_view

ACTIONS = {
    "up": drbd_ops.up, "down": drbd_ops.down, "secondary": drbd_ops.secondary,
    "disconnect": drbd_ops.disconnect, "adjust": drbd_ops.adjust,
}
COMMANDS = {*ACTIONS, "primary", "connect", "net-options", "create-md", "status", "dump", "role", "cstate", "dstate",
            "--lab-canary"}
USAGE = "USAGE: drbdadm [-c FILE] COMMAND [OPTION...] {all|RESOURCE...}"


class Request:
    """One parsed command line (a plain class: ``dataclasses`` costs start-up time on every call)."""

    def __init__(self, config: str) -> None:
        self.command = ""
        self.resources: list[str] = []
        self.config = config
        self.flags: set[str] = set()
        self.values: dict[str, str] = {}


def parse(argv: list[str]) -> Request:
    req = Request(os.environ.get("NAGIOS_HERD_LAB_DRBD_CONF", DEFAULT_CONFIG))
    args = iter(argv)
    for arg in args:
        if arg in ("-c", "--config-file"):
            req.config = next(args, "")
        elif arg.startswith("--config-file="):
            req.config = arg.split("=", 1)[1]
        elif arg == "--lab-canary" and not req.command:
            req.command = arg
        elif arg in ("-v", "--verbose"):
            req.flags.add("--verbose")
        elif arg in ("-s", "--statistics"):
            req.flags.add("--statistics")
        elif arg.startswith("-") and arg != "--":
            key, _, value = arg.partition("=")
            req.flags.add(key)
            req.values[key] = value
        elif arg != "--" and not req.command:
            req.command = arg
        elif arg != "--":
            req.resources.append(arg)
    if req.command not in COMMANDS or not req.config:
        raise SimError([f"drbdadm: Unknown command '{req.command}'" if req.command else USAGE], 1)
    return req


KERNEL_VERSION = ("DRBD_KERNEL_VERSION_CODE=0x090208", "DRBD_KERNEL_VERSION=9.2.8")  # the simulated module


def _version(host: str) -> int:
    """The real drbdadm's version lines, with the simulated kernel module's version filled in."""
    with session():
        pass
    result = real_drbdadm(["--version"], host)
    for line in result.stdout.splitlines():
        key = line.split("=", 1)[0]
        sys.stdout.write(next((v for v in KERNEL_VERSION if v.startswith(key + "=")), line) + "\n")
    return result.returncode


def run(argv: list[str]) -> int:
    if "--version" in argv or "-V" in argv:
        return _version(this_host())
    req = parse(argv)
    host = this_host()
    defined = defined_resources(req.config, host)
    if req.command == "status" and not req.resources:
        req.resources = ["all"]
    if not req.resources:
        raise SimError([USAGE], 1)
    targets = defined if req.resources == ["all"] else req.resources
    for name in targets:
        if name not in defined:
            raise SimError([f"'{name}' not defined in your config (for this host)."], 1)
    if req.command == "dump":
        return _dump(req, host)
    with session() as (lab, host):
        unknown = [name for name in targets if name not in lab.data["resources"]]
        if req.command == "status" and req.resources == ["all"]:
            targets = [name for name in targets if name not in unknown]  # never up in the simulated kernel
        elif unknown:
            raise SimError([f"{unknown[0]}: not a resource of this lab (nagios-herd lab)"], 10)
        out = _dispatch(lab, host, req, targets)
    sys.stdout.write(out)
    return 0


def _dispatch(lab: Lab, host: str, req: Request, targets: list[str]) -> str:
    if req.command == "status":
        return _status(lab, host, req, targets)
    lines: list[str] = []
    for name in targets:
        if req.command in ACTIONS:
            ACTIONS[req.command](lab, name, host)
        elif req.command == "primary":
            drbd_ops.primary(lab, name, host, force="--force" in req.flags)
        elif req.command == "net-options":
            drbd_ops.net_options(lab, name, host, two_primaries=_yes_no(req, "--allow-two-primaries"),
                                 protocol=req.values.get("--protocol") or None)
        elif req.command == "connect":
            drbd_ops.connect(lab, name, host, discard_my_data="--discard-my-data" in req.flags)
        elif req.command == "create-md":
            confirmed = not sys.stdin.isatty() and sys.stdin.readline().strip() == "yes"
            lines += drbd_ops.create_md(lab, name, host, force="--force" in req.flags, confirmed=confirmed)
        else:
            lines.append(_query(lab, name, host, req.command))
    return "".join(f"{line}\n" for line in lines)


def _yes_no(req: Request, flag: str) -> bool | None:
    """A drbdsetup boolean option: ``--flag`` and ``--flag=yes`` set it, ``--flag=no`` clears it."""
    if flag not in req.flags:
        return None
    value = req.values.get(flag, "") or "yes"
    if value not in ("yes", "no"):
        raise SimError([f"{flag}: invalid value '{value}' (yes or no)"], 20)
    return value == "yes"


def _query(lab: Lab, name: str, host: str, command: str) -> str:
    if command == "--lab-canary":
        return str(lab.side(name, host)["data"])
    if not lab.side(name, host)["up"]:
        what = "device" if command == "dstate" else ("connection" if command == "cstate" else "resource")
        raise SimError([f"{name}: No such {what}"], 10)
    view = resource_view(lab, name, host)
    if command == "role":
        return view["role"]
    if command == "cstate":
        return view["peer"]["cstate"]
    return f"{view['disk']}/{view['peer']['disk']}"


def _status(lab: Lab, host: str, req: Request, targets: list[str]) -> str:
    if req.resources != ["all"]:
        for name in targets:
            if not lab.side(name, host)["up"]:
                raise SimError([f"{name}: No such resource",
                                f"Command 'drbdsetup status {name}' terminated with exit code 10"], 10)
    views = [resource_view(lab, name, host) for name in sorted(targets) if lab.side(name, host)["up"]]
    if "--json" in req.flags:
        return status_json(views)
    return status_text(views, verbose="--verbose" in req.flags, statistics="--statistics" in req.flags)


def _dump(req: Request, host: str) -> int:
    """``dump`` is configuration only: the real drbdadm prints it."""
    with session():
        pass  # a crashed host answers nothing, even for dump
    result = real_drbdadm(["-c", req.config, "dump", *req.resources], host)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def main() -> None:
    main_wrapper("drbdadm", run, 20)


if __name__ == "__main__":
    main()
