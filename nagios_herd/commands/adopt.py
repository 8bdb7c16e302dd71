"""``nagios-herd adopt --team NAME PATH/TO/nagios.cfg``: migrate an existing Nagios server into a team's file.

The team's ``[team]`` table is kept; its contacts, commands, hosts and services are *replaced* by what the server
defines (re-running adopt converges instead of piling up duplicates). The candidate file is validated together
with the whole inventory before anything is written; when it is invalid every offending Nagios object is reported
(its file, line and field) and the team file stays untouched. The write itself is atomic (temp file + rename).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

_NAGIOS_FIELDS = {
    "contacts": {"name": "contact_name"},
    "commands": {"name": "command_name", "line": "command_line"},
    "hosts": {"name": "host_name", "groups": "hostgroups", "contacts": "contacts/contact_groups"},
    "services": {"host": "host_name", "description": "service_description", "command": "check_command",
                 "args": "check_command", "contacts": "contacts/contact_groups"},
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", required=True, metavar="NAME", help="the team ([team] name, or its guest's name)")
    parser.add_argument("--inventory", metavar="FILE", help="herd inventory (default: $NAGIOS_HERD_INVENTORY, "
                        "/etc/nagios-herd/herd.toml, ./etc/herd.toml)")
    parser.add_argument("nagios_cfg", metavar="PATH/TO/nagios.cfg", help="main config file of the server to adopt")


def _toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _tables(document: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """``document[key]`` when it is a table of tables, else {} (the loader reports the malformed shape)."""
    tables = (document or {}).get(key)
    return {name: table for name, table in tables.items() if isinstance(table, dict)} if isinstance(tables, dict) else {}


def find_team(inventory_path: Path, wanted: str) -> tuple[Path, str, dict[str, Any]]:
    """The team file (path, name for messages, parsed document) of the team named ``wanted``, else of the guest."""
    from nagios_herd.errors import HerdError
    from nagios_herd.inventory.loader import load, team_file_name

    herd = _toml(inventory_path)
    if herd is None:
        load(inventory_path)  # raises the precise problems
    teams: dict[str, tuple[str, str, dict[str, Any] | None]] = {}  # guest -> (team name, include, document)
    for guest, table in _tables(herd, "guests").items():
        if isinstance(table.get("team"), str):
            document = _toml(inventory_path.parent / table["team"])
            team = (document or {}).get("team")
            name = team.get("name") if isinstance(team, dict) else None
            teams[guest] = (str(name or guest), table["team"], document)
    chosen = [guest for guest, (name, _, _) in teams.items() if name == wanted] or \
        [guest for guest in teams if guest == wanted]
    if not chosen:
        known = ", ".join(sorted(name for name, _, _ in teams.values()))
        raise HerdError(f"{inventory_path}: no guest has team {wanted!r} (teams: {known})", exit_code=2)
    _, include, document = teams[chosen[0]]
    if document is None:
        load(inventory_path)  # the team file itself is unreadable: report exactly why
    return inventory_path.parent / include, team_file_name(inventory_path, include), document or {}


def explain(problems: list[str], team_file: str, origins: dict[str, Any], source: str) -> list[str]:
    """Problem lines about adopted entries, re-pointed at the Nagios object (file, line, field) they came from."""
    pattern = re.compile(rf"^{re.escape(team_file)}: (contacts|commands|hosts|services)\[(\d+)\](?:\.(\w+))?"
                         r"[^:]*: (.*?)(?: \(line \d+\))?$")
    lines = []
    for line in problems:
        match = pattern.match(line)
        if match and int(match.group(2)) < len(origins[match.group(1)]):
            array, index, key, problem = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            origin = origins[array][index]
            field = _NAGIOS_FIELDS[array].get(key, key) if key else "definition"
            where = f" (line {origin.line})" if origin.line else ""
            lines.append(f"{origin.file}: {origin.kind}[{origin.name}].{field}: {problem}{where}")
        elif line.startswith(f"{team_file}: "):
            lines.append(f"{line} (content adopted from {source})")
        else:
            lines.append(line)
    return lines


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one rename so a reader (cron generate) never sees half a file; keeps its mode."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def run(args: argparse.Namespace) -> int:
    from nagios_herd.adopt.reader import parser_error, read_objects, team_content
    from nagios_herd.errors import HerdError, InventoryError
    from nagios_herd.inventory.loader import load
    from nagios_herd.inventory.toml_writer import dumps
    from nagios_herd.locate import find_inventory

    inventory_path = find_inventory(args.inventory)
    team_path, team_file, document = find_team(inventory_path, args.team)
    source = Path(args.nagios_cfg)
    if not source.is_file():
        raise HerdError(f"{source}: no such Nagios main config file", exit_code=2)
    try:
        objects, errors = read_objects(str(source))
    except Exception as error:  # pynag raises bare ParserError/IOError/UnicodeDecodeError on broken trees
        raise InventoryError([parser_error(error, str(source))]) from None
    if errors:
        raise InventoryError(errors)
    team = document.get("team", {})
    herd_commands = {name: table.get("line") for name, table in _tables(_toml(inventory_path), "commands").items()}
    adopted = team_content(objects, herd_commands, str(team.get("name", args.team)))
    text = dumps({"team": team, "contacts": adopted.contacts, "commands": adopted.commands, "hosts": adopted.hosts,
                  "services": adopted.services},
                 header=f"# Adopted from {source} by nagios-herd adopt; a new adopt replaces everything but [team].")
    try:
        load(inventory_path, replace={team_path.resolve(): text})
    except InventoryError as error:
        raise InventoryError(explain(error.problems, team_file, adopted.origins, str(source))) from None
    write_atomically(team_path.resolve(), text)  # a symlinked team file stays a symlink
    print(f"{team_file}: adopted {len(adopted.hosts)} hosts, {len(adopted.services)} services, "
          f"{len(adopted.contacts)} contacts, {len(adopted.commands)} commands from {source}")
    return 0
