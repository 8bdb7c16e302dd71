"""The README's main job, run as it says, in this checkout, after the rest of the suite has run in it.

``build/`` is where the README's command writes its tree; ``generate`` refuses a directory that is not its own build
tree (rather than deleting it), so anything else the project put there (a test cache, a setuptools build) would make
the README's command fail. The line after ``scripts/bootstrap &&`` is taken from the README itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main_job() -> str:
    """The README's set-up line that installs everything and runs the main job, without its bootstrap."""
    text = (ROOT / "README.md").read_text()
    line = next(line for line in text.splitlines() if line.startswith("scripts/bootstrap && "))
    return line.removeprefix("scripts/bootstrap && ")


def test_the_readmes_main_job_runs_in_the_checkout() -> None:
    job = main_job()
    assert "--output build" in job, job
    done = subprocess.run(["bash", "-c", job], check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not [line for line in done.stdout.splitlines() if line.startswith("FAIL")], done.stdout
    manifest = json.loads((ROOT / "build" / "MANIFEST.json").read_text())
    assert any(path.endswith("etc/nagios4/nagios.cfg") for path in manifest["files"])
