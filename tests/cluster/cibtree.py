"""The cluster tests' shared fixtures (imported by name; a second conftest module would shadow tests/render's)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nagios_herd.generate.buildtree import write_tree
from nagios_herd.generate.render import build

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_INVENTORY = ROOT / "tests" / "render" / "inventory" / "herd.toml"
sys.path.insert(0, str(ROOT / "tests"))  # inventory_helpers


@pytest.fixture(scope="session")
def fixture_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build tree of the fixture inventory (two hosts xen-a/xen-b, guests team-db/team-ops/team-web)."""
    result = build(FIXTURE_INVENTORY)
    output = tmp_path_factory.mktemp("cluster") / "tree"
    write_tree(output, result.files, herd=result.herd.name, inputs_sha256=result.digests.all)
    return output


@pytest.fixture(scope="session")
def cib_text(fixture_tree: Path) -> str:
    return (fixture_tree / "cluster" / "cib.xml").read_text()
