"""The real Pacemaker scheduler on the generated CIB: crm_simulate runs chained through saved states.

Each step reads its results from XML only: placement from crm_simulate's ``<revised_cluster_status>`` (through
:mod:`nagios_herd.parsers.crm_mon`) and the order of actions from the saved transition graph (through
:mod:`nagios_herd.parsers.transition_graph`). The DC is set to an online node after every step, as an election
would, so crm_mon reports quorum on the saved states.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from nagios_herd.parsers import crm_mon, transition_graph

UPTODATE = "10000"  # the promotion score ocf:linbit:drbd sets for UpToDate data


def run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"{argv}: exit {done.returncode}: {done.stderr[-2000:]}"
    return done


@dataclass
class Step:
    state: Path  # the cluster after the step (chain the next step from here)
    status: crm_mon.ClusterStatus  # placement after the step
    graph: transition_graph.Graph  # what the scheduler planned, with its ordering

    def where(self, resource: str) -> list[tuple[str, str]]:
        return sorted(self.status.where(resource))

    def one(self, operation: str, resource: str, node: str) -> transition_graph.Action:
        found = self.graph.find(operation, resource, node)
        assert len(found) == 1, f"{operation} {resource}@{node}: {[a.key for a in self.graph.real()]}"
        return found[0]


class Cluster:
    """A chain of simulated states in ``directory`` starting from a generated CIB."""

    def __init__(self, cib: Path, directory: Path) -> None:
        self.cib = cib
        self.directory = directory
        self.count = 0
        root = ET.parse(cib).getroot()
        self.nodes = [node.get("uname") for node in root.iterfind("./configuration/nodes/node")]
        self.drbd = [primitive.get("id") for primitive in root.iterfind(".//primitive[@type='drbd']")]

    def _next(self, stem: str) -> Path:
        self.count += 1
        return self.directory / f"{self.count:02d}-{stem}"

    def fork(self, state: Path) -> Path:
        """A copy of ``state`` to change (module fixtures share their states between tests)."""
        copy = self._next("fork.xml")
        copy.write_bytes(state.read_bytes())
        return copy

    def seed(self, state: Path, node: str) -> None:
        """What the DRBD agent does when its data is UpToDate on ``node``: set its promotion score."""
        for resource in self.drbd:
            run(["crm_attribute", f"--promotion={resource}", "--node", node, "--update", UPTODATE],
                env={"CIB_file": str(state)})

    def set_dc(self, state: Path, online: list[str]) -> None:
        tree = ET.parse(state)
        tree.getroot().set("dc-uuid", str(self.nodes.index(online[0]) + 1))
        tree.write(state)

    def start(self) -> Path:
        """Both nodes online, nothing running yet, UpToDate data on both (state0)."""
        state = self._next("state0.xml")
        run(["crm_simulate", "--xml-file", str(self.cib), *[f"--node-up={n}" for n in self.nodes], "--run",
             "--save-output", str(state)])
        for node in self.nodes:
            self.seed(state, node)
        self.set_dc(state, self.nodes)
        return state

    def step(self, state: Path, *injections: str) -> Step:
        """One scheduler run from ``state`` with the injections (``--node-fail=x``, ``--op-inject=...``), simulated."""
        after, graph = self._next("state.xml"), self._next("graph.xml")
        done = run(["crm_simulate", "--xml-file", str(state), *injections, "--simulate", "--save-output", str(after),
                    "--save-graph", str(graph), "--output-as=xml"])
        status = crm_mon.parse(done.stdout, revised=True)
        online = [node.name for node in status.nodes if node.online]
        if online:
            self.set_dc(after, online)
        return Step(after, status, transition_graph.parse(graph.read_text()))

    def settle(self, state: Path) -> Step:
        """Run until the scheduler plans nothing more (a real cluster runs transitions until it is idle)."""
        step = self.step(state)
        for _ in range(5):
            if not step.graph.real():
                return step
            step = self.step(step.state)
        raise AssertionError(f"still planning: {[a.key for a in step.graph.real()]}")

    def tool(self, state: Path, *argv: str) -> str:
        """A Pacemaker CLI (crm_resource, crm_attribute, cibadmin) on the saved state, as an operator runs it."""
        return run(list(argv), env={"CIB_file": str(state)}).stdout

    @staticmethod
    def parse_mon(text: str) -> crm_mon.ClusterStatus:
        return crm_mon.parse(text)

    def crm_mon(self, state: Path) -> str:
        return self.tool(state, "crm_mon", "--one-shot", "--inactive", "--output-as=xml")
