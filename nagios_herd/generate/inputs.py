"""What a rendering depends on, as digests: the headers' inputs sha and publish's no-change stamp.

:func:`digests` names files relative to the main inventory file, so a checkout's location does not matter, and
is scoped: host files carry a digest of the main file and the host templates; the cluster's CIB, of the main file and
the cluster templates; a guest's files, of the main file, the guest templates and that guest's team file. Editing one team's file therefore
changes only that guest's tree, and publish reloads only that guest.

``stamp`` is publish's cheap "did anything change?" test: a map of absolute path → sha256 over the inventory
files, the templates and the generator's own modules, which can be re-hashed in milliseconds without parsing the
inventory. If the main file is unchanged, the set of team files it includes is unchanged too, so re-hashing the
recorded files is sufficient.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from nagios_herd import shipped

if TYPE_CHECKING:  # publish's no-change path imports this module and must stay light
    from nagios_herd.model import Herd

TEMPLATES_ENV = "NAGIOS_HERD_TEMPLATES"
GENERATOR_MODULES = ("generate/buildtree.py", "generate/drbd_auth.py", "generate/filters.py", "model.py",
                     "generate/render.py", "generate/inputs.py", "generate/resource_macros.py",
                     "generate/teamobjects.py", "generate/views.py", "generate/web_users.py")


def templates_dir() -> Path:
    """``$NAGIOS_HERD_TEMPLATES`` if set, else the shipped templates (package data, or a checkout's ``templates/``)."""
    override = os.environ.get(TEMPLATES_ENV)
    return Path(override) if override else shipped.templates()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inventory_files(herd: Herd) -> list[Path]:
    """The main inventory file and every team file it includes."""
    files = {Path(herd.source)} | {Path(guest.team.source) for guest in herd.guests if guest.team.source}
    return sorted(files)


def template_files(templates: Path) -> list[Path]:
    return sorted(path for path in templates.rglob("*") if path.is_file())


class Digests(NamedTuple):  # not a dataclass: publish's no-change path imports this module
    hosts: str  # main inventory file + the host templates
    guests: dict[str, str]  # guest -> main file + its team file + the guest templates
    all: str  # every input: the manifest's inputs_sha256
    cluster: str = ""  # main inventory file + the cluster templates (the CIB)


def _combine(entries: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def digests(herd: Herd, templates: Path) -> Digests:
    """sha256 over (kind, relative name, content sha) of the inputs of each part of the tree."""
    base = Path(herd.source).parent
    main = f"inventory\0{os.path.basename(herd.source)}\0{_sha(Path(herd.source))}"
    kinds: dict[str, list[str]] = {"host": [], "guest": []}
    for path in template_files(templates):
        name = path.relative_to(templates).as_posix()
        for kind in kinds if "/" not in name else [name.split("/", 1)[0]]:
            kinds.setdefault(kind, []).append(f"template\0{name}\0{_sha(path)}")
    teams = {guest.name: f"team\0{os.path.relpath(guest.team.source, base)}\0{_sha(Path(guest.team.source))}"
             for guest in herd.guests}
    return Digests(hosts=_combine([main, *kinds["host"]]),
                   guests={name: _combine([main, *kinds["guest"], team]) for name, team in teams.items()},
                   all=_combine([main, *(entry for entries in kinds.values() for entry in entries),
                                 *teams.values()]),
                   cluster=_combine([main, *kinds.get("cluster", [])]))


def stamp_files(herd: Herd, templates: Path) -> list[Path]:
    """Every file whose change may change the output (for publish's no-change test)."""
    package = Path(__file__).resolve().parent.parent
    secrets = [Path(path) for path in (herd.drbd_secrets, herd.web_secrets,  # a rotated secret is a change
                                       *(guest.resource_secrets for guest in herd.guests)) if path]
    return [*(path.resolve() for path in inventory_files(herd)), *secrets,
            *(path.resolve() for path in template_files(templates)),
            *(package / name for name in GENERATOR_MODULES)]


def stamp(files: list[Path]) -> dict[str, str]:
    """``{absolute path: sha256}``; a missing file maps to ``""`` so its disappearance is a change."""
    result = {}
    for path in files:
        try:
            result[str(path)] = _sha(path)
        except OSError:
            result[str(path)] = ""
    return result
