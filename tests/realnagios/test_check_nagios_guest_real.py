"""check_nagios_guest over HTTP against a real nagios4 and its statusjson.cgi behind lighttpd."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .harness import RealNagios
from .tls import make_ca, make_server_cert

pytestmark = pytest.mark.real

EXECUTABLE = Path(__file__).resolve().parents[2] / "checks" / "check_nagios_guest"
PASSWORD = "pw-for-tests"


def check(*argv: str) -> tuple[int, str]:
    """Run the executable as Nagios would: system python3, a bare environment."""
    done = subprocess.run([str(EXECUTABLE), *argv], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60, check=False)
    assert done.stderr == "", done.stderr
    assert "Traceback" not in done.stdout
    return done.returncode, done.stdout


def authfile(tmp_path: Path, text: str, mode: int = 0o600) -> str:
    path = tmp_path / "auth"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def wait_for_check(argv: list[str], state: int, timeout: float = 30.0) -> str:
    """Re-run the check until it answers ``state`` (the status age grows by itself)."""
    deadline = time.monotonic() + timeout
    code, out = check(*argv)
    while code != state and time.monotonic() < deadline:
        time.sleep(0.5)
        code, out = check(*argv)
    assert code == state, out
    return out


@pytest.fixture(scope="module")
def guest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealNagios]:
    """A live guest without HTTP auth (cgi.cfg's default user), shared by read-only tests."""
    with RealNagios(tmp_path_factory.mktemp("guest")) as nagios:
        nagios.wait_for_service_state("guest01", "PING", 0)
        yield nagios


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealNagios]:
    """A live guest whose lighttpd asks for basic auth."""
    with RealNagios(tmp_path_factory.mktemp("guarded"), users={"nagiosadmin": PASSWORD}) as nagios:
        nagios.wait_for_service_state("guest01", "PING", 0)
        yield nagios


@pytest.fixture
def victim(tmp_path: Path) -> Iterator[RealNagios]:
    """A guest of one's own, for tests that stop or freeze its processes."""
    with RealNagios(tmp_path / "victim") as nagios:
        nagios.wait_for_service_state("guest01", "PING", 0)
        yield nagios


def test_up_is_ok(guest: RealNagios) -> None:
    code, out = check("-H", "guest01", "--url", guest.url)
    assert code == 0, out
    assert out.startswith(f"NAGIOS OK - guest01: Nagios 4.4.6 pid {guest.nagios_pid} up ")
    assert " | age=" in out and "service_checks_1min=" in out


def test_credentials_from_authfile(guarded: RealNagios, tmp_path: Path) -> None:
    good = authfile(tmp_path, f"username=nagiosadmin\npassword={PASSWORD}\n")
    code, out = check("-H", "guest01", "--url", guarded.url, "--authfile", good)
    assert code == 0, out


def test_missing_or_wrong_credentials_are_unknown(guarded: RealNagios, tmp_path: Path) -> None:
    code, out = check("-H", "guest01", "--url", guarded.url)
    assert code == 3 and "HTTP 401 Unauthorized" in out and "check --authfile" in out
    wrong = authfile(tmp_path, "nagiosadmin:not-the-password\n")
    code, out = check("-H", "guest01", "--url", guarded.url, "--authfile", wrong)
    assert code == 3 and "HTTP 401" in out


def test_readable_authfile_is_refused(guarded: RealNagios, tmp_path: Path) -> None:
    loose = authfile(tmp_path, f"nagiosadmin:{PASSWORD}\n", 0o644)
    code, out = check("-H", "guest01", "--url", guarded.url, "--authfile", loose)
    assert code == 3 and "accessible by group/others (mode 0644)" in out


def test_stale_status_warns_then_goes_critical(victim: RealNagios) -> None:
    """A hung core (SIGSTOP) leaves status.dat behind: the CGI still answers, with old data."""
    argv = ["-H", "guest01", "--url", victim.url]
    assert check(*argv)[0] == 0
    assert victim.nagios_pid is not None
    os.kill(victim.nagios_pid, signal.SIGSTOP)
    try:
        out = wait_for_check([*argv, "-w", "0:2", "-c", "0:1000"], 1)
        assert "guest01: status data " in out
        code, out = check(*argv, "-w", "0:1", "-c", "0:2")  # the age only grows: now beyond -c
        assert code == 2 and "s old" in out
    finally:
        os.kill(victim.nagios_pid, signal.SIGCONT)
    wait_for_check([*argv, "-w", "0:2", "-c", "0:1000"], 0)


