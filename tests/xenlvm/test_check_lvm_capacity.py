"""checks/check_lvm_capacity run as Nagios runs it, on every accepted fixture, with the docs/checks.md verdicts."""

from __future__ import annotations

import subprocess

import pytest

from .helpers import CHECKS, FIXTURES, fixture, read, run_check

OK, WARNING, CRITICAL, UNKNOWN = range(4)
NO_POOL_ALARM = ["--pool-warning", "~:101", "--pool-critical", "~:101"]


def lvm(*args: str, **kwargs):
    return run_check("check_lvm_capacity", *args, **kwargs)


@pytest.mark.parametrize("name, args, status", [
    ("lvm2-real/vgs_json_units_b_nearly_full.json", [], UNKNOWN),  # 13.31 % free, but its 4 LVs unreported
    ("lvm2-real/vgs_json_units_b_nearly_full.json", ["-w", "15:"], WARNING),
    ("lvm2-real/vgs_json_units_b_nearly_full.json", ["-w", "20:", "-c", "15:"], CRITICAL),
    ("lvm2-real/vgs_json_units_b_nearly_full.json", ["-w", "@10:14"], WARNING),
    ("lvm2-real/fullreport_json_units_b.json", ["--vg", "vg_herd"], OK),
    ("lvm2-real/vgs_json_partial_missing_pv.json", [], CRITICAL),
    ("lvm2-real/vgs_json_partial_missing_pv.json", ["--vg", "vg_herd"], UNKNOWN),
    ("lvm2-real/vgs_json_thin_pool_snapshot.json", [], UNKNOWN),
    ("lvm2-real/fullreport_json_log_thin_pool_snapshot.json", [], OK),
    ("xenlvm-synthetic/lvm_json_thin_pool_near_full.json", [], WARNING),
    ("xenlvm-synthetic/lvm_json_thin_pool_near_full.json", ["--pool-warning", "~:90"], OK),
    ("xenlvm-synthetic/lvm_json_thin_pool_out_of_data.json", [], CRITICAL),
    ("xenlvm-synthetic/lvm_json_thin_pool_out_of_data.json", NO_POOL_ALARM, CRITICAL),
    ("xenlvm-synthetic/lvm_json_thin_pool_metadata_full.json", NO_POOL_ALARM, CRITICAL),
    ("xenlvm-synthetic/lvm_json_snapshot_invalid.json", NO_POOL_ALARM, CRITICAL),
    ("xenlvm-synthetic/lvm_json_snapshot_filling.json", [], CRITICAL),
    ("xenlvm-synthetic/lvm_json_snapshot_filling.json", ["--pool-critical", "~:95"], WARNING),
])
def test_fixture_verdicts(name, args, status):
    run = lvm("--input", fixture(name), *args)
    assert run.status == status, run.stdout
    assert run.first.startswith("LVM ")


def test_vg_perfdata_from_extents():
    run = lvm("--input", fixture("lvm2-real/vgs_json_units_b_nearly_full.json"))
    assert run.perf["vg_herd_free"] == (13.31, "%", ["10:", "5:", "0", "100"])
    assert run.perf["vg_herd_free_bytes"] == (285212672, "B", ["", "", "0", "2143289344"])
    assert run.long[0] == "OK: vg vg_herd: 13.31% free (272.0 MiB of 2.0 GiB)"
    assert run.long[1].startswith("UNKNOWN: vg vg_herd: holds 4 LV(s) but no LV report about it arrived")


def test_partial_vg_names_the_missing_pv():
    run = lvm("--input", fixture("lvm2-real/vgs_json_partial_missing_pv.json"))
    assert "vg vg_split: 0.00% free (0 B of 504.0 MiB); partial: 1 PV missing" in run.summary
    assert set(run.perf) == {"vg_herd_free", "vg_herd_free_bytes", "vg_split_free", "vg_split_free_bytes"}


