"""Serve a running guest: its sshd, and for ``serve_nagios`` guests a real nagios4 + statusjson.cgi.

The simulator calls the domain-event hook when a domain starts or stops on a host; the hook calls
:func:`serve` or :func:`stop`. A served guest is one mount namespace (held by its sshd on the guest's
own address) in which ``/etc/nagios4`` and ``/etc/lighttpd`` are the guest's generated tree and ``/var/lib/nagios4``,
``/var/log/nagios4`` and the herd state dir are directories of the guest's *disk* on that host
(``STATE/disks/G/H``, see :mod:`nagios_herd.lab.disks`), so Nagios' status and retention survive a
failover exactly when the replicated disk would have kept them. nagios4
(``nagios_user=root``, from a copy of the generated ``nagios.cfg``) and lighttpd run inside that same
namespace (``nsenter``), so the generated absolute paths work unchanged. Stopping ends the namespace.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.lab import disks, hosts, sshd
from nagios_herd.lab.layout import Layout, read_json, write_json
from nagios_herd.model import Guest, Herd
from nagios_herd.generate import web_users
from nagios_herd.generate.render import PHP_SOCKET, WEB_CONF
from nagios_herd.generate.views import CGI_READER
from nagios_herd.nagios import serve as nagios_serve

HTTP_PORT = 80
MAIN_CFG = "/etc/nagios4/nagios.cfg"
DISK_DIRS = ("/var/lib/nagios4", "/var/log/nagios4")
NAGIOS_SUBDIRS = ("var/lib/nagios4/rw", "var/lib/nagios4/spool/checkresults", "var/log/nagios4")
STYLESHEETS = "/etc/nagios4/stylesheets"  # nagios4-cgi's conffiles, which the web front serves at /nagios4/stylesheets/
MIME_TYPES = "/usr/share/lighttpd/create-mime.conf.pl"  # Debian's lighttpd.conf takes its mimetype.assign from it


def host_key(layout: Layout, guest: Guest) -> Path:
    return layout.guest_dir(guest.name) / "ssh_host_ed25519_key.pub"


def prepare(layout: Layout, herd: Herd, guest: Guest) -> None:
    """The guest's host key and sshd_config (kept across starts: its identity never changes)."""
    guest_dir = layout.guest_dir(guest.name)
    (layout.guest_root(guest.name) / "root").mkdir(parents=True, exist_ok=True)
    (layout.guest_root(guest.name) / "etc/nagios4").mkdir(parents=True, exist_ok=True)
    # What the nagios4-cgi package put into a real guest's /etc/nagios4 beside the generated files.
    shutil.copytree(STYLESHEETS, layout.guest_root(guest.name) / STYLESHEETS.lstrip("/"), dirs_exist_ok=True)
    sshd.keygen(guest_dir / "ssh_host_ed25519_key", f"lab guest {guest.name}")
    (guest_dir / "sshd_config").write_text(sshd.config(
        address=guest.address, port=22, host_key=guest_dir / "ssh_host_ed25519_key",
        pid_file=guest_dir / "sshd.pid", authorized_keys=layout.authorized_keys,
        env={"LAB_GUEST": guest.name, "PATH": hosts.SYSTEM_PATH},
    ))


def _binds(layout: Layout, herd: Herd, guest: Guest, host: str) -> list[tuple[Path, str]]:
    root = layout.guest_root(guest.name)
    disk = disks.attach(layout, guest.name, host, [h.name for h in herd.hosts if h.name != host])
    pairs = [(root / "etc/nagios4", "/etc/nagios4"), (root / "etc/lighttpd", "/etc/lighttpd"),
             (root / "root", "/root"), (layout.guest_dir(guest.name) / "run", "/run/nagios4"),
             (layout.guest_dir(guest.name) / "run-lighttpd", str(Path(PHP_SOCKET).parent))]
    pairs += [(disk / target.lstrip("/"), target) for target in (*DISK_DIRS, herd.paths.state_dir)]
    plugins = layout.guest_dir(guest.name) / "plugins"
    if plugins.is_dir():
        pairs.append((plugins, herd.paths.plugin_dir))
    for source, _ in pairs:
        source.mkdir(parents=True, exist_ok=True)
    for sub in NAGIOS_SUBDIRS:
        (disk / sub).mkdir(parents=True, exist_ok=True)
        _owned_like_the_package(disk, sub)
    _owned_like_the_package(layout.guest_dir(guest.name), "run", "/run/nagios4")
    return pairs


