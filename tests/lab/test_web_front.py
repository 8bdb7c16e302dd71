"""The people at the other end: each guest's generated web front (lighttpd + php-cgi + the users file + cgi.cfg) on a
running lab, driven by headless Chromium that logs in as a person does (once, then the browser answers every
challenge of the page's frames, stylesheets, scripts and images itself). A team contact opens ``/nagios4/`` and
gets Debian's front page with its menu, styled, and sees their hosts and services in the states their Nagios holds;
a contact of another team is refused everywhere; the herd's admins see the watcher's view of both dom0s; the
watchers' CGI user reaches statusjson.cgi and nothing else. The screenshots are kept under
``tests/artifacts/web-front/`` (printed by the tests).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from chromium_devtools import CHROMIUM, Visit, chromium

from nagios_herd.lab import guests
from nagios_herd.lab.alerts import STATUS_TEXT, wait
from nagios_herd.lab.testing import module_lab

pytestmark = [pytest.mark.lab, pytest.mark.real]

lab = pytest.fixture(scope="module")(module_lab)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web-front"
# One service row of status.cgi: the link to the service's page, then its status cell.
ROW = re.compile(r'extinfo\.cgi\?type=2&amp;host=([^&"]+)&amp;service=[^"]*"[^>]*>([^<]+)</a>.*?'
                 r'class="status(OK|WARNING|UNKNOWN|CRITICAL|PENDING)"', re.S)
MENU_LINK = re.compile(r'href="(/cgi-bin/nagios4/[a-z]+\.cgi[^"]*)"')


def front(lab, guest: str) -> str:
    return f"http://{lab.herd.guest(guest).address}"


def visit(lab, guest: str, user: str, password: str, path: str, shot: str) -> Visit:
    """``path`` of ``guest``'s web front as ``user``'s Chromium shows it, its screenshot kept as ``shot``.png.
    Everything the page loaded (frames, stylesheets, scripts, images) was answered 200: styled, not refused."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    picture = ARTIFACTS / f"{shot}.png"
    picture.unlink(missing_ok=True)
    with chromium(user, password) as browser:
        seen = browser.visit(front(lab, guest) + path)
    picture.write_bytes(seen.screenshot)
    print(f"screenshot: {picture}")
    assert seen.statuses and not seen.failed, (seen.statuses, seen.failed)
    assert set(seen.statuses.values()) == {200}, seen.statuses
    for document in seen.documents:
        assert all(sheet["rules"] for sheet in document["sheets"]), document["sheets"]
    return seen


def refused(lab, guest: str, user: str, password: str, path: str) -> Visit:
    """``user``'s Chromium on ``path`` of ``guest``: the login was answered and refused again (401)."""
    with chromium(user, password) as browser:
        return browser.visit(front(lab, guest) + path)


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
        page = shown(visit(lab, guest, user, password, "/cgi-bin/nagios4/status.cgi?host=all&limit=0",
                           shot).documents[0]["html"])
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


def test_a_team_contact_opens_the_front_page_and_its_menu_styled(lab):
    guest = lab.herd.guest("lab-web")
    contact = guest.team.contacts[0].name
    password = guests.web_password(lab.layout, contact)
    seen = visit(lab, guest.name, contact, password, "/nagios4/", f"{guest.name}-{contact}-front")
    assert [document["name"] for document in seen.documents[1:]] == ["side", "main"]  # index.php's two frames
    side, main = seen.document("/side.php"), seen.document("/main.php")
    assert "<?php" not in side["html"] + main["html"]  # run by php-cgi, not sent as source
    assert 'id="currentversioninfo"' in main["html"]
    for document in (side, main):
        assert any("/nagios4/stylesheets/common.css" in sheet["href"] for sheet in document["sheets"])
    links = set(MENU_LINK.findall(side["html"]))
    assert {"/cgi-bin/nagios4/tac.cgi", "/cgi-bin/nagios4/status.cgi?host=all",
            "/cgi-bin/nagios4/extinfo.cgi?type=0", "/cgi-bin/nagios4/config.cgi"} <= links
    for link in sorted(links):  # every CGI of the menu answers the contact
        answer = requests.get(urljoin(side["url"], link.replace("&amp;", "&")), auth=(contact, password), timeout=30)
        assert answer.status_code == 200, link
    moved = requests.get(front(lab, guest.name) + "/nagios4", allow_redirects=False, timeout=10)
    assert moved.status_code in (301, 302) and moved.headers["Location"].endswith("/nagios4/")
    probe = lab.layout.guest_dir(guest.name) / "www" / "htdocs" / "probe.php"  # the lab server's own docroot
    probe.write_text("<?php echo 'php' . 'ran'; ?>\n")
    assert "phpran" not in requests.get(front(lab, guest.name) + "/probe.php", timeout=10).text  # only /nagios4/


def test_a_contact_of_another_team_is_refused_everywhere(lab):
    guest = lab.herd.guest("lab-web")
    stranger = lab.herd.guest("lab-db").team.contacts[0].name
    password = guests.web_password(lab.layout, stranger)
    seen = refused(lab, guest.name, stranger, password, "/nagios4/")
    assert seen.statuses == {front(lab, guest.name) + "/nagios4/": 401}, seen.statuses  # no frame, no stylesheet
    assert seen.challenges == 2  # the login was sent once and refused again
    assert not any(host.name in document["html"] for document in seen.documents for host in guest.team.hosts)
    for path in ("/nagios4/", "/nagios4/index.php", "/nagios4/side.php", "/nagios4/main.php", "/nagios4/map.php",
                 "/nagios4/stylesheets/common.css", "/nagios4/js/nag_funcs.js", "/cgi-bin/nagios4/status.cgi",
                 "/nagios4/cgi-bin/status.cgi", "/cgi-bin/nagios4/statusjson.cgi?query=hostlist"):
        answer = requests.get(front(lab, guest.name) + path, auth=(stranger, password), timeout=10)
        assert answer.status_code == 401, path  # not a user of this guest at all


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
    for path in ("/nagios4/", "/nagios4/side.php", "/nagios4/main.php", "/nagios4/stylesheets/common.css"):
        assert requests.get(front(lab, guest.name) + path, auth=auth, timeout=10).status_code == 401, path
    assert requests.get(f"{base}/statusjson.cgi?query=programstatus", timeout=10).status_code == 401
    wrong = (auth[0], auth[1] + "x")
    assert requests.get(f"{base}/statusjson.cgi?query=programstatus", auth=wrong, timeout=10).status_code == 401
