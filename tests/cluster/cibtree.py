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

from simulation import Cluster  # noqa: E402


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


@pytest.fixture(scope="module")
def cluster(fixture_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    return Cluster(fixture_tree / "cluster" / "cib.xml", tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def steady(cluster):
    """Both hosts online, every guest started by the cluster (state1)."""
    return cluster.step(cluster.start())


@pytest.fixture(scope="module")
def failed_over(cluster, steady):
    return cluster.step(steady.state, "--node-fail=xen-a")


@pytest.fixture(scope="module")
def returned(cluster, failed_over):
    """xen-a boots and rejoins; its DRBD resyncs (the agent then sets its promotion score again)."""
    back = cluster.step(failed_over.state, "--node-up=xen-a")
    cluster.seed(back.state, "xen-a")
    return cluster.settle(back.state)
