"""check_lvm_capacity: is there room left in the volume groups, thin pools and snapshots?

``-w/-c`` are ranges on each VG's free space in percent (defaults ``10:`` and ``5:``: warn below 10 %,
critical below 5 %); ``--pool-warning/--pool-critical`` are ranges on thin-pool and old-style snapshot
data and metadata use in percent (defaults ``~:80`` and ``~:90``). A partial VG (missing PV), an
invalid snapshot (attr ``I``), a thin pool flagged failed/out of data/metadata read-only
(attr ``F``/``D``/``M``) and a named ``--vg`` that does not exist are CRITICAL. An inactive pool
reports no usage (empty percent): it cannot fill while inactive, so it is OK and says so; an active one
(or one whose ``lv_attr`` is not in the report) without percentages is UNKNOWN, and so is a VG whose
``lv_count`` says it holds LVs when no LV report about it arrived (``{ vgs; lvs; } | check`` loses the exit
status of a failed ``lvs``: its pools and snapshots were never looked at).
"""

from __future__ import annotations

import os

from nagios_herd.parsers.lvm import LV, VG, LvmParseError, parse_report
from nagios_herd.parsers.lvm import Report as LvmReport
from nagios_herd.plugin.runtime import (
    APPEND,
    CheckError,
    Option,
    Options,
    Plugin,
    Range,
    Report,
    State,
    format_bytes,
    read_input,
    run_tool,
)

LABEL = "LVM"
VGS = "/usr/sbin/vgs"
LVS = "/usr/sbin/lvs"
VG_FIELDS = ("vg_name,vg_attr,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count,"
             "pv_count,vg_missing_pv_count,lv_count,snap_count")
LV_FIELDS = ("lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,"
             "snap_percent,segtype")
REPORT_ARGS = ("--reportformat", "json", "--units", "b", "--nosuffix")
PASSED_ENV = ("LVM_SYSTEM_DIR",)

PLUGIN = Plugin(
    LABEL,
    name="check_lvm_capacity",
    usage=("check_lvm_capacity [--vg NAME]... [-w RANGE] [-c RANGE] [--pool-warning RANGE] "
           "[--pool-critical RANGE] [--input FILE] [-t SECONDS] [-v]"),
    description=__doc__,
    options=[
        Option(None, "vg", kind=APPEND, metavar="NAME",
               help="volume group that must exist; only these are checked (default: all)"),
        Option("w", "warning", metavar="RANGE", convert=Range, default=Range("10:"),
               help="VG free space in percent outside RANGE warns (default 10:)"),
        Option("c", "critical", metavar="RANGE", convert=Range, default=Range("5:"),
               help="VG free space in percent outside RANGE is critical (default 5:)"),
        Option(None, "pool-warning", metavar="RANGE", convert=Range, default=Range("~:80"),
               help="thin-pool/snapshot data and metadata percent outside RANGE warns (default ~:80)"),
        Option(None, "pool-critical", metavar="RANGE", convert=Range, default=Range("~:90"),
               help="thin-pool/snapshot data and metadata percent outside RANGE is critical "
                    "(default ~:90)"),
        Option(None, "input", metavar="FILE",
               help="read saved vgs/lvs/fullreport JSON ('-' = stdin) instead of running vgs and lvs"),
    ],
)


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def check(options: Options) -> Report:
    """Read the reports (file or tools) and judge them."""
    failures: list[str] = []
    if options.input:
        source, text = options.input, read_input(options.input)
    else:
        source, text = "vgs/lvs", _run_reports(failures)
    try:
        lvm = parse_report(text)
    except LvmParseError as error:
        raise CheckError(f"{source}: {error}") from None
    if not lvm.sections & {"vg", "lv"} or not (lvm.vgs or options.vg):
        raise CheckError(f"{source}: the report lists no volume group (need vgs or lvm fullreport)")
    report = evaluate(lvm, options)
    errors = [row.get("log_message", "") for row in lvm.log if row.get("log_type") == "error"]
    for row in lvm.log:
        if row.get("log_type") == "print":
            report.detail(f"lvm: {row.get('log_message', '')}")
    for failure in [*failures, *(f"lvm error: {message}" for message in errors)]:
        report.add(State.UNKNOWN, failure)
    return report


