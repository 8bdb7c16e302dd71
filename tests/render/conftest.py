"""Shared, expensive fixtures of the rendering tests: each shipped inventory is generated once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd.generate.buildtree import write_tree
from nagios_herd.generate.render import build

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_INVENTORY = ROOT / "tests" / "render" / "inventory" / "herd.toml"
SHIPPED = {"herd": ROOT / "etc" / "herd.toml", "lab": ROOT / "etc" / "lab.toml"}


def generate(inventory: Path, output: Path) -> Path:
    result = build(inventory)
    write_tree(output, result.files, herd=result.herd.name, inputs_sha256=result.digests.all)
    return output


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``nagios-herd ARGS`` in a fresh process (the way cron and operators run it)."""
    return subprocess.run([sys.executable, "-m", "nagios_herd.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300, check=False)


@pytest.fixture(scope="session")
def shipped_trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The build trees of etc/herd.toml and etc/lab.toml."""
    base = tmp_path_factory.mktemp("shipped")
    base.chmod(0o755)
    return {name: generate(inventory, base / name) for name, inventory in SHIPPED.items()}
