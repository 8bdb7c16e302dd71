"""check_herd_cluster: is Pacemaker keeping the herd's guests running, where they belong?

Reads ``crm_mon --one-shot --inactive --output-as=xml`` (or ``--input FILE``). CRITICAL: the cluster not running on
this node, no DC, a partition without quorum, a node OFFLINE or UNCLEAN (waiting to be fenced), a guest stopped,
failed or blocked, a fence device failed, ``stonith-enabled=false``. WARNING: a node in standby or maintenance, a
fence device stopped, maintenance mode, an unmanaged guest, failed actions still recorded (clean them up with
``crm_resource --cleanup``), and a guest running away from its preferred host (``--guest NAME@HOST``; after a
failover the herd has no spare capacity until the operator moves it back).

A guest is the ``ocf:heartbeat:Xen`` primitive ``vm-NAME``; without ``--guest``, every Xen primitive is one.
"""

from __future__ import annotations

from nagios_herd.parsers.crm_mon import NOT_CONNECTED, ClusterStatus, CrmMonError, Instance, parse
from nagios_herd.plugin.runtime import APPEND, CheckError, Option, Options, Plugin, Report, State, read_input, run_tool

LABEL = "CLUSTER"
CRM_MON = "/usr/sbin/crm_mon"
XEN_AGENT = "ocf:heartbeat:Xen"

PLUGIN = Plugin(
    LABEL,
    name="check_herd_cluster",
    usage="check_herd_cluster [--guest NAME[@HOST]]... [--input FILE] [-t SECONDS] [-v]",
    description=__doc__,
    options=[
        Option(None, "guest", kind=APPEND, metavar="NAME[@HOST]",
               help="a guest the cluster must run (resource vm-NAME), on HOST if given (repeatable)"),
        Option(None, "input", metavar="FILE",
               help=f"read saved `crm_mon --output-as=xml` ('-' = stdin) instead of running {CRM_MON}"),
    ],
)


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def _guests(specs: list[str]) -> dict[str, str]:
    guests: dict[str, str] = {}
    for spec in specs:
        name, _, host = spec.partition("@")
        if not name or name in guests:
            raise CheckError(f"--guest {spec!r}: expected NAME or NAME@HOST, each guest once")
        guests[name] = host
    return guests


def check(options: Options) -> Report:
    guests = _guests(options.guest)
    if options.input:
        source, text = options.input, read_input(options.input)
    else:
        result = run_tool([CRM_MON, "--one-shot", "--inactive", "--output-as=xml"])
        if not result.ok and not result.stdout.lstrip().startswith("<"):
            raise CheckError(result.failure())
        source, text = "crm_mon", result.stdout
    try:
        status = parse(text)
    except CrmMonError as error:
        if error.code != NOT_CONNECTED:
            raise CheckError(f"{source}: {error}") from None
        report = Report(LABEL)
        report.add(State.CRITICAL, f"the cluster is not running on this node: {error}")
        return report
    return evaluate(status, guests)


def _cluster(report: Report, status: ClusterStatus) -> None:
    if status.dc is None:
        report.add(State.CRITICAL, "no DC: the cluster has not elected a coordinator (is it starting?)")
    elif status.quorum is False:
        report.add(State.CRITICAL, f"partition WITHOUT quorum (DC {status.dc}): resources are stopped")
    if status.maintenance_mode:
        report.add(State.WARNING, "maintenance-mode: the cluster does not start, stop or move anything")
    if status.options.get("stop-all-resources") == "true":
        report.add(State.CRITICAL, "stop-all-resources is set")
    if status.options.get("stonith-enabled") == "false":
        report.add(State.CRITICAL, "stonith-enabled=false: a silent node would not be fenced before failover")
    for node in status.nodes:
        if node.unclean:
            report.add(State.CRITICAL, f"node {node.name} UNCLEAN: waiting to be fenced")
        elif not node.online:
            report.add(State.CRITICAL, f"node {node.name} OFFLINE")
        elif node.standby:
            report.add(State.WARNING, f"node {node.name} in standby: it runs no guest")
        elif node.maintenance:
            report.add(State.WARNING, f"node {node.name} in maintenance")
        elif node.pending:
            report.add(State.WARNING, f"node {node.name} pending (joining)")


def _guest(report: Report, name: str, instances: list[Instance], prefers: str) -> None:
    resource = f"vm-{name}"
    running = [(node, item) for item in instances for node in item.nodes if item.active]
    if not instances:
        report.add(State.CRITICAL, f"{name}: no resource {resource} in the cluster")
        return
    if any(item.failed for item in instances):
        report.add(State.CRITICAL, f"{name}: {resource} FAILED")
    elif any(item.blocked for item in instances):
        report.add(State.CRITICAL, f"{name}: {resource} blocked (a stop failed; it needs an operator)")
    elif not running:
        report.add(State.CRITICAL, f"{name}: stopped")
    elif len(running) > 1:
        report.add(State.CRITICAL, f"{name}: active on {', '.join(node for node, _ in running)}")
    elif prefers and running[0][0] != prefers:
        report.add(State.WARNING, f"{name}: runs on {running[0][0]}, not on its preferred host {prefers}")
    else:
        report.add(State.OK, f"{name}: started on {running[0][0]}")
    if any(not item.managed for item in instances):
        report.add(State.WARNING, f"{name}: {resource} is unmanaged")


def evaluate(status: ClusterStatus, guests: dict[str, str]) -> Report:
    """One line per cluster-level problem, per guest and per failed action; worst wins."""
    report = Report(LABEL)
    _cluster(report, status)
    by_id: dict[str, list[Instance]] = {}
    for instance in status.instances:
        by_id.setdefault(instance.id, []).append(instance)
    names = guests or {item.id[3:] if item.id.startswith("vm-") else item.id: ""
                       for item in status.instances if item.agent == XEN_AGENT and not item.clone}
    for name, prefers in names.items():
        _guest(report, name, by_id.get(f"vm-{name}", []), prefers)
    for instance in status.instances:
        if instance.agent.startswith("stonith:") and instance.failed:
            report.add(State.CRITICAL, f"fence device {instance.id} FAILED: the cluster may not be able to fence")
        elif instance.agent.startswith("stonith:") and not instance.active:
            report.add(State.WARNING, f"fence device {instance.id} stopped: it is not being monitored")
        elif instance.clone and instance.failed:
            report.add(State.CRITICAL, f"{instance.clone}: {instance.id} FAILED on {', '.join(instance.nodes) or '-'}")
    for failure in status.failures:
        reason = f" ({failure.exitreason})" if failure.exitreason else ""
        report.add(State.WARNING, f"failed action {failure.resource} {failure.task} on {failure.node}: "
                                  f"{failure.exitstatus}{reason}; crm_resource --cleanup --resource {failure.resource}")
    online = sum(1 for node in status.nodes if node.online)
    started = sum(1 for name in names if any(item.active for item in by_id.get(f"vm-{name}", [])))
    report.ok_summary = f"{online}/{len(status.nodes)} nodes online, {started}/{len(names)} guests started"
    report.perf("nodes_online", online, minimum=0, maximum=len(status.nodes))
    report.perf("guests_started", started, minimum=0, maximum=len(names))
    report.perf("failed_actions", len(status.failures), minimum=0)
    return report
