"""Pacemaker cluster status as XML: ``crm_mon --output-as=xml`` (2.0+), the older ``crm_mon --as-xml``, and the
``<cluster_status>``/``<revised_cluster_status>`` sections of ``crm_simulate --output-as=xml``: one format for
nodes and resources, read by the check, by ``fab status`` and by the simulation tests.

Pure: text in, :class:`ClusterStatus` out. A clone's instances are reported one per instance with ``clone`` set;
a resource instance is on the nodes listed under it (a Stopped instance is on none).
"""

from __future__ import annotations

from xml.parsers import expat  # not ElementTree or dataclasses: together 20 ms of the check's start-up


class CrmMonError(ValueError):
    """The text is not crm_mon/crm_simulate status XML, or crm_mon reported an error (``code`` is its status)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


NOT_CONNECTED = 102  # crm_mon's status when no cluster runs on the node (CRM_EX_DISCONNECT)


class _Record:
    """Fields set once by keyword (``FIELDS``: name -> default), compared and shown by value."""

    __slots__: tuple[str, ...] = ()
    FIELDS: dict[str, object] = {}

    def __init__(self, **values: object) -> None:
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"unknown fields {sorted(unknown)}")
        for name, default in self.FIELDS.items():
            object.__setattr__(self, name, values.get(name, default))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.FIELDS)})"


class Node(_Record):
    FIELDS = {"name": "", "online": False, "standby": False, "maintenance": False, "pending": False,
              "unclean": False, "shutdown": False, "is_dc": False}
    __slots__ = tuple(FIELDS)
    name: str
    online: bool
    standby: bool
    maintenance: bool
    pending: bool
    unclean: bool
    shutdown: bool
    is_dc: bool


class Instance(_Record):
    """One resource instance: a primitive, or one copy of a clone (``clone`` set)."""

    FIELDS = {"id": "", "agent": "", "role": "Stopped", "nodes": (), "active": False, "failed": False,
              "managed": True, "blocked": False, "clone": ""}
    __slots__ = tuple(FIELDS)
    id: str
    agent: str
    role: str  # Started, Stopped, Promoted, Unpromoted (Master/Slave from old versions are mapped)
    nodes: tuple[str, ...]
    active: bool
    failed: bool
    managed: bool
    blocked: bool
    clone: str


class Failure(_Record):
    """A failed action (crm_mon's ``<failures>``): the operation, where, and what the agent said."""

    FIELDS = {"resource": "", "task": "", "node": "", "exitstatus": "", "exitreason": "", "interval": ""}
    __slots__ = tuple(FIELDS)
    resource: str
    task: str
    node: str
    exitstatus: str
    exitreason: str
    interval: str


class ClusterStatus(_Record):
    FIELDS = {"nodes": (), "instances": (), "failures": (), "dc": None, "quorum": None, "options": None}
    __slots__ = tuple(FIELDS)
    nodes: tuple[Node, ...]
    instances: tuple[Instance, ...]
    failures: tuple[Failure, ...]
    dc: str | None  # None: no DC (or not reported, as in crm_simulate's sections)
    quorum: bool | None  # None: not reported
    options: dict[str, str]  # cluster_options (stonith-enabled, maintenance-mode...)

    def __hash__(self) -> int:
        return id(self)

    def node(self, name: str) -> Node | None:
        return next((node for node in self.nodes if node.name == name), None)

    def where(self, resource: str) -> list[tuple[str, str]]:
        """``[(node, role)]`` for every active instance of ``resource`` (a primitive or a clone's primitive)."""
        return [(node, instance.role) for instance in self.instances
                if instance.id == resource or instance.clone == resource for node in instance.nodes]

    @property
    def maintenance_mode(self) -> bool:
        return (self.options or {}).get("maintenance-mode") == "true"


class _Element:
    """The little of an XML element the parser needs (built with expat, see :func:`_tree`)."""

    __slots__ = ("tag", "attrib", "children", "text")

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        self.tag = tag
        self.attrib = attrib
        self.children: list[_Element] = []
        self.text = ""

    def get(self, name: str, default: str = "") -> str:
        return self.attrib.get(name, default)

    def find(self, tag: str) -> _Element | None:
        return next((child for child in self.children if child.tag == tag), None)

    def findall(self, tag: str) -> list[_Element]:
        return [child for child in self.children if child.tag == tag]

    def path(self, *tags: str) -> list[_Element]:
        found = [self]
        for tag in tags:
            found = [child for element in found for child in element.findall(tag)]
        return found


def _refuse_doctype(*_: object) -> None:
    raise CrmMonError("a document type declaration: crm_mon never writes one")


def _tree(text: str) -> _Element:
    parser = expat.ParserCreate()
    stack: list[_Element] = []
    roots: list[_Element] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        element = _Element(tag, attrib)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].text += chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise CrmMonError(f"not XML: {error}") from None
    return roots[0]


