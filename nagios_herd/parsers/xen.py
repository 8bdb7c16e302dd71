"""Parse ``xl list`` / ``xm list`` and ``xl info`` output into typed Xen state.

Pure functions over text: the check plugin, the lab simulator's tests and the Fabric layer all read
domains through this module, so the quirks of the real tools are handled in exactly one place.

Public API
----------
``parse_list(text) -> list[Domain]``
    ``xl list`` (also ``xl list -v`` / ``-Z`` / ``-c`` / ``-n`` extra columns) and ``xm list`` (also
    ``--label``); the format is auto-detected per row, in the order printed. Raises ``XenParseError``
    (one line naming the line number and what is wrong) on empty input, a missing header or a row
    that is not a domain.
``parse_info(text) -> HostInfo``
    ``xl info`` / ``xm info`` ``key : value`` lines; ``total_memory_mb`` and ``free_memory_mb`` are
    required (the failover target check needs free memory). Raises ``XenParseError``.
``Domain``
    ``name``, ``domid`` (None for an xm-managed domain that is defined but not running),
    ``memory_mb``, ``vcpus``, ``state`` (the 6 flag chars, ``""`` when xm printed none),
    ``cpu_time`` (seconds), ``uuid`` / ``reason_code`` / ``security_label`` (``xl list -v``, else
    None), ``extra`` (any further columns, raw).
    Flags: ``running`` (r), ``blocked`` (b), ``paused`` (p), ``shutdown`` (s), ``dying`` (d),
    ``shutdown_reason`` (5th char decoded: "poweroff", "reboot", "suspend", "crash", "watchdog",
    "soft_reset", "unknown"; None when not shut down), ``crashed`` (5th char ``c``; xm prints ``c``
    there too), ``zombie`` (name ``(null)``), ``migrating`` (``NAME--incoming`` /
    ``NAME--migratedaway``), ``base_name`` (name without the migration suffix), ``is_dom0``,
    ``active`` (has a domain id), ``alive`` (active and none of paused/shutdown/crashed/dying/zombie),
    ``condition`` (the one word the check reports: zombie, migrating, crashed, dying, shutdown,
    paused, inactive, running).
``HostInfo``
    ``total_memory_mb``, ``free_memory_mb``, ``values`` (every ``key : value`` pair as text).

Format facts (xen tools/xl/xl_info.c ``list_domains``): the header is
``Name ... ID   Mem VCPUs\\tState\\tTime(s)`` with literal TABs in newer xl (spaces in xl 4.0 and xm);
rows are ``%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`` so long names push the columns right and
a name may contain ``-``, ``.`` or digits: a row is read word by word (the name is the shortest run
of words the columns can follow), never split on fixed positions. The 5th state char is the shutdown
reason from ``"-rscwS"`` (``?`` when out of range), so a crashed domain shows ``--psc-``.

Why str methods and no ``re``: check_xen_domain imports this module every minute, and ``re`` (with the
``enum`` it pulls in) was a third of the check's start-up. Within one line of ``splitlines()`` the only
separators are spaces and TABs.
"""

from __future__ import annotations

from nagios_herd.parsers.record import Record

__all__ = ["Domain", "HostInfo", "XenParseError", "parse_info", "parse_list", "MIGRATION_SUFFIXES"]

MIGRATION_SUFFIXES = ("--incoming", "--migratedaway")
_REASONS = {"-": None, "r": "reboot", "s": "suspend", "c": "crash", "w": "watchdog",
            "S": "soft_reset", "?": "unknown"}
_STATE = ("r-", "b-", "p-", "s-", "-rscwS?", "d-")  # the characters each of the 6 state columns may hold
_BLANKS = " \t"
_DIGITS = "0123456789"
_HEX = "0123456789abcdef"
_HEADER = (("Name",), ("ID",), ("Mem", "Mem(MiB)"), ("VCPUs",), ("State",))  # then a word starting Time(s)


class XenParseError(ValueError):
    """The text is not ``xl``/``xm`` output; the message names the line and the problem."""


