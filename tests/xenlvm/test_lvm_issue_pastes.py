"""LVM outputs pasted into public issue threads (tests/fixtures/issues/): what the check makes of them.

The pastes are the default text columns (``lvs``/``vgs``), which the check does not read (its contract
is ``--reportformat json``): each must be UNKNOWN with the reason, never a guess. The states they show
are then fed as the JSON report lvm prints for the same rows (quoted strings, default units with the
``<`` prefix, empty percentages on an inactive pool) to get the verdict of docs/checks.md.
"""

from __future__ import annotations

import json

import pytest

from nagios_herd.parsers.lvm import parse_report, parse_size

from .helpers import fixture, read, run_check

TEXT_PASTES = [
    "issues/lvmteam_lvm2_57_lvs_thin_pool_97.txt",
    "issues/lxc_incus_1414_lvs_thin_pool.txt",
    "issues/LINBIT_linstor-server_393_lvs_inactive_thin_pool.txt",
    "issues/LINBIT_linstor-server_80_vgs_separator_empty_data_percent.txt",
]


@pytest.mark.parametrize("name", TEXT_PASTES)
def test_text_columns_are_unknown_with_the_reason(name: str) -> None:
    run = run_check("check_lvm_capacity", "--input", fixture(name))
    assert run.status == 3
    assert "not a `--reportformat json` report" in run.first


def test_pvs_json_report_names_no_vg_even_with_vg_asked() -> None:
    """amazon-linux-2023#698: a real ``pvs --reportformat json`` (2-space log indent) has no vg section."""
    text = read("issues/amazonlinux_amazon-linux-2023_698_pvs_reportformat_json.txt")
    report = parse_report(text)
    assert (report.vgs, report.lvs, report.sections) == ((), (), frozenset({"pv"}))
    for args in ([], ["--vg", "pve"]):
        run = run_check("check_lvm_capacity", "--input", fixture(
            "issues/amazonlinux_amazon-linux-2023_698_pvs_reportformat_json.txt"), *args)
        assert run.status == 3 and "lists no volume group" in run.first, run.first


def _lvs(*rows: tuple[str, str, str, str, str, str, str]) -> str:
    """An ``lvs -a --reportformat json -o lv_name,vg_name,lv_attr,lv_size,pool_lv,data_percent,metadata_percent``."""
    keys = ("lv_name", "vg_name", "lv_attr", "lv_size", "pool_lv", "data_percent", "metadata_percent")
    return json.dumps({"report": [{"lv": [dict(zip(keys, row)) for row in rows]}]}, indent=4)


def _vgs(name: str, size: str, free: str) -> str:
    return json.dumps({"report": [{"vg": [{"vg_name": name, "vg_attr": "wz--n-", "vg_size": size,
                                            "vg_free": free}]}]}, indent=4)


def test_real_sizes_with_the_less_than_prefix() -> None:
    assert parse_size("<319.61g") == round(319.61 * 1024 ** 3)
    assert parse_size("<3.26g") == round(3.26 * 1024 ** 3)
    assert parse_size("100.00m") == 100 * 1024 ** 2
    assert parse_size("<14.00g") == 14 * 1024 ** 3


def test_lvm2_57_pool_at_97_percent_is_critical() -> None:
    text = _vgs("pve", "<446.13g", "<16.00g") + _lvs(
        ("ct-template", "pve", "Vwi-aotz--", "200.00g", "data", "2.07", ""),
        ("data", "pve", "twi-aotz--", "<319.61g", "", "97.33", "3.75"),
        ("[data_tdata]", "pve", "Twi-ao----", "<319.61g", "", "", ""),
        ("[data_tmeta]", "pve", "ewi-ao----", "<3.26g", "", "", ""),
        ("iso", "pve", "Vwi-aotz--", "200.00g", "data", "44.42", ""))
    run = run_check("check_lvm_capacity", "--input", "-", stdin=text.encode())
    assert run.status == 2, run.stdout
    assert "thin pool pve/data: data 97.33%, meta 3.75%" in run.stdout
    assert run.perf["pve/data_data"][0] == 97.33


def test_incus_1414_pool_with_meta_above_data_is_ok() -> None:
    text = _vgs("vg0", "<200.00g", "<49.70g") + _lvs(
        ("IncusThinPool", "vg0", "twi-aotz--", "100.00g", "", "0.00", "10.43"),
        ("[IncusThinPool_tdata]", "vg0", "Twi-ao----", "100.00g", "", "", ""),
        ("[IncusThinPool_tmeta]", "vg0", "ewi-ao----", "100.00m", "", "", ""),
        ("[lvol0_pmspare]", "vg0", "ewi-------", "100.00m", "", "", ""),
        ("root", "vg0", "-wi-ao----", "50.00g", "", "", ""))
    run = run_check("check_lvm_capacity", "--input", "-", stdin=text.encode())
    assert run.status == 0, run.stdout
    assert run.perf["vg0/IncusThinPool_meta"][0] == 10.43


def test_linstor_393_inactive_pool_is_not_a_wrong_number() -> None:
    """``twi---tz--`` prints no percentages (lvm 2.02.176 .. 2.03): usage unknown, never 0 %."""
    text = _vgs("scratch", "<15.00g", "<1.00g") + _lvs(("thin", "scratch", "twi---tz--", "<14.00g", "", "", ""))
    (pool,) = parse_report(text).lvs
    assert (pool.data_percent, pool.metadata_percent, pool.attr.active) == (None, None, False)
    run = run_check("check_lvm_capacity", "--input", "-", "-w", "5:", "-c", "1:", stdin=text.encode())
    assert "thin pool scratch/thin: inactive, usage unknown" in run.stdout
    assert "scratch/thin_data" not in run.perf


def test_stderr_captured_before_the_report_is_kept_as_lvm_messages() -> None:
    """``vgs ... 2>&1``: lvm's warnings come first; the report is still read, the warnings kept."""
    stderr = read("lvm2-real/vgs_json_partial_missing_pv.stderr")
    text = stderr + read("lvm2-real/vgs_json_partial_missing_pv.json")
    report = parse_report(text)
    assert [row["log_type"] for row in report.log] == ["print"] * len(stderr.strip().splitlines())
    run = run_check("check_lvm_capacity", "--input", "-", "-v", stdin=text.encode())
    assert run.status == 2 and "partial: 1 PV missing" in run.first
    assert any(line.startswith("lvm: ") and "WARNING" in line for line in run.long), run.long
