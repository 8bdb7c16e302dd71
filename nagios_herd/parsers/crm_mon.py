"""Pacemaker cluster status as XML: ``crm_mon --output-as=xml`` (2.0+), the older ``crm_mon --as-xml``, and the
``<cluster_status>``/``<revised_cluster_status>`` sections of ``crm_simulate --output-as=xml``: one format for
nodes and resources, read by the check, by ``fab status`` and by the simulation tests.

Pure: text in, :class:`ClusterStatus` out. A clone's instances are reported one per instance with ``clone`` set;
a resource instance is on the nodes listed under it (a Stopped instance is on none).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


class CrmMonError(ValueError):
    """The text is not crm_mon/crm_simulate status XML, or crm_mon reported an error (``code`` is its status)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


NOT_CONNECTED = 102  # crm_mon's status when no cluster runs on the node (CRM_EX_DISCONNECT)


def _flag(element: ET.Element, name: str) -> bool:
    return element.get(name, "false") == "true"


@dataclass(frozen=True)
class Node:
    name: str
    online: bool
    standby: bool = False
    maintenance: bool = False
    pending: bool = False
    unclean: bool = False
    shutdown: bool = False
    is_dc: bool = False


@dataclass(frozen=True)
class Instance:
    """One resource instance: a primitive, or one copy of a clone."""

    id: str
    agent: str
    role: str  # Started, Stopped, Promoted, Unpromoted (Master/Slave from old versions are mapped)
    nodes: tuple[str, ...]
    active: bool = False
    failed: bool = False
    managed: bool = True
    blocked: bool = False
    clone: str = ""


@dataclass(frozen=True)
class Failure:
    """A failed action (crm_mon's ``<failures>``): the operation, where, and what the agent said."""

    resource: str
    task: str
    node: str
    exitstatus: str
    exitreason: str = ""
    interval: str = ""


@dataclass(frozen=True)
class ClusterStatus:
    nodes: tuple[Node, ...]
    instances: tuple[Instance, ...]
    failures: tuple[Failure, ...] = ()
    dc: str | None = None  # None: no DC (or not reported, as in crm_simulate's sections)
    quorum: bool | None = None  # None: not reported
    options: dict[str, str] = field(default_factory=dict)  # cluster_options (stonith-enabled, maintenance-mode...)

    def node(self, name: str) -> Node | None:
        return next((node for node in self.nodes if node.name == name), None)

    def where(self, resource: str) -> list[tuple[str, str]]:
        """``[(node, role)]`` for every active instance of ``resource`` (a primitive or a clone's primitive)."""
        return [(node, instance.role) for instance in self.instances
                if instance.id == resource or instance.clone == resource for node in instance.nodes]

    @property
    def maintenance_mode(self) -> bool:
        return self.options.get("maintenance-mode") == "true"


ROLE_NAMES = {"Master": "Promoted", "Slave": "Unpromoted"}


def _instances(section: ET.Element) -> list[Instance]:
    found: list[Instance] = []

    def walk(element: ET.Element, clone: str) -> None:
        for child in element:
            if child.tag == "resource":
                role = child.get("role", "Stopped")
                found.append(Instance(
                    id=child.get("id", ""), agent=child.get("resource_agent", ""),
                    role=ROLE_NAMES.get(role, role),
                    nodes=tuple(node.get("name", "") for node in child.findall("node")),
                    active=_flag(child, "active"), failed=_flag(child, "failed"),
                    managed=child.get("managed", "true") == "true", blocked=_flag(child, "blocked"), clone=clone))
            elif child.tag in ("clone", "group", "bundle"):
                walk(child, child.get("id", "") if child.tag == "clone" else clone)

    walk(section, "")
    return found


def _nodes(section: ET.Element | None) -> tuple[Node, ...]:
    if section is None:
        return ()
    return tuple(Node(name=node.get("name", ""), online=_flag(node, "online"), standby=_flag(node, "standby"),
                      maintenance=_flag(node, "maintenance"), pending=_flag(node, "pending"),
                      unclean=_flag(node, "unclean"), shutdown=_flag(node, "shutdown"), is_dc=_flag(node, "is_dc"))
                 for node in section.findall("node"))


def _failed_resource(item: ET.Element) -> str:
    """``vm-a_migrate_to_0`` with task ``migrate_to`` → ``vm-a`` (task names contain underscores)."""
    key, task = item.get("op_key", item.get("id", "")), item.get("task", "")
    if task and f"_{task}_" in key:
        return key.rsplit(f"_{task}_", 1)[0]
    return key.rsplit("_", 2)[0]


def _status(section: ET.Element, root: ET.Element) -> ClusterStatus:
    resources = section.find("resources")
    dc_element = root.find("./summary/current_dc")
    dc = quorum = None
    if dc_element is not None and dc_element.get("present") == "true":
        dc = dc_element.get("name", "")
        quorum = dc_element.get("with_quorum", dc_element.get("with-quorum", "false")) == "true"
    options = root.find("./summary/cluster_options")
    failures = tuple(
        Failure(resource=_failed_resource(item), task=item.get("task", ""), node=item.get("node", ""),
                exitstatus=item.get("exitstatus", item.get("exit-status", "")),
                exitreason=item.get("exitreason", item.get("exit-reason", "")), interval=item.get("interval", ""))
        for item in root.iterfind("./failures/failure"))
    return ClusterStatus(nodes=_nodes(section.find("nodes")),
                         instances=tuple(_instances(resources)) if resources is not None else (),
                         failures=failures, dc=dc, quorum=quorum,
                         options=dict(options.attrib) if options is not None else {})


def parse(text: str, *, revised: bool = False) -> ClusterStatus:
    """The cluster status in ``text``; for crm_simulate's output, ``revised`` picks the state after the run."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise CrmMonError(f"not XML: {error}") from None
    if root.tag not in ("pacemaker-result", "crm_mon"):
        raise CrmMonError(f"root element is <{root.tag}>, not <pacemaker-result> or <crm_mon>")
    status = root.find("status")
    if status is not None and status.get("code", "0") != "0":
        errors = [error.text or "" for error in status.iterfind("./errors/error")]
        detail = errors[-1].strip() if errors and errors[-1].strip() else ""
        code = int(status.get("code", "1")) if status.get("code", "").isdigit() else 1
        raise CrmMonError(f"{status.get('message', 'error')} (code {code})" + (f": {detail}" if detail else ""), code)
    simulated = root.find("revised_cluster_status" if revised else "cluster_status")
    section = simulated if simulated is not None else root
    if section.find("nodes") is None:
        raise CrmMonError("no <nodes> section: not cluster status")
    return _status(section, root)
