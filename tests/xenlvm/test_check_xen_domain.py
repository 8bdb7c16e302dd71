"""checks/check_xen_domain run as Nagios runs it, on every accepted fixture, with the docs/checks.md verdicts."""

from __future__ import annotations

import os
import subprocess

import pytest

from .helpers import CHECKS, FIXTURES, fixture, read, run_check

OK, WARNING, CRITICAL, UNKNOWN = range(4)


def counts(run) -> dict[str, float]:
    return {label: value for label, (value, _, _) in run.perf.items()}


@pytest.mark.parametrize("name, args, status, expected_counts", [
    ("ganeti/xen-xl-list-4.0.1-dom0-only.txt", [], OK, {"domains": 1, "running": 1}),
    ("ganeti/xen-xl-list-4.0.1-four-instances.txt", [], OK, {"domains": 4, "running": 4}),
    ("ganeti/xen-xl-list-4.0.1-four-instances.txt", ["--domain", "server01.example.com",
                                                       "--absent", "other.example.com"], OK, {}),
    ("ganeti/xen-xl-list-4.4-crashed-instances.txt", [], CRITICAL,
     {"domains": 4, "running": 2, "crashed": 1, "zombie": 1, "paused": 0}),
    ("xen-course-notes/xl_list_xen_4.9.2_running.txt", ["--domain", "guest-01"], OK, {"running": 2}),
    ("xen-course-notes/xl_list_xen_4.9.2_paused.txt", [], WARNING, {"running": 1, "paused": 1}),
    ("xenlvm-synthetic/xl_list_migration.txt", [], WARNING, {"migrating": 2, "running": 2}),
    ("xenlvm-synthetic/xl_list_shutdown_dying.txt", [], CRITICAL, {"shutdown": 2, "dying": 1, "running": 2}),
    ("xenlvm-synthetic/xl_list_verbose.txt", [], CRITICAL, {"crashed": 1}),
    ("xenlvm-synthetic/xm_list_managed.txt", [], OK, {"inactive": 1, "running": 2}),
])
def test_fixture_verdicts(name, args, status, expected_counts):
    run = run_check("check_xen_domain", "--input", fixture(name), *args)
    assert run.status == status, run.stdout
    assert run.first.startswith("XEN ")
    found = counts(run)
    for label, value in expected_counts.items():
        assert found[label] == value, (label, run.first)
    assert len(run.long) >= found["domains"]  # one long-output line per domain


def test_crashed_and_zombie_are_named():
    run = run_check("check_xen_domain", "--input", fixture("ganeti/xen-xl-list-4.4-crashed-instances.txt"))
    assert "(null) id 28441: zombie" in run.summary
    assert "alsodying.example.com: crashed [--psc-]" in run.summary
    assert "OK: server01.example.com: running [-b----]" in run.long


def test_missing_expected_domain_is_critical():
    run = run_check("check_xen_domain", "--input", fixture("xen-course-notes/xl_list_xen_4.9.2_running.txt"),
                    "--domain", "guest-01", "--domain", "guest-02")
    assert run.status == CRITICAL and "guest-02: not running here" in run.summary
    assert "guest-01" not in run.summary


def test_guest_on_both_hosts_is_critical():
    run = run_check("check_xen_domain", "--input", fixture("ganeti/xen-xl-list-4.0.1-four-instances.txt"),
                    "--absent", "testinstance.example.com")
    assert run.status == CRITICAL
    assert "testinstance.example.com" in run.summary and "running on both hosts risks its disk" in run.summary


def test_paused_expected_domain_warns():
    run = run_check("check_xen_domain", "--input", fixture("xen-course-notes/xl_list_xen_4.9.2_paused.txt"),
                    "--domain", "guest-01")
    assert run.status == WARNING and "guest-01: paused" in run.summary


def test_expected_domain_arriving_by_migration_warns_not_critical():
    run = run_check("check_xen_domain", "--input", fixture("xenlvm-synthetic/xl_list_migration.txt"),
                    "--domain", "nagios-team-a", "--absent", "nagios-team-b")
    assert run.status == WARNING
    assert "nagios-team-a: migration in progress (nagios-team-a--incoming, arriving)" in run.summary


def test_xm_defined_but_halted():
    path = fixture("xenlvm-synthetic/xm_list_managed.txt")
    assert run_check("check_xen_domain", "--input", path, "--absent", "nagios-team-b").status == OK
    run = run_check("check_xen_domain", "--input", path, "--domain", "nagios-team-b")
    assert run.status == CRITICAL and "nagios-team-b: defined, not running; must run here" in run.summary


