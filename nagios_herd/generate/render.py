"""Model → file contents: every file of the build tree, rendered by Jinja2 from ``templates/``.

Deterministic by construction: the file list and every collection come from the (sorted) model and the views in
:mod:`nagios_herd.generate.views`, templates only loop and filter, and the one varying line — the header — carries a
digest of the file's *inputs* (see :mod:`nagios_herd.generate.inputs`), never a time. Every value goes through the quoting
filter of its file format (:mod:`nagios_herd.generate.filters`); a refused value stops the render with one line naming the
file being rendered.

API: :func:`build(inventory) <build>` → :class:`Build` (load, digest, render); :func:`render(herd, digests)
<render>` → ``{relative path: bytes}``; :func:`templates_dir`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from nagios_herd.errors import HerdError
from nagios_herd.generate import resource_macros, web_users
from nagios_herd.generate.buildtree import LIGHTTPD_CONF
from nagios_herd.generate.filters import FILTERS, FilterError
from nagios_herd.generate.inputs import TEMPLATES_ENV, Digests, templates_dir
from nagios_herd.generate.inputs import digests as input_digests
from nagios_herd.generate.teamobjects import GLOBALS as TEAM_OBJECTS
from nagios_herd.generate.views import CGI_READER, NRPE_TIMEOUT, SUDO, cluster_view, guest_view, host_view
from nagios_herd.model import Guest, Herd, LabTuning
from nagios_herd.parallel import Child, cores, gc_paused

PVGRUB = "/usr/lib/grub-xen/grub-x86_64-xen.bin"
CRM_FENCE_PEER = "/usr/lib/drbd/crm-fence-peer.9.sh"
CRM_UNFENCE_PEER = "/usr/lib/drbd/crm-unfence-peer.9.sh"
OBJECT_FILES = ("commands.cfg", "contacts.cfg", "dependencies.cfg", "escalations.cfg", "hostgroups.cfg", "hosts.cfg",
                "servicegroups.cfg", "services.cfg", "templates.cfg", "timeperiods.cfg")
ADMIN_EMAIL = "root@localhost"  # nagios.cfg's admin_email when no team contact has an address
CIB = "cluster/cib.xml"
WEB_CONF = LIGHTTPD_CONF.lstrip("/")  # in a guest's tree
# php-cgi's socket for Debian's nagios4 PHP pages: in the directory Debian's lighttpd gives www-data, its own name
# beside Debian's php.socket (15-fastcgi-php.conf may be enabled as well).
PHP_SOCKET = "/run/lighttpd/nagios-herd-php.socket"
CLUSTER_SCOPE = "/cluster"  # the CIB's header digest (never a guest name)


def environment(directory: Path) -> jinja2.Environment:
    if not directory.is_dir():
        raise HerdError(f"{directory}: template directory not found (set {TEMPLATES_ENV} to a directory of nagios-herd templates)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.globals.update(TEAM_OBJECTS)
    return env


def _team_macros(guest: Guest, overrides: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    """The team's ``$USERn$`` for ``guest``'s resource.cfg: a candidate's (adopt's proof), else its secrets file."""
    if guest.name in overrides:
        return overrides[guest.name]
    return resource_macros.load(guest.resource_secrets) if guest.resource_secrets else {}


def _plan(herd: Herd, overrides: Mapping[str, Mapping[str, str]] | None = None,
          ) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(path in the build tree, digest scope, template, context) for every templated file, in a fixed order;
    ``overrides``: guest -> the team's ``$USERn$`` to use instead of its resource secrets file."""
    overrides = overrides or {}
    auth = None
    if herd.drbd_secrets:
        from nagios_herd.generate.drbd_auth import load as load_auth

        auth = load_auth(herd.drbd_secrets, [guest.resource for guest in herd.guests])
    for host in herd.hosts:
        view = host_view(herd, host)
        base = f"hosts/{host.name}"
        for guest in herd.guests:
            nodes = [
                {"host": node, "node_id": index, "disk": f"/dev/{node.volume_group}/{guest.root_lv}",
                 "address": f"{node.replication_address}:{guest.drbd_port}"}
                for index, node in enumerate(herd.hosts)
            ]
            yield f"{base}/etc/xen/{guest.name}.cfg", "", "host/xen.cfg.j2", {
                "host": host, "guest": guest, "pvgrub": PVGRUB,
                "disk": [f"phy:/dev/drbd/by-res/{guest.resource}/0,xvda,w",
                         f"phy:/dev/{host.volume_group}/{guest.swap_lv},xvdb,w"],
                "vif": [f"mac={guest.mac},bridge={host.bridge}"],
            }
            yield f"{base}/etc/drbd.d/{guest.name}.res", "", "host/drbd.res.j2", {
                "host": host, "guest": guest, "nodes": nodes, "resync_after": view.resync_after.get(guest.name, ""),
                "fencing": "resource-and-stonith" if herd.cluster.manages_herd else "resource-only",
                "auth": auth,
            }
        if herd.cluster.manages_herd:  # DRBD's fencing goes through Pacemaker's (a constraint against the peer)
            fence_peer, unfence_peer = CRM_FENCE_PEER, CRM_UNFENCE_PEER
        else:
            fence_peer = "/usr/lib/drbd/outdate-peer.sh " + " ".join(f"on {h.name} {h.address}" for h in herd.hosts)
            unfence_peer = ""
        yield f"{base}/etc/drbd.d/global_common.conf", "", "host/global_common.conf.j2", {
            "host": host, "fence_peer": fence_peer, "unfence_peer": unfence_peer}
        yield f"{base}/etc/nagios/nrpe.d/nagios-herd.cfg", "", "host/nrpe.cfg.j2", {"host": host, "view": view,
                                                                                     "sudo": SUDO}
        yield f"{base}/etc/sudoers.d/nagios-herd", "", "host/sudoers.j2", {"host": host, "view": view}
    yield CIB, CLUSTER_SCOPE, "cluster/cib.xml.j2", {"view": cluster_view(herd)}
    for guest in herd.guests:
        view = guest_view(herd, guest)
        base = f"guests/{guest.name}/etc/nagios4"
        contacts = [contact.name for contact in guest.team.contacts]
        common = {"guest": guest, "view": view, "tuning": herd.lab or LabTuning()}
        yield f"{base}/nagios.cfg", guest.name, "guest/nagios.cfg.j2", {
            **common, "object_files": OBJECT_FILES, "admin_email": next(
                (contact.email for contact in guest.team.contacts if contact.email), ADMIN_EMAIL)}
        yield f"{base}/cgi.cfg", guest.name, "guest/cgi.cfg.j2", {
            **common, "cgi_readers": [*contacts, CGI_READER], "cgi_admins": contacts, "cgi_reader": CGI_READER}
        yield f"{base}/resource.cfg", guest.name, "guest/resource.cfg.j2", {
            **common, "herd_macros": resource_macros.herd_macros(herd.paths), "cgi_reader": CGI_READER,
            "team_macros": _team_macros(guest, overrides)}
        people = [name for name in web_users.users(herd, guest, CGI_READER) if name != CGI_READER]
        yield f"guests/{guest.name}/{WEB_CONF}", guest.name, "guest/lighttpd.conf.j2", {
            **common, "cgi_reader": CGI_READER, "realm": web_users.REALM, "users_file": "/" + web_users.USERS_FILE,
            "php_socket": PHP_SOCKET, "people": "|".join(f"user={name}" for name in people)}
        for name in OBJECT_FILES:
            yield (f"{base}/objects/{name}", guest.name, f"guest/objects/{name}.j2",
                   {**common, "nrpe_timeout": NRPE_TIMEOUT, "web_scheme": (herd.lab or LabTuning()).web_scheme})


