"""RealNagios: a real ``nagios4 -d`` plus lighttpd serving its JSON CGIs, inside one temp dir.

Usage (any test)::

    from realnagios import RealNagios
    with RealNagios(tmp_path, services={"DRBD": "/path/check --input x"}) as nagios:
        nagios.wait_for_service_state("guest01", "DRBD", 2)
        requests.get(nagios.url, params={"query": "programstatus"})

Everything is started and stopped by pid; ``stop()`` is idempotent and runs on ``__exit__``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from nagios_herd.nagios import daemons, serve
from nagios_herd.parsers import nagios_status, nagios_statusdat

STATE_NAMES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


class RealNagios:
    """One Nagios 4 core and one lighttpd on a random loopback address, all under ``root``.

    ``objects`` is a whole object config; without it, :func:`nagios_serve.minimal_objects`
    builds host ``host`` with ``services`` (description -> command line). ``users`` (name ->
    password) turns on HTTP basic auth; ``tls`` (cert chain, key) serves https (see ``tls.py``);
    ``main_options`` override main.cfg directives. The address is chosen at construction, so a
    certificate can name it before ``start()``.
    """

    def __init__(
        self,
        root: Path,
        *,
        objects: str | None = None,
        host: str = "guest01",
        services: Mapping[str, str] | None = None,
        extra_cfg_files: Iterable[Path] = (),
        main_options: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.root = Path(root)
        self.tree = serve.NagiosTree(self.root / "nagios")
        self.objects = objects if objects is not None else serve.minimal_objects(host, services)
        self.extra_cfg_files = list(extra_cfg_files)
        self.main_options = dict(main_options or {})
        self.users = dict(users or {})
        self.tls = tls
        self.address, self.port = daemons.free_loopback()
        self.nagios_pid: int | None = None
        self.lighttpd_pid: int | None = None

    @property
    def url(self) -> str:
        """The statusjson.cgi URL (what ``check_nagios_guest --url`` takes)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.address}:{self.port}{serve.CGI_URL_PATH}statusjson.cgi"

    def start(self) -> RealNagios:
        """Write the configs, start nagios4 (after ``nagios4 -v``) and lighttpd."""
        try:
            self.tree.write(self.objects, extra_cfg_files=self.extra_cfg_files,
                            main_options=self.main_options)
            self.start_nagios()
            self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def start_nagios(self) -> None:
        self.nagios_pid = daemons.start_nagios(self.tree)

    def start_web(self) -> None:
        conf = serve.write_lighttpd(self.root / "web", address=self.address, port=self.port,
                                    cgi_config=self.tree.cgi_cfg, users=self.users, tls=self.tls)
        self.lighttpd_pid = daemons.start_lighttpd(conf, self.address, self.port)

    def stop_nagios(self) -> None:
        """Stop the core; it deletes status.dat, so the CGI then answers with an empty body."""
        if self.nagios_pid is not None:
            daemons.stop_pid(self.nagios_pid)
            self.nagios_pid = None

    def stop_web(self) -> None:
        if self.lighttpd_pid is not None:
            daemons.stop_pid(self.lighttpd_pid)
            self.lighttpd_pid = None

    def stop(self) -> None:
        """Stop whatever runs (idempotent); the temp dir stays for post-mortems."""
        try:
            self.stop_web()
        finally:
            self.stop_nagios()

    def __enter__(self) -> RealNagios:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> nagios_statusdat.StatusDat:
        """The current status.dat, parsed (Nagios replaces it atomically, so it is never half-written)."""
        return nagios_statusdat.parse_status_dat(self.tree.status_file.read_text())

    def send_command(self, command: str) -> None:
        """Write ``[now] COMMAND;args`` to the command FIFO; non-blocking (ENXIO if no reader)."""
        if "\n" in command:
            raise ValueError(f"external command with a newline: {command!r}")
        fd = os.open(self.tree.command_file, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, f"[{int(time.time())}] {command}\n".encode())
        finally:
            os.close(fd)

    def force_service_check(self, host: str, service: str) -> None:
        self.send_command(f"SCHEDULE_FORCED_SVC_CHECK;{host};{service};{int(time.time())}")

    def wait_for_service_state(
        self, host: str, service: str, state: int, timeout: float = 30.0,
    ) -> nagios_statusdat.ObjectStatus:
        """Wait until the service has been checked and is in ``state``; AssertionError otherwise."""
        deadline = time.monotonic() + timeout
        seen = "no status.dat yet"
        while time.monotonic() < deadline:
            try:
                found = self.status().services.get((host, service))
            except (OSError, nagios_status.StatusError) as error:
                seen = str(error)
            else:
                if found is None:
                    seen = f"no service {host}/{service} in status.dat"
                elif found.has_been_checked and found.current_state == state:
                    return found
                else:
                    seen = (f"state {STATE_NAMES.get(found.current_state, found.current_state)}"
                            f" checked={found.has_been_checked} output {found.plugin_output!r}")
            time.sleep(0.2)
        raise AssertionError(f"{host}/{service} not {STATE_NAMES.get(state, state)} within "
                             f"{timeout:g}s; last seen: {seen}")