def test_missing_named_vg_is_critical():
    run = lvm("--input", fixture("lvm2-real/vgs_json_units_b_nearly_full.json"), "--vg", "vg_herd", "--vg", "vg_gone")
    assert run.status == CRITICAL and "vg vg_gone: missing" in run.summary
    assert "vg_herd_free" in run.perf


def test_missing_vg_with_lvm_log_errors():
    run = lvm("--input", fixture("lvm2-real/vgs_json_missing_vg_log.json"), "--vg", "nosuchvg")
    assert run.status == CRITICAL
    assert 'UNKNOWN: lvm error: Volume group "nosuchvg" not found' in run.long


def test_inactive_real_pool_and_snapshot_are_ok_and_said_so():
    both = (read("lvm2-real/vgs_json_thin_pool_snapshot.json")
            + read("lvm2-real/lvs_json_thin_pool_snapshot_inactive.json")).encode()
    run = lvm("--input", "-", stdin=both)
    assert run.status == OK
    assert "OK: thin pool vgexp_10858/pool: inactive, usage unknown [twi-XXt---]" in run.long
    assert "OK: snapshot vgexp_10858/snap: inactive, usage unknown [swi-XXs---]" in run.long
    assert not any("pool_tdata" in line for line in run.long)  # hidden sub-volumes are not objects
    assert set(run.perf) == {"vgexp_10858_free", "vgexp_10858_free_bytes"}


def test_verbose_lists_every_visible_lv():
    run = lvm("-v", "--input", fixture("lvm2-real/vgs_json_thin_pool_snapshot.json"),)
    assert len(run.long) == 2 and run.status == UNKNOWN  # the VG, and its LVs missing from the input
    both = (read("lvm2-real/vgs_json_thin_pool_snapshot.json")
            + read("lvm2-real/lvs_json_thin_pool_snapshot_inactive.json")).encode()
    run = lvm("-v", "--input", "-", stdin=both)
    assert "vgexp_10858/thin1: 100.0 MiB thin [Vwi-XXt---]" in run.long
    assert "vgexp_10858/pool: 20.0 MiB thin-pool [twi-XXt---]" in run.long
    assert not any("pool_tmeta" in line for line in run.long)


@pytest.mark.parametrize("attr, status, text", [
    ("twi-aotz--", UNKNOWN, "thin pool v/p: usage not reported [twi-aotz--]"),
    ("", UNKNOWN, "thin pool v/p: usage not reported []"),
    ("twi---tz--", OK, "thin pool v/p: inactive, usage unknown [twi---tz--]"),
])
def test_pool_without_percentages(attr, status, text):
    report = ('{"report":[{"vg":[{"vg_name":"v","vg_extent_count":"10","vg_free_count":"5"}],'
              f'"lv":[{{"lv_name":"p","vg_name":"v","lv_attr":"{attr}","segtype":"thin-pool"}}]}}]}}')
    run = lvm("--input", "-", stdin=report.encode())
    assert run.status == status and f"{('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')[status]}: {text}" in run.long


def test_pool_perfdata_and_lines():
    run = lvm("--input", fixture("xenlvm-synthetic/lvm_json_thin_pool_near_full.json"))
    assert run.perf["vg_herd/pool0_data"] == (85.4, "%", ["~:80", "~:90", "0", "100"])
    assert run.perf["vg_herd/pool0_meta"] == (12.5, "%", ["~:80", "~:90", "0", "100"])
    assert "WARNING: thin pool vg_herd/pool0: data 85.40%, meta 12.50% [twi-aotz--]" in run.long


def test_pool_flags_are_critical_even_below_thresholds():
    run = lvm("--input", fixture("xenlvm-synthetic/lvm_json_thin_pool_out_of_data.json"), *NO_POOL_ALARM)
    assert "out of data space [twi-aotzD-]" in run.summary
    snap = lvm("--input", fixture("xenlvm-synthetic/lvm_json_snapshot_invalid.json"), *NO_POOL_ALARM)
    assert "invalid snapshot" in snap.summary and "[swi-I-s---]" in snap.summary


