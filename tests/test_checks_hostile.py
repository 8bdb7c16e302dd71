"""Every --input check on hostile input: one status line, no traceback, never a wrong OK, within -t.

Hostile: empty, blank, binary, NUL bytes, UTF-16, one huge line, 50 MB, CRLF line endings, and every
real fixture cut after each of its lines. JSON and events2 carry an end (the closing bracket, ``exists -``),
so any cut is UNKNOWN. /proc/drbd, drbdadm status text and ``xl list`` have no end marker: a cut between
two whole objects is a shorter valid output, which only a named ``--resource``/``--domain`` can catch
(asserted: CRITICAL or UNKNOWN whenever a named object is cut away); a cut inside an object that drops
a volume or a peer's state of a listed resource must not be OK.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from drbd_support import ROOT, load

from nagios_herd.parsers.drbd.formats import detect_and_parse
from nagios_herd.parsers.drbd.model import DrbdParseError
from nagios_herd.parsers.xen import XenParseError, parse_list

CHECKS = ROOT / "checks"
STATUS = re.compile(r"^(DRBD|XEN|LVM) (OK|WARNING|CRITICAL|UNKNOWN) - \S")
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3

DRBD = ["ganeti/proc_drbd84.txt",
        "issues/cockpit-project_cockpit_17042_proc_drbd_8.4.11_two_syncs.txt",
        "linbit-documentation/UG9_drbdsetup_status_verbose_statistics.txt",
        "issues/LINBIT_linstor-server_221_drbdsetup_status_verbose_clients.txt",
        "drbd-synthetic/drbdsetup_status_verbose_statistics_synctarget_wrapped.txt",
        "drbd-synthetic/drbdsetup_status_verbose_two_volumes_two_peers.txt",
        "drbdtop/events2_timestamps_statistics_2019.txt",
        "issues/ClusterLabs_ha_cluster_exporter_25_drbdsetup_status_json_first_resource.json"]
XEN = ["ganeti/xen-xl-list-4.0.1-four-instances.txt", "ganeti/xen-xl-list-4.4-crashed-instances.txt"]
LVM = ["lvm2-real/fullreport_json_units_b.json", "lvm2-real/vgs_json_units_b_nearly_full.json"]
REAL = {"check_drbd_sync": DRBD[0], "check_xen_domain": XEN[0], "check_lvm_capacity": LVM[0]}


def run(check: str, stdin: bytes, *args: str, state_dir=None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "NAGIOS_HERD_PLUGIN_STATE_DIR": str(state_dir or "/nonexistent")}
    result = subprocess.run([str(CHECKS / check), "--input", "-", "-t", "10", *args], input=stdin,
                            capture_output=True, env=env, timeout=60, check=False)
    out = result.stdout.decode("utf-8", "replace")
    assert result.stderr == b"" and "Traceback" not in out, (check, out, result.stderr[:300])
    assert result.returncode in (OK, WARNING, CRITICAL, UNKNOWN)
    assert STATUS.match(out.splitlines()[0] if out else ""), out[:200]
    if result.returncode == UNKNOWN:  # one line, or a verdict whose long output names what went unreported
        assert all(re.match(r"(OK|WARNING|CRITICAL|UNKNOWN): ", line) for line in out.splitlines()[1:]), out[:500]
    return result


def hostile_inputs() -> list[tuple[str, str, bytes]]:
    cases = []
    for check, fixture in REAL.items():
        text = load(fixture)
        for name, data in (("empty", b""), ("blank", b" \n\t\r\n\n  \n"), ("binary", bytes(range(256)) * 64),
                           ("nul", b"\x00" * 4096), ("utf16", text.encode("utf-16")),
                           ("huge-line", b"Z" * 5_000_000), ("50MB-blank-lines", b"\n" * 50_000_000)):
            cases.append((check, name, data))
    return cases


@pytest.mark.parametrize(("check", "name", "data"), hostile_inputs(),
                         ids=[f"{c}-{n}" for c, n, _ in hostile_inputs()])
def test_hostile_input_is_unknown(check: str, name: str, data: bytes) -> None:
    assert run(check, data).returncode == UNKNOWN


@pytest.mark.parametrize("check", sorted(REAL))
def test_50_mb_of_a_real_output_answers_within_the_timeout(check: str) -> None:
    """Repeated real output: an answer (a verdict or UNKNOWN: duplicates, timeout), never a hang or a trace."""
    text = load(REAL[check]).encode()
    run(check, text * (50_000_000 // len(text)))


@pytest.mark.parametrize("fixture", [*DRBD, *XEN, *LVM])
def test_crlf_line_endings_give_the_same_verdict(fixture: str, tmp_path) -> None:
    check = "check_drbd_sync" if fixture in DRBD else "check_xen_domain" if fixture in XEN else "check_lvm_capacity"
    text = load(fixture)
    plain = run(check, text.encode(), state_dir=tmp_path)
    crlf = run(check, text.replace("\n", "\r\n").encode(), state_dir=tmp_path)
    assert (crlf.returncode, crlf.stdout.splitlines()[0]) == (plain.returncode, plain.stdout.splitlines()[0])


def _structure(text: str) -> dict[str, tuple[set[int], dict[str, set[int]]]] | None:
    """Per resource: its device volumes and, per connection, the volumes a peer state was given for."""
    try:
        status = detect_and_parse(text)
    except DrbdParseError:
        return None
    return {r.name: ({d.volume for d in r.devices}, {c.peer: {p.volume for p in c.peer_devices}
                                                     for c in r.connections}) for r in status.resources}


def _drops_a_volume(prefix: dict, full: dict) -> bool:
    for name, (volumes, connections) in prefix.items():
        whole_volumes, whole_connections = full[name]
        if volumes < whole_volumes:
            return True
        if any(peer_volumes < whole_connections.get(peer, set()) for peer, peer_volumes in connections.items()):
            return True
    return False


def _cuts(fixture: str) -> list[tuple[str, int]]:
    lines = load(fixture).splitlines(keepends=True)
    return [(fixture, cut) for cut in range(len(lines))]


@pytest.mark.parametrize(("fixture", "cut"), [c for f in DRBD for c in _cuts(f)],
                         ids=[f"{f.split('/')[-1][:40]}-{n}" for fx in DRBD for f, n in _cuts(fx)])
def test_drbd_output_cut_after_every_line(fixture: str, cut: int, tmp_path) -> None:
    full_text = load(fixture)
    prefix = "".join(full_text.splitlines(keepends=True)[:cut])
    full = _structure(full_text)
    names = [f"--resource={name}" for name in full]
    plain = run("check_drbd_sync", prefix.encode(), state_dir=tmp_path)
    named = run("check_drbd_sync", prefix.encode(), *names, state_dir=tmp_path)
    if full_text.lstrip()[:1] in "[{" or fixture.startswith("drbdtop/"):
        assert plain.returncode == named.returncode == UNKNOWN, plain.stdout  # JSON / events2 have an end
        return
    structure = _structure(prefix)
    if structure is None:
        assert plain.returncode == UNKNOWN
        return
    if set(structure) < set(full):
        assert named.returncode in (CRITICAL, UNKNOWN), named.stdout  # a named resource was cut away
    if _drops_a_volume(structure, full):
        assert plain.returncode != OK, plain.stdout


@pytest.mark.parametrize(("fixture", "cut"), [c for f in XEN + LVM for c in _cuts(f)],
                         ids=[f"{f.split('/')[-1][:40]}-{n}" for fx in XEN + LVM for f, n in _cuts(fx)])
def test_xen_and_lvm_output_cut_after_every_line(fixture: str, cut: int) -> None:
    full_text = load(fixture)
    prefix = "".join(full_text.splitlines(keepends=True)[:cut])
    if fixture in LVM:
        assert run("check_lvm_capacity", prefix.encode()).returncode == UNKNOWN  # JSON: the end is missing
        return
    names = [d.name for d in parse_list(full_text) if d.name != "Domain-0" and d.name != "(null)"]
    try:
        shown = {d.name for d in parse_list(prefix)}
    except XenParseError:
        shown = None
    named = run("check_xen_domain", prefix.encode(), *[f"--domain={name}" for name in names])
    if shown is None or not set(names) <= shown:
        assert named.returncode in (CRITICAL, UNKNOWN), named.stdout
