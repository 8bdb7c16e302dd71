"""The people at the other end: each guest's generated web front (lighttpd + the users file + cgi.cfg) on a running
lab, driven by headless Chromium. A team contact logs in to their guest and sees their hosts and services in the
states their Nagios holds; a contact of another team is refused; the herd's admins see the watcher's view of both
dom0s; the watchers' CGI user reaches statusjson.cgi and nothing else. The screenshots are kept under
``tests/artifacts/web-front/`` (printed by the tests).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from nagios_herd.lab import guests
from nagios_herd.lab.alerts import STATUS_TEXT, wait
from nagios_herd.lab.testing import module_lab

pytestmark = [pytest.mark.lab, pytest.mark.real]

lab = pytest.fixture(scope="module")(module_lab)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web-front"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")
# One service row of status.cgi: the link to the service's page, then its status cell.
ROW = re.compile(r'extinfo\.cgi\?type=2&amp;host=([^&"]+)&amp;service=[^"]*"[^>]*>([^<]+)</a>.*?'
                 r'class="status(OK|WARNING|UNKNOWN|CRITICAL|PENDING)"', re.S)


def _browser(url: str, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, text=True, timeout=120)


def visit(lab, guest: str, user: str, password: str, page: str, shot: str) -> str:
    """``page`` of ``guest``'s web front as Chromium shows it to ``user`` (basic auth in the URL): its DOM, and
    its screenshot kept as ``shot``.png."""
    address = lab.herd.guest(guest).address
    url = f"http://{user}:{password}@{address}/cgi-bin/nagios4/{page}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    picture = ARTIFACTS / f"{shot}.png"
    picture.unlink(missing_ok=True)
    taken = _browser(url, f"--screenshot={picture}")
    assert picture.is_file(), taken.stderr[-2000:]
    print(f"screenshot: {picture}")
    dumped = _browser(url, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    return dumped.stdout


def refused(lab, guest: str, user: str, password: str, page: str) -> str:
    """Chromium's log of a login of ``user`` to ``guest`` that must fail (no page, so no screenshot)."""
    address = lab.herd.guest(guest).address
    done = _browser(f"http://{user}:{password}@{address}/cgi-bin/nagios4/{page}", "--dump-dom")
    return done.stdout + done.stderr


def shown(dom: str) -> dict[tuple[str, str], str]:
    """(host, service) -> state text of every service row of a status.cgi page."""
    return {(host.replace("+", " "), service): state for host, service, state in ROW.findall(dom)}


def held(lab, guest: str, user: str, password: str) -> dict[tuple[str, str], str]:
    """(host, service) -> state text as ``guest``'s Nagios holds them for ``user`` (statusjson.cgi)."""
    answer = requests.get(f"{guests.web_url(lab.herd.guest(guest))}?query=servicelist", timeout=10,
                          auth=(user, password))
    answer.raise_for_status()
    return {(host, name): STATUS_TEXT[status]
            for host, listing in answer.json()["data"]["servicelist"].items() for name, status in listing.items()}


def agree(lab, guest: str, user: str, shot: str) -> dict[tuple[str, str], str]:
    """What Chromium shows ``user`` on ``guest`` matches what Nagios holds (read just before and after, so a check
    result landing in between is no failure); retried a few times while states move."""
    password = guests.web_password(lab.layout, user)
    seen: dict = {}
    for _ in range(3):
        before = held(lab, guest, user, password)
        page = shown(visit(lab, guest, user, password, "status.cgi?host=all&limit=0", shot))
        after = held(lab, guest, user, password)
        seen = {"before": before, "page": page, "after": after}
        if page and set(page) == set(before) and all(page[key] in (before[key], after.get(key)) for key in page):
            return page
    pytest.fail(f"{user} on {guest}: the page does not show what Nagios holds: {seen}")


def test_chromium_is_installed():
    assert shutil.which(CHROMIUM), "chromium (scripts/bootstrap installs it)"


def test_a_team_contact_sees_their_own_hosts_and_services_as_nagios_holds_them(lab):
    guest = lab.herd.guest("lab-web")
    contact = guest.team.contacts[0].name
    wait(lambda: "PENDING" not in held(lab, guest.name, contact, guests.web_password(lab.layout, contact)).values(),
         60, f"{guest.name}'s first check results")
    page = agree(lab, guest.name, contact, f"{guest.name}-{contact}")
    team_hosts = {host.name for host in guest.team.hosts}
    assert {host for host, _ in page} >= team_hosts
    assert {host for host, _ in page} <= team_hosts | {guest.name}  # nothing of another team, no dom0


def test_a_contact_of_another_team_is_refused(lab):
    guest = lab.herd.guest("lab-web")
    stranger = lab.herd.guest("lab-db").team.contacts[0].name
    password = guests.web_password(lab.layout, stranger)
    log = refused(lab, guest.name, stranger, password, "status.cgi?host=all")
    assert "ERR_INVALID_AUTH_CREDENTIALS" in log  # the web server answered 401 to the login
    assert not shown(log) and not any(host.name in log for host in guest.team.hosts)
    own = guest.team.contacts[0].name  # the same page, the same browser: the guest's own contact gets in
    assert "ERR_INVALID_AUTH_CREDENTIALS" not in refused(lab, guest.name, own, guests.web_password(lab.layout, own),
                                                         "status.cgi?host=all")
    answer = requests.get(f"{guests.web_url(guest)}?query=hostlist", auth=(stranger, password), timeout=10)
    assert answer.status_code == 401  # statusjson.cgi too: they are not a user of this guest at all


def test_the_herd_admins_see_the_watchers_view_of_both_dom0s(lab):
    admin = lab.herd.admins[0].name
    watcher = lab.herd.watcher
    wait(lambda: all(key[0] not in {h.name for h in lab.herd.hosts} or state != "PENDING" for key, state in
                     held(lab, watcher, admin, guests.web_password(lab.layout, admin)).items()),
         60, "the watcher's first dom0 check results")
    page = agree(lab, watcher, admin, f"{watcher}-{admin}")
    for host in lab.herd.hosts:
        assert {service for name, service in page if name == host.name} >= {"DRBD sync", "LVM capacity",
                                                                            "Xen domains"}
    other = lab.herd.guest("lab-web")
    refused = requests.get(f"{guests.web_url(other)}?query=hostlist", timeout=10,
                           auth=(admin, guests.web_password(lab.layout, admin)))
    assert refused.status_code == 401  # an admin is a user of the watchers only


def test_the_watchers_cgi_user_reaches_statusjson_and_nothing_else(lab):
    guest = lab.herd.guest("lab-web")
    auth = guests.reader_auth(lab.layout, guest.name)
    base = guests.web_url(guest).rsplit("/", 1)[0]
    assert requests.get(f"{base}/statusjson.cgi?query=programstatus", auth=auth, timeout=10).status_code == 200
    for page in ("status.cgi?host=all", "objectjson.cgi?query=hostlist", "archivejson.cgi?query=alertcount",
                 "cmd.cgi", "extinfo.cgi?type=0", "config.cgi?type=hosts"):
        assert requests.get(f"{base}/{page}", auth=auth, timeout=10).status_code == 401, page
    assert requests.get(f"{base}/statusjson.cgi?query=programstatus", timeout=10).status_code == 401
    wrong = (auth[0], auth[1] + "x")
    assert requests.get(f"{base}/statusjson.cgi?query=programstatus", auth=wrong, timeout=10).status_code == 401
