"""Configure a real Nagios 4 core and its JSON CGIs behind lighttpd, all inside one directory.

Used by the test harness (``tests/realnagios``) and by the lab's guests: both need a live
``statusjson.cgi`` answering over HTTP on a loopback address, with nothing outside one
directory touched. Everything here builds or writes config text; nothing is started.

API:

- :class:`NagiosTree` (``NagiosTree(root)``): the paths of one Nagios instance under ``root``;
  ``.write(objects, extra_cfg_files=(), main_options={})`` writes ``main.cfg``, ``objects.cfg``
  and a ``cgi.cfg`` (user ``nagiosadmin``, also the default user) and creates the directories
  the core needs.
- :func:`main_cfg`, :func:`minimal_objects`, :func:`cgi_cfg`, :func:`lighttpd_conf`: text builders;
  :func:`write_lighttpd` writes the lighttpd config (+ a 0600 ``user:password`` file for basic auth).

Starting and stopping them (and picking a free loopback address) is :mod:`nagios_daemons`.

Nagios needs ``nagios_user=root`` here because tests and the lab run as root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

NAGIOS = "/usr/sbin/nagios4"
LIGHTTPD = "/usr/sbin/lighttpd"
CGI_DIR = "/usr/lib/cgi-bin/nagios4/"
CGI_URL_PATH = "/cgi-bin/nagios4/"


class ServeError(RuntimeError):
    """A server could not be configured or started; the message says which and why."""


def _plain(value: str | os.PathLike[str], what: str) -> str:
    """Refuse values that would break out of a config line (Nagios or lighttpd)."""
    text = os.fspath(value)
    if any(bad in text for bad in ('"', "\\", "\n", "\r", ";", "\0")):
        raise ServeError(f"{what}: unsafe character in {text!r}")
    return text


class NagiosTree:
    """Where one Nagios instance keeps its files, all below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.main_cfg = self.root / "etc" / "main.cfg"
        self.objects_cfg = self.root / "etc" / "objects.cfg"
        self.cgi_cfg = self.root / "etc" / "cgi.cfg"
        self.var = self.root / "var"
        self.status_file = self.var / "status.dat"
        self.lock_file = self.var / "nagios.lock"
        self.command_file = self.var / "rw" / "nagios.cmd"
        self.check_result_path = self.var / "checkresults"
        self.log_file = self.var / "nagios.log"

    def write(
        self,
        objects: str,
        *,
        extra_cfg_files: Iterable[Path] = (),
        main_options: Mapping[str, str] | None = None,
    ) -> None:
        """Write main.cfg and objects.cfg, and create every directory the core will use."""
        for directory in (self.main_cfg.parent, self.command_file.parent, self.check_result_path):
            directory.mkdir(parents=True, exist_ok=True)
        self.objects_cfg.write_text(objects)
        cfg_files = [self.objects_cfg, *extra_cfg_files]
        self.main_cfg.write_text(main_cfg(self, cfg_files, main_options or {}))
        self.cgi_cfg.write_text(cgi_cfg(self.main_cfg))


def main_cfg(tree: NagiosTree, cfg_files: Iterable[Path], options: Mapping[str, str]) -> str:
    """A minimal main.cfg: every path inside the tree, fast status updates, checks in seconds.

    ``interval_length=1`` makes ``check_interval`` count seconds, so tests see results quickly;
    ``options`` override or add directives (e.g. ``status_update_interval``).
    """
    settings = {
        "log_file": tree.log_file,
        "object_cache_file": tree.var / "objects.cache",
        "precached_object_file": tree.var / "objects.precache",
        "status_file": tree.status_file,
        "state_retention_file": tree.var / "retention.dat",
        "temp_file": tree.var / "nagios.tmp",
        "temp_path": tree.var,
        "lock_file": tree.lock_file,
        "check_result_path": tree.check_result_path,
        "command_file": tree.command_file,
        "nagios_user": "root",
        "nagios_group": "root",
        "status_update_interval": "1",
        "check_external_commands": "1",
        "interval_length": "1",
        "retain_state_information": "0",
        "use_retained_program_state": "0",
        "use_retained_scheduling_info": "0",
        "enable_notifications": "0",
        "enable_flap_detection": "0",
        "max_service_check_spread": "1",
        "max_host_check_spread": "1",
        "service_inter_check_delay_method": "n",
        "host_inter_check_delay_method": "n",
        "check_result_reaper_frequency": "1",
        "log_rotation_method": "n",
        "use_syslog": "0",
        "illegal_object_name_chars": "`~!$%^&*|'\"<>?,()=",
        "illegal_macro_output_chars": "`~$&|'\"<>",
    }
    settings.update(options)
    lines = [f"cfg_file={_plain(path, 'cfg_file')}" for path in cfg_files]
    for key, value in settings.items():
        text = os.fspath(value)
        if key.startswith("illegal_"):
            lines.append(f"{key}={text}")
        else:
            lines.append(f"{key}={_plain(text, key)}")
    return "\n".join(lines) + "\n"


