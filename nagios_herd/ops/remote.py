"""SSH to the two dom0s: the ONE place remote commands are built and Fabric connections are made.

Why one place: every safety property of the Fabric layer that concerns the wire lives here, so it cannot be
forgotten by a single task:

- host keys are pinned: a known_hosts file is loaded and paramiko's ``RejectPolicy`` replaces the
  ``AutoAddPolicy`` Fabric 3 installs, so an unknown or changed key refuses the run;
- a connect timeout (Fabric's default is to wait forever) and a transport keepalive, so a dead host is seen
  in seconds and becomes a *down* :class:`Link` the forced-failover path can reason about;
- ONE connection per host per run, opened up front in the main thread (``Connection.open()`` is not
  thread-safe); worker threads then share it, each command on its own channel, at most ``channels`` at a
  time per host (sshd's ``MaxSessions`` defaults to 10);
- every command is ``LC_ALL=C timeout -k 5 T [sudo -n] argv... </dev/null`` with each argument
  ``shlex.quote``d: the parsers need the C locale, a remote command never outlives its deadline, a missing
  sudo rule fails fast instead of waiting for a password, and nothing waits for an answer on stdin (a
  "type yes to confirm" prompt reads end-of-file and fails instead of hanging);
- probes run with ``warn=True``: the caller reads the exit code (17 from ``drbdadm primary`` means "no
  UpToDate data", 124 means the remote ``timeout`` fired);
- the idempotent one-resource ``drbdadm`` verbs (``primary``, ``secondary``, ``net-options``) that several guests'
  workers send at the same moment are coalesced into one ``drbdadm VERB ... R1 R2 ...`` per host (14 guests moved
  together cost one command per step, not 14); when that command fails, each resource is run again on its own,
  so every caller gets its own resource's exit status and message.

:data:`OPENED` counts the connections opened per host in this process (the benchmark reports it).
"""

from __future__ import annotations

import shlex
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.model import XenHost

CONNECT_TIMEOUT = 5  # seconds; Fabric converts it to int
KEEPALIVE = 5  # seconds between keepalive packets on an open transport
KILL_AFTER = 5  # seconds between TERM and KILL of a remote command that overran
SLACK = 15  # extra seconds the local side waits beyond the remote timeout
DEFAULT_CHANNELS = 8  # concurrent commands per host (below sshd's MaxSessions=10)
TIMED_OUT = 124  # coreutils timeout's exit status when the deadline fired

BATCHABLE = ("primary", "secondary", "net-options")  # drbdadm verbs that take several resources, idempotent
BATCH_WINDOW = 0.03  # seconds the first caller waits for others sending the same verb

OPENED: Counter[str] = Counter()
_OPENED_LOCK = threading.Lock()


class HostDown(HerdError):
    """A host did not answer (connect timeout, refused, or the connection dropped mid-run)."""


