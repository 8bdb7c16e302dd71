"""DRBD status text of any supported format → :class:`~nagios_herd.parsers.drbd.model.DrbdStatus`.

Pure functions over text; they raise ``DrbdParseError`` with the offending line, or ``NoStatusSource`` for a DRBD 9
``/proc/drbd`` (version only, or only 8.4-compatibility minors).

- ``detect_and_parse(text)`` auto-detects the format (``detect_format(text)`` names it: ``proc``/``json``/
  ``events2``/``text``); ANSI colours are stripped first (``strip_colors``).
- ``parse_proc_drbd(text)`` (8.x ``/proc/drbd``), ``parse_status_json(text)`` (``drbdsetup status --json``),
  ``parse_events2(text)`` (``drbdsetup events2 --now [--statistics]``), ``parse_status_text(text)``
  (``drbdadm status`` / ``drbdsetup status [-vs]``).

Each parser module is imported only when its format is met: a check pays for one parser, not four.
"""

from __future__ import annotations

from nagios_herd.parsers.drbd.model import NO_RESOURCES, DrbdParseError, DrbdStatus, is_count


def parse_proc_drbd(text: str) -> DrbdStatus:
    from nagios_herd.parsers.drbd.proc import parse

    return parse(text)


def parse_status_json(text: str) -> DrbdStatus:
    from nagios_herd.parsers.drbd.status_json import parse

    return parse(text)


def parse_events2(text: str) -> DrbdStatus:
    from nagios_herd.parsers.drbd.events2 import parse

    return parse(text)


def parse_status_text(text: str) -> DrbdStatus:
    from nagios_herd.parsers.drbd.status_text import parse

    return parse(text)


_EVENT_VERBS = ("exists", "create", "change", "destroy", "call", "response")


def _first_line(text: str) -> tuple[int, str]:
    """The number and text of the first line that is not blank (C-speed even after megabytes of blanks)."""
    body = text.lstrip()
    if not body:
        raise DrbdParseError("empty input: no DRBD status")
    skipped = text[:len(text) - len(body)]
    return skipped.count("\n") + 1, body.split("\n", 1)[0].strip()


def detect_format(text: str) -> str:
    """``proc``, ``json``, ``events2`` or ``text`` from the first meaningful line; else DrbdParseError."""
    number, first = _first_line(text)
    if first[0] in "[{":
        return "json"
    words = first.split()
    if words[0] in _EVENT_VERBS or (len(words) > 1 and words[1] in _EVENT_VERBS):
        return "events2"
    if first.startswith(("version:", "GIT-hash:", "srcversion:")) or (
        words[0].endswith(":") and is_count(words[0][:-1]) and len(words) > 1 and words[1].startswith("cs:")
    ):
        return "proc"
    if first == NO_RESOURCES or (":" not in words[0] and len(words) > 1 and all(":" in w for w in words[1:])):
        return "text"
    raise DrbdParseError(f"line {number}: not a DRBD status format: {first[:60]!r}")


def strip_colors(text: str) -> str:
    """Drop ANSI colour sequences (``drbdsetup --color=always``): ``ESC [ digits/; m``."""
    if "\x1b" not in text:
        return text
    pieces = text.split("\x1b[")
    kept = [pieces[0]]
    for piece in pieces[1:]:
        end = 0
        while end < len(piece) and (piece[end].isdigit() or piece[end] == ";"):
            end += 1
        kept.append(piece[end + 1:] if piece[end:end + 1] == "m" else "\x1b[" + piece)
    return "".join(kept)


def detect_and_parse(text: str) -> DrbdStatus:
    """Parse any supported DRBD status text into a :class:`DrbdStatus` (colours stripped first)."""
    text = strip_colors(text)
    return {"proc": parse_proc_drbd, "json": parse_status_json, "events2": parse_events2,
            "text": parse_status_text}[detect_format(text)](text)