def test_stopped_daemon_is_critical(victim: RealNagios) -> None:
    victim.stop_nagios()
    assert not victim.tree.status_file.exists()
    code, out = check("-H", "guest01", "--url", victim.url)
    assert code == 2, out
    assert out.startswith("NAGIOS CRITICAL - guest01: empty answer from statusjson.cgi"
                          " (the Nagios daemon is not running)")


def test_web_server_down_is_critical(victim: RealNagios) -> None:
    victim.stop_web()
    code, out = check("-H", "guest01", "--url", victim.url)
    assert code == 2 and "cannot connect" in out and "Connection refused" in out


def test_hung_web_server_is_critical_before_the_timeout(victim: RealNagios) -> None:
    assert victim.lighttpd_pid is not None
    os.kill(victim.lighttpd_pid, signal.SIGSTOP)
    try:
        code, out = check("-H", "guest01", "--url", victim.url, "-t", "3")
    finally:
        os.kill(victim.lighttpd_pid, signal.SIGCONT)
    assert code == 2 and "no answer within" in out


def test_wrong_path_is_critical(guest: RealNagios) -> None:
    code, out = check("-H", "guest01", "--url", guest.url.replace("statusjson", "nosuch"))
    assert code == 2 and "HTTP 404" in out


def test_web_server_serves_no_config_or_user_file(guarded: RealNagios) -> None:
    for name in ("users", "lighttpd.conf", "lighttpd-error.log"):
        assert (guarded.root / "web" / name).exists()
        answer = requests.get(f"http://{guarded.address}:{guarded.port}/{name}", timeout=10)
        assert answer.status_code == 404, name


@pytest.fixture(scope="module")
def tls_guest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RealNagios, Path]]:
    """A guest served over https with a certificate from a throw-away CA, basic auth on."""
    root = tmp_path_factory.mktemp("tls")
    ca = make_ca(root / "ca")
    nagios = RealNagios(root / "guest", users={"nagiosadmin": PASSWORD})
    nagios.tls = make_server_cert(root / "ca", ca, nagios.address)
    with nagios:
        nagios.wait_for_service_state("guest01", "PING", 0)
        yield nagios, ca[0]


def test_https_with_the_guests_ca_is_ok(tls_guest: tuple[RealNagios, Path], tmp_path: Path) -> None:
    nagios, ca_file = tls_guest
    auth = authfile(tmp_path, f"nagiosadmin:{PASSWORD}\n")
    # no --url: the default https://HOST/cgi-bin/nagios4/statusjson.cgi
    code, out = check("-H", f"{nagios.address}:{nagios.port}", "--ca-file", str(ca_file),
                      "--authfile", auth)
    assert code == 0, out
    assert out.startswith(f"NAGIOS OK - {nagios.address}:{nagios.port}: Nagios 4.4.6 pid {nagios.nagios_pid}")


def test_https_certificate_is_verified(tls_guest: tuple[RealNagios, Path], tmp_path: Path) -> None:
    nagios, _ = tls_guest
    auth = authfile(tmp_path, f"nagiosadmin:{PASSWORD}\n")
    host = f"{nagios.address}:{nagios.port}"
    code, out = check("-H", host, "--authfile", auth)  # system CAs do not know the throw-away CA
    assert code == 2 and "TLS failure: certificate verify failed: unable to get local issuer" in out
    stranger = make_ca(tmp_path / "other", "some other CA")[0]
    code, out = check("-H", host, "--authfile", auth, "--ca-file", str(stranger))
    assert code == 2 and "certificate verify failed" in out


def test_plain_http_to_an_https_guest_is_critical(tls_guest: tuple[RealNagios, Path]) -> None:
    nagios, _ = tls_guest
    code, out = check("--url", nagios.url.replace("https://", "http://"))
    assert code == 2 and "cannot connect" in out


@pytest.mark.parametrize(
    "name,body,expected,message",
    [
        ("page.html", "<html><body><h1>It works!</h1></body></html>\n", 2, "answer is not JSON"),
        ("truncated.json", '{"format_version": 0, "result": {"query_time": 17956', 2, "answer is not JSON"),
        ("garbage.bin", "\x00\x01\x02garbage\xff", 2, "answer is not JSON"),
        ("empty.json", "", 2, "empty answer from statusjson.cgi"),
        ("list.json", "[1, 2, 3]\n", 3, "JSON list, not an object"),
    ],
)
def test_hostile_answers_over_http(guest: RealNagios, name: str, body: str, expected: int,
                                   message: str) -> None:
    """Static files served by the guest's real lighttpd stand in for a broken CGI or a proxy page."""
    (guest.root / "web" / "htdocs" / name).write_text(body)
    code, out = check("-H", "guest01", "--url", f"http://{guest.address}:{guest.port}/{name}")
    assert code == expected, out
    assert message in out.splitlines()[0]
