"""What every task does first: find and load the inventory, open one connection per host, lock, journal.

Why in one place: the inventory is found exactly as ``nagios-herd`` finds it (``locate.find_inventory``),
connections are opened up front in the main thread before any worker starts, and a mutating run holds the
herd lock for its whole duration, so these rules cannot differ between tasks.
"""

from __future__ import annotations

import os
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from nagios_herd.errors import HerdError
from nagios_herd.locate import find_inventory, given_file
from nagios_herd.model import Guest, Herd
from nagios_herd.ops.engine import Engine, Outcome
from nagios_herd.ops.facts import HostFacts, gather
from nagios_herd.ops.journal import Journal
from nagios_herd.ops.lock import Lock
from nagios_herd.ops.plan import GuestPlan, render
from nagios_herd.ops.probe import GuestView, Prober
from nagios_herd.ops.remote import Endpoint, Session, SshOptions
from nagios_herd.privilege import private_dir

if TYPE_CHECKING:
    from collections.abc import Callable

KNOWN_HOSTS_ENV = "NAGIOS_HERD_KNOWN_HOSTS"
IDENTITY_ENV = "NAGIOS_HERD_IDENTITY"
STATE_DIR_ENV = "NAGIOS_HERD_STATE_DIR"


@dataclass(frozen=True)
class Options:
    """The connection and state options every task takes."""

    inventory: str | None = None
    known_hosts: str | None = None
    identity: str | None = None
    state_dir: str | None = None
    connect_timeout: int = 5
    parallel: int = 8
    channels: int = 8  # commands at once per host; keep below the hosts' sshd MaxSessions (default 10)


def known_host(herd: Herd, name: str, flag: str) -> str:
    """``name`` when it is one of the herd's hosts; otherwise one line naming the flag and the hosts."""
    if name not in {host.name for host in herd.hosts}:
        raise HerdError(f"{flag} {name!r}: not a host of this herd ({', '.join(h.name for h in herd.hosts)})")
    return name


def known_guest(herd: Herd, name: str, flag: str = "--guest") -> Guest:
    """The guest called ``name``; otherwise one line naming the flag and the guests."""
    try:
        return herd.guest(name)
    except KeyError:
        raise HerdError(f"{flag} {name!r}: not a guest of this herd "
                        f"({', '.join(g.name for g in herd.guests)})") from None


def load_herd(inventory: str | None) -> Herd:
    from nagios_herd.inventory.loader import load

    return load(find_inventory(inventory))


class Run:
    """``with Run(options, "fab failover ...", mutating=True) as run:`` — herd, links, prober, journal."""

    def __init__(self, options: Options, command: str, *, mutating: bool, with_guests: bool = False) -> None:
        self.options = options
        self.command = command
        self.mutating = mutating
        self.with_guests = with_guests
        self.herd = load_herd(options.inventory)
        self.state_dir = find_state_dir(options, lambda: self.herd)
        self._stack = ExitStack()

    def __enter__(self) -> Run:
        try:
            if self.mutating:
                self._stack.enter_context(Lock(self.state_dir, self.command))
            ssh = SshOptions(known_hosts=_given_file(self.options.known_hosts, "--known-hosts", KNOWN_HOSTS_ENV),
                             identity=_given_file(self.options.identity, "--identity", IDENTITY_ENV),
                             connect_timeout=self.options.connect_timeout, channels=self.options.channels)
            guests = [Endpoint(g.name, g.address) for g in self.herd.guests] if self.with_guests else []
            self.session = self._stack.enter_context(Session([*self.herd.hosts, *guests], ssh))
        except BaseException:
            self._stack.close()
            raise
        self.links = {host.name: self.session[host.name] for host in self.herd.hosts}
        self.guest_links = {name: link for name, link in self.session.links.items() if name not in self.links}
        self.prober = Prober(self.links)
        self.journal = Journal(self.state_dir, self.command)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def execute(self, plans: list[GuestPlan], views: dict[str, GuestView], plan_only: bool,
                out: TextIO) -> int:
        """``--plan``: print the plans (exit 1 if any guest is refused); else run them and report per guest."""
        if plan_only:
            print(render(plans, views, f"plan for: {self.command} (nothing is changed)"), file=out)
            return 1 if any(plan.refusals for plan in plans) else 0
        engine = Engine(self.herd, self.links, self.prober, self.journal, out=out)
        probed = min((snap.taken for view in views.values() for snap in view.snaps.values()), default=None)
        return report(engine.run(plans, parallel=self.options.parallel, since=probed), out=out)

    def facts(self, *, audit: bool = False) -> dict[str, HostFacts]:
        """Both hosts' facts, gathered at the same time (``audit``: with verify's extra facts)."""
        with ThreadPoolExecutor(max_workers=len(self.herd.hosts)) as pool:
            futures = {h.name: pool.submit(gather, self.herd, h, self.links[h.name], audit=audit)
                       for h in self.herd.hosts}
            return {name: future.result() for name, future in futures.items()}


def _given(option: str | None, flag: str, env: str) -> tuple[str, str | None]:
    """The option's value, else the environment variable's, with where it came from (for a refusal's line)."""
    return (flag, option) if option else (f"${env}", os.environ.get(env))


def _given_file(option: str | None, flag: str, env: str) -> Path | None:
    """The file the option or the environment variable names, checked readable now (a bad one is refused before
    any host is asked); None when neither is set."""
    source, path = _given(option, flag, env)
    return given_file(path, source) if path else None


def find_state_dir(options: Options, herd: Callable[[], Herd]) -> Path:
    """``--state-dir``, else ``$NAGIOS_HERD_STATE_DIR``, else the inventory's ``paths.state_dir``: created when
    missing, refused (one line naming where it came from) unless it is a private directory. Read-only runs check
    it too: a state others may write could lie to them."""
    source, path = _given(options.state_dir, "--state-dir", STATE_DIR_ENV)
    if not path:
        source, path = "paths.state_dir", herd().paths.state_dir
    private_dir(path, what=source)
    return Path(path)


def command_line(task: str, **flags: object) -> str:
    """The command as the operator typed it, for the lock holder line and the journal."""
    words = ["fab", task]
    for key, value in flags.items():
        if value in (None, False, ""):
            continue
        words.append(f"--{key.replace('_', '-')}")
        if value is not True:
            words.append(str(value))
    return shlex.join(words)


def report(outcomes: list[Outcome], out: TextIO = sys.stdout) -> int:
    """Per-guest summary at the end of a run; exit status 0 only when every guest succeeded."""
    print("\nresult:", file=out)
    for outcome in outcomes:
        print(f"  {outcome.guest:<20} {'ok' if outcome.ok else 'FAILED':<7} {outcome.detail}", file=out)
    return 0 if all(outcome.ok for outcome in outcomes) else 1
