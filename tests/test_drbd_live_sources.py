"""check_drbd_sync without --input: the order of live sources, with a stand-in drbdsetup (no DRBD module here)."""

from __future__ import annotations

import pytest
from drbd_support import read

from nagios_herd.checks import drbd_sync
from nagios_herd.plugin.runtime import CheckError

EVENTS2 = read("drbdtop/events2_timestamps_statistics_2019.txt")


def _drbdsetup(tmp_path, script: str) -> str:
    """An executable standing in for /usr/sbin/drbdsetup: ``script`` is its shell body ($1 = subcommand)."""
    (tmp_path / "events2.txt").write_text(EVENTS2)
    path = tmp_path / "drbdsetup"
    path.write_text(f"#!/bin/sh\ncd {tmp_path}\n{script}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture()
def proc_drbd(tmp_path, monkeypatch):
    proc = tmp_path / "proc_drbd"
    proc.write_text(read("ganeti/proc_drbd84.txt"))
    monkeypatch.setattr(drbd_sync, "PROC_DRBD", str(proc))
    return proc


def test_utils_without_json_fall_back_to_events2(tmp_path, monkeypatch, proc_drbd) -> None:
    """drbd-utils older than ``status --json`` (or an 8.4 kernel): events2 gives resource names."""
    monkeypatch.setattr(drbd_sync, "DRBDSETUP", _drbdsetup(tmp_path, """
case "$1 $2" in
  "status --json") echo "status: unrecognized option '--json'" >&2; exit 20;;
  "events2 --now") cat events2.txt;;
  *) exit 1;;
esac"""))
    status = drbd_sync.read_live_status()
    assert (status.source, [r.name for r in status.resources]) == (
        "events2", ["pvc-0a2826c9-7108-11e9-8f74-0026b954ca4c"])


def test_no_drbdsetup_source_reads_proc_drbd(tmp_path, monkeypatch, proc_drbd) -> None:
    monkeypatch.setattr(drbd_sync, "DRBDSETUP", _drbdsetup(tmp_path, 'echo "unknown command" >&2; exit 20'))
    assert drbd_sync.read_live_status().source == "proc"
    monkeypatch.setattr(drbd_sync, "DRBDSETUP", str(tmp_path / "absent" / "drbdsetup"))
    assert drbd_sync.read_live_status().source == "proc"


def test_drbd9_proc_after_failed_sources_names_every_failure(tmp_path, monkeypatch) -> None:
    proc = tmp_path / "proc_drbd"
    proc.write_text("version: 9.2.4 (api:2/proto:86-122)\nGIT-hash: 0 build by x\nTransports (api:18): tcp (9.2.4)\n")
    monkeypatch.setattr(drbd_sync, "PROC_DRBD", str(proc))
    monkeypatch.setattr(drbd_sync, "DRBDSETUP", _drbdsetup(tmp_path, 'echo "no netlink" >&2; exit 20'))
    with pytest.raises(CheckError) as raised:
        drbd_sync.read_live_status()
    message = str(raised.value)
    assert "carries no resource state" in message
    assert "status --json exited 20: no netlink" in message and "events2 --now --statistics all exited 20" in message
