"""Parse ``vgs`` / ``lvs`` / ``lvm fullreport`` JSON reports into typed volume groups and volumes.

Pure functions over text, shared by ``check_lvm_capacity``, the lab and the Fabric rebuild task (which
compares LV sizes), so every quirk of the real tools is handled here once.

Public API
----------
``parse_report(text) -> Report``
    One or several concatenated ``--reportformat json`` documents (``vgs``, ``lvs [-a]``,
    ``lvm fullreport``, with or without a ``log`` section; lvm's stderr lines captured before the first
    document become ``log`` rows of type ``print``). Rows describing the same VG (by name) or
    LV (by VG and name) are merged, later fields filling in. An LV row also makes its VG known (with
    whatever ``vg_*`` columns it carries): an ``lvs``-only report has VGs whose sizes are None, so
    run ``vgs`` (or ``lvm fullreport``) too when free space or extents matter. Raises ``LvmParseError`` (one line: what
    and where) on empty input, invalid JSON, a document without ``report``, or a value that is not
    the type its field needs.
``Report``
    ``vgs`` (tuple of ``VG``), ``lvs`` (tuple of ``LV``), ``log`` (tuple of dicts, the ``log``
    rows as printed), ``sections`` (frozenset of the report sections present, even empty: ``vg``,
    ``lv``, ``pv``…; a ``pvs`` report says nothing about VGs), ``vg(name) -> VG | None``,
    ``lvs_of(vg_name) -> list[LV]``.
``VG``
    ``name``, ``attr`` (6 chars), ``size`` / ``free`` / ``extent_size`` (bytes or None),
    ``extent_count`` / ``free_count`` / ``pv_count`` / ``missing_pv_count`` / ``lv_count`` /
    ``snap_count`` (int or None); ``partial`` (attr ``p`` or a missing PV), ``read_only``
    (attr ``r``), ``exported`` (``x``), ``free_percent`` (from extents when present: exact; else
    from bytes; None when unknown).
``LV``
    ``name`` (brackets of hidden LVs removed), ``vg`` (``""`` when the report names no VG, as
    ``lvs -o lv_name,lv_size`` does), ``attr`` (``LvAttr``), ``size`` (bytes or
    None), ``pool_lv``, ``origin``, ``segtype``, ``data_percent`` / ``metadata_percent`` /
    ``snap_percent`` (float, or None when lvm printed an empty value: inactive pool, not a pool),
    ``hidden``; ``full_name`` (``vg/name``), ``is_thin_pool``, ``is_snapshot`` (old-style),
    ``usage_percent`` (data%, else snap%).
``LvAttr`` (from ``nagios_herd.parsers.lvm_attr``, re-exported; import it from here)
    The 10 ``lv_attr`` characters decoded per lvs(8): ``volume_type``, ``permissions``,
    ``allocation``, ``fixed_minor``, ``state``, ``device_open``, ``target_type``, ``zero``,
    ``health``, ``skip_activation``; predicates ``active``, ``state_unknown`` (``X``: activation
    disabled or no device-mapper), ``invalid_snapshot`` (state ``I`` or ``S``), ``merge_failed``
    (``m``/``M``), ``check_needed`` (``c``/``C``), ``partial`` (health ``p``), ``failed`` (``F``),
    ``out_of_data`` (``D``), ``metadata_read_only`` (``M``), ``health_problem`` (one word or None).
``parse_size(text) -> int | None``
    Bytes from ``--units b --nosuffix`` integers, but also ``4.00m``, ``<319.61g``, ``1.31t``,
    ``2143289344B`` (lower-case units are powers of 1024, upper-case powers of 1000, ``s``/``S``
    sectors); empty -> None.

Format facts: ``--reportformat json`` quotes every value (``"vg_size":"2143289344"``) and prints an
empty string for n/a; ``json_std`` prints numbers and ``null``, both are accepted. ``lvm fullreport``
LV rows carry ``lv_full_name`` but no ``vg_name``: the VG is the one of the same report element. A
row filtered out by ``-S`` can leave a trailing ``,`` before ``]`` (lvmteam/lvm2#130); that one
defect is tolerated, any other invalid JSON is an error.
"""

from __future__ import annotations

from nagios_herd.parsers.cjson import dumps, raw_decode
from nagios_herd.parsers.lvm_attr import LvAttr
from nagios_herd.parsers.record import Record

__all__ = ["LV", "LvAttr", "LvmParseError", "Report", "VG", "parse_report", "parse_size"]

_SIZE = r"^[<>]?\s*(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>[bBsSkKmMgGtTpPeE]?)$"
_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_TRAILING_COMMA = r",(\s*[\]}])"


class LvmParseError(ValueError):
    """The text is not an lvm JSON report; the message says what and where."""


