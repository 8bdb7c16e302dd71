"""``key:value`` words of drbdsetup's text outputs (events2, status) into model objects.

Both ``drbdsetup events2`` and ``drbdadm status`` / ``drbdsetup status`` describe devices and peer devices
with the same keys (``disk``, ``client``, ``quorum``, ``size``, ``replication``, ``peer-disk``, ``done``,
``out-of-sync``…); one reading of them serves both parsers. Sizes and out-of-sync counts are KiB.
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.model import (
    SYNC_STATES,
    UNKNOWN_ETA,
    Device,
    DrbdParseError,
    PeerDevice,
    is_count,
    percent,
)


def fields(words: list[str], where: str) -> dict[str, str]:
    """``key:value`` words → dict; a ``--diff`` value ``old->new`` keeps ``new``."""
    found: dict[str, str] = {}
    for word in words:
        key, colon, value = word.partition(":")
        if not colon or not key:
            raise DrbdParseError(f"{where}: expected key:value, got {word!r}")
        found[key] = value.rsplit("->", 1)[-1]
    return found


def number(values: dict[str, str], key: str, where: str) -> int | None:
    """The non-negative integer under ``key``; None when absent."""
    value = values.get(key)
    if value is None:
        return None
    if not is_count(value):
        raise DrbdParseError(f"{where}: {key}:{value} is not a number")
    return int(value)


def reasons(value: str | None) -> tuple[str, ...]:
    """``suspended:user,quorum`` → ("user", "quorum"); ``no`` → ()."""
    return tuple(part for part in (value or "").split(",") if part and part != "no")


def _kib(count: int | None) -> int | None:
    return None if count is None else count * 1024


def device(values: dict[str, str], volume: int, where: str) -> Device:
    return Device(
        volume, number(values, "minor", where), values.get("disk", "DUnknown"),
        client=values.get("client") == "yes",
        quorum=None if "quorum" not in values else values["quorum"] == "yes",
        size_bytes=_kib(number(values, "size", where)),
    )


def peer_device(values: dict[str, str], volume: int, where: str, *, replication: str) -> PeerDevice:
    """A peer device; ``replication`` is the state to assume when the line omits it.

    Under a connection in ``drbdadm status``, older drbd-utils print the peer's disk as ``disk:``.
    """
    state = values.get("replication", replication)
    done = values.get("done")
    done_percent = None if done is None else percent(done, f"{where}: done")
    eta = None if values.get("eta", "").lstrip("-") in ("nan", "inf") else number(values, "eta", where)  # %.0f of NAN
    return PeerDevice(
        volume, state, values.get("peer-disk", values.get("disk", "DUnknown")),
        peer_client=values.get("peer-client") == "yes",
        out_of_sync_bytes=_kib(number(values, "out-of-sync", where)),
        sync_done_percent=done_percent if state in SYNC_STATES else None,
        eta_seconds=None if eta is None or eta == UNKNOWN_ETA else eta,
        resync_suspended=reasons(values.get("resync-suspended")),
    )
