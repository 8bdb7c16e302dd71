"""nagios_herd.parsers.lvm on every real lvm JSON fixture, the man-page JSON examples and hand-built rows in the real format."""

from __future__ import annotations

import json

import pytest

from nagios_herd.parsers.lvm import LvAttr, LvmParseError, parse_report, parse_size

from .helpers import read


def man_page_examples() -> tuple[str, str]:
    """The two JSON listings of lvmreport(7): `lvs -o lv_name,lv_size` and `lvm fullreport` with a log."""
    text = read("lvm2/lvmreport.7_main.json_examples.txt")
    second = text.index("# lvm fullreport")
    return text[text.index("  {"):second], text[text.index("  {", second):]


def test_vgs_nearly_full_from_extents():
    report = parse_report(read("lvm2-real/vgs_json_units_b_nearly_full.json"))
    (vg,) = report.vgs
    assert (vg.name, vg.attr, vg.size, vg.free) == ("vg_herd", "wz--n-", 2143289344, 285212672)
    assert (vg.extent_size, vg.extent_count, vg.free_count, vg.pv_count, vg.lv_count) == (4194304, 511, 68, 1, 4)
    assert vg.missing_pv_count is None and not vg.partial and not vg.read_only
    assert vg.free_percent == pytest.approx(100 * 68 / 511)
    assert report.lvs == () and report.log == ()


def test_partial_vg_missing_pv():
    report = parse_report(read("lvm2-real/vgs_json_partial_missing_pv.json"))
    split = report.vg("vg_split")
    assert split.attr == "wz-pn-" and split.partial and split.missing_pv_count == 1
    assert split.free_percent == 0.0
    assert not report.vg("vg_herd").partial
    assert report.vg("nope") is None


def test_lvs_linear_sizes_and_unknown_activation():
    report = parse_report(read("lvm2-real/lvs_json_units_b_linear.json"))
    sizes = {lv.name: lv.size for lv in report.lvs_of("vg_herd")}
    assert sizes == {"nagios-db-root": 738197504, "nagios-team-a-meta": 314572800,
                     "nagios-team-a-root": 536870912, "nagios-team-a-swap": 268435456}
    lv = report.lvs[0]
    assert lv.attr.raw == "-wi-XX----" and lv.attr.state_unknown and not lv.attr.active
    assert lv.attr.health_problem is None and lv.data_percent is None and lv.segtype == "linear"
    assert not lv.is_thin_pool and not lv.is_snapshot and lv.full_name == "vg_herd/nagios-db-root"


def test_lvs_alone_makes_its_vgs_known_without_figures():
    report = parse_report(read("lvm2-real/lvs_json_units_b_linear.json"))
    (vg,) = report.vgs
    assert vg.name == "vg_herd" and vg.size is None and vg.free_percent is None and not vg.partial


def test_vg_columns_on_lv_rows_count():
    text = ('{"report":[{"lv":[{"lv_name":"root","vg_name":"vg_split","vg_attr":"wz-pn-",'
            '"vg_missing_pv_count":"1","lv_size":"4194304"}]}]}')
    vg = parse_report(text).vg("vg_split")
    assert vg.partial and vg.missing_pv_count == 1 and vg.attr == "wz-pn-"


def test_fullreport_lv_rows_take_the_vg_of_their_element():
    report = parse_report(read("lvm2-real/fullreport_json_units_b.json"))
    assert [vg.name for vg in report.vgs] == ["vg_herd"]
    assert report.vg("vg_herd").snap_count == 0
    assert {lv.vg for lv in report.lvs} == {"vg_herd"} and len(report.lvs) == 4


