"""check_lvm_capacity WITHOUT --input against a real volume group on a loop device made by the test.

The kernel here has no device-mapper: a private ``LVM_SYSTEM_DIR`` sees only our loop device and disables
activation, so ``lvcreate --driverloaded n -an -Zn`` allocates extents without touching the kernel. The
check runs the real ``/usr/sbin/vgs`` and ``/usr/sbin/lvs`` and must pass that ``LVM_SYSTEM_DIR`` through.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from nagios_herd.checks.lvm_capacity import LV_FIELDS, LVS, REPORT_ARGS, VG_FIELDS, VGS
from nagios_herd.parsers.lvm import parse_report

from .helpers import run_check

pytestmark = pytest.mark.real
MIB = 1024 * 1024
OK, WARNING, CRITICAL, UNKNOWN = range(4)


class LoopVG:
    """A uniquely named VG on sparse files behind loop devices, seen only through ``env``."""

    def __init__(self, base: Path, pvs: int = 1) -> None:
        self.base = base
        self.pvs = pvs
        self.name = f"vg_xenlvm_{os.getpid()}_{secrets.token_hex(3)}"
        self.loops: list[str] = []
        self.env = dict(os.environ, LVM_SYSTEM_DIR=str(base / "lvm"), LVM_SUPPRESS_FD_WARNINGS="1", LC_ALL="C")

    def lvm(self, *argv: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(["/usr/sbin/lvm", *argv], env=self.env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, (argv, proc.stderr)
        return proc

    def create(self) -> None:
        for number in range(self.pvs):
            disk = self.base / f"pv{number}.img"
            with open(disk, "wb") as handle:
                handle.truncate(128 * MIB // self.pvs)  # sparse: costs no disk space
            self.loops.append(subprocess.run(["/usr/sbin/losetup", "-f", "--show", str(disk)], capture_output=True,
                                             text=True, check=True, timeout=30).stdout.strip())
        accept = ", ".join(f'"a|^{loop}$|"' for loop in self.loops)
        (self.base / "lvm").mkdir()
        (self.base / "lvm" / "lvm.conf").write_text(
            f'devices {{ use_devicesfile = 0 filter = [ {accept}, "r|.*|" ] }}\n'
            "global { activation = 0 }\nbackup { backup = 0 archive = 0 }\n")
        self.lvm("pvcreate", "-y", *self.loops)
        self.lvm("vgcreate", "-s", "1M", self.name, *self.loops)

    def lvcreate(self, name: str, extents: int) -> None:
        self.lvm("lvcreate", "--driverloaded", "n", "-an", "-Zn", "-Wn", "-y", "-l", str(extents), "-n", name,
                 self.name)

    def report(self):
        vgs = self.lvm("vgs", *REPORT_ARGS, "-o", VG_FIELDS, self.name).stdout
        lvs = self.lvm("lvs", "-a", *REPORT_ARGS, "-o", LV_FIELDS, self.name).stdout
        return vgs, lvs

    def detach(self, loop: str) -> None:
        subprocess.run(["/usr/sbin/losetup", "-d", loop], check=True, capture_output=True, timeout=30)
        self.loops.remove(loop)

    def destroy(self) -> None:
        if self.loops:
            for argv in (["vgremove", "-ff", "-y", self.name], ["pvremove", "-ff", "-y", *self.loops]):
                subprocess.run(["/usr/sbin/lvm", *argv], env=self.env, capture_output=True, timeout=60)
        for loop in self.loops:
            subprocess.run(["/usr/sbin/losetup", "-d", loop], capture_output=True, timeout=30)


def _needs_root_and_lvm() -> None:
    if os.geteuid() != 0 or not os.path.exists("/usr/sbin/lvm") or not os.path.exists("/usr/sbin/losetup"):
        pytest.skip("needs root, lvm2 and losetup")


@pytest.fixture
def loop_vg(tmp_path):
    _needs_root_and_lvm()
    vg = LoopVG(tmp_path)
    try:
        vg.create()
        yield vg
    finally:
        vg.destroy()


@pytest.fixture
def split_vg(tmp_path):
    _needs_root_and_lvm()
    vg = LoopVG(tmp_path, pvs=2)
    try:
        vg.create()
        yield vg
    finally:
        vg.destroy()


def test_real_json_matches_the_parser(loop_vg):
    loop_vg.lvcreate("nagios-team-a-root", 40)
    vgs_text, lvs_text = loop_vg.report()
    for text, fields in ((vgs_text, VG_FIELDS), (lvs_text, LV_FIELDS)):
        for field in fields.split(","):
            assert f'"{field}":"' in text, field  # every requested column exists and is a quoted string
    report = parse_report(vgs_text + lvs_text)
    vg = report.vg(loop_vg.name)
    assert vg.attr == "wz--n-" and vg.extent_size == MIB and vg.pv_count == 1 and vg.missing_pv_count == 0
    assert vg.size == vg.extent_count * MIB and vg.free == vg.free_count * MIB
    assert vg.extent_count - vg.free_count == 40 and vg.lv_count == 1
    (lv,) = report.lvs_of(loop_vg.name)
    assert (lv.name, lv.size, lv.segtype, lv.attr.raw) == ("nagios-team-a-root", 40 * MIB, "linear", "-wi-XX----")
    assert lv.attr.state_unknown and lv.data_percent is None


def test_thresholds_on_a_filling_vg(loop_vg):
    vgs_text, _ = loop_vg.report()
    total = parse_report(vgs_text).vg(loop_vg.name).extent_count
    steps = [("root", total // 2, OK), ("swap", total // 2 - total * 8 // 100, WARNING),
             ("extra", total * 8 // 100 - total * 3 // 100, CRITICAL)]
    free = total
    for name, extents, status in steps:
        loop_vg.lvcreate(name, extents)
        free -= extents
        run = run_check("check_lvm_capacity", "--vg", loop_vg.name, env=loop_vg.env)
        assert run.status == status, (name, free, total, run.stdout)
        percent = round(100 * free / total, 2)
        assert run.perf[f"{loop_vg.name}_free"] == (percent, "%", ["10:", "5:", "0", "100"])
        assert run.perf[f"{loop_vg.name}_free_bytes"] == (free * MIB, "B", ["", "", "0", str(total * MIB)])
        assert f"vg {loop_vg.name}: {percent:.2f}% free" in run.long[0]
    everything = run_check("check_lvm_capacity", env=loop_vg.env)  # only our loop device is visible
    assert everything.status == CRITICAL and set(everything.perf) == set(run.perf)
    relaxed = run_check("check_lvm_capacity", "--vg", loop_vg.name, "-w", "2:", "-c", "1:", env=loop_vg.env)
    assert relaxed.status == OK
    missing = run_check("check_lvm_capacity", "--vg", loop_vg.name, "--vg", loop_vg.name + "_gone",
                        "-w", "2:", "-c", "1:", env=loop_vg.env)
    assert missing.status == CRITICAL and f"vg {loop_vg.name}_gone: missing" in missing.summary


def test_real_inactive_thin_pool_and_snapshot(loop_vg):
    """lvm cannot create pools without device-mapper; vgcfgrestore --force loads them as metadata."""
    for name, extents in (("lin", 8), ("pdata", 8), ("pmeta", 2), ("snap", 2)):
        loop_vg.lvcreate(name, extents)
    backup = loop_vg.base / "vg.txt"
    loop_vg.lvm("vgcfgbackup", "-f", str(backup), loop_vg.name)
    backup.write_text(_with_pool_and_snapshot(backup.read_text()))
    loop_vg.lvm("vgcfgrestore", "--force", "-f", str(backup), loop_vg.name)
    run = run_check("check_lvm_capacity", "--vg", loop_vg.name, env=loop_vg.env)
    assert run.status == OK, run.stdout
    assert f"OK: thin pool {loop_vg.name}/pool: inactive, usage unknown [twi-XXt---]" in run.long
    assert f"OK: snapshot {loop_vg.name}/snap: inactive, usage unknown [swi-XXs---]" in run.long
    assert len(run.long) == 3  # the VG, the pool, the snapshot; hidden pool parts and thin1 are no objects


def test_real_partial_vg_after_a_pv_vanishes(split_vg):
    split_vg.lvcreate("nagios-team-a-root", 20)
    assert run_check("check_lvm_capacity", "--vg", split_vg.name, env=split_vg.env).status == OK
    split_vg.detach(split_vg.loops[-1])
    run = run_check("check_lvm_capacity", "--vg", split_vg.name, env=split_vg.env)
    assert run.status == CRITICAL, run.stdout
    assert f"vg {split_vg.name}:" in run.summary and "partial: 1 PV missing" in run.summary


_EXTRA_LVS = """
\t\tpool {{
\t\t\tid = "{id}1"
\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]
\t\t\tflags = []
\t\t\tsegment_count = 1
\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = 8
\t\t\t\ttype = "thin-pool"
\t\t\t\tmetadata = "pool_tmeta"
\t\t\t\tpool = "pool_tdata"
\t\t\t\ttransaction_id = 1
\t\t\t\tchunk_size = 128
\t\t\t\tdiscards = "passdown"
\t\t\t\tzero_new_blocks = 0
\t\t\t}}
\t\t}}
\t\tthin1 {{
\t\t\tid = "{id}2"
\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]
\t\t\tflags = []
\t\t\tsegment_count = 1
\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = 32
\t\t\t\ttype = "thin"
\t\t\t\tthin_pool = "pool"
\t\t\t\ttransaction_id = 0
\t\t\t\tdevice_id = 1
\t\t\t}}
\t\t}}
\t\tsnapshot0 {{
\t\t\tid = "{id}3"
\t\t\tstatus = ["READ"]
\t\t\tflags = []
\t\t\tsegment_count = 1
\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = 8
\t\t\t\ttype = "snapshot"
\t\t\t\tchunk_size = 8
\t\t\t\torigin = "lin"
\t\t\t\tcow_store = "snap"
\t\t\t}}
\t\t}}
"""


def _with_pool_and_snapshot(text: str) -> str:
    """Turn pdata/pmeta into the pool's hidden LVs; add the pool, a thin LV and a snapshot in lvm's format."""
    for plain, hidden in (("pdata", "pool_tdata"), ("pmeta", "pool_tmeta")):
        text = text.replace(f"\t\t{plain} {{", f"\t\t{hidden} {{", 1)  # "_tdata" is reserved for lvcreate
        start = text.index(f"\t\t{hidden} {{")
        visible = text.index('status = ["READ", "WRITE", "VISIBLE"]', start)
        text = text[:visible] + 'status = ["READ", "WRITE"]' + text[visible + 37:]
    end = text.rindex("\t}\n\n}")
    return text[:end] + _EXTRA_LVS.format(id="xenlvm-test-0000-0000-0000-0000-00000") + text[end:]