def _owned_like_the_package(base: Path, relative: str, machine_path: str | None = None) -> None:
    """Give ``base/relative`` and its parents below ``base`` the owner and mode the nagios4 package gave
    the machine's own directories, as on a freshly installed guest (``nagios4 -v`` checks them)."""
    own = base / relative
    machine = Path(machine_path or "/" + relative)
    while own != base:
        try:
            info = machine.stat()
        except OSError:
            return
        os.chown(own, info.st_uid, info.st_gid)
        own.chmod(info.st_mode & 0o7777)
        own, machine = own.parent, machine.parent


def _host_mounts(layout: Layout, herd: Herd) -> list[str]:
    """What a host mounted, when we run inside a host's namespace (the hook runs where ``xl`` ran).

    A guest started from there would otherwise inherit the host's ``/etc/xen``, ``xl`` and ``/root``.
    """
    record = read_json(layout.record) or {}
    if procs.mount_ns(os.getpid()) == record.get("origin_ns"):
        return []
    targets = {target for host in herd.hosts for _, target in hosts.binds(layout, herd, host)}
    return sorted(targets | {"/usr/sbin"}, key=len, reverse=True)


@contextmanager
def _locked(layout: Layout, name: str) -> Iterator[None]:
    """One start/stop of a guest at a time (a failover stops on one host and starts on the other)."""
    lock = layout.guest_dir(name) / "lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def served_on(layout: Layout, name: str) -> str | None:
    """The host the guest is served for, or None."""
    run = read_json(layout.guest_run(name))
    return run.get("host") if run else None


def serve(layout: Layout, herd: Herd, guest: Guest, host: str) -> None:
    """Start the guest's sshd (and Nagios + web server) for ``host``; restart if it ran elsewhere."""
    with _locked(layout, guest.name):
        run = read_json(layout.guest_run(guest.name))
        if run and run.get("host") == host and procs.alive(run):
            return
        _stop_unlocked(layout, guest.name)
        guest_dir = layout.guest_dir(guest.name)
        server = sshd.start(
            name=guest.name, config_file=guest_dir / "sshd_config", binds=_binds(layout, herd, guest, host),
            log=guest_dir / "sshd.log", address=guest.address, port=22, unmount=_host_mounts(layout, herd))
        run = {"host": host, **server}
        write_json(layout.guest_run(guest.name), run)
        if guest.serve_nagios:
            run.update(_start_nagios(layout, herd, guest, server["pid"]))
            capture = notifications_file(layout, herd, guest)
            if capture is not None:
                run["notifications"] = str(capture)
            if guest.name in (herd.watcher, herd.watcher_peer):
                _write_cgi_credentials(layout, herd, guest, server["pid"])
            write_json(layout.guest_run(guest.name), run)


def migrate(layout: Layout, herd: Herd, guest: Guest, host: str) -> None:
    """The guest was live-migrated to ``host``: the same processes go on serving it (a live migration
    keeps the guest's memory), and its disk becomes ``host``'s copy.

    The namespace binds the directory of the old host's copy; renaming that directory to ``host``'s copy
    moves the bound directory with it (a bind mount follows the directory, not its path), and the old
    host gets a copy of it (both sides were Connected and in sync at the switch)."""
    with _locked(layout, guest.name):
        run = read_json(layout.guest_run(guest.name))
        if not run or not procs.alive(run):
            _stop_unlocked(layout, guest.name)
    if not run or not procs.alive(run):
        serve(layout, herd, guest, host)
        return
    with _locked(layout, guest.name):
        source = run["host"]
        if source != host:
            disks.move(layout, guest.name, source, host)
            run["host"] = host
            write_json(layout.guest_run(guest.name), run)