def test_real_thin_pool_and_snapshot_inactive_have_no_percent():
    report = parse_report(read("lvm2-real/lvs_json_thin_pool_snapshot_inactive.json"))
    lvs = {lv.name: lv for lv in report.lvs}
    pool = lvs["pool"]
    assert pool.is_thin_pool and pool.attr.raw == "twi-XXt---" and pool.attr.target_type == "t"
    assert pool.data_percent is None and pool.metadata_percent is None and pool.usage_percent is None
    assert lvs["pool_tdata"].hidden and lvs["pool_tmeta"].hidden and not pool.hidden
    assert lvs["snap"].is_snapshot and lvs["snap"].origin == "lin" and lvs["snap"].size == 8388608
    assert lvs["thin1"].pool_lv == "pool" and lvs["thin1"].attr.volume_type == "V"
    assert lvs["lin"].attr.volume_type == "o"


def test_fullreport_with_log_section_and_vgs_merge():
    both = read("lvm2-real/vgs_json_thin_pool_snapshot.json") + read(
        "lvm2-real/fullreport_json_log_thin_pool_snapshot.json")
    report = parse_report(both)
    (vg,) = report.vgs
    assert vg.snap_count == 1 and vg.extent_count == 49  # snap_count from vgs, the rest agrees
    assert report.log == ()
    assert {lv.name for lv in report.lvs} == {"lin", "pool", "snap", "thin1"}


def test_log_rows_of_a_failed_command_are_kept():
    report = parse_report(read("lvm2-real/vgs_json_missing_vg_log.json"))
    assert report.vgs == ()
    assert [row["log_type"] for row in report.log] == ["error", "error", "status"]
    assert report.log[0]["log_message"] == 'Volume group "nosuchvg" not found'


def test_man_page_lvs_without_vg_names():
    lvs_example, _ = man_page_examples()
    report = parse_report(lvs_example)
    assert [(lv.name, lv.vg, lv.size) for lv in report.lvs] == [("lvol1", "", 4194304), ("lvol0", "", 4194304)]


def test_man_page_fullreport_trailing_comma_of_lvm2_130_is_tolerated():
    _, fullreport = man_page_examples()
    with pytest.raises(json.JSONDecodeError):
        json.loads(fullreport)  # the log array ends with "},\n ]" as lvm2#130 describes
    report = parse_report(fullreport)
    assert report.vg("vg").size == 200 * 1024 * 1024 and report.vg("vg").free_percent is None
    assert {lv.name for lv in report.lvs_of("vg")} == {"lvol0", "lvol1"}
    assert len(report.log) == 4


@pytest.mark.parametrize("name, health, problem", [
    ("xenlvm-synthetic/lvm_json_thin_pool_near_full.json", "-", None),
    ("xenlvm-synthetic/lvm_json_thin_pool_out_of_data.json", "D", "out of data space"),
    ("xenlvm-synthetic/lvm_json_thin_pool_metadata_full.json", "M", "metadata read-only"),
])
def test_active_thin_pools(name, health, problem):
    report = parse_report(read(name))
    pool = next(lv for lv in report.lvs if lv.is_thin_pool)
    assert pool.attr.active and pool.attr.health == health and pool.attr.health_problem == problem
    assert pool.attr.out_of_data == (health == "D") and pool.attr.metadata_read_only == (health == "M")
    assert pool.data_percent is not None and pool.metadata_percent is not None
    assert sum(lv.hidden for lv in report.lvs) == 3


def test_invalid_snapshot():
    report = parse_report(read("xenlvm-synthetic/lvm_json_snapshot_invalid.json"))
    snap = next(lv for lv in report.lvs if lv.is_snapshot)
    assert snap.attr.invalid_snapshot and snap.attr.state == "I" and snap.usage_percent == 100.0


def test_json_std_numbers_and_nulls():
    text = ('{"report":[{"vg":[{"vg_name":"v","vg_size":1048576,"vg_free":524288,"vg_extent_count":4,'
            '"vg_free_count":2}],"lv":[{"lv_name":"p","lv_attr":"twi-a-tz--","lv_size":524288,'
            '"data_percent":12.5,"metadata_percent":null}]}]}')
    report = parse_report(text)
    assert report.vg("v").free_percent == 50.0
    pool = report.lvs_of("v")[0]
    assert pool.data_percent == 12.5 and pool.metadata_percent is None and pool.size == 524288