def _run_reports(failures: list[str]) -> str:
    """Run vgs and lvs -a; a non-zero exit is kept as an UNKNOWN line unless nothing came out."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env["LVM_SUPPRESS_FD_WARNINGS"] = "1"
    outputs = []
    for argv in ([VGS, *REPORT_ARGS, "-o", VG_FIELDS], [LVS, "-a", *REPORT_ARGS, "-o", LV_FIELDS]):
        result = run_tool(argv, env=env)
        if not result.ok:
            if not result.stdout.strip():
                raise CheckError(result.failure())
            failures.append(result.failure())
        outputs.append(result.stdout)
    return "\n".join(outputs)


def _judge(value: float, warning: Range, critical: Range) -> State:
    if critical.alerts(value):
        return State.CRITICAL
    if warning.alerts(value):
        return State.WARNING
    return State.OK


def _check_vg(report: Report, vg: VG, options: Options) -> None:
    states, notes = [], []
    if vg.partial:
        states.append(State.CRITICAL)
        notes.append(f"partial: {vg.missing_pv_count or 'a'} PV missing")
    if vg.read_only:
        states.append(State.WARNING)
        notes.append("read-only")
    percent = vg.free_percent
    if percent is None:
        states.append(State.UNKNOWN)
        text = f"vg {vg.name}: the report has no free space figures"
    else:
        states.append(_judge(percent, options.warning, options.critical))
        text = f"vg {vg.name}: {percent:.2f}% free"
        if vg.free is not None and vg.size:
            text += f" ({format_bytes(vg.free)} of {format_bytes(vg.size)})"
        report.perf(f"{vg.name}_free", round(percent, 2), "%", warn=options.warning,
                    crit=options.critical, minimum=0, maximum=100)
        if vg.free is not None:
            report.perf(f"{vg.name}_free_bytes", vg.free, "B", minimum=0, maximum=vg.size)
    report.add(State.worst(states), "; ".join([text, *notes]))


def _check_lv(report: Report, lv: LV, options: Options) -> None:
    attr = lv.attr
    kind = "thin pool" if lv.is_thin_pool else "snapshot" if lv.is_snapshot else "lv"
    flags = []
    if attr.invalid_snapshot:
        flags.append("invalid snapshot (full or dropped)")
    if attr.health_problem in ("partial", "failed", "out of data space", "metadata read-only"):
        flags.append(attr.health_problem)
    if kind == "lv":
        if flags:
            report.add(State.CRITICAL, f"lv {lv.full_name}: {', '.join(flags)} [{attr.raw}]")
        return
    figures = [("data", lv.usage_percent)]
    if lv.is_thin_pool:
        figures.append(("meta", lv.metadata_percent))
    states = [State.CRITICAL] if flags else []
    shown = []
    for name, value in figures:
        if value is None:
            continue
        states.append(_judge(value, options.pool_warning, options.pool_critical))
        shown.append(f"{name} {value:.2f}%")
        report.perf(f"{lv.full_name}_{name}", value, "%", warn=options.pool_warning,
                    crit=options.pool_critical, minimum=0, maximum=100)
    if not shown and attr.raw and attr.state in ("-", "X"):
        shown.append("inactive, usage unknown")  # nothing can fill a pool or snapshot that is not active
    elif not shown:
        states.append(State.UNKNOWN)
        shown.append("usage not reported")
    report.add(State.worst(states), f"{kind} {lv.full_name}: {', '.join(shown + flags)} [{attr.raw}]")


def evaluate(lvm: LvmReport, options: Options) -> Report:
    """One line per VG, pool, snapshot and damaged LV; worst wins."""
    report = Report(LABEL)
    wanted = list(dict.fromkeys(options.vg)) or [vg.name for vg in lvm.vgs]
    summaries = []
    for name in wanted:
        vg = lvm.vg(name)
        if vg is None:
            report.add(State.CRITICAL, f"vg {name}: missing")
            continue
        _check_vg(report, vg, options)
        if vg.free_percent is not None:
            summaries.append(f"{name} {vg.free_percent:.2f}% free")
        lvs = lvm.lvs_of(name)
        if vg.lv_count and not lvs:
            report.add(State.UNKNOWN, f"vg {name}: holds {vg.lv_count} LV(s) but no LV report about it arrived "
                                      "(did lvs fail?); pools and snapshots unchecked")
        for lv in lvs:
            if not lv.hidden:
                _check_lv(report, lv, options)
                size = format_bytes(lv.size) if lv.size is not None else "size unknown"
                report.detail(" ".join(filter(None, (f"{lv.full_name}: {size}", lv.segtype, f"[{lv.attr.raw}]"))))
    report.ok_summary = ", ".join(summaries) or "nothing to check"
    return report
