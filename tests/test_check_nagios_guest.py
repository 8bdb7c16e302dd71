"""check_nagios_guest on saved real answers (--input) and its authfile rules; no network.

The live HTTP cases (real nagios4 + statusjson.cgi behind lighttpd) are in
tests/realnagios/test_check_nagios_guest_real.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nagios_herd.checks import nagios_guest
from nagios_herd.plugin.runtime import CheckError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "nagios4"
EXECUTABLE = ROOT / "checks" / "check_nagios_guest"
PROGRAM = (FIXTURES / "programstatus.json").read_text()
PERFORMANCE = (FIXTURES / "performancedata.json").read_text()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = nagios_guest.PLUGIN.run(nagios_guest.check, list(argv))
    return code, capsys.readouterr().out


def saved(tmp_path: Path, *documents: str, name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text("\n".join(documents))
    return str(path)


def edited(text: str, **changes: object) -> str:
    """A real answer with fields replaced: ``result__last_data_update=...`` style paths."""
    doc = json.loads(text)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = doc
        for key in parents:
            target = target[key]
        target[last] = value
    return json.dumps(doc)


def test_live_answers_are_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "-H", "guest01", "--input", saved(tmp_path, PROGRAM, PERFORMANCE))
    first = out.splitlines()[0]
    assert code == 0, out
    assert first.startswith("NAGIOS OK - guest01: Nagios 4.4.6 pid ")
    assert "| age=0s;0:180;0:600;0 uptime=6s;;;0 service_checks_1min=3;;;0" in first
    assert "host_checks_1min=1;;;0" in first and "passive_checks_1min=0;;;0" in first


def test_answers_in_any_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(capsys, "--input", saved(tmp_path, PERFORMANCE, PROGRAM))
    assert code == 0


@pytest.mark.parametrize(
    "age,expected",
    [(0, 0), (180, 0), (181, 1), (600, 1), (601, 2), (86400, 2)],
)
def test_default_age_thresholds(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                age: int, expected: int) -> None:
    query_time = json.loads(PROGRAM)["result"]["query_time"]
    program = edited(PROGRAM, result__last_data_update=query_time - age * 1000)
    code, out = run(capsys, "-H", "g", "--input", saved(tmp_path, program, PERFORMANCE))
    assert code == expected, out
    assert f"age={age}s;0:180;0:600;0" in out
    if expected:
        assert f"g: status data {age} s old" in out.splitlines()[0]


def test_custom_ranges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query_time = json.loads(PROGRAM)["result"]["query_time"]
    program = edited(PROGRAM, result__last_data_update=query_time - 30_000)
    answers = saved(tmp_path, program, PERFORMANCE)
    assert run(capsys, "--input", answers, "-w", "20", "-c", "40")[0] == 1
    assert run(capsys, "--input", answers, "-w", "10", "-c", "~:29")[0] == 2
    assert run(capsys, "--input", answers, "-w", "@0:60")[0] == 1  # inside-range alert


def _idle_performance(**counts: int) -> str:
    doc = json.loads(PERFORMANCE)
    for kind in ("service_checks", "host_checks"):
        doc["data"]["programstatus"][kind]["active"]["checks"]["1min"] = counts.get(kind, 0)
    return json.dumps(doc)


def _started_ago(seconds: int, **fields: object) -> str:
    query_time = json.loads(PROGRAM)["result"]["query_time"]
    return edited(PROGRAM, data__programstatus__program_start=query_time - seconds * 1000, **fields)


def test_no_active_check_in_last_minute_is_critical(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    answers = saved(tmp_path, _started_ago(3600), _idle_performance())
    code, out = run(capsys, "-H", "g", "--input", answers)
    assert code == 2
    assert out.startswith("NAGIOS CRITICAL - g: no active check in the last minute |")


def test_disabled_checks_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = _started_ago(3600, data__programstatus__execute_service_checks=False,
                           data__programstatus__execute_host_checks=False)
    code, out = run(capsys, "--input", saved(tmp_path, program, _idle_performance()))
    assert code == 2 and "(active checks are disabled)" in out


def test_host_checks_alone_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = saved(tmp_path, _started_ago(3600), _idle_performance(host_checks=2))
    assert run(capsys, "--input", answers)[0] == 0


def test_first_minute_after_start_is_not_idle(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    answers = saved(tmp_path, _started_ago(20), _idle_performance())
    code, out = run(capsys, "--input", answers)
    assert code == 0 and "started 20 s ago, no active check yet" in out


@pytest.mark.parametrize(
    "fixture,expected,message",
    [
        ("programstatus-daemon-stopped.txt", 2, "empty answer from statusjson.cgi (the Nagios daemon is not running)"),
        ("lighttpd-401.html", 2, "answer is not JSON"),
        ("error-query-invalid.json", 3, "statusjson.cgi error 6 (Option Value Invalid)"),
        ("programstatus.json", 3, "need one answer to each of query=programstatus and query=performancedata"),
        ("servicelist.json", 3, "got servicelist"),
    ],
)
def test_real_bad_answers(capsys: pytest.CaptureFixture[str], fixture: str, expected: int,
                          message: str) -> None:
    code, out = run(capsys, "--input", str(FIXTURES / fixture))
    assert code == expected, out
    assert message in out.splitlines()[0]


@pytest.mark.parametrize(
    "body,expected",
    [
        ("", 2),
        (PROGRAM[:200], 2),  # truncated
        (PROGRAM + PERFORMANCE[:-30], 2),  # second answer truncated
        ("\x00\x01\xff garbage", 2),
        ("<html><body>502 Bad Gateway</body></html>", 2),
        ("[]", 3),
        ('{"result": {"type_code": 0}}', 3),
        (edited(PROGRAM, data__programstatus__nagios_pid="12"), 3),
        (edited(PROGRAM, result__type_code=2, result__type_text="File Open/Read Error",
                result__message="status.dat") + PERFORMANCE, 2),
        (PROGRAM + PROGRAM + PERFORMANCE, 3),  # two programstatus answers: which one?
    ],
    ids=["empty", "truncated", "truncated-second", "binary", "html", "list", "no-fields",
         "pid-string", "cgi-file-error", "duplicate"],
)
def test_hostile_inputs_never_ok_never_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 body: str, expected: int) -> None:
    code, out = run(capsys, "--input", saved(tmp_path, body))
    assert code == expected, out
    assert "Traceback" not in out and "internal error" not in out
    assert out.startswith(("NAGIOS CRITICAL - ", "NAGIOS UNKNOWN - "))


def test_missing_input_file_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--input", str(tmp_path / "absent.json"))
    assert code == 3 and "cannot read" in out


def test_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys)
    assert code == 3 and "give -H HOST or --url URL" in out


def test_bad_range_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "-H", "g", "-w", "10:5")
    assert code == 3 and "start 10 is greater than end 5" in out


def _authfile(tmp_path: Path, text: str, mode: int = 0o600) -> str:
    path = tmp_path / "auth"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("username=nagiosadmin\npassword=s3cret: with spaces\n", ("nagiosadmin", "s3cret: with spaces")),
        ("# the watcher\nusername = admin\npassword = pw=1\n", ("admin", "pw=1")),
        ("admin:pa:ss\n", ("admin", "pa:ss")),
        ("admin:\n", ("admin", "")),
    ],
)
def test_authfile_formats(tmp_path: Path, text: str, expected: tuple[str, str]) -> None:
    assert nagios_guest.read_authfile(_authfile(tmp_path, text)) == expected


@pytest.mark.parametrize(
    "text,mode,message",
    [
        ("admin:pw\n", 0o640, "accessible by group/others (mode 0640); chmod 600 it"),
        ("admin:pw\n", 0o604, "(mode 0604)"),
        ("admin:pw\n", 0o620, "(mode 0620)"),
        ("", 0o600, "expected 'username=...'"),
        ("username=admin\n", 0o600, "expected 'username=...'"),
        ("user=admin\npassword=x\n", 0o600, "expected 'username=...'"),
        (":pw\n", 0o600, "expected 'username=...'"),
        ("a:b\nc:d\n", 0o600, "expected 'username=...'"),
    ],
)
def test_authfile_refused(tmp_path: Path, text: str, mode: int, message: str) -> None:
    with pytest.raises(CheckError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nagios_guest.read_authfile(_authfile(tmp_path, text, mode))


def test_authfile_not_utf8_or_not_file(tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.write_bytes(b"admin:\xff\xfe\n")
    path.chmod(0o600)
    with pytest.raises(CheckError, match="not UTF-8"):
        nagios_guest.read_authfile(str(path))
    with pytest.raises(CheckError, match="not a regular file"):
        nagios_guest.read_authfile(str(tmp_path))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(CheckError, match="not a regular file"):  # and does not block
        nagios_guest.read_authfile(str(fifo))
    with pytest.raises(CheckError, match="cannot read authfile .*No such file"):
        nagios_guest.read_authfile(str(tmp_path / "none"))


def test_no_credentials_over_plain_http(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    auth = _authfile(tmp_path, "admin:pw\n")
    code, out = run(capsys, "--url", "http://guest01.example/cgi-bin/nagios4/statusjson.cgi",
                    "--authfile", auth)
    assert code == 3 and "refusing to send the credentials" in out and "use https" in out


def test_missing_ca_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "-H", "127.0.0.1", "--ca-file", str(tmp_path / "ca.pem"))
    assert code == 3 and "--ca-file" in out and "no such file" in out
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    code, out = run(capsys, "-H", "127.0.0.1", "--ca-file", str(tmp_path / "ca.pem"))
    assert code == 3 and "no usable CA certificate" in out


def test_executable_from_the_checkout(tmp_path: Path) -> None:
    """The thin launcher under a clean environment, as Nagios runs it."""
    answers = saved(tmp_path, PROGRAM, PERFORMANCE)
    done = subprocess.run([str(EXECUTABLE), "-H", "g", "--input", answers], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("NAGIOS OK - g: ") and done.stderr == ""


def test_check_does_not_import_requests_for_input(tmp_path: Path) -> None:
    answers = saved(tmp_path, PROGRAM, PERFORMANCE)
    code = ("import sys; from nagios_herd.checks import nagios_guest as g\n"
            f"g.PLUGIN.run(g.check, ['--input', {answers!r}])\n"
            "assert 'requests' not in sys.modules, 'requests imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