def parse_size(text: str | int | float | None) -> int | None:
    """Bytes from an lvm size value, whatever ``--units`` it was printed with."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return int(text)
    raw = text.strip()
    if raw.isascii() and raw.isdigit():
        return int(raw)  # --units b --nosuffix: the common case, no regex needed
    if not raw:
        return None
    import re  # lazy: only human-readable sizes need it (start-up cost)

    match = re.match(_SIZE, raw, re.ASCII)
    if match is None:
        raise LvmParseError(f"not a size: {raw!r}")
    number = float(match["num"].replace(",", "."))
    unit = match["unit"]
    if unit in ("", "b", "B"):
        factor = 1
    elif unit in ("s", "S"):
        factor = 512
    else:
        factor = (1024 if unit.islower() else 1000) ** _POWERS[unit.lower()]
    return int(round(number * factor))


def _percent(text: str | int | float | None) -> float | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        text = repr(text)
    raw = text.strip().rstrip("%")
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not raw.isascii() or value != value or value in (float("inf"), float("-inf")):
        raise LvmParseError(f"not a percentage: {text!r}")
    return value


def _count(text: str | int | None) -> int | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    raw = str(text).strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        raise LvmParseError(f"not a count: {text!r}")
    return int(raw)


class VG(Record):
    """A volume group row; sizes in bytes, None where the report did not carry the field."""

    __slots__ = ("name", "attr", "size", "free", "extent_size", "extent_count", "free_count",
                 "pv_count", "missing_pv_count", "lv_count", "snap_count")
    _defaults = {"attr": "", **dict.fromkeys(__slots__[2:])}
    name: str
    attr: str
    size: int | None
    free: int | None
    extent_size: int | None
    extent_count: int | None
    free_count: int | None
    pv_count: int | None
    missing_pv_count: int | None
    lv_count: int | None
    snap_count: int | None

    @property
    def partial(self) -> bool:
        return self.attr[3:4] == "p" or bool(self.missing_pv_count)

    @property
    def read_only(self) -> bool:
        return self.attr[:1] == "r"

    @property
    def exported(self) -> bool:
        return self.attr[2:3] == "x"

    @property
    def free_percent(self) -> float | None:
        """Free space in percent, exact from extent counts when the report has them."""
        if self.extent_count and self.free_count is not None:
            return 100.0 * self.free_count / self.extent_count
        if self.size and self.free is not None:
            return 100.0 * self.free / self.size
        return None


class LV(Record):
    """A logical volume row; percentages are None where lvm printed nothing."""

    __slots__ = ("name", "vg", "attr", "size", "pool_lv", "origin", "segtype", "data_percent",
                 "metadata_percent", "snap_percent", "hidden")
    _defaults = {"attr": LvAttr(""), "size": None, "pool_lv": "", "origin": "", "segtype": "",
                 "data_percent": None, "metadata_percent": None, "snap_percent": None,
                 "hidden": False}
    name: str
    vg: str
    attr: LvAttr
    size: int | None
    pool_lv: str
    origin: str
    segtype: str
    data_percent: float | None
    metadata_percent: float | None
    snap_percent: float | None
    hidden: bool

    @property
    def full_name(self) -> str:
        return f"{self.vg}/{self.name}"

    @property
    def is_thin_pool(self) -> bool:
        return self.attr.volume_type == "t" or self.segtype == "thin-pool"

    @property
    def is_snapshot(self) -> bool:
        return self.attr.volume_type in ("s", "S")

    @property
    def usage_percent(self) -> float | None:
        return self.data_percent if self.data_percent is not None else self.snap_percent


class Report(Record):
    """Everything the given documents said, VGs and LVs merged by name."""

    __slots__ = ("vgs", "lvs", "log", "sections")
    _defaults = {"sections": frozenset()}
    vgs: tuple[VG, ...]
    lvs: tuple[LV, ...]
    log: tuple[dict, ...]
    sections: frozenset[str]

    def vg(self, name: str) -> VG | None:
        return next((vg for vg in self.vgs if vg.name == name), None)

    def lvs_of(self, vg_name: str) -> list[LV]:
        return [lv for lv in self.lvs if lv.vg == vg_name]


_VG_FIELDS = {"vg_attr": ("attr", str), "vg_size": ("size", parse_size),
              "vg_free": ("free", parse_size), "vg_extent_size": ("extent_size", parse_size),
              "vg_extent_count": ("extent_count", _count), "vg_free_count": ("free_count", _count),
              "pv_count": ("pv_count", _count), "vg_missing_pv_count": ("missing_pv_count", _count),
              "lv_count": ("lv_count", _count), "snap_count": ("snap_count", _count)}
_LV_FIELDS = {"lv_attr": ("attr", LvAttr), "lv_size": ("size", parse_size),
              "pool_lv": ("pool_lv", str), "origin": ("origin", str), "segtype": ("segtype", str),
              "data_percent": ("data_percent", _percent),
              "metadata_percent": ("metadata_percent", _percent),
              "snap_percent": ("snap_percent", _percent)}


def parse_report(text: str) -> Report:
    """Parse one or more concatenated lvm JSON report documents."""
    messages, text = _split_messages(text)
    documents = _documents(text)
    vgs: dict[str, dict] = {}
    lvs: dict[tuple[str, str], dict] = {}
    log: list[dict] = [{"log_type": "print", "log_message": message} for message in messages]
    sections: set[str] = set()
    for number, document in enumerate(documents, start=1):
        where = f"document {number}"
        if not isinstance(document, dict) or not isinstance(document.get("report"), list):
            raise LvmParseError(f"{where}: not an lvm report (no \"report\" list)")
        log.extend(_rows(document, "log", where))
        for element in document["report"]:
            if not isinstance(element, dict):
                raise LvmParseError(f"{where}: report element is not an object")
            sections.update(element)
            element_vgs = _rows(element, "vg", where)
            for row in element_vgs:
                _merge(vgs, _name(row, "vg_name", where), row, _VG_FIELDS, where)
            home = element_vgs[0].get("vg_name") if len(element_vgs) == 1 else None
            for row in _rows(element, "lv", where):
                vg_name = _merge_lv(lvs, row, home, where)
                if vg_name:  # an LV row proves its VG exists and may carry vg_* columns too
                    _merge(vgs, vg_name, row, _VG_FIELDS, where)
    return Report(
        vgs=tuple(VG(name=name, **values) for name, values in vgs.items()),
        lvs=tuple(LV(name=name, vg=vg, hidden=values.pop("hidden"), **values)
                  for (vg, name), values in lvs.items()),
        log=tuple(log),
        sections=frozenset(sections),
    )


def _split_messages(text: str) -> tuple[list[str], str]:
    """lvm's stderr lines (``  WARNING: ...``) that a capture put before the first document, and the rest."""
    if text.lstrip()[:1] in ("{", "[", ""):
        return [], text
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.lstrip()[:1] == "{"), None)
    if start is None:
        return [], text
    return [line.strip() for line in lines[:start] if line.strip()], "".join(lines[start:])


