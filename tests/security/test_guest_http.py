"""Answers from a hostile guest web server: bounded in size and time, never followed, never raw in the output."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from nagios_herd.ops import nagios_confirm
from nagios_herd.textsafe import Terminal

from .hostile_http import ESCAPES, HostileServer

EXECUTABLE = Path(__file__).resolve().parents[2] / "checks" / "check_nagios_guest"
pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as server:
        yield server


def check(tmp_path: Path, url: str, timeout: str = "3") -> tuple[int, str, int]:
    """The executable as Nagios runs it; returns (exit status, output, peak RSS in KiB)."""
    rss = tmp_path / "rss"
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss), str(EXECUTABLE), "--url", url,
                           "-t", timeout], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
                          cwd="/", timeout=60)
    assert done.stderr == "" and "Traceback" not in done.stdout
    return done.returncode, done.stdout, int(rss.read_text().split()[-1])


def test_an_endless_body_is_cut_at_the_cap(hostile, tmp_path) -> None:
    code, out, rss = check(tmp_path, hostile.url("endless"))
    assert code == 2 and "answer larger than 1024 KiB" in out, out
    assert rss < 100 * 1024, f"peak RSS {rss} KiB"  # the whole endless body was never held


@pytest.mark.parametrize("path", ["drip", "headerdrip"])
def test_a_dripping_server_is_critical_at_the_deadline_not_unknown(hostile, tmp_path, path) -> None:
    code, out, _ = check(tmp_path, hostile.url(path), timeout="2")
    assert code == 2 and "no answer within 1.5 s" in out, out


def test_a_redirect_is_an_answer_never_followed_and_its_location_is_escaped(hostile, tmp_path) -> None:
    code, out, _ = check(tmp_path, hostile.url("redirect"))
    assert code == 2 and "HTTP 302 Found (redirect to http://127.0.0.1:" in out, out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J\\x1b]0;owned\\x07" in out


def test_a_cgi_error_message_cannot_forge_perfdata_or_escapes(hostile, tmp_path) -> None:
    code, out, _ = check(tmp_path, hostile.url("error"))
    assert code == 3 and out.startswith("NAGIOS UNKNOWN - ") and "query invalid _ forged=1" in out, out
    assert "|" not in out and "\x1b" not in out and len(out.splitlines()) == 1


def test_fabs_confirmation_is_bounded_and_never_follows_a_redirect(hostile) -> None:
    assert nagios_confirm.ask(hostile.url("fine"), 2) is None
    assert nagios_confirm.ask(hostile.url("redirect"), 2) == f"{hostile.url('redirect')}: HTTP 302"
    assert "answer larger than 1024 KiB" in nagios_confirm.ask(hostile.url("endless"), 2)
    for path in ("drip", "headerdrip"):
        assert nagios_confirm.ask(hostile.url(path), 1) == f"no answer from {hostile.url(path)}: " \
                                                           "no whole answer within 1.0 s"
    with pytest.raises(nagios_confirm.StepFailed, match="did not answer within 1s"):
        nagios_confirm.wait_for(hostile.url("drip"), 1)


def test_the_operators_terminal_gets_escapes_not_control_sequences() -> None:
    screen = io.StringIO()
    terminal = Terminal(screen)
    print(f"  lab-db   FAILED  guest said {ESCAPES}\u202eERROR", file=terminal)
    assert screen.getvalue() == "  lab-db   FAILED  guest said \\x1b[2J\\x1b]0;owned\\x07\\u202eERROR\n"


def test_every_fab_task_writes_through_the_sanitiser() -> None:
    """Each call in the fab tasks to an operation that takes ``out`` passes the sanitising terminal."""
    import ast
    import importlib
    import inspect

    import nagios_herd.tasks as tasks

    checked = 0
    for function in (node for node in ast.parse(inspect.getsource(tasks)).body if isinstance(node, ast.FunctionDef)):
        modules = {alias.asname or alias.name: f"{node.module}.{alias.name}" for node in ast.walk(function)
                   if isinstance(node, ast.ImportFrom) and node.module == "nagios_herd.ops" for alias in node.names}
        for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
            func = call.func
            if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    and func.value.id in modules):
                continue
            target = getattr(importlib.import_module(modules[func.value.id]), func.attr)
            if "out" in inspect.signature(target).parameters:
                passed = {keyword.arg: keyword.value for keyword in call.keywords}
                assert isinstance(passed.get("out"), ast.Name) and passed["out"].id == "OUT", \
                    f"tasks.py line {call.lineno}: {func.value.id}.{func.attr}() without out=OUT"
                checked += 1
    assert checked >= 10


def test_the_cli_error_line_escapes_what_it_quotes(tmp_path) -> None:
    import subprocess
    import sys

    hostile = tmp_path / f"inv{ESCAPES}.toml"
    done = subprocess.run([sys.executable, "-m", "nagios_herd.cli", "generate", "--inventory", str(hostile),
                           "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "\\x1b[2J\\x1b]0;owned\\x07" in done.stderr, done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr


def test_fabs_confirmation_logs_in_from_a_root_only_per_guest_file(tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    from nagios_herd.errors import HerdError

    guest = SimpleNamespace(name="team-web")
    herd = SimpleNamespace(web_secrets="")
    monkeypatch.delenv(nagios_confirm.AUTH_ENV, raising=False)
    assert nagios_confirm.auth_for(herd, guest) is None
    monkeypatch.setenv(nagios_confirm.AUTH_ENV, str(tmp_path))
    with pytest.raises(HerdError, match="team-web: cannot read the Nagios credentials file"):
        nagios_confirm.auth_for(herd, guest)
    (tmp_path / "team-web").write_text("nagios-herd:s3cret:with-colon\n")
    (tmp_path / "team-web").chmod(0o644)
    with pytest.raises(HerdError, match="accessible by group or others"):
        nagios_confirm.auth_for(herd, guest)
    (tmp_path / "team-web").chmod(0o600)
    assert nagios_confirm.auth_for(herd, guest) == ("nagios-herd", "s3cret:with-colon")
    (tmp_path / "team-web").write_text("no colon here\n")
    with pytest.raises(HerdError, match="one user:password line"):
        nagios_confirm.auth_for(herd, guest)


def test_fabs_confirmation_logs_in_with_the_inventorys_web_secrets(tmp_path, monkeypatch) -> None:
    """Without ``NAGIOS_AUTH``, the watchers' CGI user's password on the guest comes from the root-only web secrets
    file the inventory names (the one ``generate`` built the guest's users file from); the directory overrides it."""
    from types import SimpleNamespace

    from nagios_herd.errors import HerdError

    secrets = tmp_path / "web-secrets.toml"
    secrets.write_text('[contacts]\nalice = "alice-password-1"\n[reader]\nteam-web = "reader-password-1"\n')
    secrets.chmod(0o600)
    herd = SimpleNamespace(web_secrets=str(secrets))
    monkeypatch.delenv(nagios_confirm.AUTH_ENV, raising=False)
    assert nagios_confirm.auth_for(herd, SimpleNamespace(name="team-web")) == ("nagios-herd", "reader-password-1")
    assert nagios_confirm.auth_for(herd, SimpleNamespace(name="team-db")) is None  # asked by no watcher
    secrets.chmod(0o644)
    with pytest.raises(HerdError, match="web-secrets.toml"):
        nagios_confirm.auth_for(herd, SimpleNamespace(name="team-web"))
    store = tmp_path / "store"
    store.mkdir()
    (store / "team-web").write_text("nagios-herd:from-the-directory\n")
    (store / "team-web").chmod(0o600)
    monkeypatch.setenv(nagios_confirm.AUTH_ENV, str(store))
    assert nagios_confirm.auth_for(herd, SimpleNamespace(name="team-web")) == ("nagios-herd", "from-the-directory")
