"""``drbdsetup`` for the lab: ``status [RES|all] [--verbose] [--statistics] [--json]`` and
``events2 --now [--statistics] [--timestamps] [RES|all]`` in DRBD 9 format.

Like the real one it reports what is configured in the (simulated) kernel of this host: every lab
resource that is up here, whatever the configuration files say. ``events2`` without ``--now`` would
follow changes forever; the simulator has no event stream, so it refuses that with exit 20.
"""

from __future__ import annotations

import sys

from nagios_herd.lab.sim.common import main_wrapper, session
from nagios_herd.lab.sim.drbd_format import events2_now, status_json, status_text
from nagios_herd.lab.sim.drbd_ops import SimError
from nagios_herd.lab.sim.views import resource_view

STATUS_OPTIONS = {"--verbose", "-v", "--statistics", "-s", "--json", "-j"}
EVENTS_OPTIONS = {"--now", "-n", "--statistics", "-s", "--timestamps", "-T"}


def run(argv: list[str]) -> int:
    if not argv or argv[0] not in ("status", "events2"):
        raise SimError([f"drbdsetup: unknown command '{argv[0]}'" if argv else
                        "USAGE: drbdsetup {status|events2} [OPTION...] [{RESOURCE|all}]"], 20)
    command, rest = argv[0], argv[1:]
    allowed = STATUS_OPTIONS if command == "status" else EVENTS_OPTIONS
    flags = {arg for arg in rest if arg.startswith("-") and not arg.startswith("--color")}
    names = [arg for arg in rest if not arg.startswith("-")]
    bad = sorted(flags - allowed)
    if bad or len(names) > 1:
        raise SimError([f"drbdsetup {command}: unrecognized option '{bad[0]}'" if bad
                        else f"drbdsetup {command}: excess arguments"], 20)
    name = names[0] if names else "all"
    if command == "events2" and not flags & {"--now", "-n"}:
        raise SimError(["drbdsetup events2: the lab simulator only answers --now (no event stream)"], 20)
    with session() as (lab, host):
        up = [res for res in sorted(lab.data["resources"]) if lab.side(res, host)["up"]]
        views = [resource_view(lab, res, host) for res in up if name in ("all", res)]
    statistics = bool(flags & {"--statistics", "-s"})
    if command == "events2":
        sys.stdout.write(events2_now(views, statistics=statistics, timestamps=bool(flags & {"--timestamps", "-T"})))
        return 0
    found = bool(views) or name == "all"
    if flags & {"--json", "-j"}:
        sys.stdout.write(status_json(views))
    elif found or not up:
        sys.stdout.write(status_text(views, verbose=bool(flags & {"--verbose", "-v"}), statistics=statistics))
    if not found:
        print(f"{name}: No such resource", file=sys.stderr)
        return 10
    return 0


def main() -> None:
    main_wrapper("drbdsetup", run, 20)


if __name__ == "__main__":
    main()
