"""Helpers for the inventory tests: a private copy of a small valid inventory, one-line edits, and the CLI run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "inventory"
ROOT = Path(__file__).resolve().parent.parent


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(FIXTURE, target)
    return target


def edit(root: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    """Replace ``old`` (which must occur exactly ``count`` times) by ``new`` in ``root/name``."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line(root: Path, name: str, needle: str, occurrence: int = 1) -> int:
    """The line number of the ``occurrence``-th line of ``root/name`` containing ``needle``."""
    numbers = [n for n, text in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1) if needle in text]
    return numbers[occurrence - 1]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nagios_herd.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)


def adopt(*args: str) -> tuple[int, str, str]:
    """``nagios-herd adopt ARGS``: exit status, stdout, stderr (never a traceback)."""
    result = run_cli("adopt", *args)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr
