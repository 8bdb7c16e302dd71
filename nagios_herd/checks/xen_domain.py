"""check_xen_domain: are the right Xen guests running here, and are they healthy?

Every domain in ``xl list`` (``xm list`` when there is no xl) gets one line; ``--domain NAME`` must run
here, ``--absent NAME`` must not (the same guest running on both hosts writes its DRBD disk from two
places). Verdicts (docs/checks.md): running/blocked OK; paused WARNING; shutdown, crashed, dying and
``(null)`` zombies CRITICAL; ``NAME--incoming`` / ``NAME--migratedaway`` WARNING; a missing
``--domain`` or a present ``--absent`` CRITICAL. Perfdata counts the domains per condition.
"""

from __future__ import annotations

import os

from nagios_herd.parsers.xen import Domain, XenParseError, parse_list
from nagios_herd.plugin.runtime import APPEND, CheckError, Option, Options, Plugin, Report, State, read_input, run_tool

LABEL = "XEN"
XL = "/usr/sbin/xl"
XM = "/usr/sbin/xm"
CONDITIONS = ("running", "paused", "shutdown", "crashed", "dying", "zombie", "migrating", "inactive")
_VERDICT = {"running": State.OK, "inactive": State.OK, "paused": State.WARNING,
            "migrating": State.WARNING, "shutdown": State.CRITICAL, "crashed": State.CRITICAL,
            "dying": State.CRITICAL, "zombie": State.CRITICAL}

PLUGIN = Plugin(
    LABEL,
    name="check_xen_domain",
    usage="check_xen_domain [--domain NAME]... [--absent NAME]... [--input FILE] [-t SECONDS] [-v]",
    description=__doc__,
    options=[
        Option(None, "domain", kind=APPEND, metavar="NAME", help="domain that must run here (repeatable)"),
        Option(None, "absent", kind=APPEND, metavar="NAME",
               help="domain that must NOT run here, e.g. it runs on the other host (repeatable)"),
        Option(None, "input", metavar="FILE",
               help=f"read saved `xl list`/`xm list` output ('-' = stdin) instead of running {XL}"),
    ],
)


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def check(options: Options) -> Report:
    """Read the domain list (file or tool) and judge it."""
    overlap = sorted(set(options.domain) & set(options.absent))
    if overlap:
        raise CheckError(f"{', '.join(overlap)} given both as --domain and --absent")
    if options.input:
        source, text = options.input, read_input(options.input)
    else:
        source, text = _run_list()
    try:
        domains = parse_list(text)
    except XenParseError as error:
        raise CheckError(f"{source}: {error}") from None
    return evaluate(domains, options.domain, options.absent)


def _run_list() -> tuple[str, str]:
    """``xl list``, or ``xm list`` on an xend host (no xl, or xl refusing to run)."""
    tools = [tool for tool in (XL, XM) if os.path.exists(tool)]
    if not tools:
        raise CheckError(f"neither {XL} nor {XM} exists: not a Xen dom0?")
    result = None
    for tool in tools:
        result = run_tool([tool, "list"])
        if result.ok:
            return f"{tool} list", result.stdout
    raise CheckError(result.failure())


def _describe(domain: Domain) -> str:
    condition = domain.condition
    if condition == "zombie":
        text = f"(null) id {domain.domid}: zombie domain (lost its name while dying)"
    elif condition == "migrating":
        direction = "arriving" if domain.name.endswith("--incoming") else "leaving"
        text = f"{domain.base_name}: migration in progress ({domain.name}, {direction})"
    elif condition == "shutdown":
        text = f"{domain.name}: shut down ({domain.shutdown_reason})"
    elif condition == "inactive":
        text = f"{domain.name}: defined, not running"
    else:
        text = f"{domain.name}: {condition}"
    return f"{text} [{domain.state}]" if domain.state else text


def evaluate(domains: list[Domain], expected: list[str], absent: list[str]) -> Report:
    """One line per domain plus one per missing expected domain; worst wins."""
    report = Report(LABEL)
    counts = dict.fromkeys(CONDITIONS, 0)
    names = {domain.name for domain in domains}
    moving = {domain.base_name for domain in domains if domain.migrating}
    for domain in domains:
        condition = domain.condition
        counts[condition] += 1
        state, text = _VERDICT[condition], _describe(domain)
        if domain.name in absent and domain.active:
            state = State.CRITICAL
            text = f"{text}; must not run here: running on both hosts risks its disk"
        elif domain.name in expected and not domain.active:
            state = State.CRITICAL
            text = f"{text}; must run here"
        report.add(state, text)
        report.detail(f"{domain.name}: id {domain.domid if domain.active else '-'}, {domain.memory_mb} MiB, "
                      f"{domain.vcpus} vcpus, {domain.cpu_time:.1f} s cpu")
    for name in dict.fromkeys(expected):
        if name not in names and name not in moving:
            report.add(State.CRITICAL, f"{name}: not running here (expected)")
    running = [d.name for d in domains if d.condition == "running" and not d.is_dom0]
    report.ok_summary = (f"{len(domains)} domains, guests running: {len(running)}"
                         + (f" ({', '.join(running)})" if running else ""))
    report.perf("domains", len(domains), minimum=0)
    for condition in CONDITIONS:
        report.perf(condition, counts[condition], minimum=0)
    return report
