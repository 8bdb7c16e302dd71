"""A team's own hosts and services as Nagios ``define`` blocks, written in plain Python.

These two are the hot object files: a large herd has hundreds of thousands of team services, and a Jinja loop
costs several times the string building it does. So the templates ``hosts.cfg.j2`` and ``services.cfg.j2`` write the
herd's own objects and call :func:`team_hosts` / :func:`team_services` (Jinja globals) for the team's. Every value
still goes through the quoting filter of :mod:`nagios_herd.generate.filters`, exactly as a template would pipe it;
a refused value raises :class:`~nagios_herd.generate.filters.FilterError` and the renderer names the file.

Layout: each object is ``"\\ndefine KIND {\\n" … "}\\n"``, so the text follows the file's header line directly.
An object with a ``nagios`` table (adopted) gets neither the herd's template nor the team's contact group.
"""

from __future__ import annotations

from nagios_herd.generate.filters import nagarg, nagdirectives, nagteam, nagteamarg, nagteamlist, nagval
from nagios_herd.generate.views import GuestView
from nagios_herd.model import MonitoredHost, Service


def team_hosts(view: GuestView) -> str:
    """Every host of the view's team, in model order."""
    blocks = []
    for host in view.guest.team.hosts:
        nagios = host.nagios
        block = ["\ndefine host {\n"]
        if nagios is None:
            block.append("    use             herd-host\n")
        block.append(f"    host_name       {nagteam(host.name)}\n    alias           {nagteam(host.alias)}\n"
                     f"    address         {nagval(host.address)}\n")
        if host.parents:
            block.append(f"    parents         {nagteamlist(host.parents)}\n")
        block.append(_who_and_directives(host, view, 16))
        blocks.append("".join(block))
    return "".join(blocks)


def team_services(view: GuestView) -> str:
    """Every service of the view's team, in model order (a herd-wide command keeps the herd's strict arguments)."""
    herd_commands = view.herd_command_names
    checks: dict[tuple[str, tuple[str, ...]], str] = {}  # (command, args) -> its line: hosts repeat services
    blocks = []
    for service in view.guest.team.services:
        nagios = service.nagios
        names = (f"    host_name               {nagteam(service.host)}\n"
                 f"    service_description     {nagteam(service.description)}\n")
        key = (service.command, service.args)
        check = checks.get(key)
        if check is None:
            if service.command in herd_commands:
                words = [nagval(service.command), *(nagarg(arg) for arg in service.args)]
            else:
                words = [nagteam(service.command), *(nagteamarg(arg) for arg in service.args)]
            check = checks[key] = f"    check_command           {'!'.join(words)}\n"
        block = ["\ndefine service {\n    use                     herd-service\n" if nagios is None
                 else "\ndefine service {\n", names, check]
        if service.groups:
            block.append(f"    servicegroups           {nagteamlist(service.groups)}\n")
        block.append(_who_and_directives(service, view, 24))
        blocks.append("".join(block))
    return "".join(blocks)


def _who_and_directives(obj: MonitoredHost | Service, view: GuestView, width: int) -> str:
    """The end both object kinds share: who is told (the object's own contacts, else the team's contact group
    unless the object was adopted with its own directives) and the adopted directives, then the closing brace."""
    tail = []
    if obj.contacts:
        tail.append(f"    {'contacts':<{width}}{nagteamlist(obj.contacts)}\n")
    elif obj.nagios is None:
        tail.append(f"    {'contact_groups':<{width}}{nagval(view.contactgroup)}\n")
    if obj.nagios:
        tail.append(f"{nagdirectives(obj.nagios)}\n")
    tail.append("}\n")
    return "".join(tail)


GLOBALS = {"team_hosts": team_hosts, "team_services": team_services}
