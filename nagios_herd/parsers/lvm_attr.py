"""``lv_attr`` decoded by position, as lvs(8) NOTES describe the 10 characters (part of ``nagios_herd.parsers.lvm``).

Kept apart from the report parser because the meaning of each column is reference material of its own:
1 volume type (``t`` thin pool, ``T`` pool data, ``V`` thin, ``s`` snapshot, ``o`` origin, ``e`` metadata or
spare, ...), 2 permissions, 3 allocation policy, 4 fixed minor, 5 state (``a`` active, ``I`` invalid
snapshot, ``S`` invalid suspended snapshot, ``m``/``M`` merge failed, ``c``/``C`` thin-pool check needed,
``X`` unknown: activation disabled or no device-mapper), 6 device open, 7 target type, 8 zeroing,
9 health (``p`` partial; thin pools ``F`` failed, ``D`` out of data space, ``M`` metadata read-only; RAID
``r``/``m``/``w``; writecache ``E``), 10 ``k`` skip activation.
"""

from __future__ import annotations

from nagios_herd.parsers.record import Record

_HEALTH = {"p": "partial", "F": "failed", "D": "out of data space", "M": "metadata read-only",
           "r": "refresh needed", "m": "mismatches exist", "E": "writecache error"}


class LvAttr(Record):
    """``lv_attr`` decoded by position (lvs(8) NOTES); short (old lvm) strings are padded with ``-``."""

    __slots__ = ("raw",)
    raw: str

    def _at(self, index: int) -> str:
        return self.raw[index] if index < len(self.raw) else "-"

    volume_type = property(lambda self: self._at(0))
    permissions = property(lambda self: self._at(1))
    allocation = property(lambda self: self._at(2))
    fixed_minor = property(lambda self: self._at(3))
    state = property(lambda self: self._at(4))
    device_open = property(lambda self: self._at(5))
    target_type = property(lambda self: self._at(6))
    zero = property(lambda self: self._at(7))
    health = property(lambda self: self._at(8))
    skip_activation = property(lambda self: self._at(9))

    @property
    def active(self) -> bool:
        return self.state == "a"

    @property
    def state_unknown(self) -> bool:
        return self.state == "X"

    @property
    def invalid_snapshot(self) -> bool:
        return self.state in ("I", "S")

    @property
    def merge_failed(self) -> bool:
        return self.state in ("m", "M")

    @property
    def check_needed(self) -> bool:
        return self.state in ("c", "C")

    @property
    def partial(self) -> bool:
        return self.health == "p"

    @property
    def failed(self) -> bool:
        return self.health == "F"

    @property
    def out_of_data(self) -> bool:
        return self.health == "D"

    @property
    def metadata_read_only(self) -> bool:
        return self.health == "M"

    @property
    def health_problem(self) -> str | None:
        """One phrase for the health column, None when healthy (``-``) or unknown (``X``)."""
        return _HEALTH.get(self.health)
