"""The simulator's hooks: ``python -m nagios_herd.lab.hook STATE HOST GUEST EVENT [PEER SHARED]``.

``started``/``stopped`` (``hooks/domain-event``): a domain started on a lab host means the guest is
running there: serve it (sshd, and Nagios for ``serve_nagios`` guests); stopped, crashed or destroyed
means end what serves it; ``paused``/``unpaused`` stop and continue every process serving it (a paused
domain runs nothing); ``migrated`` (live migration to HOST) keeps the very processes serving it and
moves its disk to HOST. ``parted PEER SHARED`` (``hooks/connection-lost``): HOST, Primary of the
guest's resource, lost PEER while both held SHARED (JSON gen/data/history): the peer's copy of the
guest's disk becomes HOST's as of now (:func:`nagios_herd.lab.disks.part`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.lab import disks, guests
from nagios_herd.lab.lab import Lab
from nagios_herd.lab.layout import Layout

EVENTS = ("started", "stopped", "migrated", "paused", "unpaused")
USAGE = ("usage: python -m nagios_herd.lab.hook STATE_DIR HOST GUEST started|stopped|migrated|paused|unpaused"
         "|parted PEER SHARED_JSON")


def _part(state_dir: str, host: str, name: str, peer: str, shared: str) -> int:
    try:
        state = json.loads(shared)
        stamp = {"gen": state["gen"], "data": int(state["data"]), "history": list(state["history"])}
    except (ValueError, KeyError, TypeError):
        print(f"lab hook: {host} {name} parted: bad shared state {shared!r}", file=sys.stderr)
        return 2
    disks.part(Layout(Path(state_dir)), name, host, peer, stamp)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 6 and argv[3] == "parted":
        return _part(argv[0], argv[1], argv[2], argv[4], argv[5])
    if len(argv) != 4 or argv[3] not in EVENTS:
        print(USAGE, file=sys.stderr)
        return 2
    state_dir, host, name, event = argv
    try:
        lab = Lab.open(Path(state_dir))
        guest = lab.herd.guest(name)
        if event == "started":
            guests.serve(lab.layout, lab.herd, guest, host)
        elif event == "migrated":
            guests.migrate(lab.layout, lab.herd, guest, host)
        elif event in ("paused", "unpaused"):
            guests.freeze(lab.layout, guest.name, host, event == "paused")
        else:
            guests.stop(lab.layout, guest.name, host)
    except KeyError:
        print(f"lab hook: unknown guest {name!r}", file=sys.stderr)
        return 1
    except HerdError as error:
        print(f"lab hook: {host} {name} {event}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
