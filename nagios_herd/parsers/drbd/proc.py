"""Parser of DRBD 8.0/8.3/8.4 ``/proc/drbd`` into :class:`nagios_herd.parsers.drbd.model.DrbdStatus`.

Token-based rather than regex-based: ``re`` (with ``enum``) would cost a third of the check's start-up
budget, and the format is whitespace-separated ``key:value`` words. Quirks handled (ganeti
``drbd_info.py``, Checkmk and node_exporter fixtures): ``st:`` (8.0) or ``ro:`` (8.3+) roles; NUL bytes;
TAB, space or no indentation (a paste that lost it, a build tag wrapped onto a second line); blank
lines; missing ``version:`` line; ``Unconfigured`` minors; the
progress bar and ``finish:`` on one line (kernel 2.6.39); ``stalled``; ``want:``/``delay_probe:``;
``oos:`` in KiB; I/O flags (``s`` = I/O suspended, ``a``/``p``/``u`` = resync paused).
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.model import (
    SYNC_STATES,
    Connection,
    Device,
    DrbdParseError,
    DrbdStatus,
    NoStatusSource,
    PeerDevice,
    Resource,
    is_count,
    percent,
)

_HEADER_KEYS = ("version:", "GIT-hash:", "srcversion:", "Transports")  # Transports: DRBD 9
_PAUSE_FLAGS = {1: "dependency", 2: "peer", 3: "user"}


def _seconds(clock: str) -> int | None:
    """``h:mm:ss`` → seconds."""
    parts = clock.split(":")
    if not parts or not all(is_count(part) for part in parts):
        return None
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return total


def _split_pair(value: str, where: str) -> tuple[str, str]:
    local, _, peer = value.partition("/")
    if not local:
        raise DrbdParseError(f"{where}: empty state {value!r}")
    return local, peer or "Unknown"


def _kib(value: str, where: str) -> int:
    if not is_count(value):
        raise DrbdParseError(f"{where}: {value!r} is not a number of KiB")
    return int(value) * 1024


class _Minor:
    """The facts gathered for one minor until the next minor line."""

    def __init__(self, minor: int, fields: dict[str, str], flags: str) -> None:
        self.minor, self.fields, self.flags = minor, fields, flags
        self.oos: int | None = None
        self.done: float | None = None
        self.remaining: int | None = None
        self.eta: int | None = None
        self.stalled = False
        self.counted = False  # the kernel prints an "ns: nr: ..." line under every configured minor

    def stats(self, line: str, where: str) -> None:
        words = line.replace("finish:", " finish:").split()
        self.counted = self.counted or words[0].startswith("ns:")
        for index, word in enumerate(words):
            following = words[index + 1] if index + 1 < len(words) else ""
            if word.startswith("oos:"):
                self.oos = _kib(word[4:], where)
            elif word in ("sync'ed:", "verified:") and following.endswith("%"):  # verified: during Verify*
                self.done = percent(following[:-1], f"{where}: {word}")
            elif word.startswith("(") and "/" in word and word[-1] in "KM" and word[-2] == ")":
                remaining = word[1:].split("/", 1)[0]
                if is_count(remaining):
                    self.remaining = int(remaining) * (1024 if word[-1] == "K" else 1024 * 1024)
            elif word == "finish:":
                self.eta = _seconds(following)
            elif word.strip("()") == "stalled":  # 8.3: "stalled" on its own line; 8.4: "K/sec (stalled)"
                self.stalled = True

    def resource(self) -> Resource:
        where = f"minor {self.minor}"
        role, peer_role = _split_pair(self.fields.get("ro") or self.fields.get("st") or "", where)
        disk, peer_disk = _split_pair(self.fields.get("ds", ""), where)
        cstate = self.fields["cs"]
        flags = self.flags
        suspended = ("io",) if flags[:1] == "s" else ()
        paused = tuple(reason for position, reason in _PAUSE_FLAGS.items()
                       if len(flags) > position and flags[position] != "-")
        if cstate == "Connected":
            connection_state, replication = "Connected", "Established"
        elif cstate in SYNC_STATES or cstate in ("Ahead", "Behind"):
            connection_state, replication = "Connected", cstate
        else:
            connection_state, replication = cstate, "Off"
        oos = self.oos if self.oos is not None else self.remaining
        peer_device = PeerDevice(
            0, replication, peer_disk, out_of_sync_bytes=oos, sync_done_percent=self.done,
            eta_seconds=self.eta, stalled=self.stalled, resync_suspended=paused,
        )
        return Resource(
            str(self.minor), role, suspended=suspended,
            devices=[Device(0, self.minor, disk)],
            connections=[Connection("peer", connection_state, peer_role, [peer_device])],
        )


def _minor_line(words: list[str], where: str) -> tuple[int, dict[str, str], str]:
    minor = int(words[0][:-1])
    fields: dict[str, str] = {}
    flags = ""
    for word in words[1:]:
        key, colon, value = word.partition(":")
        if colon:
            fields[key] = value
        elif len(word) >= 4:
            flags = word
    if "cs" not in fields:
        raise DrbdParseError(f"{where}: minor {minor} has no cs: field")
    if fields["cs"] != "Unconfigured" and not (("ro" in fields or "st" in fields) and "ds" in fields):
        raise DrbdParseError(f"{where}: minor {minor} lacks ro:/st: or ds:")
    return minor, fields, flags


def parse(text: str) -> DrbdStatus:
    """Parse a whole ``/proc/drbd``; DRBD 9 (version line only) raises :class:`NoStatusSource`."""
    version: str | None = None
    minors: list[_Minor] = []
    unconfigured: list[int] = []
    current: _Minor | None = None
    tag_wraps = False  # a pasted copy may wrap the build tag onto one further line
    seen: set[int] = set()
    for number, raw in enumerate(text.replace("\x00", "").splitlines(), 1):
        line = raw.strip()
        where = f"line {number}"
        if not line:
            continue
        words = line.split()
        if line.startswith(_HEADER_KEYS):
            if words[0] == "version:" and len(words) > 1:
                version = words[1]
            current, tag_wraps = None, words[0] in ("GIT-hash:", "srcversion:")
            continue
        wrapped, tag_wraps = tag_wraps, False
        if words[0].endswith(":") and is_count(words[0][:-1]):
            minor, fields, flags = _minor_line(words, where)
            if minor in seen:
                raise DrbdParseError(f"{where}: minor {minor} listed twice")
            seen.add(minor)
            if fields["cs"] == "Unconfigured":
                unconfigured.append(minor)
                current = None
            else:
                current = _Minor(minor, fields, flags)
                minors.append(current)
            continue
        if current is not None and (raw[:1].isspace() or ":" in words[0] or line[0] == "["):
            current.stats(line, where)  # indented, or key:value / progress bar when a paste lost the indent
            continue
        if wrapped:
            continue
        raise DrbdParseError(f"{where}: unexpected /proc/drbd line {line[:60]!r}")
    major = (version or "").split(".")[0]
    if is_count(major) and int(major) >= 9:  # minors listed are only those in 8.4 compatibility mode
        shown = "lists only 8.4-compatibility resources" if minors or unconfigured else "carries no resource state"
        raise NoStatusSource(f"DRBD {version} /proc/drbd {shown}: use drbdsetup status --json")
    cut = next((m.minor for m in minors if not m.counted), None)
    if cut is not None:
        raise DrbdParseError(f"minor {cut}: no 'ns: nr: ...' counters line after its state (output cut short?)")
    if version is None and not minors and not unconfigured:
        raise DrbdParseError("no version line and no minors: not a /proc/drbd")
    return DrbdStatus("proc", version, [m.resource() for m in minors], unconfigured_minors=tuple(unconfigured))
