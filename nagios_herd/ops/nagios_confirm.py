"""The last step of a move: does the guest's Nagios answer (statusjson.cgi ``programstatus``)?

A guest that runs but whose Nagios is dead is not a successful failover for the team that relies on it.
The answer is read with the project's parser (``nagios_status.parse_programstatus``). Which guests serve
Nagios: every guest of a production inventory; in a lab inventory (one where some guest sets
``serve_nagios``) only the guests that set it. The URL is ``NAGIOS_URL`` (``{address}`` and ``{path}`` are
filled in; default https, TLS verified) so the lab can point it at its plain-http loopback servers. Each
question is bounded (1 MiB, its own deadline, no redirect) and the whole wait ends at ``--nagios-wait``: a
hung or hostile guest cannot keep a move (and the herd lock) beyond it. Each guest's web front wants a login, as the
watchers' CGI user: its password on the guest is read from the inventory's root-only ``web_secrets`` file (the
``[reader]`` table ``generate`` built the guest's users file from), or, when ``NAGIOS_AUTH`` names a root-only
directory with one ``user:password`` file per guest (like the watchers' ``$USER3$`` directory), from there. With
neither, the question goes unauthenticated.
"""

from __future__ import annotations

import os
import time

from nagios_herd.errors import HerdError
from nagios_herd.generate import web_users
from nagios_herd.generate.views import CGI_READER
from nagios_herd.httpget import FetchError, get
from nagios_herd.model import Guest, Herd
from nagios_herd.ops.plan import Step, StepFailed
from nagios_herd.parsers.nagios_status import StatusError, parse_programstatus
from nagios_herd.privilege import read_root_only

URL_ENV = "NAGIOS_HERD_NAGIOS_URL"
AUTH_ENV = "NAGIOS_HERD_NAGIOS_AUTH"
DEFAULT_URL = "https://{address}{path}"
POLL = 0.5
ASK_SECONDS = 5.0  # one question's whole exchange


def serves_nagios(herd: Herd, guest: Guest) -> bool:
    return guest.serve_nagios or not any(other.serve_nagios for other in herd.guests)


def url_for(herd: Herd, guest: Guest) -> str:
    template = os.environ.get(URL_ENV) or DEFAULT_URL
    return template.format(address=guest.address, path=herd.paths.nagios_cgi_path) + "?query=programstatus"


def auth_for(herd: Herd, guest: Guest) -> tuple[str, str] | None:
    """The watchers' CGI user and its password on ``guest``: from ``guest``'s file in the ``NAGIOS_AUTH`` directory,
    else from the inventory's ``web_secrets``; None with neither (or no password there for ``guest``)."""
    directory = os.environ.get(AUTH_ENV)
    if not directory:
        if not herd.web_secrets:
            return None
        password = web_users.load(herd.web_secrets).reader.get(guest.name)
        return (CGI_READER, password) if password else None
    path = os.path.join(directory, guest.name)
    try:
        text = read_root_only(path, "Nagios credentials file").decode("utf-8")
    except UnicodeDecodeError:
        raise HerdError(f"{path}: the Nagios credentials file is not UTF-8 text") from None
    user, colon, password = text.strip().partition(":")
    if not (user and colon and password) or "\n" in password:
        raise HerdError(f"{path}: the Nagios credentials file must hold one user:password line")
    return user, password


def ask(url: str, timeout: float = ASK_SECONDS, auth: tuple[str, str] | None = None) -> str | None:
    """None when Nagios answered with a live program status, else why not (one line)."""
    try:
        answer = get(url, seconds=timeout, auth=auth)
    except FetchError as error:
        return f"no answer from {url}: {error}"
    if answer.status != 200:
        return f"{url}: HTTP {answer.status}"
    try:
        parse_programstatus(answer.body.decode("utf-8", "replace"))
    except StatusError as error:
        return f"{url}: {error}"
    return None


def wait_for(url: str, seconds: float, auth: tuple[str, str] | None = None) -> str:
    deadline = time.monotonic() + seconds
    while True:
        why = ask(url, max(0.1, min(ASK_SECONDS, deadline - time.monotonic())), auth)
        if why is None:
            return f"Nagios answers at {url}"
        if time.monotonic() > deadline:
            raise StepFailed(f"guest runs, but its Nagios did not answer within {seconds:g}s: {why}")
        time.sleep(POLL)


def confirm_step(herd: Herd, guest: Guest, target: str, seconds: float) -> Step:
    if not serves_nagios(herd, guest):
        return Step("nagios", guest.name, "local", action=lambda: "no Nagios served by this lab guest")
    if seconds <= 0:
        return Step("nagios", guest.name, "local", action=lambda: "Nagios NOT confirmed (--nagios-wait 0)")
    url, auth = url_for(herd, guest), auth_for(herd, guest)
    return Step("nagios", guest.name, "local", action=lambda: wait_for(url, seconds, auth))
