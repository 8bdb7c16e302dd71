"""Parse ``ip -json address show`` (iproute2) into the addresses a host has configured, each with its prefix.

Pure, so verify's management-network check runs on real ``ip`` output: the inventory names a host's addresses
only, the host itself knows which network each one is configured in.

Public API
----------
``parse_addresses(text) -> tuple[Address, ...]``
    Every IPv4 (``inet``) and IPv6 (``inet6``) address of every interface, in the order printed; other families
    and entries without a ``local`` address are left out. Raises :class:`IpAddrError` (one line naming what is
    wrong) on empty input, text that is not JSON, or an entry that is not what ``ip -json`` prints.
``Address``
    ``interface`` (the ``ifname``) and ``configured`` (an ``ipaddress`` interface: the address with its prefix
    length, so ``configured.ip`` and ``configured.network``).

Format facts (iproute2 ``ip/ipaddress.c``, checked against ``ip -json address show`` of iproute2 6.1): one JSON
array of links; each has ``ifname`` and ``addr_info``, a list of ``{"family": "inet"|"inet6", "local": ADDRESS,
"prefixlen": N, ...}`` (a point-to-point address also carries the peer as ``address``).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

__all__ = ["Address", "IpAddrError", "parse_addresses"]

FAMILIES = ("inet", "inet6")


class IpAddrError(ValueError):
    """``ip -json address show`` output that cannot be read (one line)."""


@dataclass(frozen=True)
class Address:
    interface: str
    configured: ipaddress.IPv4Interface | ipaddress.IPv6Interface


def parse_addresses(text: str) -> tuple[Address, ...]:
    """The addresses in ``ip -json address show`` output, each with the interface and prefix it is configured with."""
    if not text.strip():
        raise IpAddrError("empty ip -json address output")
    try:
        links = json.loads(text)
    except ValueError as error:
        raise IpAddrError(f"ip -json address output is not JSON: {error}") from None
    if not isinstance(links, list):
        raise IpAddrError("ip -json address output is not a list of interfaces")
    out = []
    for number, link in enumerate(links, 1):
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            raise IpAddrError(f"interface {number}: no ifname")
        infos = link.get("addr_info", [])
        if not isinstance(infos, list):
            raise IpAddrError(f"{link['ifname']}: addr_info is not a list")
        for info in infos:
            if not isinstance(info, dict) or info.get("family") not in FAMILIES or "local" not in info:
                continue
            local, prefix = info["local"], info.get("prefixlen")
            if not isinstance(local, str) or isinstance(prefix, bool) or not isinstance(prefix, int):
                raise IpAddrError(f"{link['ifname']}: address {local!r} with prefix length {prefix!r}")
            try:
                configured = ipaddress.ip_interface(f"{local.partition('%')[0]}/{prefix}")
            except ValueError as error:
                raise IpAddrError(f"{link['ifname']}: {error}") from None
            out.append(Address(link["ifname"], configured))
    return tuple(out)