def test_verbose_adds_one_detail_line_per_domain():
    run = run_check("check_xen_domain", "-v", "--input", fixture("xen-course-notes/xl_list_xen_4.9.2_paused.txt"))
    assert run.long[-2:] == ["Domain-0: id 0, 15084 MiB, 8 vcpus, 633.9 s cpu",
                             "guest-01: id 4, 1024 MiB, 2 vcpus, 7.8 s cpu"]


def test_stdin_input():
    data = read("xen-course-notes/xl_list_xen_4.9.2_paused.txt").encode()
    assert run_check("check_xen_domain", "--input", "-", stdin=data).status == WARNING


@pytest.mark.parametrize("data, message", [
    (b"", "empty input"),
    (b"hello world\n", "not an `xl list`"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "not an `xl list`"),
    (b"Name                                        ID   Mem VCPUs\tState\tTime(s)\nDomain-0     0  10",
     "line 2: not a domain row"),
])
def test_hostile_input_is_unknown(tmp_path, data, message):
    path = tmp_path / "input"
    path.write_bytes(data)
    run = run_check("check_xen_domain", "--input", str(path))
    assert run.status == UNKNOWN and message in run.first, run.first


@pytest.mark.parametrize("name", ["ganeti/xen-xl-list-long-4.0.1.txt", "ganeti/xen-xl-info-4.0.1.txt",
                                  "lvm2-real/vgs_json_units_b_nearly_full.json"])
def test_other_tool_outputs_are_unknown(name):
    run = run_check("check_xen_domain", "--input", fixture(name))
    assert run.status == UNKNOWN and "line 1: not an `xl list`" in run.first


def test_usage_errors_are_unknown(tmp_path):
    assert run_check("check_xen_domain", "--input", str(tmp_path / "missing")).status == UNKNOWN
    both = run_check("check_xen_domain", "--input", fixture("ganeti/xen-xl-list-4.0.1-dom0-only.txt"),
                     "--domain", "a", "--absent", "a")
    assert both.status == UNKNOWN and "both as --domain and --absent" in both.first
    assert run_check("check_xen_domain", "--bogus").status == UNKNOWN


def test_without_xen_tools_is_unknown():
    if os.path.exists("/usr/sbin/xl") or os.path.exists("/usr/sbin/xm"):
        pytest.skip("this machine has xl/xm")
    run = run_check("check_xen_domain")
    assert run.status == UNKNOWN and "neither /usr/sbin/xl nor /usr/sbin/xm exists" in run.first


def test_help_and_version_exit_unknown():
    for flag in ("-h", "-V"):
        proc = subprocess.run([str(CHECKS / "check_xen_domain"), flag], capture_output=True, text=True)
        assert proc.returncode == UNKNOWN
    help_text = subprocess.run([str(CHECKS / "check_xen_domain"), "-h"], capture_output=True, text=True).stdout
    for option in ("--domain NAME", "--absent NAME", "--input FILE", "--timeout SECONDS"):
        assert option in help_text


def test_timeout_while_reading_is_unknown():
    proc = subprocess.Popen([str(CHECKS / "check_xen_domain"), "-t", "1", "--input", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=20)  # stdin stays open: the read blocks until -t fires
        out = proc.stdout.read()
    finally:
        proc.kill()
        proc.stdin.close()
        proc.stdout.close()
    assert proc.returncode == UNKNOWN and "timed out after 1 s" in out


@pytest.mark.parametrize("args, status", [
    (["--input", "xen-course-notes/xl_list_xen_4.9.2_running.txt", "--domain", "guest-01"], OK),
    (["--input", "xenlvm-synthetic/xl_list_verbose.txt"], CRITICAL),
    (["--input", "ganeti/xen-xl-list-long-4.0.1.txt"], UNKNOWN),
    (["--input", "missing"], UNKNOWN),
])
def test_start_up_never_imports_re(args, status):
    """``re`` (and the ``enum`` it pulls in) was a third of this check's start-up; run as Nagios runs it
    (the launcher's own ``-sS`` shebang), the check, its parser and its UNKNOWN paths do without it."""
    path = FIXTURES / args[1]
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run([str(CHECKS / "check_xen_domain"), args[0], str(path), *args[2:]], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert proc.returncode == status, proc.stdout
    imported = {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert {"nagios_herd.checks.xen_domain", "nagios_herd.parsers.xen"} <= imported, proc.stderr[-2000:]
    assert "re" not in imported and "enum" not in imported, sorted(imported)
