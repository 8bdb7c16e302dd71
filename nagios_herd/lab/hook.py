"""``python -m nagios_herd.lab.hook STATE HOST GUEST started|stopped``: the simulator's domain-event hook.

A domain started on a lab host means the guest is running there: serve it (sshd, and Nagios for
``serve_nagios`` guests); stopped, crashed or destroyed means end what serves it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import HerdError
from . import guests
from .lab import Lab

USAGE = "usage: python -m nagios_herd.lab.hook STATE_DIR HOST GUEST started|stopped"


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[3] not in ("started", "stopped"):
        print(USAGE, file=sys.stderr)
        return 2
    state_dir, host, name, event = argv
    try:
        lab = Lab.open(Path(state_dir))
        guest = lab.herd.guest(name)
        if event == "started":
            guests.serve(lab.layout, lab.herd, guest, host)
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
