"""The herd's side of the round trip: one guest's generated tree, resolved by Nagios, ready to compare.

The whole herd is rendered in memory (exactly what ``generate`` writes), the guest's ``etc/nagios4`` is written to a
private (0700) temporary directory and resolved with ``nagios4 -v -p``; the objects the herd adds on its own (the
watcher's monitoring of hosts and guests) are listed so the comparison can tell them from the team's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nagios_herd.adopt.compare import Resolved, compare
from nagios_herd.adopt.oracle import resolve_tree
from nagios_herd.generate.inputs import digests, templates_dir
from nagios_herd.generate.render import render
from nagios_herd.generate.views import guest_view
from nagios_herd.model import Herd
from nagios_herd.parsers.nagios_objects import parse_resource


def differences(herd: Herd, guest: str, original: Resolved, original_macros: dict[str, str],
                team_macros: dict[str, str] | None = None) -> list[str]:
    """What differs between the team's resolved server and guest ``guest``'s generated Nagios, one line each.

    ``team_macros``: the team's ``$USERn$`` values of a candidate not written yet (else its secrets file's).
    """
    templates = templates_dir()
    others = {other.name: {} for other in herd.guests if other.name != guest}  # no other team's secrets are read
    files = render(herd, digests(herd, templates), templates,
                   team_macros=others if team_macros is None else {**others, guest: team_macros})
    view = guest_view(herd, herd.guest(guest))
    herd_only = {("host", host.name) for host in view.meta_hosts}
    herd_only |= {("service", f"{service.host}/{service.description}") for service in view.meta_services}
    prefix = f"guests/{guest}/"
    with tempfile.TemporaryDirectory(prefix="nagios-herd-adopt.") as work:
        tree = Path(work) / "tree"
        for path, data in files.items():
            if path.startswith(prefix):
                target = tree / path[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        generated = resolve_tree(tree, f"generated tree of guest {guest}")
        macros = parse_resource((tree / "etc/nagios4/resource.cfg").read_text(encoding="utf-8"))
    return compare(original, original_macros, generated, macros, herd_only)
