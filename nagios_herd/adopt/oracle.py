"""Nagios itself as the judge of what a configuration means: ``nagios4 -v -p`` and its precached object file.

:func:`resolve_files` runs the real ``nagios4`` over exactly the files adopt confined (a temporary main file naming
each one, with the original's object options) and returns the resolved objects; :func:`resolve_tree` does the same
for a generated guest tree. A configuration Nagios refuses comes back as its own ``Error:`` lines.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.parsers.nagios_objects import NagiosObject, parse_objects

NAGIOS = "nagios4"
Resolved = list[tuple[str, NagiosObject]]


class NagiosRefused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _me() -> dict[str, str]:
    return {"nagios_user": pwd.getpwuid(os.geteuid()).pw_name, "nagios_group": grp.getgrgid(os.getegid()).gr_name}


def _run(main: Path, precache: Path, where: str) -> Resolved:
    try:
        result = subprocess.run([NAGIOS, "-v", "-p", str(main)], capture_output=True, text=True, timeout=600,
                                errors="replace")
    except FileNotFoundError:
        raise HerdError(f"{NAGIOS} is not installed: it is needed to resolve the objects exactly as Nagios does",
                        exit_code=2) from None
    except subprocess.TimeoutExpired:
        raise HerdError(f"{where}: {NAGIOS} -v did not finish in 600 s", exit_code=2) from None
    if result.returncode != 0 or not precache.is_file():
        errors = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("Error")]
        errors = [line for line in errors if not line.startswith("Error processing")] or \
            [f"{NAGIOS} -v exited {result.returncode}"]
        raise NagiosRefused([f"{where}: Nagios: {line}" for line in errors])
    return parse_objects(precache.read_text(encoding="utf-8", errors="replace"))


def resolve_files(object_files: list[Path], resource_files: list[Path], options: Mapping[str, str],
                  where: str) -> Resolved:
    """The objects of these files as Nagios resolves them (``where`` names the server in problem lines)."""
    with tempfile.TemporaryDirectory(prefix="nagios-herd-oracle.") as work:
        main = Path(work) / "nagios.cfg"
        precache = Path(work) / "objects.precache"
        lines = [f"cfg_file={path}" for path in object_files]
        lines += [f"resource_file={path}" for path in resource_files]
        lines += [f"{key}={value}" for key, value in options.items()]
        lines += [f"{key}={value}" for key, value in _me().items()]
        lines += [f"precached_object_file={precache}", f"lock_file={work}/nagios.lock",
                  f"temp_path={work}", f"check_result_path={work}"]
        main.write_text("\n".join(lines) + "\n")
        return _run(main, precache, where)


def resolve_tree(guest_tree: Path, where: str) -> Resolved:
    """The objects of a generated guest tree (which holds ``etc/nagios4``), staged and resolved by Nagios."""
    from nagios_herd.nagios.stage import stage

    with tempfile.TemporaryDirectory(prefix="nagios-herd-oracle.") as work:
        precache = Path(work) / "objects.precache"
        main = stage(guest_tree, Path(work), {"precached_object_file": str(precache)})
        return _run(main, precache, where)