class Domain(Record):
    """One row of ``xl list``; flags come from the 6-char state column."""

    __slots__ = ("name", "domid", "memory_mb", "vcpus", "state", "cpu_time", "uuid", "reason_code",
                 "security_label", "extra")
    _defaults = {"uuid": None, "reason_code": None, "security_label": None, "extra": ""}
    name: str
    domid: int | None
    memory_mb: int
    vcpus: int
    state: str
    cpu_time: float
    uuid: str | None
    reason_code: str | None
    security_label: str | None
    extra: str

    def _flag(self, index: int, char: str) -> bool:
        return len(self.state) == 6 and self.state[index] == char

    @property
    def running(self) -> bool:
        return self._flag(0, "r")

    @property
    def blocked(self) -> bool:
        return self._flag(1, "b")

    @property
    def paused(self) -> bool:
        return self._flag(2, "p")

    @property
    def shutdown(self) -> bool:
        return self._flag(3, "s")

    @property
    def dying(self) -> bool:
        return self._flag(5, "d")

    @property
    def shutdown_reason(self) -> str | None:
        """Decoded 5th state char; ``poweroff`` when shut down with reason 0 (printed ``-``)."""
        if len(self.state) != 6:
            return None
        reason = _REASONS.get(self.state[4], "unknown")
        if reason is None and self.shutdown:
            return "poweroff"
        return reason

    @property
    def crashed(self) -> bool:
        return self._flag(4, "c")

    @property
    def zombie(self) -> bool:
        return self.name == "(null)"

    @property
    def migrating(self) -> bool:
        return self.name.endswith(MIGRATION_SUFFIXES)

    @property
    def base_name(self) -> str:
        for suffix in MIGRATION_SUFFIXES:
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name

    @property
    def is_dom0(self) -> bool:
        return self.domid == 0 or self.name == "Domain-0"

    @property
    def active(self) -> bool:
        return self.domid is not None

    @property
    def condition(self) -> str:
        """The single worst-first word for this domain, as the check reports it."""
        if self.zombie:
            return "zombie"
        if self.migrating:
            return "migrating"
        if self.crashed:
            return "crashed"
        if self.dying:
            return "dying"
        if self.shutdown:
            return "shutdown"
        if self.paused:
            return "paused"
        if not self.active:
            return "inactive"
        return "running"

    @property
    def alive(self) -> bool:
        return self.condition == "running"


class HostInfo(Record):
    """The host memory figures of ``xl info`` (MiB) plus every raw key."""

    __slots__ = ("total_memory_mb", "free_memory_mb", "values")
    total_memory_mb: int
    free_memory_mb: int
    values: dict[str, str]


def parse_list(text: str) -> list[Domain]:
    """Parse ``xl list`` or ``xm list`` output (header line first) into domains, in order."""
    if not text.strip():  # before splitting: megabytes of blank lines are still only blank
        raise XenParseError("empty input: expected `xl list` output with a 'Name ID Mem' header")
    rows = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    lineno, header = rows[0]
    if not _is_header(header):
        raise XenParseError(f"line {lineno}: not an `xl list`/`xm list` header: {_clip(header)!r}")
    return [_parse_row(line, lineno) for lineno, line in rows[1:]]


def _words(line: str) -> list[tuple[int, str]]:
    """(offset, word) of each run of characters other than space and TAB."""
    found = []
    offset = 0
    for word in line.replace("\t", " ").split(" "):
        if word:
            found.append((offset, word))
        offset += len(word) + 1
    return found


def _is_header(line: str) -> bool:
    words = [word for _, word in _words(line.strip())]
    return (len(words) > len(_HEADER) and all(word in allowed for word, allowed in zip(words, _HEADER))
            and words[len(_HEADER)].startswith("Time(s)"))


def _number(word: str) -> bool:
    return word.isascii() and word.isdigit()


def _is_state(word: str) -> bool:
    return len(word) == 6 and all(char in allowed for char, allowed in zip(word, _STATE))