def notifications_file(layout: Layout, herd: Herd, guest: Guest) -> Path | None:
    """Where the guest's Nagios appends its notification lines (``notifications.capture``), seen from outside.

    The capture lives in the guest's run directory (``/run/nagios4``), which stays put when the guest moves.
    """
    capture = herd.notifications.capture
    run_dir = "/run/nagios4/"
    if not capture.startswith(run_dir):
        return None
    return layout.guest_dir(guest.name) / "run" / capture[len(run_dir):]


def _write_cgi_credentials(layout: Layout, herd: Herd, watcher: Guest, holder: int) -> None:
    """The watcher's ``$USER3$`` directory (``STATE_DIR/cgi-auth/``): one 0600 ``user:password`` file per guest it
    asks, with that guest's own password (from the lab's root-only ``STATE/secrets``)."""
    store = reader_store(layout)
    target = Path(f"/proc/{holder}/root") / herd.paths.state_dir.lstrip("/") / "cgi-auth"
    target.mkdir(mode=0o700, exist_ok=True)
    asked = [herd.watcher] if watcher.name == herd.watcher_peer else [g.name for g in herd.guests if g != watcher]
    for name in asked:
        (target / name).write_text(f"{CGI_READER}:{_stored_secret(store / name, f'{CGI_READER}:')}\n")
        (target / name).chmod(0o600)


def _stored_secret(path: Path, prefix: str = "") -> str:
    """The lab's root-only secret in ``path`` (made on first use), without ``prefix``."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(f"{prefix}{secrets.token_urlsafe(18)}\n")
        path.chmod(0o600)
    return path.read_text().strip().removeprefix(prefix)


def reader_store(layout: Layout) -> Path:
    """The lab's root-only directory of the watchers' per-guest ``user:password`` files (what ``fab`` may use)."""
    return layout.root / "secrets" / "cgi-auth"


def reader_auth(layout: Layout, guest: str) -> tuple[str, str]:
    """The watchers' CGI user and its password on ``guest``."""
    return CGI_READER, _stored_secret(reader_store(layout) / guest, f"{CGI_READER}:")


def reader_header(layout: Layout, guest: str) -> dict[str, str]:
    """The ``Authorization`` header of the watchers' CGI user on ``guest`` (for callers of plain urllib)."""
    import base64

    token = base64.b64encode(":".join(reader_auth(layout, guest)).encode()).decode()
    return {"Authorization": f"Basic {token}"}


def web_password(layout: Layout, user: str) -> str:
    """A contact's or admin's password for every lab guest's web front (the lab's ``web_secrets``)."""
    return _stored_secret(layout.root / "secrets" / "web" / user)


def _web_secrets(layout: Layout, herd: Herd) -> web_users.WebSecrets:
    """What production reads from ``herd.web_secrets``, from the lab's root-only ``STATE/secrets``: each person's
    password, and on each guest the watchers' CGI user's password (the one in their ``$USER3$`` files)."""
    people = {contact.name for guest in herd.guests for contact in guest.team.contacts}
    people.update(admin.name for admin in herd.admins)
    reader = {guest.name: reader_auth(layout, guest.name)[1] for guest in herd.guests}
    return web_users.WebSecrets("lab web secrets", {name: web_password(layout, name) for name in sorted(people)},
                                reader)


