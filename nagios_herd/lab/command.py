"""``nagios-herd lab up|status|down|fault``: the two-host rehearsal lab on this machine (root only).

``lab up`` takes ``--inventory FILE``, else ``$NAGIOS_HERD_LAB_INVENTORY``, else the shipped
``etc/lab.toml`` (package data, or the checkout's ``etc/``) — never the herd inventory, whose addresses are real machines (every
address of a lab inventory must be a loopback address). Everything lives below ``--state-dir`` (default
``$NAGIOS_HERD_LAB_DIR`` or ``/var/lib/nagios-herd-lab``), so several labs can run side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from nagios_herd.errors import HerdError
from nagios_herd.lab.layout import SHIPPED_INVENTORY, default_state_dir
from nagios_herd.ops.optionvalues import SECONDS

if TYPE_CHECKING:
    from nagios_herd.lab.lab import Lab

LAB_INVENTORY_ENV = "NAGIOS_HERD_LAB_INVENTORY"
HOST_ACTIONS = ("crash", "revive", "slow-shutdown")
LINK_ACTIONS = ("cut", "heal")


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", metavar="DIR",
                        help="where the lab lives (default $NAGIOS_HERD_LAB_DIR or /var/lib/nagios-herd-lab)")
    common.add_argument("--inventory", metavar="FILE",
                        help=f"lab inventory (default ${LAB_INVENTORY_ENV} or the shipped lab.toml); after up, "
                             "the other actions only check that it is the one the lab runs")
    actions = parser.add_subparsers(dest="lab_action", required=True, metavar="ACTION")
    actions.add_parser("up", parents=[common], help="build and start the lab (idempotent)")
    status = actions.add_parser("status", parents=[common], help="hosts, volumes, guests and DRBD state")
    status.add_argument("--json", action="store_true",
                        help="hosts and guests as JSON (per guest: its host, statusjson URL and pids)")
    actions.add_parser("down", parents=[common], help="stop and remove everything the lab made (idempotent)")
    actions.add_parser("env", parents=[common],
                       help='the export line for fab and nagios-herd (use: eval "$(nagios-herd lab env)")')
    fault = actions.add_parser(
        "fault", parents=[common], help="inject a fault",
        description="HOST crash | HOST revive | HOST slow-shutdown SECONDS | link cut | link heal")
    fault.add_argument("target", metavar="HOST|link")
    fault.add_argument("fault_action", metavar="ACTION",
                       choices=(*HOST_ACTIONS, *LINK_ACTIONS))
    fault.add_argument("seconds", nargs="?", type=SECONDS, metavar="SECONDS")


def run(args: argparse.Namespace) -> int:
    from nagios_herd.lab.lab import Lab, teardown

    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    if args.lab_action == "up":
        from nagios_herd.inventory.loader import load
        from nagios_herd.locate import given_file

        from_env = os.environ.get(LAB_INVENTORY_ENV)
        inventory = (given_file(args.inventory, "--inventory", exit_code=2) if args.inventory
                     else given_file(from_env, f"${LAB_INVENTORY_ENV}", exit_code=2) if from_env
                     else SHIPPED_INVENTORY)
        lab = Lab(state_dir, load(inventory), inventory)
        print(lab.up())
        print(f"for nagios-herd and fab (or: eval \"$(nagios-herd lab env{_state_option(args)})\"):")
        print(export_line(lab))
        return 0
    _same_inventory(state_dir, args.inventory)
    if args.lab_action == "down":
        print(teardown(state_dir))
        return 0
    lab = Lab.open(state_dir)
    if args.lab_action == "env":
        print(export_line(lab))
        return 0
    if args.lab_action == "status":
        from nagios_herd.lab.status import report, report_json

        print(json.dumps(report_json(lab), indent=2, sort_keys=True) if args.json else "\n".join(report(lab)))
        return 0
    _fault(lab, args.target, args.fault_action, args.seconds)
    return 0


def environment(lab: Lab) -> dict[str, str]:
    """Every variable ``nagios-herd`` and ``fab`` need to work on this lab: its inventory, its pinned host keys
    and client key, a state dir of its own for fab's lock and journal (so labs side by side never share one),
    the Nagios URL template (the lab's guests serve plain http) and the credentials its web fronts want."""
    from nagios_herd.lab import guests
    from nagios_herd.ops.nagios_confirm import AUTH_ENV, URL_ENV
    from nagios_herd.ops.runner import STATE_DIR_ENV

    return {"NAGIOS_HERD_INVENTORY": str((lab.record() or {}).get("inventory", lab.inventory)),
            "NAGIOS_HERD_KNOWN_HOSTS": str(lab.known_hosts), "NAGIOS_HERD_IDENTITY": str(lab.client_key),
            STATE_DIR_ENV: str(lab.layout.fab_state_dir), URL_ENV: "http://{address}{path}",
            AUTH_ENV: str(guests.reader_store(lab.layout))}


def export_line(lab: Lab) -> str:
    return shlex.join(["export", *(f"{name}={value}" for name, value in environment(lab).items())])


def _state_option(args: argparse.Namespace) -> str:
    return f" --state-dir {shlex.quote(args.state_dir)}" if args.state_dir else ""


def _same_inventory(state_dir: Path, inventory: str | None) -> None:
    """``--inventory`` after ``up`` names the lab's own inventory, or the command is refused."""
    from nagios_herd.lab.layout import Layout, read_json

    record = read_json(Layout(state_dir).record)
    if inventory is None or record is None:
        return
    if Path(inventory).resolve() != Path(record["inventory"]).resolve():
        raise HerdError(f"lab: the lab in {state_dir} runs {record['inventory']}, not {inventory} "
                        f"(pass --state-dir of that lab)", exit_code=2)


def _fault(lab: Lab, target: str, action: str, seconds: float | None) -> None:
    if seconds is not None and action != "slow-shutdown":
        raise HerdError(f"lab fault: SECONDS only goes with slow-shutdown, not {action}", exit_code=2)
    if target == "link":
        if action not in LINK_ACTIONS:
            raise HerdError(f"lab fault link: ACTION must be cut or heal, not {action!r}", exit_code=2)
        lab.cut_link() if action == "cut" else lab.heal_link()
        print(f"lab: replication link {action}")
        return
    if target not in {host.name for host in lab.herd.hosts}:
        raise HerdError(f"lab fault: unknown host {target!r} (hosts: "
                        f"{', '.join(host.name for host in lab.herd.hosts)}; or 'link')", exit_code=2)
    if action == "slow-shutdown":
        if seconds is None or seconds < 0:
            raise HerdError("lab fault HOST slow-shutdown: SECONDS (>= 0) is required", exit_code=2)
        lab.slow_shutdown(target, seconds)
        print(f"lab: shutdowns on {target} now take {seconds:g}s")
    elif action in ("crash", "revive"):
        lab.crash(target) if action == "crash" else lab.revive(target)
        print(f"lab: {target} {'crashed' if action == 'crash' else 'revived'}")
    else:
        raise HerdError(f"lab fault {target}: ACTION must be crash, revive or slow-shutdown", exit_code=2)