def _command_line(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise ServeError(f"command line with a line break: {text!r}")
    return text.replace(";", "\\;")


def minimal_objects(
    host: str = "guest01", services: Mapping[str, str] | None = None, *, check_interval: int = 2,
) -> str:
    """One host and its services (description -> command line), checked every ``check_interval``.

    ``;`` in a command line is escaped (``\\;``): unescaped, Nagios would cut the line there.
    """
    services = {"PING": "/bin/true"} if services is None else services
    blocks = [
        "define timeperiod {\n  timeperiod_name 24x7\n  alias always\n"
        "  sunday 00:00-24:00\n  monday 00:00-24:00\n  tuesday 00:00-24:00\n  wednesday 00:00-24:00\n"
        "  thursday 00:00-24:00\n  friday 00:00-24:00\n  saturday 00:00-24:00\n}\n",
        "define command {\n  command_name notify_none\n  command_line /bin/true\n}\n",
        "define command {\n  command_name host_alive\n  command_line /bin/true\n}\n",
        "define contact {\n  contact_name admin\n  host_notifications_enabled 0\n"
        "  service_notifications_enabled 0\n  host_notification_period 24x7\n"
        "  service_notification_period 24x7\n  host_notification_options n\n"
        "  service_notification_options n\n  host_notification_commands notify_none\n"
        "  service_notification_commands notify_none\n}\n",
        f"define host {{\n  host_name {host}\n  alias {host}\n  address 127.0.0.1\n"
        "  check_command host_alive\n  max_check_attempts 1\n  check_interval 5\n  retry_interval 1\n"
        "  check_period 24x7\n  contacts admin\n  notification_period 24x7\n}\n",
    ]
    for number, (description, command_line) in enumerate(services.items()):
        blocks.append(
            f"define command {{\n  command_name svc_{number}\n"
            f"  command_line {_command_line(command_line)}\n}}\n"
        )
        blocks.append(
            f"define service {{\n  host_name {host}\n  service_description {description}\n"
            f"  check_command svc_{number}\n  max_check_attempts 1\n  check_interval {int(check_interval)}\n"
            "  retry_interval 1\n  check_period 24x7\n  contacts admin\n  notification_period 24x7\n}\n"
        )
    return "\n".join(blocks)


def cgi_cfg(main_config_file: Path, *, user: str = "nagiosadmin", default_user: bool = True) -> str:
    """cgi.cfg authorising ``user`` for everything; with ``default_user`` no login is needed."""
    lines = [
        f"main_config_file={_plain(main_config_file, 'main_config_file')}",
        "physical_html_path=/usr/share/nagios4/htdocs",
        "url_html_path=/nagios4",
        "use_authentication=1",
    ]
    if default_user:
        lines.append(f"default_user_name={_plain(user, 'user')}")
    for what in ("system_information", "configuration_information", "system_commands",
                 "all_services", "all_hosts", "all_service_commands", "all_host_commands"):
        lines.append(f"authorized_for_{what}={_plain(user, 'user')}")
    return "\n".join(lines) + "\n"


def lighttpd_conf(
    *,
    address: str,
    port: int,
    root: Path,
    cgi_config: Path,
    userfile: Path | None = None,
    tls: tuple[Path, Path] | None = None,
) -> str:
    """lighttpd serving the Nagios CGIs at /cgi-bin/nagios4/; basic auth when ``userfile`` is given.

    ``userfile`` uses lighttpd's plain backend: one ``user:password`` line per user.
    ``tls`` = (certificate chain PEM, private key PEM) serves https (needs lighttpd-mod-openssl).
    Static files come from ``root/htdocs`` only, so the user file and logs in ``root`` are never served.
    """
    modules = ["mod_access", "mod_alias", "mod_setenv", "mod_cgi"]
    if userfile is not None:
        modules += ["mod_auth", "mod_authn_file"]
    if tls is not None:
        modules.append("mod_openssl")
    lines = [
        "server.modules = ( " + ", ".join(f'"{m}"' for m in modules) + " )",
        f'server.document-root = "{_plain(root / "htdocs", "root")}"',
        f'server.bind = "{_plain(address, "address")}"',
        f"server.port = {int(port)}",
        f'server.pid-file = "{_plain(root / "lighttpd.pid", "pid-file")}"',
        f'server.errorlog = "{_plain(root / "lighttpd-error.log", "errorlog")}"',
        f'alias.url = ( "{CGI_URL_PATH}" => "{CGI_DIR}" )',
        '$HTTP["url"] =~ "^/cgi-bin/" {\n  cgi.assign = ( ".cgi" => "" )\n}',
        f'setenv.add-environment = ( "NAGIOS_CGI_CONFIG" => "{_plain(cgi_config, "cgi.cfg")}" )',
    ]
    if tls is not None:
        lines += [
            'ssl.engine = "enable"',
            f'ssl.pemfile = "{_plain(tls[0], "certificate")}"',
            f'ssl.privkey = "{_plain(tls[1], "private key")}"',
        ]
    if userfile is not None:
        lines += [
            'auth.backend = "plain"',
            f'auth.backend.plain.userfile = "{_plain(userfile, "userfile")}"',
            'auth.require = ( "/cgi-bin/" => ( "method" => "basic", "realm" => "Nagios",'
            ' "require" => "valid-user" ) )',
        ]
    return "\n".join(lines) + "\n"


def write_lighttpd(
    web_root: Path, *, address: str, port: int, cgi_config: Path,
    users: Mapping[str, str] | None = None, tls: tuple[Path, Path] | None = None,
) -> Path:
    """Write ``web_root/lighttpd.conf`` (and the 0600 user file when ``users`` asks for basic auth)."""
    (web_root / "htdocs").mkdir(parents=True, exist_ok=True)
    userfile = None
    if users:
        userfile = web_root / "users"
        fd = os.open(userfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            for user, password in users.items():
                handle.write(f"{_plain(user, 'user')}:{_plain(password, 'password')}\n")
    conf = web_root / "lighttpd.conf"
    conf.write_text(lighttpd_conf(address=address, port=port, root=web_root,
                                  cgi_config=cgi_config, userfile=userfile, tls=tls))
    return conf
