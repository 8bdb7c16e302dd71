"""``nagios-herd adopt --team NAME PATH/TO/nagios.cfg``: move an existing Nagios server into a team's file.

Nagios itself reads the server (``nagios4 -v -p`` over exactly the files the main file names, confined to the
adopted tree), so the team file holds what that Nagios resolved, not a re-implementation of its inheritance. The
team's ``[team]`` table is kept; everything else is *replaced* (re-running adopt converges). Before anything is
written the candidate is validated with the whole inventory, the guest's tree is generated and resolved by Nagios
too, and the two resolved configurations are compared: any difference in what runs when and who is told is one
line each, exit 2, and the team file stays untouched. ``--diff`` prints those differences for the inventory as it
is, the operator's proof before the old server is switched off (exit 1 when there are any).

The server's ``$USERn$`` values are secrets: the team file keeps the macros, and the values the herd's resource file
does not share go to the root-only file the herd file names for the guest (``[guests.NAME] resource_secrets``),
written together with the team file (each replaced in one rename; the first put back if the second fails).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

_NAGIOS_FIELDS = {
    "contacts": {"name": "contact_name"},
    "commands": {"name": "command_name", "line": "command_line"},
    "hosts": {"name": "host_name", "groups": "hostgroups", "contacts": "contacts/contact_groups"},
    "services": {"host": "host_name", "description": "service_description", "command": "check_command",
                 "args": "check_command", "contacts": "contacts/contact_groups", "groups": "servicegroups"},
}
_ARRAYS = ("contacts", "commands", "hosts", "services", "timeperiods", "host_dependencies", "service_dependencies",
           "host_escalations", "service_escalations")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", required=True, metavar="NAME", help="the team ([team] name, or its guest's name)")
    parser.add_argument("--inventory", metavar="FILE", help="herd inventory (default: $NAGIOS_HERD_INVENTORY, "
                        "/etc/nagios-herd/herd.toml, ./etc/herd.toml)")
    parser.add_argument("--tree", metavar="DIR", help="every file the server reads must lie under DIR (default: "
                        "the directory of its nagios.cfg)")
    parser.add_argument("--diff", action="store_true", help="change nothing: print how the herd's generated Nagios "
                        "for this team differs from the server, one line each (exit 1 if it does)")
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


def find_team(inventory_path: Path, wanted: str) -> tuple[Path, str, dict[str, Any], str]:
    """The team file (path, name for messages, parsed document, guest) of the team named ``wanted``, else of the
    guest of that name."""
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
    return inventory_path.parent / include, team_file_name(inventory_path, include), document or {}, chosen[0]


def explain(problems: list[str], team_file: str, origins: dict[str, Any], source: str) -> list[str]:
    """Problem lines about adopted entries, re-pointed at the Nagios object (and directive) they came from."""
    pattern = re.compile(rf"^{re.escape(team_file)}: ({'|'.join(_ARRAYS)})\[(\d+)\](?:\.(\w+))?"
                         r"[^:]*: (.*?)(?: \(line \d+\))?$")
    lines = []
    for line in problems:
        match = pattern.match(line)
        if match and int(match.group(2)) < len(origins.get(match.group(1), ())):
            array, index, key, problem = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            origin = origins[array][index]
            field = _NAGIOS_FIELDS.get(array, {}).get(key, key) if key and key != "nagios" else "definition"
            lines.append(f"{source}: {origin.kind} {origin.name!r}: {field}: {problem}")
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


def _herd_macros(inventory_path: Path) -> dict[str, str]:
    """The ``$USERn$`` every guest's resource file defines (from ``[paths]``), which the team's commands share."""
    from nagios_herd.generate.resource_macros import herd_macros
    from nagios_herd.model import Paths

    paths = (_toml(inventory_path) or {}).get("paths")
    paths = paths if isinstance(paths, dict) else {}
    return herd_macros(Paths(**{key: str(value) for key, value in paths.items() if key in Paths.__annotations__}))


def _secrets_problems(adopted: Any, secrets: str, herd_file: str, guest: str, source: Path) -> list[str]:
    """Why the team's ``$USERn$`` values cannot go to the guest's resource secrets file (never quoting one)."""
    from nagios_herd.generate.resource_macros import number, value_problem

    server = {new: old for old, new in adopted.moved.items()}
    if adopted.macros and not secrets:
        names = ", ".join(f"${name}$" for name in sorted((server.get(new, new) for new in adopted.macros), key=number))
        return [f"{herd_file}: guests.{guest}.resource_secrets: not set, but the team's commands use {names} of "
                "the server's resource file, whose values are secrets and never go into the team file: name a "
                f"root-only file for them in [guests.{guest}] (e.g. resource_secrets = "
                f"\"/etc/nagios-herd/resource/{guest}.toml\") and adopt again"]
    return [f"{source}: resource file: ${server.get(name, name)}$: {problem}"
            for name, value in adopted.macros.items() if (problem := value_problem(value))]


@contextmanager
def _restored_on_failure(path: Path) -> Iterator[None]:
    """``path`` as it was (or gone again) when the block fails: two files that change together or not at all."""
    from nagios_herd.privilege import replace_private

    before = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    try:
        yield
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            replace_private(path, before)
        raise


def _write_secrets(path: Path, data: bytes) -> None:
    """Replace the root-only secrets file (0600, in a directory only root may write) unless it already holds
    ``data`` with that mode."""
    from nagios_herd.privilege import private_dir, replace_private

    if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o077 == 0 and path.read_bytes() == data:
        return
    private_dir(path.parent, what="resource secrets directory")
    replace_private(path, data)


def _read_server(source: Path, tree: str | None) -> tuple[Any, Any]:
    """The confined file list of the server and what Nagios resolved from it; problems raise InventoryError."""
    from nagios_herd.adopt.oracle import NagiosRefused, resolve_files
    from nagios_herd.adopt.tree import server_files
    from nagios_herd.errors import HerdError, InventoryError

    if not source.is_file():
        raise HerdError(f"{source}: no such Nagios main config file", exit_code=2)
    if tree and not Path(tree).is_dir():
        raise HerdError(f"--tree {tree}: not a directory", exit_code=2)
    files = server_files(source, Path(tree) if tree else None)
    if files.problems:
        raise InventoryError(files.problems)
    try:
        return files, resolve_files(files.object_files, files.resource_files, files.options, str(source))
    except NagiosRefused as refused:
        raise InventoryError(refused.problems) from None


def _summary(adopted: Any, secrets: str) -> list[str]:
    """One line per kind of object: how many were adopted and what was renamed; the macros' names, never values."""
    lines = []
    for array in _ARRAYS:
        count = len(adopted.arrays.get(array, ()))
        renamed = [f"{old.split(' ', 1)[1]} -> {new}" for old, new in adopted.renamed.items()
                   if old.startswith(array.rstrip("s") + " ")]
        if count or renamed:
            lines.append(f"  {array}: {count}" + (f" (renamed: {', '.join(renamed)})" if renamed else ""))
    if adopted.macros:
        from nagios_herd.generate.resource_macros import number

        moved = [f"${old}$ -> ${new}$" for old, new in adopted.moved.items()]
        lines.append(f"  $USERn$ in {secrets}: {', '.join(f'${name}$' for name in sorted(adopted.macros, key=number))}"
                     + (f" (renamed: {', '.join(moved)})" if moved else ""))
    return lines


