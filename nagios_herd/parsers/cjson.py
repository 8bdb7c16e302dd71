"""JSON read and written through ``_json``, the C scanner and encoder the ``json`` package itself uses.

Why: ``import json`` imports ``json.decoder``, which imports ``re`` (and with it ``enum``, ``functools`` and
``collections``): about 4 ms, a third of a check plugin's start-up. The checks that read JSON (``lvm
--reportformat json`` reports, the DRBD stall tracker's state file) call these functions instead. ``json`` is
still imported where it says something better or where ``_json`` is missing (another Python): to word an error
(its line and column), never on a good document.
"""

from __future__ import annotations


class _Decoding:
    """The settings ``_json.make_scanner`` reads (those of ``json.JSONDecoder()``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    parse_constant = staticmethod(float)  # NaN, Infinity, -Infinity, as json reads them


def raw_decode(text: str, position: int = 0) -> tuple[object, int]:
    """``json.JSONDecoder().raw_decode(text, position)``: the document starting at ``position`` (no leading
    whitespace) and where it ends; ``json.JSONDecodeError`` (a ValueError with ``lineno``/``colno``) when there
    is none."""
    try:
        from _json import make_scanner
    except ImportError:
        make_scanner = None
    if make_scanner is not None:
        try:
            return make_scanner(_Decoding)(text, position)
        except Exception:  # noqa: BLE001, S110 - the C scanner's failures vary: json words them (a rare path)
            pass
    import json

    return json.JSONDecoder().raw_decode(text, position)


def loads(text: str) -> object:
    """``json.loads(text)``; ValueError on anything that is not one JSON document."""
    start = len(text) - len(text.lstrip(" \t\n\r"))
    value, end = raw_decode(text, start)
    if text[end:].strip(" \t\n\r"):
        raise ValueError(f"extra data at character {end}")
    return value


def dumps(data: object, *, sort_keys: bool = True) -> str:
    """``json.dumps(data, sort_keys=sort_keys)``."""
    try:
        from _json import encode_basestring_ascii, make_encoder
    except ImportError:
        import json

        return json.dumps(data, sort_keys=sort_keys)
    encode = make_encoder({}, _unserialisable, encode_basestring_ascii, None, ": ", ", ", sort_keys, False, True)
    return "".join(encode(data, 0))


def _unserialisable(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