@dataclass(frozen=True)
class Result:
    """What one remote command did; ``exited`` is the remote exit status."""

    host: str
    command: str
    exited: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exited == 0

    @property
    def timed_out(self) -> bool:
        return self.exited in (TIMED_OUT, 128 + 9)

    def why(self) -> str:
        """One line for the operator: the first line of stderr (or stdout) and the exit status."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        detail = text[-1] if text else "no output"
        return f"exit {self.exited}: {detail}"


def build_command(argv: Sequence[str], *, timeout: float, sudo: bool) -> str:
    """The shell line for ``argv``: C locale, bounded by coreutils ``timeout``, ``sudo -n`` when not root,
    stdin from /dev/null."""
    if not argv:
        raise ValueError("empty command")
    prefix = ["timeout", "-k", str(KILL_AFTER), f"{timeout:g}"]
    if sudo:
        prefix += ["sudo", "-n"]
    return "LC_ALL=C " + " ".join(shlex.quote(str(part)) for part in [*prefix, *argv]) + " </dev/null"


@dataclass(frozen=True)
class Endpoint:
    """A machine that is not a dom0 (a guest, for ``deploy``): what :func:`connect` needs of a host."""

    name: str
    address: str
    ssh_port: int = 22
    ssh_user: str = "root"


@dataclass(frozen=True)
class SshOptions:
    """How to reach the hosts: the pinned known_hosts file, the client key, timeouts."""

    known_hosts: Path | None = None  # None: the user's ~/.ssh/known_hosts
    identity: Path | None = None  # None: paramiko's defaults (agent, ~/.ssh/id_*)
    connect_timeout: int = CONNECT_TIMEOUT
    channels: int = DEFAULT_CHANNELS


class _Batch:
    """Resources collected for one coalesced ``drbdadm`` command, and its outcome."""

    def __init__(self) -> None:
        self.resources: list[str] = []
        self.done = threading.Event()
        self.result: Result | None = None
        self.error: BaseException | None = None


def batchable(argv: Sequence[str]) -> bool:
    """``drbdadm VERB [--option...] RESOURCE`` with a verb that may name several resources (never ``--force``)."""
    return (len(argv) >= 3 and argv[0] == "drbdadm" and argv[1] in BATCHABLE and not str(argv[-1]).startswith("-")
            and "--force" not in argv and all(str(arg).startswith("-") for arg in argv[2:-1]))


class Link:
    """One host's connection for the whole run; ``down`` holds the reason when the host did not answer."""

    def __init__(self, host: XenHost | Endpoint, connection: object | None, down: str | None, channels: int) -> None:
        self.host = host
        self.name = host.name
        self._connection = connection
        self.down = down
        self._gate = threading.BoundedSemaphore(channels)
        self._sudo = host.ssh_user != "root"
        self._batches: dict[tuple[tuple[str, ...], float], _Batch] = {}
        self._batch_lock = threading.Lock()

    def command(self, argv: Sequence[str], timeout: float) -> str:
        return build_command(argv, timeout=timeout, sudo=self._sudo)

    def run(self, argv: Sequence[str], *, timeout: float = 60) -> Result:
        """Run ``argv`` and return its result whatever the exit status; raise :class:`HostDown` if unreachable."""
        if batchable(argv):
            return self._coalesced([str(arg) for arg in argv], timeout)
        return self._run(argv, timeout)

    def _coalesced(self, argv: list[str], timeout: float) -> Result:
        """Join (or lead) the batch of the same verb and options; the leader sends it after :data:`BATCH_WINDOW`."""
        key = (tuple(argv[:-1]), timeout)
        with self._batch_lock:
            batch = self._batches.get(key)
            leader = batch is None
            if batch is None:
                batch = self._batches[key] = _Batch()
            batch.resources.append(argv[-1])
        if leader:
            time.sleep(BATCH_WINDOW)
            with self._batch_lock:
                del self._batches[key]
            try:
                batch.result = self._run([*argv[:-1], *dict.fromkeys(batch.resources)], timeout)
            except BaseException as error:  # handed to every member; HostDown above all
                batch.error = error
            finally:
                batch.done.set()
        else:
            batch.done.wait()
        if batch.error is not None:
            if isinstance(batch.error, HostDown):
                raise HostDown(str(batch.error))
            raise batch.error
        assert batch.result is not None
        if len(set(batch.resources)) == 1:
            return batch.result
        if not batch.result.ok:  # which resource failed, and why: this caller's own, run alone
            return self._run(argv, timeout)
        return Result(self.name, self.command(argv, timeout), 0, "", "")

    def _run(self, argv: Sequence[str], timeout: float) -> Result:
        line = self.command(argv, timeout)
        if self.down is not None:
            raise HostDown(f"{self.name}: unreachable ({self.down})")
        from invoke.exceptions import CommandTimedOut

        try:
            with self._gate:
                result = self._connection.run(  # type: ignore[union-attr]
                    line, warn=True, hide=True, in_stream=False, timeout=timeout + KILL_AFTER + SLACK)
        except CommandTimedOut:
            return Result(self.name, line, TIMED_OUT, "", f"no answer within {timeout + KILL_AFTER + SLACK:g}s")
        except (OSError, EOFError, _ssh_exception()) as error:
            self.down = f"connection lost: {error or type(error).__name__}"
            raise HostDown(f"{self.name}: {self.down}") from None
        return Result(self.name, line, int(result.exited), result.stdout, result.stderr)

    def put(self, local: Path, remote: str) -> None:
        """Copy one file over SFTP (the caller moves it into place with a command)."""
        if self.down is not None:
            raise HostDown(f"{self.name}: unreachable ({self.down})")
        try:
            with self._gate:
                self._connection.put(str(local), remote)  # type: ignore[union-attr]
        except (OSError, EOFError, _ssh_exception()) as error:
            raise HerdError(f"{self.name}: cannot copy {local} to {remote}: {error}") from None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()  # type: ignore[attr-defined]