def _documents(text: str) -> list:
    """Decode concatenated JSON documents; retry once without lvm2#130's trailing commas."""
    stripped = text.strip()
    if not stripped:
        raise LvmParseError("empty input: expected lvm `--reportformat json` output")
    if stripped[0] not in "{[":
        first = stripped.split("\n", 1)[0].strip()
        raise LvmParseError(f"invalid JSON at line 1 column 1: not a `--reportformat json` report: {first[:60]!r}")
    try:
        return _decode_all(text)
    except LvmParseError as strict:
        import re  # lazy: only the lvm2#130 repair needs it

        repaired = re.sub(_TRAILING_COMMA, r"\1", text)
        if repaired == text:
            raise
        try:
            return _decode_all(repaired)
        except LvmParseError:
            raise strict from None


def _decode_all(text: str) -> list:
    documents = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return documents
        try:
            document, position = raw_decode(text, position)
        except ValueError as error:  # json.JSONDecodeError, imported only to word it
            raise LvmParseError(f"invalid JSON at line {getattr(error, 'lineno', '?')} column "
                                f"{getattr(error, 'colno', '?')}: {getattr(error, 'msg', error)}") from None
        documents.append(document)


def _rows(container: dict, key: str, where: str) -> list[dict]:
    rows = container.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise LvmParseError(f"{where}: \"{key}\" is not a list of objects")
    return rows


def _name(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LvmParseError(f"{where}: a row has no {key}: {dumps(row, sort_keys=False)[:80]}")
    return value.strip()


def _convert(row: dict, table: dict, where: str, label: str) -> dict:
    values = {}
    for key, (attribute, convert) in table.items():
        if key not in row:
            continue
        raw = row[key]
        if raw is not None and not isinstance(raw, (str, int, float)):
            raise LvmParseError(f"{where}: {label}: {key} is not a value: {raw!r}")
        try:
            values[attribute] = convert(raw if raw is not None else "")
        except LvmParseError as error:
            raise LvmParseError(f"{where}: {label}: {key}: {error}") from None
    return values


def _merge(into: dict, name: str, row: dict, table: dict, where: str) -> None:
    into.setdefault(name, {}).update(_convert(row, table, where, f"vg {name}"))


def _merge_lv(into: dict, row: dict, home: str | None, where: str) -> str:
    """Merge one LV row; returns the name of its VG (``""`` when the report names none)."""
    full = row.get("lv_full_name") if isinstance(row.get("lv_full_name"), str) else ""
    vg = row.get("vg_name") or (full.split("/", 1)[0] if "/" in full else home) or ""
    name = _name(row, "lv_name", where)
    if not isinstance(vg, str):
        raise LvmParseError(f"{where}: lv {name}: vg_name is not a string")
    hidden = name.startswith("[") and name.endswith("]")
    name = name.strip("[]")
    values = into.setdefault((vg, name), {"hidden": hidden})
    values.update(_convert(row, _LV_FIELDS, where, f"lv {vg}/{name}"))
    return vg

