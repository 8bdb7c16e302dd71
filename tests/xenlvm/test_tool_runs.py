"""The checks' tool-running paths (no --input) with stand-in executables at other absolute paths.

Xen cannot run here and a failing vgs is hard to provoke on demand, so small real scripts print captured
output and exit with the status the real tool would; the checks run them through the shared runtime.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from nagios_herd.checks import lvm_capacity, xen_domain
from nagios_herd.plugin.runtime import CheckError, State, parse_args

from .helpers import fixture

OK, WARNING, CRITICAL, UNKNOWN = range(4)


def tool(directory: Path, name: str, stdout_file: str | None, status: int, stderr: str = "") -> str:
    """An executable that prints a fixture (or nothing), a stderr line, and exits with ``status``."""
    path = directory / name
    body = f"cat {shlex.quote(stdout_file)}\n" if stdout_file else ""
    if stderr:
        body += f"echo {shlex.quote(stderr)} >&2\n"
    path.write_text(f"#!/bin/sh\n{body}exit {status}\n")
    path.chmod(0o755)
    return str(path)


def options(plugin, *argv: str):
    return parse_args(list(argv), plugin.options)


def test_xl_output_is_judged(tmp_path, monkeypatch):
    monkeypatch.setattr(xen_domain, "XL", tool(tmp_path, "xl", fixture("xen-course-notes/xl_list_xen_4.9.2_paused.txt"), 0))
    monkeypatch.setattr(xen_domain, "XM", str(tmp_path / "no-xm"))
    report = xen_domain.check(options(xen_domain.PLUGIN, "--domain", "guest-01"))
    assert report.state == WARNING and "guest-01: paused" in report.summary_text()


def test_failing_xl_falls_back_to_xm(tmp_path, monkeypatch):
    monkeypatch.setattr(xen_domain, "XL", tool(tmp_path, "xl", None, 1, "ERROR: xend is running, use xm"))
    monkeypatch.setattr(xen_domain, "XM", tool(tmp_path, "xm", fixture("xenlvm-synthetic/xm_list_managed.txt"), 0))
    report = xen_domain.check(options(xen_domain.PLUGIN))
    assert report.state == OK and "nagios-team-a" in report.summary_text()


def test_both_tools_failing_is_unknown_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(xen_domain, "XL", tool(tmp_path, "xl", None, 1, "xl: cannot open libxl context"))
    monkeypatch.setattr(xen_domain, "XM", str(tmp_path / "no-xm"))
    with pytest.raises(CheckError, match="xl list exited 1: xl: cannot open libxl context"):
        xen_domain.check(options(xen_domain.PLUGIN))


def test_vgs_failure_with_output_stays_visible(tmp_path, monkeypatch):
    vgs = tool(tmp_path, "vgs", fixture("lvm2-real/vgs_json_units_b_nearly_full.json"), 5,
               "Couldn't find device with uuid cQSgSg")
    monkeypatch.setattr(lvm_capacity, "VGS", vgs)
    monkeypatch.setattr(lvm_capacity, "LVS", tool(tmp_path, "lvs", fixture("lvm2-real/lvs_json_units_b_linear.json"), 0))
    report = lvm_capacity.check(options(lvm_capacity.PLUGIN))
    assert report.state == UNKNOWN  # the VG looks fine, but vgs said it was not: never OK
    assert (State.UNKNOWN, f"{vgs} --reportformat json --units b --nosuffix -o {lvm_capacity.VG_FIELDS} "
            "exited 5: Couldn't find device with uuid cQSgSg") in report.results


def test_vgs_failure_without_output_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(lvm_capacity, "VGS", tool(tmp_path, "vgs", None, 5, "  Volume group not found"))
    monkeypatch.setattr(lvm_capacity, "LVS", tool(tmp_path, "lvs", None, 0))
    with pytest.raises(CheckError, match="exited 5: Volume group not found"):
        lvm_capacity.check(options(lvm_capacity.PLUGIN))


def test_lvm_system_dir_is_passed_through(tmp_path, monkeypatch):
    probe = tmp_path / "vgs"
    probe.write_text(f"#!/bin/sh\necho \"$LVM_SYSTEM_DIR $LC_ALL\" > '{tmp_path}/env'\n"
                     f"cat '{fixture('lvm2-real/vgs_json_units_b_nearly_full.json')}'\n")
    probe.chmod(0o755)
    monkeypatch.setattr(lvm_capacity, "VGS", str(probe))
    lvs = tool(tmp_path, "lvs", fixture("lvm2-real/lvs_json_units_b_linear.json"), 0)
    monkeypatch.setattr(lvm_capacity, "LVS", lvs)
    monkeypatch.setenv("LVM_SYSTEM_DIR", "/etc/lvm-primary")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    assert lvm_capacity.check(options(lvm_capacity.PLUGIN)).state == OK
    assert (tmp_path / "env").read_text() == "/etc/lvm-primary C\n"


def test_hanging_vgs_times_out_as_unknown(tmp_path, monkeypatch, capsys):
    hang = tmp_path / "vgs"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    monkeypatch.setattr(lvm_capacity, "VGS", str(hang))
    status = lvm_capacity.PLUGIN.run(lvm_capacity.check, ["-t", "1"])
    out = capsys.readouterr().out
    assert status == UNKNOWN and out.startswith("LVM UNKNOWN - ") and "timed out after" in out
