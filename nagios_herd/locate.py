"""Find the herd inventory the same way for every command and every fab task (docs/inventory.md)."""

from __future__ import annotations

import os
from pathlib import Path

from nagios_herd.errors import HerdError

ENV_VAR = "NAGIOS_HERD_INVENTORY"
SYSTEM_INVENTORY = Path("/etc/nagios-herd/herd.toml")
LOCAL_INVENTORY = Path("etc/herd.toml")


def find_inventory(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--inventory``, else ``$NAGIOS_HERD_INVENTORY``, else /etc/nagios-herd/herd.toml, else ./etc/herd.toml."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    for candidate in (SYSTEM_INVENTORY, LOCAL_INVENTORY):
        if candidate.is_file():
            return candidate
    raise HerdError(
        f"no inventory: pass --inventory FILE, set {ENV_VAR}, "
        f"or create {SYSTEM_INVENTORY} or ./{LOCAL_INVENTORY}"
    )
