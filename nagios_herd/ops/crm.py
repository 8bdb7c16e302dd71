"""The Pacemaker commands the herd's tasks run on a cluster node, as argv lists, and reading the cluster's status.

One place, so the refusals print exactly the command a task would run, and the tests run exactly these commands
against a saved cluster state. Resource names follow the generated CIB: ``vm-GUEST`` (the Xen primitive),
``drbd-GUEST-clone`` (its promotable DRBD clone), ``fence-HOST``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Protocol

from nagios_herd.errors import HerdError
from nagios_herd.parsers.crm_mon import ClusterStatus, CrmMonError, parse

STATUS = ("crm_mon", "--one-shot", "--inactive", "--output-as=xml")
LIVE_CHECK = ("crm_verify", "--live-check")
WARNINGS_ONLY = 78  # crm_verify's exit status for "Warnings found" (also for errors: the text tells them apart)


def vm(guest: str) -> str:
    return f"vm-{guest}"


def clone(guest: str) -> str:
    return f"drbd-{guest}-clone"


def move(guest: str, node: str) -> list[str]:
    """A location constraint that sends the guest to ``node`` (``cli-prefer-vm-GUEST``)."""
    return ["crm_resource", "--move", "--resource", vm(guest), "--node", node]


def clear(guest: str) -> list[str]:
    """Drop the move's constraint: the guest stays where it is (stickiness) and may fail over again."""
    return ["crm_resource", "--clear", "--resource", vm(guest)]


def promoted_max(guest: str, count: int) -> list[str]:
    """1: single Primary; 2: both Primary, for the length of a live migration."""
    return ["crm_resource", "--resource", clone(guest), "--meta", "--set-parameter", "promoted-max",
            "--parameter-value", str(count)]


def two_primaries(guest: str, allowed: bool) -> list[str]:
    """DRBD's own permission for a second Primary (the agent refuses promoted-max 2 without it)."""
    return ["drbdadm", "net-options", f"--allow-two-primaries={'yes' if allowed else 'no'}", guest]


def standby(host: str, on: bool) -> list[str]:
    return ["crm_attribute", "--node", host, "--name", "standby", "--update", "on" if on else "off"]


def maintenance(on: bool) -> list[str]:
    """Cluster-wide maintenance mode: Pacemaker keeps watching but starts, stops and moves nothing."""
    return ["crm_attribute", "--type", "crm_config", "--name", "maintenance-mode", "--update",
            "true" if on else "false"]


def confirm_fenced(host: str) -> list[str]:
    """Tell the cluster a node is known to be powered off when its fence device cannot reach it."""
    return ["stonith_admin", "--confirm", host]


def replace_configuration(path: str) -> list[str]:
    return ["cibadmin", "--replace", "--scope", "configuration", "--xml-file", path]


def show(argv: Sequence[str]) -> str:
    return shlex.join(argv)


class Node(Protocol):
    """What this module needs of a host connection (:class:`nagios_herd.ops.remote.Link` is one)."""

    name: str
    down: str | None

    def run(self, argv: Sequence[str], *, timeout: float = 60) -> object: ...


def status(node: Node, timeout: float = 30) -> ClusterStatus:
    """The cluster as ``node`` sees it; HerdError when it cannot tell (no cluster there, bad output)."""
    result = node.run(list(STATUS), timeout=timeout)
    try:
        return parse(result.stdout)  # type: ignore[attr-defined]
    except CrmMonError as error:
        raise HerdError(f"{node.name}: crm_mon: {error}") from None


def reachable(nodes: Sequence[Node]) -> tuple[Node, ClusterStatus]:
    """The first node that answers with the cluster's status (the other may be the one that failed)."""
    problems = []
    for node in nodes:
        if node.down:
            problems.append(f"{node.name}: {node.down}")
            continue
        try:
            return node, status(node)
        except HerdError as error:
            problems.append(str(error))
    raise HerdError("no cluster node answers: " + "; ".join(problems))
