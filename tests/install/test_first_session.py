"""A new user's first session, exactly as docs/install.md gives it, run with the wheel installed in a fresh venv.

The block of commands under "## A first session with the lab" runs line by line in one shell, with only PATH
(the venv's bin first) and the lab's location set from outside: ``NAGIOS_HERD_LAB_DIR`` and
``NAGIOS_HERD_LAB_INVENTORY`` (the packaged lab inventory moved to random loopback addresses, so labs run side by
side). Each command must exit 0.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from nagios_herd.lab.testing import relocated_inventory, unavailable
from tests.install.conftest import ROOT

pytestmark = [pytest.mark.lab, pytest.mark.real]

HEADING = "## A first session with the lab"


def documented_session() -> list[str]:
    """The indented command block under HEADING in docs/install.md."""
    text = (ROOT / "docs" / "install.md").read_text()
    lines = text[text.index(HEADING):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


def test_the_documented_block_is_the_whole_round_trip() -> None:
    session = documented_session()
    assert session[0].startswith("nagios-herd lab up") and session[-1].startswith("nagios-herd lab down")
    tasks = [line.split()[1] for line in session if line.startswith("nagios-herd-fab ")]
    assert tasks == ["status", "failover", "verify", "failback", "verify"]


def test_a_new_users_first_session_succeeds_command_by_command(installed: Path, tmp_path: Path) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    packaged = Path(subprocess.run([str(installed / "python"), "-c", "import nagios_herd.shipped as s;"
                                    "print(s.lab_inventory())"], capture_output=True, text=True,
                                   check=True).stdout.strip())
    inventory = relocated_inventory(tmp_path / "inventory", packaged)
    state = tmp_path / "lab"
    session = documented_session()
    script = "\n".join(f'{line}\necho "@@ $? @@"' for line in session)
    env = {"PATH": f"{installed}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "LC_ALL": "C.UTF-8",
           "NAGIOS_HERD_LAB_DIR": str(state), "NAGIOS_HERD_LAB_INVENTORY": str(inventory)}
    try:
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900, stdin=subprocess.DEVNULL)
    finally:
        subprocess.run([str(installed / "nagios-herd"), "lab", "down", "--state-dir", str(state)],
                       capture_output=True, timeout=300, check=False)
    codes = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("@@ ")]
    failed = [(line, code) for line, code in zip(session, codes) if code]
    assert len(codes) == len(session) and not failed, f"{failed}\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.count("\nresult:\n") == 2 and done.stdout.count("verify: 0 error(s)") == 2
    assert "Nagios answers at http://" in done.stdout and not state.exists()
