"""Shared helpers for the DRBD tests: fixture loading (transcripts unwrapped) and running the real check."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHECK = ROOT / "checks" / "check_drbd_sync"


def read(name: str) -> str:
    """A fixture as the check reads it (bytes-tolerant, like ``read_input``)."""
    return (FIXTURES / name).read_bytes().decode("utf-8", "replace")


def load(name: str) -> str:
    """A documentation/test-double fixture reduced to the tool output it shows.

    Removes the ``$ cmd`` / ``# cmd`` prompt line and ``...`` elisions of documentation listings, and
    extracts the here-document of a shell test double (``fake_drbdsetup.sh``).
    """
    text = read(name)
    if name.endswith(".sh"):
        return text.split("<<EOF\n", 1)[1].split("\nEOF", 1)[0] + "\n"
    lines = [line for line in text.splitlines() if not line.startswith(("$ ", "# ")) and line.strip() != "..."]
    return "\n".join(lines) + "\n"


def transcript(name: str) -> list[tuple[str, str]]:
    """The ``(command, stdout)`` sections of a drbd-utils ``*.test`` transcript (exit code line dropped).

    ``cat -v`` renders ESC as ``^[``; it is turned back into the byte drbdsetup printed.
    """
    sections = []
    for block in read(name).split("$ ")[1:]:
        lines = block.splitlines()
        command, output = lines[0], lines[1:-1]
        assert lines[-1].strip().isdigit(), f"{name}: transcript section without exit code"
        text = "\n".join(output) + "\n"
        if "cat -v" in command:
            text = text.replace("^[", "\x1b")
        sections.append((command, text))
    return sections


def run_check(*args: str, stdin: bytes | None = None, state_dir: str | os.PathLike | None = None,
              executable: Path = CHECK) -> subprocess.CompletedProcess:
    """Run the real executable (as Nagios would), capturing stdout/stderr as text."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    if state_dir is not None:
        env["NAGIOS_HERD_PLUGIN_STATE_DIR"] = str(state_dir)
    result = subprocess.run([str(executable), *args], input=stdin, capture_output=True, env=env, timeout=60,
                            check=False)
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    return result