def _flag(element: _Element, name: str) -> bool:
    return element.get(name, "false") == "true"


ROLE_NAMES = {"Master": "Promoted", "Slave": "Unpromoted"}


def _instances(section: _Element) -> list[Instance]:
    found: list[Instance] = []

    def walk(element: _Element, clone: str) -> None:
        for child in element.children:
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


def _nodes(section: _Element | None) -> tuple[Node, ...]:
    if section is None:
        return ()
    return tuple(Node(name=node.get("name", ""), online=_flag(node, "online"), standby=_flag(node, "standby"),
                      maintenance=_flag(node, "maintenance"), pending=_flag(node, "pending"),
                      unclean=_flag(node, "unclean"), shutdown=_flag(node, "shutdown"), is_dc=_flag(node, "is_dc"))
                 for node in section.findall("node"))


def _failed_resource(item: _Element) -> str:
    """``vm-a_migrate_to_0`` with task ``migrate_to`` → ``vm-a`` (task names contain underscores)."""
    key, task = item.get("op_key", item.get("id", "")), item.get("task", "")
    if task and f"_{task}_" in key:
        return key.rsplit(f"_{task}_", 1)[0]
    return key.rsplit("_", 2)[0]


def _status(section: _Element, root: _Element) -> ClusterStatus:
    resources = section.find("resources")
    dc_element = next(iter(root.path("summary", "current_dc")), None)
    dc = quorum = None
    if dc_element is not None and dc_element.get("present") == "true":
        dc = dc_element.get("name", "")
        quorum = dc_element.get("with_quorum", dc_element.get("with-quorum", "false")) == "true"
    options = next(iter(root.path("summary", "cluster_options")), None)
    failures = tuple(
        Failure(resource=_failed_resource(item), task=item.get("task", ""), node=item.get("node", ""),
                exitstatus=item.get("exitstatus", item.get("exit-status", "")),
                exitreason=item.get("exitreason", item.get("exit-reason", "")), interval=item.get("interval", ""))
        for item in root.path("failures", "failure"))
    return ClusterStatus(nodes=_nodes(section.find("nodes")),
                         instances=tuple(_instances(resources)) if resources is not None else (),
                         failures=failures, dc=dc, quorum=quorum,
                         options=dict(options.attrib) if options is not None else {})


def parse(text: str, *, revised: bool = False) -> ClusterStatus:
    """The cluster status in ``text``; for crm_simulate's output, ``revised`` picks the state after the run."""
    root = _tree(text)
    if root.tag not in ("pacemaker-result", "crm_mon"):
        raise CrmMonError(f"root element is <{root.tag}>, not <pacemaker-result> or <crm_mon>")
    status = root.find("status")
    if status is not None and status.get("code", "0") != "0":
        errors = [error.text for error in status.path("errors", "error")]
        detail = errors[-1].strip() if errors and errors[-1].strip() else ""
        code = int(status.get("code", "1")) if status.get("code", "").isdigit() else 1
        raise CrmMonError(f"{status.get('message', 'error')} (code {code})" + (f": {detail}" if detail else ""), code)
    simulated = root.find("revised_cluster_status" if revised else "cluster_status")
    section = simulated if simulated is not None else root
    if section.find("nodes") is None:
        raise CrmMonError("no <nodes> section: not cluster status")
    return _status(section, root)