def _seconds(word: str) -> str:
    """The leading ``DIGITS.DIGITS`` of ``word`` (what follows belongs to further columns), else ``""``."""
    whole, dot, fraction = word.partition(".")
    decimals = len(fraction) - len(fraction.lstrip(_DIGITS))
    return f"{whole}.{fraction[:decimals]}" if dot and decimals and _number(whole) else ""


def _columns(line: str) -> tuple[str, str | None, str, str, str, str, str] | None:
    """(name, ID, Mem, VCPUs, State, Time, the rest of the line), or None when no reading fits.

    The name is the shortest run of words the columns can follow (a name may hold digits and even blanks);
    ID and State may be blank (xm's defined-but-halted domains), and the fullest reading wins."""
    words = _words(line)
    count = len(words)
    for first in range(1, count if line[:1] not in _BLANKS else 0):
        for with_id in (True, False):
            mem = first + with_id
            if (mem + 2 >= count or (with_id and not _number(words[first][1])) or not _number(words[mem][1])
                    or not _number(words[mem + 1][1])):
                continue
            for with_state in (True, False):
                at = mem + 2 + with_state
                if at >= count or (with_state and not _is_state(words[mem + 2][1])):
                    continue
                seconds = _seconds(words[at][1])
                if seconds:
                    name_end = words[first - 1][0] + len(words[first - 1][1])
                    return (line[:name_end], words[first][1] if with_id else None, words[mem][1], words[mem + 1][1],
                            words[mem + 2][1] if with_state else "", seconds, line[words[at][0] + len(seconds):])
    return None


def _verbose(rest: str) -> tuple[str, str, str | None, str] | None:
    """``xl list -v``'s (UUID, Reason-Code, Security Label, anything further) after the Time column, or None."""
    fields = rest.lstrip(_BLANKS)
    uuid, after = fields[:36], fields[36:]
    code = after.lstrip(_BLANKS)
    if fields == rest or not _is_uuid(uuid) or code == after or not code:
        return None
    reason = "-" if code[0] == "-" else code[:len(code) - len(code.lstrip(_HEX))]
    if not reason:
        return None
    after = code[len(reason):]
    labelled = after.lstrip(_BLANKS)
    if not labelled or labelled == after:
        return uuid, reason, None, after
    label = labelled.replace("\t", " ").partition(" ")[0]
    return uuid, reason, label, labelled[len(label):]


def _is_uuid(text: str) -> bool:
    parts = text.split("-")
    return ([len(part) for part in parts] == [8, 4, 4, 4, 12]
            and all(char in _HEX for part in parts for char in part))


def _parse_row(line: str, lineno: int) -> Domain:
    columns = _columns(line)
    if columns is None:
        raise XenParseError(f"line {lineno}: not a domain row (name, ID, Mem, VCPUs, State, "
                            f"Time): {_clip(line)!r}")
    name, domid, memory, vcpus, state, seconds, rest = columns
    uuid = reason = label = None
    extra = rest.strip()
    verbose = _verbose(rest)
    if verbose is not None:
        uuid, reason, label, extra = verbose
        extra = extra.strip()
    return Domain(
        name=name.strip(),
        domid=int(domid) if domid is not None else None,
        memory_mb=int(memory),
        vcpus=int(vcpus),
        state=state,
        cpu_time=float(seconds),
        uuid=uuid,
        reason_code=reason,
        security_label=label,
        extra=extra,
    )


def parse_info(text: str) -> HostInfo:
    """Parse ``xl info`` (``key : value`` lines) and pull out the host memory in MiB."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key and " " not in key:
            values.setdefault(key, value.strip())
    memory = {}
    for key in ("total_memory", "free_memory"):
        raw = values.get(key)
        if raw is None:
            raise XenParseError(f"`xl info` output has no {key} line")
        if not (raw.isascii() and raw.isdigit()):
            raise XenParseError(f"`xl info` {key} is not a number of MiB: {_clip(raw)!r}")
        memory[key] = int(raw)
    return HostInfo(memory["total_memory"], memory["free_memory"], values)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
