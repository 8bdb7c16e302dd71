"""``{ sudo vgs; sudo lvs; } | check_lvm_capacity --input -``: the pipe loses lvs' exit status."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests/fixtures/lvm2-real"
pytestmark = pytest.mark.real


def pipeline(lvs: str) -> subprocess.CompletedProcess:
    script = f'{{ cat "$1"; {lvs}; }} | "$2" --input -'
    return subprocess.run(["sh", "-c", script, "sh", str(REAL / "vgs_json_units_b_nearly_full.json"),
                           str(ROOT / "checks/check_lvm_capacity")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=60)


def test_a_failed_lvs_in_the_pipe_is_unknown_not_ok() -> None:
    failed = pipeline("echo '  /dev/mapper/control: open failed: Permission denied' >&2; false")
    assert failed.returncode == 3, failed.stdout
    assert "vg vg_herd: holds 4 LV(s) but no LV report about it arrived" in failed.stdout


def test_the_same_pipe_with_lvs_answering_is_judged() -> None:
    answered = pipeline(f'cat "{REAL / "lvs_json_units_b_linear.json"}"')
    assert answered.returncode == 0, answered.stdout
    assert answered.stdout.startswith("LVM OK - vg_herd 13.31% free")