def _write_web_front(layout: Layout, herd: Herd, guest: Guest) -> Path:
    """The guest's users file (as ``generate`` writes it from a web secrets file) and a lighttpd main config that
    only says where to listen, takes Debian's MIME types and includes the generated web front config, as Debian's
    lighttpd.conf does."""
    root = layout.guest_root(guest.name)
    users = root / web_users.USERS_FILE
    fd = os.open(users, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(web_users.users_file(herd, guest, _web_secrets(layout, herd), CGI_READER))
    guest_dir = layout.guest_dir(guest.name)
    web_root = guest_dir / "www"
    (web_root / "htdocs").mkdir(parents=True, exist_ok=True)
    conf = guest_dir / "lighttpd.conf"
    conf.write_text("\n".join([
        'server.modules = ( "mod_access", "mod_alias" )',
        f'server.document-root = "{web_root / "htdocs"}"',
        f'server.bind = "{guest.address}"',
        f"server.port = {HTTP_PORT}",
        f'server.pid-file = "{web_root / "lighttpd.pid"}"',
        f'server.errorlog = "{web_root / "lighttpd-error.log"}"',
        f'include_shell "{MIME_TYPES}"',
        f'include "/{WEB_CONF}"',  # the guest's own /etc/lighttpd, as on a real guest
    ]) + "\n")
    return conf


def _nsenter(pid: int, argv: list[str]) -> list[str]:
    return ["nsenter", f"--mount=/proc/{pid}/ns/mnt", "--", *argv]


def web_url(guest: Guest) -> str:
    """Where the guest's statusjson.cgi answers while it is served (what ``check_nagios_guest --url`` takes)."""
    return f"http://{guest.address}{nagios_serve.CGI_URL_PATH}statusjson.cgi"


def _lock_file(holder: int, main_cfg: Path) -> Path:
    """nagios4's ``lock_file`` (its pid) as seen inside the guest's namespace (``/proc/PID/root``)."""
    lock = next((line.partition("=")[2].strip() for line in main_cfg.read_text().splitlines()
                 if line.startswith("lock_file=")), "")
    if not lock:
        raise HerdError(f"lab: {main_cfg}: no lock_file: the guest's nagios4 pid could not be recorded")
    return Path(f"/proc/{holder}/root") / lock.lstrip("/")


def _core_pid(lock: Path, main_cfg: Path) -> int:
    """The pid in ``lock`` once it names the nagios4 running ``main_cfg``."""
    found: dict[str, int] = {}

    def written() -> bool:
        try:
            found["pid"] = int(lock.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        return str(main_cfg) in procs.cmdline(found["pid"])

    procs.wait_for(written, 20, f"nagios4 -d {main_cfg} to write its pid to {lock}")
    return found["pid"]


def _start_nagios(layout: Layout, herd: Herd, guest: Guest, holder: int) -> dict[str, Any]:
    """nagios4 from a root-run copy of the generated nagios.cfg, and lighttpd serving the generated web front."""
    guest_dir = layout.guest_dir(guest.name)
    generated = layout.guest_root(guest.name) / MAIN_CFG.lstrip("/")
    if not generated.is_file():
        raise HerdError(f"lab: {guest.name}: no generated {MAIN_CFG} to serve")
    main_cfg = guest_dir / "nagios.cfg"
    main_cfg.write_text(run_as_root(generated.read_text()))
    procs.run(_nsenter(holder, [nagios_serve.NAGIOS, "-v", str(main_cfg)]), f"{guest.name}: nagios4 -v")
    lock = _lock_file(holder, main_cfg)
    lock.unlink(missing_ok=True)  # the previous run's pid is no answer
    procs.run(_nsenter(holder, [nagios_serve.NAGIOS, "-d", str(main_cfg)]), f"{guest.name}: nagios4 -d")
    core = _core_pid(lock, main_cfg)
    conf = _write_web_front(layout, herd, guest)
    web = procs.start_server(_nsenter(holder, [nagios_serve.LIGHTTPD, "-D", "-f", str(conf)]),
                             guest_dir / "lighttpd.log", guest.address, HTTP_PORT, f"{guest.name}: lighttpd")
    return {"nagios_pid": core, "nagios_start": procs.start_time(core), "lighttpd_pid": web.pid,
            "lighttpd_start": procs.start_time(web.pid), "web": web_url(guest)}


def run_as_root(main_cfg: str) -> str:
    """The generated nagios.cfg with ``nagios_user``/``nagios_group`` set to root (the lab runs as root)."""
    lines = [line for line in main_cfg.splitlines()
             if not line.startswith(("nagios_user=", "nagios_group="))]
    return "\n".join([*lines, "nagios_user=root", "nagios_group=root"]) + "\n"


def sync_disk(layout: Layout, name: str) -> None:
    """Replicate the served guest's disk copy to the peers in sync with it (see :mod:`.disks`)."""
    host = served_on(layout, name)
    if host is not None:
        lab_hosts = (read_json(layout.record) or {}).get("hosts", {})
        disks.sync(layout, name, host, [peer for peer in lab_hosts if peer != host])


def stop(layout: Layout, name: str, host: str | None = None) -> None:
    """End everything served for the guest (its namespace); nothing when it is not served.

    With ``host``, only when it is served for that host: a late "stopped on A" must not end the guest
    that meanwhile started on B.
    """
    with _locked(layout, name):
        if host is None or served_on(layout, name) == host:
            _stop_unlocked(layout, name)


def freeze(layout: Layout, name: str, host: str, frozen: bool) -> None:
    """The guest's domain was paused (``frozen``) or unpaused on ``host``: SIGSTOP or SIGCONT every process
    of its namespace, so its sshd, Nagios and web server answer nothing while paused (connections wait)."""
    with _locked(layout, name):
        run = read_json(layout.guest_run(name))
        if run is None or run.get("host") != host or not procs.alive(run):
            return
        _signal_all(run, signal.SIGSTOP if frozen else signal.SIGCONT)
        run["paused"] = frozen
        write_json(layout.guest_run(name), run)


def _signal_all(run: dict[str, Any], signum: int) -> None:
    for pid in procs.pids_in_ns(run.get("ns") or ""):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue


def _stop_unlocked(layout: Layout, name: str) -> None:
    run = read_json(layout.guest_run(name))
    if run is None:
        return
    if run.get("paused") and procs.alive(run):
        _signal_all(run, signal.SIGCONT)  # a stopped process would hold its SIGTERM until killed
    procs.end_namespace(run, str(layout.root))
    sync_disk(layout, name)
    layout.guest_run(name).unlink()


def live_pids(run: dict[str, Any]) -> dict[str, int | None]:
    """The guest's sshd, nagios and lighttpd pids from its ``run.json``; None for one not running (or reused)."""
    pids: dict[str, int | None] = {"sshd": run["pid"] if procs.alive(run) else None}
    for key in ("nagios", "lighttpd"):
        pid = run.get(f"{key}_pid")
        pids[key] = pid if pid is not None and procs.start_time(pid) == run.get(f"{key}_start") else None
    return pids


def _pid_note(run: dict[str, Any], program: str, key: str) -> str:
    pid = run.get(f"{key}_pid")
    same = pid is not None and procs.start_time(pid) == run.get(f"{key}_start")
    return f"{program} pid {pid}" + ("" if same else " [gone]")


def describe(layout: Layout, name: str) -> str:
    """One line for ``lab status``: where the guest is served, by which pids, and its web URL."""
    run = read_json(layout.guest_run(name))
    if not run:
        return "not served"
    parts = [f"sshd pid {run.get('pid')}" + ("" if procs.alive(run) else " [gone]")]
    if "nagios_pid" in run:
        parts += [_pid_note(run, "nagios4", "nagios"), _pid_note(run, "lighttpd", "lighttpd")]
    if "web" in run:
        parts.append(f"web {run['web']}")
    if run.get("paused"):
        parts.append("paused")
    if "notifications" in run:
        parts.append(f"notifications {run['notifications']}")
    return f"served for {run['host']} ({', '.join(parts)})"
