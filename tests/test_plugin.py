"""nagios_herd.plugin.runtime: states, perfdata, the report, the option parser, the guard, timeouts, input, tools."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nagios_herd.plugin import runtime as plugin
from nagios_herd.plugin.args import parse_args
from nagios_herd.plugin.runtime import (
    APPEND,
    COUNT,
    FLAG,
    CheckError,
    Option,
    Perf,
    Plugin,
    Range,
    Report,
    State,
    UsageError,
    launch,
    read_input,
    run_tool,
)

ROOT = Path(__file__).resolve().parent.parent

# The guideline's perfdata grammar: 'label'=value[UOM];[warn];[crit];[min];[max]
PERF_RE = re.compile(r"""^('([^']|'')+'|[^ '=]+)=-?[0-9.]+(s|ms|us|%|B|KB|MB|TB|c)?(;[^; ]*){0,4}$""")


def test_state_codes_names_and_worst_order() -> None:
    assert [int(s) for s in (State.OK, State.WARNING, State.CRITICAL, State.UNKNOWN)] == [0, 1, 2, 3]
    assert [str(s) for s in (State.OK, State.WARNING, State.CRITICAL, State.UNKNOWN)] == [
        "OK", "WARNING", "CRITICAL", "UNKNOWN"]
    assert State.worst([]) == State.OK
    assert State.worst([State.OK, State.UNKNOWN]) == State.UNKNOWN
    assert State.worst([State.UNKNOWN, State.WARNING]) == State.WARNING
    assert State.worst([State.WARNING, State.CRITICAL, State.UNKNOWN]) == State.CRITICAL


@pytest.mark.parametrize("perf, text", [
    (Perf("oos", 0, "B"), "oos=0B"),
    (Perf("sync", 34.9, "%", minimum=0, maximum=100), "sync=34.9%;;;0;100"),
    (Perf("a b", 1.25, "s", warn=Range("10"), crit="@5:6"), "'a b'=1.25s;10;@5:6"),
    (Perf("it's=x", 3), "'it''s=x'=3"),
    (Perf("big", 1073479680.0, "B"), "big=1073479680B"),
    (Perf("small", 1e-7), "small=0"),
    (Perf("third", 1 / 3, "%"), "third=0.333333%"),
])
def test_perfdata_format(perf: Perf, text: str) -> None:
    assert str(perf) == text
    assert PERF_RE.match(text)


@pytest.mark.parametrize("make", [
    lambda: str(Perf("x", float("nan"))),
    lambda: str(Perf("x", True)),
    lambda: str(Perf("", 1)),
    lambda: str(Perf("a|b", 1)),
    lambda: Perf("x", 1, "1B"),
])
def test_perfdata_rejects_invalid(make) -> None:
    with pytest.raises((ValueError, TypeError)):
        make()


def test_report_render_and_unique_labels() -> None:
    report = Report("DEMO")
    report.add(State.OK, "r0 fine")
    report.add(State.CRITICAL, "r1   not\nconnected")
    report.add(State.WARNING, "r2 syncing")
    report.perf("r0_oos", 0, "B")
    report.perf("r 1", 2.5, "%", warn="10", minimum=0, maximum=100)
    report.detail("only with -v")
    with pytest.raises(ValueError, match="duplicate"):
        report.perf("r0_oos", 1, "B")
    lines = report.render().splitlines()
    assert lines[0] == "DEMO CRITICAL - r1 not connected; r2 syncing | r0_oos=0B 'r 1'=2.5%;10;;0;100"
    assert lines[1:] == ["OK: r0 fine", "CRITICAL: r1 not connected", "WARNING: r2 syncing"]
    assert report.render(verbose=1).splitlines()[-1] == "only with -v"
    assert all(PERF_RE.match(item) for item in lines[0].split(" | ")[1].split(" ") if "'" not in item)
    empty = Report("DEMO")
    assert (empty.state, empty.render()) == (State.OK, "DEMO OK - all OK")


OPTIONS = [Option("w", "warning", convert=Range), Option(None, "name", kind=APPEND),
           Option("x", "flag", kind=FLAG), Option("v", "verbose", kind=COUNT)]


def test_option_parser_forms() -> None:
    values = parse_args(["-w10:", "--name", "a", "--name=b", "-vvx", "--", ], OPTIONS)
    assert (values.warning, values.name, values.flag, values.verbose) == (Range("10:"), ["a", "b"], True, 2)
    values = parse_args(["-w", "-5:", "-v"], OPTIONS)
    assert (values.warning, values.name, values.flag, values.verbose) == (Range("-5:"), [], None, 1)
    assert parse_args([], OPTIONS).name == [] and parse_args([], OPTIONS).name is not OPTIONS[1].default


@pytest.mark.parametrize("argv, message", [
    (["--bogus"], "unknown option --bogus"),
    (["-q"], "unknown option -q"),
    (["-w"], "option -w needs a value"),
    (["--flag=1"], "option --flag takes no value"),
    (["positional"], "unexpected argument 'positional'"),
    (["--", "x"], "unexpected argument 'x'"),
    (["-w", "20:10"], "-w: invalid range '20:10': start 20 is greater than end 10"),
])
def test_option_parser_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_args(argv, OPTIONS)
    assert str(raised.value) == message


def _demo(check, argv: list[str], capsys) -> tuple[int, str]:
    demo = Plugin("DEMO", name="check_demo", usage="check_demo [-w RANGE]", description="A demo check.",
                  options=[Option("w", "warning", metavar="RANGE", convert=Range, help="warn range")])
    code = demo.run(check, argv)
    return code, capsys.readouterr().out


def test_plugin_run_ok_help_version_usage(capsys) -> None:
    def check(options):
        report = Report("DEMO")
        report.add(State.WARNING if options.warning and options.warning.alerts(5) else State.OK, "value 5")
        report.perf("value", 5, warn=options.warning)
        return report

    assert _demo(check, [], capsys) == (0, "DEMO OK - all OK | value=5\nOK: value 5\n")
    assert _demo(check, ["-w", "4"], capsys) == (1, "DEMO WARNING - value 5 | value=5;4\nWARNING: value 5\n")
    code, out = _demo(check, ["-h"], capsys)
    assert code == 3 and out.startswith("Usage: check_demo [-w RANGE]\n\nA demo check.\n")
    assert "-t, --timeout SECONDS" in out and "-w, --warning RANGE" in out
    assert _demo(check, ["--version"], capsys) == (3, f"check_demo {plugin.__version__}\n")
    assert _demo(check, ["-w", "x"], capsys) == (
        3, "DEMO UNKNOWN - -w: invalid range 'x': 'x' is not a number\nUsage: check_demo [-w RANGE]\n")
    assert _demo(check, ["-t", "0"], capsys)[1].startswith("DEMO UNKNOWN - -t: '0' is not a positive number")


def test_guard_turns_exceptions_into_one_unknown_line(capsys) -> None:
    def broken(options):
        raise KeyError("boom")

    def unreadable(options):
        raise CheckError("cannot read /x: No such file or directory")

    assert _demo(broken, [], capsys) == (3, "DEMO UNKNOWN - internal error: KeyError: 'boom'\n")
    code, out = _demo(broken, ["-vvv"], capsys)
    assert code == 3 and out.splitlines()[1] == "Traceback (most recent call last):"
    assert _demo(unreadable, [], capsys) == (3, "DEMO UNKNOWN - cannot read /x: No such file or directory\n")


def test_timeout_gives_unknown(capsys) -> None:
    def slow(options):
        time.sleep(5)

    assert _demo(slow, ["-t", "0.2"], capsys) == (3, "DEMO UNKNOWN - timed out after 0.2 s\n")


def test_launch_reports_a_broken_module(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        launch("nagios_herd.checks.no_such_check", "DEMO")
    assert exited.value.code == 3
    assert capsys.readouterr().out.startswith("DEMO UNKNOWN - cannot load nagios_herd.checks.no_such_check: "
                                              "ModuleNotFoundError")


def test_read_input_is_bytes_tolerant(tmp_path, monkeypatch) -> None:
    sample = tmp_path / "sample"
    sample.write_bytes(b"a\x00b \xff\xfe c\n")
    assert read_input(str(sample)) == "ab \ufffd\ufffd c\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin\x00\n")))
    assert read_input("-") == "from stdin\n"
    with pytest.raises(CheckError, match=r"cannot read .*/missing: No such file or directory"):
        read_input(str(tmp_path / "missing"))
    with pytest.raises(CheckError, match="Is a directory"):
        read_input(str(tmp_path))


def test_run_tool_env_stderr_timeout_and_errors(tmp_path) -> None:
    result = run_tool(["/usr/bin/env"])
    assert result.ok and sorted(result.stdout.split()) == ["LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    failed = run_tool(["/bin/sh", "-c", "echo out; echo 'bad thing' >&2; exit 4"])
    assert (failed.returncode, failed.stdout, failed.stderr) == (4, "out\n", "bad thing\n")
    assert failed.failure() == "/bin/sh -c echo out; echo 'bad thing' >&2; exit 4 exited 4: bad thing"
    quoted = run_tool(["/bin/echo", "$HOME", "a;b", "`x`"])
    assert quoted.stdout == "$HOME a;b `x`\n"  # no shell between us and the tool
    with pytest.raises(CheckError, match="/bin/sleep timed out after 0.2 s"):
        run_tool(["/bin/sleep", "5"], timeout=0.2)
    with pytest.raises(CheckError, match="cannot run /nonexistent/tool"):
        run_tool(["/nonexistent/tool"])
    with pytest.raises(ValueError, match="absolute"):
        run_tool(["env"])
    extra = run_tool(["/usr/bin/env"], env={"LVM_SYSTEM_DIR": "/x", "LC_ALL": "de_DE.UTF-8"})
    assert sorted(extra.stdout.split()) == ["LC_ALL=C", "LVM_SYSTEM_DIR=/x", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # a zombie would still answer: reaped means gone
    except ProcessLookupError:
        return True
    return False


def _started_pid(path) -> int:
    for _ in range(200):
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.01)
    raise AssertionError(f"{path} never written")


def test_run_tool_child_gets_what_subprocess_gave_it(tmp_path) -> None:
    """stdin on /dev/null, none of the check's descriptors, SIGPIPE at its default, signals as negative statuses."""
    leaked = os.open(tmp_path / "inherited", os.O_WRONLY | os.O_CREAT)
    os.set_inheritable(leaked, True)  # as NRPE or sudo may hand one down
    try:
        assert run_tool(["/usr/bin/readlink", "/proc/self/fd/0"]).stdout == "/dev/null\n"
        assert not run_tool(["/usr/bin/readlink", f"/proc/self/fd/{leaked}"]).ok
    finally:
        os.close(leaked)
    ignored = next(line for line in run_tool(["/bin/grep", "SigIgn", "/proc/self/status"]).stdout.splitlines())
    assert not int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)), ignored  # Python ignores it, tools must not
    assert run_tool(["/bin/sh", "-c", "kill -9 $$"]).returncode == -9
    big = run_tool(["/bin/sh", "-c",
                    "head -c 300000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2"])
    assert (big.stdout, big.stderr) == ("a" * 300000, "b" * 200000)  # both pipes drained: no deadlock


