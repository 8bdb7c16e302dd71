"""The web front's users file of each guest: the people who may log in, their passwords from a root-only file.

Why a separate file: the inventory is shared with every team and kept in version control; a password there is no
password. The inventory only names the file (``herd.web_secrets``); it is read at generation, refused unless it is
a regular file owned by root (or the running user) that nobody else may read, and every message about it names the
file and the field, never a password. What is written is lighttpd's ``htdigest`` format
(``user:realm:md5(user:realm:password)``), so the guest never holds a password in clear.

Format (TOML)::

    [contacts]                  # every team contact and herd admin who logs in to a guest's Nagios
    alice = "…"
    [reader]                    # the watchers' CGI user (statusjson.cgi only) on each watched guest
    team-web = "…"

A guest's users file lists its team's contacts, the herd's admins on the watcher and its peer, and the watchers'
CGI user on every guest a watcher asks. Someone without a password there cannot log in; that is reported, not
skipped, so a forgotten entry is found at generation rather than at 3 a.m.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from nagios_herd.errors import HerdError
from nagios_herd.generate.buildtree import WEB_USERS
from nagios_herd.model import Guest, Herd
from nagios_herd.privilege import read_secrets_toml

REALM = "Nagios4"  # the realm Debian's nagios4-cgi uses; part of every hash
USERS_FILE = WEB_USERS.lstrip("/")  # inside a guest's tree: where Debian's nagios4-cgi keeps it
PASSWORD = re.compile(r"^[\x21-\x7e]{12,128}$")
KEYS = {"contacts", "reader"}


@dataclass(frozen=True)
class WebSecrets:
    path: str
    contacts: dict[str, str] = field(repr=False)
    reader: dict[str, str] = field(repr=False)


def load(path: str) -> WebSecrets:
    """The passwords in ``path``; one line naming the file and the field on any problem."""
    document = read_secrets_toml(path, "web secrets file", KEYS)
    tables = {}
    for key in sorted(KEYS):
        table = document.get(key, {})
        if not isinstance(table, dict):
            raise HerdError(f"{path}: {key}: must be a table of name = password")
        for name, password in sorted(table.items()):
            if not isinstance(password, str) or not PASSWORD.match(password):
                raise HerdError(f"{path}: {key}.{name}: a password is 12 to 128 printable ASCII characters "
                                f"without spaces (value not shown)")
        tables[key] = dict(table)
    return WebSecrets(path, tables["contacts"], tables["reader"])


def users(herd: Herd, guest: Guest, reader: str) -> list[str]:
    """Who may log in to ``guest``'s web front, in file order: its team's contacts, the herd's admins on the
    watchers, then the watchers' CGI user ``reader`` when a watcher asks this guest."""
    names = [contact.name for contact in guest.team.contacts]
    if guest.name in (herd.watcher, herd.watcher_peer):
        names += [admin.name for admin in herd.admins if admin.name not in names]
    if guest.name != herd.watcher or herd.watcher_peer:  # the watcher asks every other guest, its peer the watcher
        names.append(reader)
    return names


def _line(user: str, password: str) -> str:
    digest = hashlib.md5(f"{user}:{REALM}:{password}".encode(), usedforsecurity=False).hexdigest()
    return f"{user}:{REALM}:{digest}\n"


def users_file(herd: Herd, guest: Guest, secrets: WebSecrets, reader: str) -> bytes:
    """``guest``'s htdigest users file; a user without a password is an error naming the missing field."""
    lines = []
    for name in users(herd, guest, reader):
        if name == reader:
            password = secrets.reader.get(guest.name)
            where = f"reader.{guest.name}"
        else:
            password = secrets.contacts.get(name)
            where = f"contacts.{name}"
        if password is None:
            raise HerdError(f"{secrets.path}: {where}: missing (guest {guest.name}'s web front needs it)")
        lines.append(_line(name, password))
    return "".join(lines).encode()
