"""check_herd_cluster on hostile input: one UNKNOWN line, no traceback, never a wrong OK, within -t.

The captured crm_mon outputs (tests/fixtures/pacemaker) are cut after every line: XML has an end, so every cut is
UNKNOWN. No Pacemaker is needed here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "checks" / "check_herd_cluster"
FIXTURES = ROOT / "tests" / "fixtures" / "pacemaker"
STEADY = FIXTURES / "crm_mon-2.1.5-herd-steady.xml"
FENCED = FIXTURES / "crm_mon-2.1.5-herd-primary-fenced.xml"
GUESTS = ("--guest", "team-db@xen-a", "--guest", "team-ops@xen-a", "--guest", "team-web@xen-b")
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']><pacemaker-result>&lol9;</pacemaker-result>')


def run(data: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(CHECK), "--input", "-", "-t", "10", *args], input=data, capture_output=True,
                          timeout=60, check=False)
    out = done.stdout.decode("utf-8", "replace")
    assert done.stderr == b"" and "Traceback" not in out
    assert out.startswith("CLUSTER "), out[:200]
    return subprocess.CompletedProcess(done.args, done.returncode, out, "")


@pytest.mark.parametrize("data", [b"", b" \n\n", bytes(range(256)) * 64, b"\x00" * 4096,
                                  STEADY.read_text().encode("utf-16"), b"<" * 5_000_000, LAUGHS.encode(),
                                  b"<pacemaker-result/>", b"<cib/>"],
                         ids=["empty", "blank", "binary", "nul", "utf16", "huge", "entity-bomb", "no-nodes", "cib"])
def test_hostile_input_is_unknown(data):
    done = run(data, *GUESTS)
    assert done.returncode == 3 and len(done.stdout.splitlines()) == 1, done.stdout[:300]


@pytest.mark.parametrize("fixture", [STEADY, FENCED], ids=["steady", "fenced"])
def test_every_cut_of_a_real_output_is_unknown(fixture):
    lines = fixture.read_text().splitlines(keepends=True)
    for end in range(1, len(lines)):
        done = run("".join(lines[:end]).encode(), *GUESTS)
        assert done.returncode == 3, (end, done.stdout)


def test_the_captured_states_are_judged():
    assert run(STEADY.read_bytes(), *GUESTS).returncode == 0
    fenced = run(FENCED.read_bytes(), *GUESTS)
    assert fenced.returncode == 2 and "CRITICAL: node xen-a OFFLINE" in fenced.stdout.splitlines()


@pytest.mark.parametrize("args", [("--guest", "@xen-a"), ("--guest", "team-db", "--guest", "team-db")])
def test_bad_guest_options_are_unknown(args):
    done = run(STEADY.read_bytes(), *args)
    assert done.returncode == 3 and "--guest" in done.stdout