def _web_users(herd: Herd) -> dict[str, bytes]:
    """Each guest's htdigest users file, when the inventory names a web secrets file (else the operator keeps it)."""
    if not herd.web_secrets:
        return {}
    secrets = web_users.load(herd.web_secrets)
    return {f"guests/{guest.name}/{web_users.USERS_FILE}": web_users.users_file(herd, guest, secrets, CGI_READER)
            for guest in herd.guests}


def _volume_plan(herd: Herd, digest: str) -> dict[str, bytes]:
    """The LVs each host needs (rebuild creates them): data, so JSON rather than a template."""
    plans = {}
    for host in herd.hosts:
        volumes = [
            {"guest": guest.name, "name": volume.name, "purpose": volume.purpose, "size_mb": volume.size_mb,
             "volume_group": host.volume_group, "path": f"/dev/{host.volume_group}/{volume.name}"}
            for guest in herd.guests for volume in guest.volumes
        ]
        document = {"herd": herd.name, "host": host.name, "inputs_sha256": digest,
                    "volume_group": host.volume_group, "volumes": volumes}
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        plans[f"hosts/{host.name}/var/lib/nagios-herd/volumes.json"] = text.encode()
    return plans


def _header(herd: Herd, digest: str) -> str:
    header = f"Generated by nagios-herd for herd {herd.name} from inputs sha256:{digest}. Do not edit."
    if not header.isprintable():
        raise HerdError(f"{herd.source}: herd.name: unprintable characters in {herd.name!r}", exit_code=2)
    return header