def test_concatenated_documents_without_separator():
    one = '{"report":[{"vg":[{"vg_name":"a","vg_free_count":"1","vg_extent_count":"4"}]}]}'
    two = '{"report":[{"vg":[{"vg_name":"b","vg_free_count":"3","vg_extent_count":"4"}]}]}'
    report = parse_report(one + two)
    assert [(vg.name, vg.free_percent) for vg in report.vgs] == [("a", 25.0), ("b", 75.0)]


@pytest.mark.parametrize("text, size", [
    ("2143289344", 2143289344), ("2143289344B", 2143289344), ("4.00m", 4 * 1024 ** 2),
    ("<319.61g", round(319.61 * 1024 ** 3)), ("1.31t", round(1.31 * 1024 ** 4)), ("2.00G", 2 * 10 ** 9),
    ("8s", 4096), ("  ", None), ("1,50k", 1536),
])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("raw, type_, state, health, skip", [
    ("-wi-ao----", "-", "a", "-", "-"), ("Vwi---tz-k", "V", "-", "-", "k"), ("-wi-ao", "-", "a", "-", "-"),
    ("twi-aotzF-", "t", "a", "F", "-"), ("swi-S-s---", "s", "S", "-", "-"), ("rwi-a-r-p-", "r", "a", "p", "-"),
])
def test_lv_attr_positions(raw, type_, state, health, skip):
    attr = LvAttr(raw)
    assert (attr.volume_type, attr.state, attr.health, attr.skip_activation) == (type_, state, health, skip)
    assert attr.invalid_snapshot == (state in "IS" and state != "-")
    assert attr.failed == (health == "F") and attr.partial == (health == "p")


@pytest.mark.parametrize("text, message", [
    ("", "empty input"),
    ("   \n", "empty input"),
    ("garbage", "invalid JSON at line 1 column 1"),
    ('  {\n      "report": [\n          {\n              "vg": [\n', "invalid JSON at line 5"),
    ("[1, 2]", "no \"report\" list"),
    ('{"report": [{"vg": [{"vg_name": "a", "vg_size": "lots"}]}]}', "vg a: vg_size: not a size"),
    ('{"report": [{"vg": [{"vg_size": "1"}]}]}', "a row has no vg_name"),
    ('{"report": [{"vg": {"vg_name": "a"}}]}', '"vg" is not a list of objects'),
    ('{"report": [{"lv": [{"lv_name": "x", "vg_name": "a", "data_percent": "full"}]}]}', "not a percentage"),
    ('{"report": [{"vg": [{"vg_name": "a", "vg_free_count": [1]}]}]}', "vg_free_count is not a value"),
    ('{"report": [{"vg": [{"vg_name": "a"},]}]', "invalid JSON"),
    ('{"report": [{"lv": [{"lv_name": "x", "vg_name": "a", "data_percent": "nan"}]}]}', "not a percentage"),
    ('{"report": [{"lv": [{"lv_name": "x", "vg_name": "a", "data_percent": "1e999"}]}]}', "not a percentage"),
    ('{"report": [{"vg": [{"vg_name": "a", "vg_size": "\u00b2"}]}]}', "not a size"),
    ('{"report": [{"vg": [{"vg_name": "a", "vg_size": "\u0661\u0662k"}]}]}', "not a size"),
    ('{"report": [{"vg": [{"vg_name": "a", "vg_free_count": "\u00b2"}]}]}', "not a count"),
])
def test_hostile_reports(text, message):
    with pytest.raises(LvmParseError, match=message):
        parse_report(text)


def test_truncated_real_report():
    text = read("lvm2-real/fullreport_json_units_b.json")
    with pytest.raises(LvmParseError, match="invalid JSON"):
        parse_report(text[: len(text) // 2])
