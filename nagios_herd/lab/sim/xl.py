"""``xl`` for the lab: ``list [-l] [DOMAIN]``, ``create CFG``, ``shutdown [-w] DOMAIN``,
``destroy DOMAIN``, ``pause DOMAIN``, ``unpause DOMAIN``, ``info``,
``migrate [-s SSHCOMMAND] [-e] [-C CFG] DOMAIN HOST`` (``python -m nagios_herd.lab.sim.xl ...``).

Output follows xen ``tools/xl/xl_info.c``: the ``xl list`` header has literal TABs, rows are
``%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f``, Domain-0 first; ``xl info`` is ``%-23s: %s`` lines in
the order of a real host's. An unknown domain is ``NAME is an invalid domain identifier (rc=-6)``, exit 1
(``find_domain`` in ``xl_utils.c``; -6 is ERROR_INVAL from ``libxl_name_to_domid``). ``pause``/``unpause``
print nothing and exit 0 (the lab keeps no pause count: pausing twice is one pause); a paused domain's
state is ``--p---``. ``create`` parses the real xl.cfg file and fails, like libxl's block hotplug, when a
DRBD disk is not Primary here.

``migrate`` follows ``xl_migrate.c``: the receiver creates ``DOMAIN--incoming`` paused on HOST, the memory
copy takes a time proportional to the domain's memory (``migrate_seconds_per_gib``, a fault knob) while
the guest keeps running on the sender, then the receiver attaches the disks, which needs its DRBD side
Primary (dual-primary while the sender still holds it) and Connected (lab hosts replicate over the address
the stream uses), the names swap and the sender's copy goes. The messages, the ``--incoming`` state and
exit 1 on every failure are xl's; a failure before the point of no return resumes the guest at the sender.
The transport command (``-s``, default ``ssh``) is named in messages, not run: the lab's hosts share one
state file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from nagios_herd.lab.sim.common import main_wrapper, session
from nagios_herd.lab.sim.drbd_ops import SimError
from nagios_herd.lab.sim.engine import Lab, resources_of

HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
XEN_CONFIG_DIR = "/etc/xen"


def _row(name: str, domid: int, mem: int, vcpus: int, state: str, seconds: float) -> str:
    return f"{name:<40} {domid:5d} {mem:5d} {vcpus:5d}     {state}  {seconds:8.1f}\n"


def _find(lab: Lab, host: str, name: str) -> dict[str, Any]:
    dom = lab.domains(host).get(name)
    if dom is None:
        raise SimError([f"{name} is an invalid domain identifier (rc=-6)"], 1)
    return dom


def _list(lab: Lab, host: str, names: list[str], long: bool) -> str:
    info = lab.host(host)
    for name in names:
        if name != "Domain-0":
            _find(lab, host, name)
    doms = sorted(((n, d) for n, d in lab.domains(host).items() if not names or n in names),
                  key=lambda item: item[1]["domid"])
    if long:
        return json.dumps([{"domid": d["domid"], "config": _libxl_config(n, d)} for n, d in doms], indent=4) + "\n"
    out = [HEADER]
    if not names or "Domain-0" in names:
        out.append(_row("Domain-0", 0, info["dom0_memory_mb"], 2, "r-----", (lab.now - info["booted_at"]) * 0.05))
    for name, dom in doms:
        state = "--p---" if dom.get("paused") else "r-----" if lab.now < dom["boot_until"] else "-b----"
        out.append(_row(name, dom["domid"], dom["memory_mb"], dom["vcpus"], state, (lab.now - dom["started"]) * 0.02))
    return "".join(out)


def _libxl_config(name: str, dom: dict[str, Any]) -> dict[str, Any]:
    """What ``libxl_domain_config_to_json`` gives for a PV guest: configuration only, no run state."""
    import hashlib  # only ``list -l`` needs it

    config, vcpus, memkb = dom["config"], dom["vcpus"], dom["memory_mb"] * 1024
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    disks = []
    for spec in config.get("disk", []):
        parts = spec.split(",")
        backend, _, path = parts[0].rpartition(":")
        disks.append({"pdev_path": path, "vdev": parts[1] if len(parts) > 1 else "",
                      "backend": backend or "phy", "format": "raw", "readwrite": int("w" in parts[2:3])})
    nics = []
    for devid, spec in enumerate(config.get("vif", [])):
        fields = dict(item.split("=", 1) for item in spec.split(",") if "=" in item)
        nics.append({"devid": devid, "mac": fields.get("mac", ""), "bridge": fields.get("bridge", "")})
    return {
        "c_info": {"type": "pv", "name": name,
                   "uuid": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"},
        "b_info": {"max_vcpus": vcpus, "avail_vcpus": list(range(vcpus)), "max_memkb": memkb,
                   "target_memkb": memkb, "type.pv": {"bootloader": config.get("bootloader", "pygrub")}},
        "disks": disks, "nics": nics,
        "on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "restart",
    }


def _info(lab: Lab, host: str) -> str:
    info, uname = lab.host(host), os.uname()
    used = info["dom0_memory_mb"] + sum(d["memory_mb"] for d in lab.domains(host).values())
    free = max(info["memory_mb"] - used, 0)
    cpus = os.cpu_count() or 1
    rows = [
        ("host", host), ("release", uname.release), ("version", uname.version), ("machine", uname.machine),
        ("nr_cpus", cpus), ("nr_nodes", 1), ("cores_per_socket", cpus), ("threads_per_core", 1),
        ("cpu_mhz", 2660), ("hw_caps", "bfebfbff:20100800:00000000:00000940:0004e3bd:00000000:00000001:00000000"),
        ("virt_caps", ""), ("total_memory", info["memory_mb"]), ("free_memory", free),
        ("node_to_cpu", f"node0:0-{cpus - 1}"), ("node_to_memory", f"node0:{free}"),
        ("node_to_dma32_mem", "node0:2985"), ("max_node_id", 0), ("xen_major", 4), ("xen_minor", 17),
        ("xen_extra", ".3"), ("xen_caps", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "),
        ("xen_scheduler", "credit2"), ("xen_pagesize", 4096), ("platform_params", "virt_start=0xffff800000000000"),
        ("xen_changeset", "unavailable"),
        ("xen_commandline", f"placeholder dom0_mem={info['dom0_memory_mb']}M,max:{info['dom0_memory_mb']}M"),
        ("cc_compiler", "x86_64-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0"), ("cc_compile_by", "pkg-xen-devel"),
        ("cc_compile_domain", "lists.alioth.debian.org"), ("cc_compile_date", "Thu Nov 26 00:00:00 UTC 2026"),
        ("xend_config_format", 4),
    ]
    return "".join(f"{key:<23}: {value}\n" for key, value in rows)


def _create(path: str) -> None:
    from nagios_herd.parsers.xlcfg import XlConfigError, parse  # only create reads a config file

    if not os.path.exists(path) and not os.path.isabs(path):
        path = os.path.join(XEN_CONFIG_DIR, path) if os.path.exists(os.path.join(XEN_CONFIG_DIR, path)) else path
    print(f"Parsing config from {path}", file=sys.stderr)
    try:
        with open(path, encoding="utf-8") as handle:
            config = parse(handle.read())
    except OSError as exc:
        raise SimError([f"Failed to read config file: {path}: {exc.strerror}"], 1) from None
    except XlConfigError as exc:
        raise SimError([f"{path}:{exc.line}: config parsing error: {str(exc).split(': ', 1)[-1]}",
                        "Failed to parse config: Invalid argument"], 1) from None
    name = config.get("name")
    if not isinstance(name, str) or not name:
        raise SimError(["Domain name must be specified."], 1)
    config.setdefault("memory", 128)
    with session() as (lab, host):
        _start(lab, host, name, config)


def _start(lab: Lab, host: str, name: str, config: dict[str, Any]) -> None:
    info = lab.host(host)
    domid = info["next_domid"]
    if name in lab.domains(host):
        raise SimError([f'libxl: error: libxl_create.c:686:libxl__domain_make: Domain {domid}:'
                        f'domain with name "{name}" already exists.'], 1)
    used = info["dom0_memory_mb"] + sum(d["memory_mb"] for d in lab.domains(host).values())
    for res in resources_of(config, lab.data["resources"]):
        side = lab.side(res, host)
        peer_ok = lab.resource(res)["connected"] and lab.side(res, lab.peer_of(host))["disk"] == "UpToDate"
        if not side["up"] or side["role"] != "Primary" or not (side["disk"] == "UpToDate" or peer_ok):
            info["next_domid"] += 1
            raise SimError(_hotplug_failure(domid), 1)
    if used + int(config["memory"]) > info["memory_mb"]:
        info["next_domid"] += 1
        raise SimError([f"libxl: error: libxl_create.c:1571:domcreate_rebuild_done: Domain {domid}:"
                        "cannot (re-)build domain: -3", *_destroy_lines(domid)], 1)
    lab.start_domain(host, name, config)


def _hotplug_failure(domid: int) -> list[str]:
    vbd = f"/local/domain/0/backend/vbd/{domid}/51712"
    return [f"libxl: error: libxl_device.c:1225:device_backend_callback: Domain {domid}:unable to add device with path {vbd}",
            f"libxl: error: libxl_create.c:1862:domcreate_attach_devices: Domain {domid}:unable to add disk devices",
            *_destroy_lines(domid)]


def _destroy_lines(domid: int) -> list[str]:
    return [f"libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain {domid}:Non-existant domain",
            f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain {domid}:Unable to destroy guest",
            f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain {domid}:Destruction of domain failed"]


def _shutdown(name: str, wait: bool) -> None:
    with session() as (lab, host):
        _find(lab, host, name)
        dom = lab.request_shutdown(host, name)
        domid, due = dom["domid"], dom["shutdown_at"]
    print(f"Shutting down domain {domid}", file=sys.stderr)
    if not wait:
        return
    print("Waiting for 1 domains", file=sys.stderr)
    while True:
        time.sleep(min(max(due - time.time(), 0.0), 0.5) + 0.01)
        with session() as (lab, host):
            dom = lab.domains(host).get(name)
            if dom is None or dom["domid"] != domid:
                break
            due = dom["shutdown_at"] or due
    print(f"Domain {domid} has been shut down, reason code 0", file=sys.stderr)


MIGRATE_VALUE_OPTIONS = ("-s", "-C")
MIGRATE_FLAGS = ("-e", "-F", "-p", "-D", "--debug", "--live")


def _lab_host(lab: Lab, name: str) -> str | None:
    """The lab host called ``name`` or reached at that address."""
    for host, info in lab.data["hosts"].items():
        if name in (host, info.get("address"), info.get("ssh_address")):
            return host
    return None


def _migrate(args: list[str]) -> None:
    options: dict[str, str] = {}
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        if arg in MIGRATE_VALUE_OPTIONS:
            options[arg] = next(items, "")
        elif arg in MIGRATE_FLAGS:
            options[arg] = ""
        elif arg.startswith("-"):
            raise SimError([f"xl migrate: unrecognized option '{arg}'"], 1)
        else:
            rest.append(arg)
    if len(rest) != 2:
        raise SimError(["'xl migrate' requires at least 2 arguments."], 1)
    name, where = rest
    transport = options.get("-s", "ssh")
    command = f"{transport} {where} xl migrate-receive" + (" -e" if "-e" in options or "-F" in options else "")
    with session() as (lab, host):
        dom = _find(lab, host, name)
        target = _lab_host(lab, where)
        if target is None or target == host or not lab.host(target)["alive"] or lab.data["link"] != "up":
            raise SimError(["migration receiver stream contained unexpected data instead of banner",
                            f"(command run was: {command} )"], 1)
        info = lab.host(target)
        used = info["dom0_memory_mb"] + sum(d["memory_mb"] for d in lab.domains(target).values())
        print("migration target: Ready to receive domain.", file=sys.stderr, flush=True)
        if f"{name}--incoming" in lab.domains(target) or name in lab.domains(target):
            raise SimError([f'libxl: error: libxl_create.c:686:libxl__domain_make: Domain {info["next_domid"]}:'
                            f'domain with name "{name}--incoming" already exists.',
                            "migration target: Domain creation failed (code -3).",
                            "Migration failed, resuming at sender."], 1)
        if used + dom["memory_mb"] > info["memory_mb"]:
            raise SimError(["migration target: Domain creation failed (code -3).",
                            "Migration failed, resuming at sender."], 1)
        print(f"Saving to migration stream new xl format (info 0x3/0x0/{len(json.dumps(dom['config']))})",
              file=sys.stderr, flush=True)
        lab.receive_domain(target, name, dom)
        seconds = dom["memory_mb"] / 1024 * lab.data["settings"].get("migrate_seconds_per_gib", 1.0)
    time.sleep(seconds)  # the live memory copy: the guest goes on running (and writing) at the sender
    with session() as (lab, host):
        failure = _receiver_failure(lab, host, target, name)
        if failure:
            if lab.host(target)["alive"]:
                lab.domains(target).pop(f"{name}--incoming", None)
            raise SimError([*failure, "Migration failed, resuming at sender."], 1)
        lab.finish_migration(host, target, name)
    for line in ("migration target: Transfer complete, requesting permission to start domain.",
                 "migration sender: Target has acknowledged transfer.",
                 "migration sender: Giving target permission to start.",
                 "migration target: Got permission, starting domain.",
                 "migration target: Domain started successsfully.",
                 "migration sender: Target reports successful startup.",
                 "Migration successful."):
        print(line, file=sys.stderr)


def _receiver_failure(lab: Lab, source: str, target: str, name: str) -> list[str]:
    """Why the receiver could not take the domain after the copy (empty: it can)."""
    if not lab.host(target)["alive"] or f"{name}--incoming" not in lab.domains(target):
        return ["libxl: error: libxl_stream_read.c:845:libxl__xc_domain_restore_done: "
                "read: file/stream truncated reading ready message from migration receiver stream"]
    if name not in lab.domains(source):
        return ["migration sender: libxl_domain_suspend failed (rc=-3)"]
    domid = lab.domains(target)[f"{name}--incoming"]["domid"]
    for res in resources_of(lab.domains(source)[name]["config"], lab.data["resources"]):
        side = lab.side(res, target)
        if lab.data["link"] != "up" or not lab.resource(res)["connected"] or side["role"] != "Primary":
            return [*_hotplug_failure(domid)[:2], "migration target: Domain creation failed (code -3)."]
    return []


def run(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    options = [a for a in args if a.startswith("-")]
    names = [a for a in args if not a.startswith("-")]
    if command == "list":
        with session() as (lab, host):
            sys.stdout.write(_list(lab, host, names, bool({"-l", "--long"} & set(options))))
    elif command == "info":
        with session() as (lab, host):
            sys.stdout.write(_info(lab, host))
    elif command == "create" and names:
        _create(names[0])
    elif command == "shutdown" and len(names) == 1:
        _shutdown(names[0], bool({"-w", "--wait"} & set(options)))
    elif command == "migrate":
        _migrate(args)
    elif command == "destroy" and len(names) == 1:
        with session() as (lab, host):
            _find(lab, host, names[0])
            lab.stop_domain(host, names[0])
    elif command in ("pause", "unpause") and len(names) == 1:
        with session() as (lab, host):
            _find(lab, host, names[0])
            lab.pause_domain(host, names[0], command == "pause")
    else:
        raise SimError([f"xl: command not implemented in the lab simulator: {' '.join(argv)}"
                        if command not in ("list", "info", "create", "shutdown", "destroy", "migrate", "pause", "unpause")
                        else f"'xl {command}' requires one domain or config file argument"], 1)
    return 0


def main() -> None:
    main_wrapper("xl", run, 1)


if __name__ == "__main__":
    main()