def run(args: argparse.Namespace) -> int:
    from nagios_herd.adopt.reader import team_content
    from nagios_herd.adopt.verify import differences
    from nagios_herd.errors import InventoryError
    from nagios_herd.generate import resource_macros
    from nagios_herd.inventory.loader import load
    from nagios_herd.inventory.toml_writer import dumps
    from nagios_herd.locate import find_inventory

    inventory_path = find_inventory(args.inventory)
    team_path, team_file, document, guest = find_team(inventory_path, args.team)
    source = Path(args.nagios_cfg)
    files, resolved = _read_server(source, args.tree)
    if args.diff:
        lines = differences(load(inventory_path), guest, resolved, files.user_macros)
        for line in lines:
            print(line)
        print(f"{team_file}: {len(lines)} differences from {source}" if lines else
              f"{team_file}: guest {guest} resolves exactly as {source}")
        return 1 if lines else 0
    team = document.get("team", {})
    herd_commands = {name: table.get("line") for name, table in _tables(_toml(inventory_path), "commands").items()}
    adopted = team_content(resolved, herd_commands, _herd_macros(inventory_path), files.user_macros,
                           str(team.get("name", args.team)))
    text = dumps({"team": team, **{array: adopted.arrays.get(array, []) for array in _ARRAYS}},
                 header=f"# Adopted from {source} by nagios-herd adopt; a new adopt replaces everything but [team].")
    try:
        herd = load(inventory_path, replace={team_path.resolve(): text})
    except InventoryError as error:
        raise InventoryError(explain(error.problems, team_file, adopted.origins, str(source))) from None
    secrets = herd.guest(guest).resource_secrets
    problems = _secrets_problems(adopted, secrets, str(inventory_path), guest, source)
    if problems:
        raise InventoryError(problems)
    lines = differences(herd, guest, resolved, files.user_macros, adopted.macros)
    if lines:
        raise InventoryError([f"{source}: the herd's Nagios would differ: {line}" for line in lines])
    target = team_path.resolve()  # a symlinked team file stays a symlink
    with _restored_on_failure(Path(secrets)) if secrets else nullcontext():
        if secrets:
            _write_secrets(Path(secrets), resource_macros.text(adopted.macros, str(source)))
        if target.read_bytes() != text.encode():  # a re-run with the same input writes nothing
            write_atomically(target, text)
    print(f"{team_file}: adopted from {source}; guest {guest} resolves exactly as the server (Nagios checked both)")
    for line in _summary(adopted, secrets):
        print(line)
    return 0