def test_man_page_report_without_free_figures_is_unknown():
    text = read("lvm2/lvmreport.7_main.json_examples.txt")
    fullreport = text[text.index("  {", text.index("# lvm fullreport")):]
    run = lvm("--input", "-", stdin=fullreport.encode())
    assert run.status == UNKNOWN and "vg vg: the report has no free space figures" in run.first


@pytest.mark.parametrize("name, message", [
    ("lvm2-real/lvs_json_units_b_linear.json", "vg vg_herd: the report has no free space figures"),
    ("lvm2-real/vgs_json_missing_vg_log.json", "the report lists no volume group"),
    ("ganeti/xen-xl-list-4.0.1-dom0-only.txt", "invalid JSON at line 1 column 1"),
    ("lvm2-real/vgs_json_partial_missing_pv.stderr", "invalid JSON"),
    ("ganeti/vgs-missing-pvs-2.02.66.txt", "invalid JSON"),  # separator output: only JSON reports are read
])
def test_unusable_inputs_are_unknown(name, message):
    run = lvm("--input", fixture(name))
    assert run.status == UNKNOWN and message in run.first, run.first


@pytest.mark.parametrize("data, message", [
    (b"", "empty input"),
    (b"   \n\n", "empty input"),
    (b"no json here", "invalid JSON"),
    (b"\x00\x01\x02\xff\xfe binary \x89PNG\r\n", "invalid JSON"),
    (b'{"not": "an lvm report"}', 'no "report" list'),
    (b'{"report": [{"vg": [{"vg_name": "v", "vg_size": "12 apples"}]}]}', "vg_size: not a size"),
])
def test_hostile_input_is_unknown(tmp_path, data, message):
    path = tmp_path / "input"
    path.write_bytes(data)
    run = lvm("--input", str(path))
    assert run.status == UNKNOWN and message in run.first, run.first


def test_truncated_json_is_unknown():
    text = read("lvm2-real/fullreport_json_units_b.json")
    for cut in (len(text) // 3, len(text) - 10):
        run = lvm("--input", "-", stdin=text[:cut].encode())
        assert run.status == UNKNOWN and "invalid JSON" in run.first


@pytest.mark.parametrize("args", [["-w", "x"], ["-c", "20:10"], ["--pool-warning", ""], ["--vg"]])
def test_bad_options_are_unknown(args):
    run = lvm("--input", fixture("lvm2-real/vgs_json_units_b_nearly_full.json"), *args)
    assert run.status == UNKNOWN


@pytest.mark.parametrize("count, text", [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"),
                                         (285212672, "272.0 MiB"), (2143289344, "2.0 GiB"), (5 * 1024 ** 5, "5120.0 TiB")])
def test_format_bytes(count, text):
    from nagios_herd.plugin.runtime import format_bytes

    assert format_bytes(count) == text


@pytest.mark.parametrize("name, args, status", [
    ("lvm2-real/vgs_json_units_b_nearly_full.json", ["-w", "15:"], WARNING),
    ("lvm2-real/fullreport_json_units_b.json", ["--vg", "vg_herd"], OK),
    ("xenlvm-synthetic/lvm_json_thin_pool_out_of_data.json", [], CRITICAL),
    ("missing.json", [], UNKNOWN),
])
def test_start_up_never_imports_re(name, args, status):
    """``json`` imports ``re`` (about 4 ms, with ``enum``): run as Nagios runs it (the launcher's own ``-sS``
    shebang), the check reads an lvm report through ``_json`` and does without both. (Invalid JSON, lvm2#130's
    trailing commas and sizes without ``--units b`` still import them, to word or repair what they read.)"""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run([str(CHECKS / "check_lvm_capacity"), "--input", str(FIXTURES / name), *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == status, proc.stdout
    imported = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert {"nagios_herd.checks.lvm_capacity", "nagios_herd.parsers.lvm"} <= imported, proc.stderr[-2000:]
    assert not {"re", "enum", "json"} & imported, sorted(imported)