PARALLEL_OBJECTS = 20000  # team hosts + services from which rendering in two processes pays for the fork


def _render(env: jinja2.Environment, herd: Herd, headers: dict[str, str],
            plan: Iterable[tuple[str, str, str, dict[str, Any]]]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path, scope, template_name, context in plan:
        try:
            template = env.get_template(template_name)
            files[path] = template.render(herd=herd, header=headers[scope], **context).encode()
        except FilterError as error:
            raise HerdError(f"{path}: cannot write {error.value!r}: {error.reason} ({error.filter_name})") from None
        except jinja2.TemplateNotFound as error:
            raise HerdError(f"{path}: template {error.name} not found in {env.loader.searchpath}") from None
        except jinja2.TemplateError as error:
            where = f"{template_name}:{error.lineno}" if getattr(error, "lineno", None) else template_name
            raise HerdError(f"{path}: template error in {where}: {error.message}") from None
    return files


def _render_in_two(env: jinja2.Environment, herd: Herd, headers: dict[str, str],
                   overrides: Mapping[str, Mapping[str, str]] | None) -> dict[str, bytes] | None:
    """Every templated file, every other guest's rendered by a forked child; None if anything fails (the caller
    then renders in plan order, so the error reported is the one a single process reports)."""
    try:
        plan = list(_plan(herd, overrides))
        for template_name in {item[2] for item in plan}:  # compiled once, before the fork
            env.get_template(template_name)
    except (HerdError, jinja2.TemplateError):
        return None
    odd = {guest.name for guest in herd.guests[1::2]}
    child = Child(lambda: _render(env, herd, headers, [item for item in plan if item[1] in odd]))
    try:
        files = _render(env, herd, headers, [item for item in plan if item[1] not in odd])
    except HerdError:
        child.discard()
        return None
    files.update(child.result())
    return files


def render(herd: Herd, digests: Digests, templates: Path | None = None, *,
           team_macros: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, bytes]:
    """Every file of the build tree as ``{relative path: bytes}``, sorted by path. ``team_macros``: guest -> the
    team's ``$USERn$`` values to write instead of reading its resource secrets file (adopt's candidate)."""
    env = environment(templates or templates_dir())
    headers = {"": _header(herd, digests.hosts), CLUSTER_SCOPE: _header(herd, digests.cluster)}
    headers.update((name, _header(herd, digest)) for name, digest in digests.guests.items())
    large = sum(len(guest.team.hosts) + len(guest.team.services) for guest in herd.guests) >= PARALLEL_OBJECTS
    with gc_paused():
        files = _render_in_two(env, herd, headers, team_macros) if large and cores() > 1 else None
        if files is None:
            files = _render(env, herd, headers, _plan(herd, team_macros))
        files.update(_volume_plan(herd, digests.hosts))
        files.update(_web_users(herd))
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class Build:
    herd: Herd
    digests: Digests
    templates: Path
    files: dict[str, bytes]


def build(inventory: Path, scope: str = "") -> Build:
    """Load and validate the inventory, then render every file (nothing is written).

    ``scope`` (``guests/NAME``, ``hosts/NAME``): the caller keeps only that subtree, so no other guest's resource
    secrets file is read (a guest publishing its own tree never needs another team's secrets)."""
    from nagios_herd.inventory.loader import load

    herd = load(inventory)
    templates = templates_dir()
    environment(templates)  # a missing template directory is reported before any hashing
    digests = input_digests(herd, templates)
    kept = scope.strip("/") + "/"
    unread = {guest.name: {} for guest in herd.guests if scope and not (
        f"guests/{guest.name}/".startswith(kept) or kept.startswith(f"guests/{guest.name}/"))}
    return Build(herd, digests, templates, render(herd, digests, templates, team_macros=unread))
