"""Pacemaker's transition graph (``crm_simulate --save-graph FILE``): the actions and what each waits for.

Pure: XML text in, :class:`Graph` out. The graph, not the printed summary, is the scheduler's real ordering: each
synapse holds one action and the triggers it waits for. Fencing is a ``crm_event`` (operation ``stonith``), the
implied stops on a fenced node are ``pseudo_event``\\s. A new anonymous clone instance is keyed ``rsc:N``; the
instance number is dropped so an action reads ``drbd-a promote on backup``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from nagios_herd.parsers.xml_root import xml_root


class GraphError(ValueError):
    """The text is not a transition graph."""


@dataclass(frozen=True)
class Action:
    id: str
    kind: str  # rsc_op, pseudo_event, crm_event
    operation: str  # start, stop, promote, demote, migrate_to, migrate_from, monitor, notify, stonith, ...
    resource: str  # "" for a crm_event; the clone instance number removed
    node: str

    @property
    def key(self) -> str:
        """``RESOURCE OPERATION@NODE`` (``stonith@NODE`` for fencing)."""
        return f"{self.resource} {self.operation}@{self.node}" if self.resource else f"{self.operation}@{self.node}"


@dataclass(frozen=True)
class Graph:
    actions: dict[str, Action]  # by action id
    inputs: dict[str, tuple[str, ...]]  # action id -> ids of the actions it waits for

    def find(self, operation: str, resource: str = "", node: str = "") -> list[Action]:
        return [action for action in self.actions.values() if action.operation == operation
                and (not resource or action.resource == resource) and (not node or action.node == node)]

    def waits_for(self, later: Action, earlier: Action) -> bool:
        """True when ``later`` cannot run before ``earlier`` completed (directly or through other actions)."""
        seen: set[str] = set()
        stack = list(self.inputs.get(later.id, ()))
        while stack:
            current = stack.pop()
            if current == earlier.id:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(self.inputs.get(current, ()))
        return False

    def real(self) -> list[Action]:
        """The actions that change a resource or a node (no pseudo events, notifications, probes, recurring monitors
        or their cancellation)."""
        return [action for action in self.actions.values() if action.kind != "pseudo_event"
                and action.operation not in ("monitor", "notify", "cancel")]


def _action(element: ET.Element) -> Action:
    operation = element.get("operation", "")
    resource = ""
    primitive = element.find("primitive")
    if primitive is not None:
        resource = primitive.get("id", "").split(":", 1)[0]
    elif element.tag != "crm_event":
        key = element.get("operation_key", "")
        resource = key.rsplit(f"_{operation}_", 1)[0].split(":", 1)[0] if f"_{operation}_" in key else key
    return Action(element.get("id", ""), element.tag, operation, resource, element.get("on_node", ""))


def parse(text: str) -> Graph:
    root = xml_root(text, "transition_graph", GraphError)
    actions: dict[str, Action] = {}
    inputs: dict[str, tuple[str, ...]] = {}
    for synapse in root.iterfind("synapse"):
        action_set = synapse.find("action_set")
        for element in action_set if action_set is not None else ():
            action = _action(element)
            actions[action.id] = action
            inputs[action.id] = tuple(trigger_action.get("id", "") for trigger in synapse.iterfind("./inputs/trigger")
                                      for trigger_action in trigger)
    return Graph(actions, inputs)
