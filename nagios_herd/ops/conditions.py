"""The named conditions the steps of every operation test (their text is what plans and refusals print)."""

from __future__ import annotations

from nagios_herd.ops.plan import Check


def absent(host: str) -> Check:
    return Check(f"no domain on {host}", lambda v: v.down(host) is None and v.domain(host) is None)


def secondary(host: str) -> Check:
    return Check(f"{host} is Secondary", lambda v: v.role(host) == "Secondary")


def primary_uptodate(host: str) -> Check:
    return Check(f"{host} is Primary with UpToDate data",
                 lambda v: v.role(host) == "Primary" and v.disk(host) == "UpToDate")


def running(host: str) -> Check:
    return Check(f"domain running on {host}", lambda v: v.alive_on(host))


def synced(host: str) -> Check:
    return Check(f"{host} Connected, UpToDate on both sides", lambda v: v.handshake_done(host))
