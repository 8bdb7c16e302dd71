"""Find the herd inventory the same way for every command and every fab task (docs/inventory.md), and check the
files an option or an environment variable points at."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nagios_herd.errors import HerdError

ENV_VAR = "NAGIOS_HERD_INVENTORY"
SYSTEM_INVENTORY = Path("/etc/nagios-herd/herd.toml")
LOCAL_INVENTORY = Path("etc/herd.toml")


def find_inventory(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--inventory``, else ``$NAGIOS_HERD_INVENTORY``, else /etc/nagios-herd/herd.toml, else ./etc/herd.toml."""
    if explicit:
        return given_file(explicit, "--inventory", exit_code=2)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return given_file(from_env, f"${ENV_VAR}", exit_code=2)
    for candidate in (SYSTEM_INVENTORY, LOCAL_INVENTORY):
        if candidate.is_file():
            return candidate
    raise HerdError(
        f"no inventory: pass --inventory FILE, set {ENV_VAR}, "
        f"or create {SYSTEM_INVENTORY} or ./{LOCAL_INVENTORY}"
    )


def given_file(path: str | os.PathLike[str], source: str, *, exit_code: int = 1) -> Path:
    """``path`` when it is a file this user can read; otherwise one line naming ``source`` (the option or the
    environment variable it came from), the path and what is wrong, before anything else runs."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            problem = "is a directory" if os.path.isdir(path) else "not a regular file"
            raise HerdError(f"{source} {os.fspath(path)}: {problem}", exit_code=exit_code)
        with open(path, "rb"):
            pass
    except OSError as error:
        raise HerdError(f"{source} {os.fspath(path)}: {error.strerror or error}", exit_code=exit_code) from None
    return Path(path)