def _ssh_exception() -> type[Exception]:
    import paramiko

    return paramiko.SSHException


def connect(host: XenHost | Endpoint, options: SshOptions) -> Link:
    """Open ``host`` with its key pinned; a host that does not answer becomes a down link, a bad key an error."""
    import paramiko
    from fabric import Config, Connection

    kwargs: dict[str, object] = {"banner_timeout": options.connect_timeout,
                                 "auth_timeout": options.connect_timeout}
    if options.identity is not None:
        kwargs.update(key_filename=str(options.identity), look_for_keys=False, allow_agent=False)
    connection = Connection(host.address, user=host.ssh_user, port=host.ssh_port,
                            connect_timeout=options.connect_timeout, connect_kwargs=kwargs,
                            config=Config(overrides={"load_ssh_configs": False,
                                                     "runners": {"remote": _remote_runner()}}))
    client = connection.client
    if options.known_hosts is None:
        client.load_system_host_keys()
    else:
        try:
            client.load_host_keys(str(options.known_hosts))
        except OSError as error:
            raise HerdError(f"known_hosts {options.known_hosts}: {error.strerror}") from None
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    where = f"{host.name} ({host.ssh_user}@{host.address}:{host.ssh_port})"
    with _OPENED_LOCK:
        OPENED[host.name] += 1
    try:
        connection.open()
    except paramiko.BadHostKeyException:
        raise HerdError(f"{where}: host key CHANGED (not the one in {_keys_file(options)}); refusing") from None
    except paramiko.AuthenticationException as error:
        raise HerdError(f"{where}: SSH authentication failed: {error}") from None
    except (socket.timeout, TimeoutError, OSError, EOFError) as error:
        return Link(host, None, f"no SSH answer: {error or type(error).__name__}", options.channels)
    except paramiko.SSHException as error:
        if "not found in known_hosts" in str(error):
            raise HerdError(f"{where}: host key unknown (not in {_keys_file(options)}); refusing") from None
        return Link(host, None, f"SSH failed: {error}", options.channels)
    connection.transport.set_keepalive(KEEPALIVE)
    return Link(host, connection, None, options.channels)


def _remote_runner() -> type:
    """Fabric's remote runner, cancelling its timeout timer when a command ends. Fabric 2.6 (Debian 12's
    python3-fabric) does not (its ``Remote.stop`` skips Invoke's), and each command's non-daemon timer thread
    kept the finished task's process alive until that command's timeout ran out (tens of seconds)."""
    global _RUNNER
    if _RUNNER is None:
        from fabric.runners import Remote

        class Runner(Remote):
            def stop(self) -> None:
                super().stop()
                timer = getattr(self, "_timer", None)
                if timer is not None:
                    timer.cancel()

        _RUNNER = Runner
    return _RUNNER


_RUNNER: type | None = None


def _keys_file(options: SshOptions) -> str:
    return str(options.known_hosts) if options.known_hosts else "~/.ssh/known_hosts"


class Session:
    """The run's links to every host, all opened up front in the calling thread; closes them on exit."""

    def __init__(self, hosts: Iterable[XenHost | Endpoint], options: SshOptions) -> None:
        self.links: dict[str, Link] = {}
        try:
            for host in hosts:
                self.links[host.name] = connect(host, options)
        except BaseException:
            self.close()
            raise

    def __getitem__(self, name: str) -> Link:
        return self.links[name]

    def close(self) -> None:
        for link in self.links.values():
            link.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