@pytest.mark.parametrize("script", ["echo $$ > {pid}; exec sleep 30",
                                    "echo $$ > {pid}; exec >&- 2>&-; exec sleep 30"])  # output closed, still running
def test_run_tool_timeout_kills_and_reaps_the_tool(tmp_path, script) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(CheckError, match="^/bin/sh timed out after 0.3 s$"):
        run_tool(["/bin/sh", "-c", script.format(pid=pid_file)], timeout=0.3)
    assert time.monotonic() - started < 5
    assert _gone(_started_pid(pid_file))


def test_the_check_timeout_kills_a_running_tool(tmp_path, capsys) -> None:
    pid_file = tmp_path / "pid"

    def slow(options):
        run_tool(["/bin/sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"], timeout=30)

    assert _demo(slow, ["-t", "0.3"], capsys) == (3, "DEMO UNKNOWN - timed out after 0.3 s\n")
    assert _gone(_started_pid(pid_file))


@pytest.mark.parametrize("closing", ["", "os.close(0); os.close(1)"])
def test_run_tool_from_a_plugin_started_by_nagios_imports_no_subprocess(closing) -> None:
    """Nagios may start a plugin with stdin an open pipe or with stdin and stdout closed; the tool still gets
    /dev/null, its own stdout and stderr, and the tool path imports neither subprocess nor re."""
    code = (f"import os, sys; {closing}\n"
            "from nagios_herd.plugin.runtime import run_tool\n"
            "result = run_tool(['/bin/sh', '-c', 'readlink /proc/self/fd/0; echo err >&2; exit 3'])\n"
            "heavy = sorted({'subprocess', 're', 'enum', 'locale', 'threading'} & set(sys.modules))\n"
            "os.write(2, repr((result.returncode, result.stdout, result.stderr, heavy)).encode())\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen([sys.executable, "-sS", "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as run:
        _, errors = run.communicate(timeout=60)  # stdin stays open until the plugin has finished
    assert errors == repr((3, "/dev/null\n", "err\n", [])), errors


def test_format_bytes() -> None:
    assert [plugin.format_bytes(n) for n in (0, 1023, 1024, 1073479680, 5 * 2**50)] == [
        "0 B", "1023 B", "1.0 KiB", "1023.8 MiB", "5120.0 TiB"]


def test_free_text_cannot_inject_perfdata() -> None:
    report = Report("DEMO")
    report.add(State.OK, "name|with=pipe")
    report.summary = "a | b"
    report.detail("x|y")
    assert report.render(verbose=1) == "DEMO OK - a _ b\nOK: name_with=pipe\nx_y"
