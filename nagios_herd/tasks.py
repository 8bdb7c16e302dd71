"""Operator tasks for the herd (``fab --list``): thin wrappers over ``nagios_herd.ops``.

Every task finds the inventory as ``nagios-herd`` does (``--inventory``, else ``$NAGIOS_HERD_INVENTORY``, else
/etc/nagios-herd/herd.toml, else ./etc/herd.toml) and takes the same connection options: ``--known-hosts FILE``
(pinned host keys; default ``$NAGIOS_HERD_KNOWN_HOSTS`` or ~/.ssh/known_hosts), ``--identity FILE``,
``--state-dir DIR`` (lock, journal, offline marks; default the inventory's ``paths.state_dir``).
Mutating tasks take ``--plan`` to print what they would do and change nothing. The codes in the help texts
(invariants I1-I9, procedures A1-A6, verify checks V1-V15) are defined in the operator's guide.
"""

from __future__ import annotations

import sys
from argparse import ArgumentTypeError
from functools import partial
from typing import TYPE_CHECKING, Any

from invoke import Argument, Task, task
from invoke.exceptions import Exit, ParseError

from nagios_herd.errors import HerdError
from nagios_herd.ops.optionvalues import COUNT, DAY, TIMEOUT, Number
from nagios_herd.textsafe import Terminal, printable

if TYPE_CHECKING:
    from collections.abc import Callable

    from nagios_herd.ops.runner import Options

OUT = Terminal()  # host and guest strings reach the operator's terminal only through the sanitiser

__all__ = ["status", "verify", "failover", "failback", "migrate", "evacuate", "restore", "rebuild", "deploy",
           "resolve_split_brain"]

COMMON = {
    "inventory": "inventory TOML (default: $NAGIOS_HERD_INVENTORY, /etc/nagios-herd/herd.toml, ./etc/herd.toml)",
    "known_hosts": "known_hosts file pinning the hosts' keys (default $NAGIOS_HERD_KNOWN_HOSTS or ~/.ssh)",
    "identity": "SSH private key (default $NAGIOS_HERD_IDENTITY or the SSH agent / ~/.ssh/id_*)",
    "state_dir": "lock, journal and offline marks (default: the inventory's paths.state_dir)",
    "connect_timeout": "seconds to wait for a host's SSH answer (default 5)",
}
PLAN = {"plan": "print the plan (steps, preconditions, postconditions) and change nothing"}
PARALLEL = {"parallel": "guests moved at the same time with --all (default 8)",
            "channels": "commands at once per host on its one SSH connection (default 8; below sshd MaxSessions)",
            "shutdown_timeout": "seconds for a clean shutdown before xl destroy (default 60)",
            "nagios_wait": "seconds to wait for the guest's Nagios to answer (default 60; 0: do not ask)"}

# Every whole number a task takes, by parameter name, with its bounds: fab refuses a bad value while it reads the
# command line, before any task runs.
NUMBERS: dict[str, Number] = {"connect_timeout": TIMEOUT, "parallel": COUNT, "channels": COUNT,
                              "shutdown_timeout": TIMEOUT, "nagios_wait": Number(0, DAY),
                              "transfer_timeout": TIMEOUT}


class NumberArgument(Argument):
    """A task's whole-number option: a bad value is one line, ``fab: --flag 'value': what is wrong``, and exit 1."""

    def __init__(self, number: Number, **options: Any) -> None:
        super().__init__(**options)
        self.number = number

    def set_value(self, value: Any, cast: bool = True) -> None:
        if not cast:
            super().set_value(value, cast=False)
            return
        try:
            parsed = self.number(value)
        except ArgumentTypeError as error:
            raise ParseError(f"fab: --{self.names[0]} {error}") from None
        super().set_value(parsed, cast=False)


class HerdTask(Task):
    """A task whose whole-number options are NumberArguments (each one has its entry in NUMBERS)."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        return [NumberArgument(NUMBERS[arg.name], names=arg.names, kind=int, default=arg.default, help=arg.help,
                               positional=arg.positional, optional=arg.optional, attr_name=arg.attr_name)
                if arg.kind is int else arg for arg in super().get_arguments(ignore_unknown_help)]


herd_task = partial(task, klass=HerdTask, auto_shortflags=False)


def _options(inventory, known_hosts, identity, state_dir, connect_timeout, parallel=8, channels=8):
    from nagios_herd.ops.runner import Options

    return Options(inventory=inventory, known_hosts=known_hosts, identity=identity, state_dir=state_dir,
                   connect_timeout=connect_timeout, parallel=parallel, channels=channels)


def _cluster(options, task: str, **arguments) -> int | None:
    """Pacemaker's branch in front of a mutating task: its exit status, or None to run the task as usual."""
    from nagios_herd.ops import cluster

    return cluster.route(options, task, out=OUT, **arguments)


def _finish(operation) -> None:
    """Run an operation; a HerdError becomes one line on stderr and the exit status, never a traceback."""
    try:
        code = operation()
    except HerdError as error:
        for line in error.lines():
            print(printable(f"fab: {line}" if error.prefixed else line), file=sys.stderr)
        raise Exit(code=error.exit_code) from None
    if code:
        raise Exit(code=code)


@herd_task(help=COMMON)
def status(c, inventory=None, known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """One table: guest, where it runs, DRBD role/connection/disk on both hosts, sync %.

    Exit 1 when a guest runs on both hosts or is Primary on both: invariant I1 is broken right now."""
    from nagios_herd.ops import cluster
    from nagios_herd.ops import status as op

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout)

    def operation() -> int:
        code = cluster.run_status(options, out=OUT)
        return op.run(options, out=OUT) if code is None else code

    _finish(operation)


@herd_task(help=COMMON)
def verify(c, inventory=None, known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """Health checks V1-V15 (defined in the operator's guide); exit 1 on any ERROR."""
    from nagios_herd.ops import verify as op

    _finish(lambda: op.run(_options(inventory, known_hosts, identity, state_dir, connect_timeout), out=OUT))


@herd_task(help={**COMMON, **PLAN, **PARALLEL, "guest": "the guest to move", "all": "every guest",
                 "away_from": "move the guests away from this host (default: away from each preferred host)",
                 "force": "the source host is dead: promote without it (needs --fenced)",
                 "fenced": "the dead host, which you confirm is powered off (fenced)",
                 "allow_stale": "with --force: promote data that is not UpToDate (needs --confirm GUEST)",
                 "confirm": "type the guest name again to confirm --allow-stale"})
def failover(c, guest=None, all=False, away_from=None, force=False, fenced=None, allow_stale=False,
             confirm=None, plan=False, shutdown_timeout=60, nagios_wait=60, parallel=8, channels=8,
             inventory=None, known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """Move guests to the other host (procedure A1); --force --fenced HOST when that host is dead (A3)."""
    from nagios_herd.ops import move
    from nagios_herd.ops.failover import MoveOptions

    def operation() -> int:
        if force != bool(fenced):
            raise HerdError("--force and --fenced HOST go together: confirm the dead host is powered off")
        if allow_stale and not force:
            raise HerdError("--allow-stale only applies to a forced failover (--force --fenced HOST)")
        if confirm and not allow_stale:
            raise HerdError("--confirm GUEST only confirms --allow-stale; drop it or add --allow-stale")
        options = _options(inventory, known_hosts, identity, state_dir, connect_timeout, parallel, channels)
        code = _cluster(options, "failover", plan_only=plan, guest=guest, everything=all, away_from=away_from,
                        fenced=fenced)
        if code is not None:
            return code
        moving = MoveOptions(shutdown_timeout=float(shutdown_timeout), nagios_wait=float(nagios_wait),
                             fenced=fenced, allow_stale=allow_stale, confirm=confirm)
        return move.run(options, task="failover", guest=guest, everything=all, move=moving,
                        away_from=away_from, plan_only=plan, out=OUT)

    _finish(operation)


@herd_task(help={**COMMON, **PLAN, **PARALLEL, "guest": "the guest to move back", "all": "every guest"})
def failback(c, guest=None, all=False, plan=False, shutdown_timeout=60, nagios_wait=60, parallel=8, channels=8,
             inventory=None, known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """Move guests back to their preferred host (procedure A2), only once the resync has finished."""
    from nagios_herd.ops import move
    from nagios_herd.ops.failover import MoveOptions

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout, parallel, channels)
    moving = MoveOptions(shutdown_timeout=float(shutdown_timeout), nagios_wait=float(nagios_wait), failback=True)

    def operation() -> int:
        code = _cluster(options, "failback", plan_only=plan, guest=guest, everything=all)
        if code is not None:
            return code
        return move.run(options, task="failback", guest=guest, everything=all, move=moving, plan_only=plan,
                        out=OUT)

    _finish(operation)


MIGRATE = {"parallel": "guests migrated at the same time (default 8)",
           "channels": PARALLEL["channels"],
           "transfer_timeout": "seconds one xl migrate (the memory copy) may take (default 600)"}


def _migrate_options(transfer_timeout):
    from nagios_herd.ops.migrate import MigrateOptions

    return MigrateOptions(transfer_timeout=float(transfer_timeout))


@herd_task(help={**COMMON, **PLAN, **MIGRATE, "guest": "the guest to migrate", "all": "every guest",
                 "away_from": "migrate the guests running on this host to the other one"})
def migrate(c, guest=None, all=False, away_from=None, plan=False, transfer_timeout=600, parallel=8, channels=8,
            inventory=None, known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """Live-migrate guests to the other host without stopping them (a brief dual-primary window)."""
    from nagios_herd.ops import migrate as op

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout, parallel, channels)

    def operation() -> int:
        code = _cluster(options, "migrate", plan_only=plan, guest=guest, everything=all, away_from=away_from)
        if code is not None:
            return code
        return op.run(options, guest=guest, everything=all, away_from=away_from, plan_only=plan,
                      migrate=_migrate_options(transfer_timeout), out=OUT)

    _finish(operation)


def _host_task(task: str, host: str | None, missing: str, plan: bool, connection: dict[str, object],
               action: Callable[[Options], int]) -> None:
    """evacuate and restore: --host is required, the options are built, Pacemaker's branch comes first, then
    ``action(options)``."""

    def operation() -> int:
        if not host:
            raise HerdError(missing)
        options = _options(**connection)
        code = _cluster(options, task, plan_only=plan, host=host)
        return action(options) if code is None else code

    _finish(operation)


@herd_task(help={**COMMON, **PLAN, **MIGRATE, "host": "the host to empty for maintenance",
                 "allow_restart": "fail over (stop, boot on the peer) a guest that cannot migrate",
                 "shutdown_timeout": PARALLEL["shutdown_timeout"], "nagios_wait": PARALLEL["nagios_wait"]})
def evacuate(c, host=None, allow_restart=False, plan=False, transfer_timeout=600, shutdown_timeout=60,
             nagios_wait=60, parallel=8, channels=8, inventory=None, known_hosts=None, identity=None,
             state_dir=None, connect_timeout=5):
    """Mark a host in maintenance and live-migrate every guest off it; exit 1 when one is left there."""
    from nagios_herd.ops import evacuate as op
    from nagios_herd.ops.failover import MoveOptions

    connection = dict(inventory=inventory, known_hosts=known_hosts, identity=identity, state_dir=state_dir,
                      connect_timeout=connect_timeout, parallel=parallel, channels=channels)
    _host_task("evacuate", host, "name the host to empty with --host HOST", plan, connection,
               lambda options: op.evacuate(options, host=host, allow_restart=allow_restart, plan_only=plan,
                                           migrate=_migrate_options(transfer_timeout),
                                           move=MoveOptions(shutdown_timeout=float(shutdown_timeout),
                                                            nagios_wait=float(nagios_wait)), out=OUT))


@herd_task(help={**COMMON, **PLAN, **MIGRATE, "host": "the host whose maintenance is over"})
def restore(c, host=None, plan=False, transfer_timeout=600, parallel=8, channels=8, inventory=None,
            known_hosts=None, identity=None, state_dir=None, connect_timeout=5):
    """End a host's maintenance and live-migrate the guests that prefer it back."""
    from nagios_herd.ops import evacuate as op

    connection = dict(inventory=inventory, known_hosts=known_hosts, identity=identity, state_dir=state_dir,
                      connect_timeout=connect_timeout, parallel=parallel, channels=channels)
    _host_task("restore", host, "name the host with --host HOST", plan, connection,
               lambda options: op.restore(options, host=host, plan_only=plan,
                                          migrate=_migrate_options(transfer_timeout), out=OUT))


@herd_task(help={**COMMON, **PLAN, "guest": "rebuild only this guest's disk, on the host that is not Primary for it",
                 "host": "the replaced host (every guest's disk)",
                 "parallel": "resyncs running at the same time (default 2)"})
def rebuild(c, host=None, guest=None, plan=False, parallel=2, inventory=None, known_hosts=None, identity=None,
            state_dir=None, connect_timeout=5):
    """Recreate a replaced host's disks from the survivor (procedure A6); it becomes a failover target when clean."""
    from nagios_herd.ops import rebuild as op

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout, parallel)

    def operation() -> int:
        code = _cluster(options, "rebuild", plan_only=plan)
        return op.run(options, host=host, guest=guest, plan_only=plan, out=OUT) if code is None else code

    _finish(operation)


@herd_task(help={**COMMON, **PLAN, "build": "the `nagios-herd generate` output directory (default ./build)"})
def deploy(c, build="build", plan=False, inventory=None, known_hosts=None, identity=None, state_dir=None,
           connect_timeout=5):
    """Push generated host files and guest Nagios trees; validate there; reload only what changed.

    When Pacemaker manages the herd, then load the cluster configuration (after crm_verify) if it changed."""
    from nagios_herd.ops import cib_load
    from nagios_herd.ops import deploy as op

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout)

    def operation() -> int:
        code = op.run(options, build=build, plan_only=plan, out=OUT)
        if code:
            return code
        return cib_load.run(options, build=build, plan_only=plan, out=OUT) or 0

    _finish(operation)


@herd_task(name="resolve-split-brain",
           help={**COMMON, **PLAN, "guest": "the split-brained guest",
                 "victim": "the host whose changes are discarded"})
def resolve_split_brain(c, guest=None, victim=None, plan=False, inventory=None, known_hosts=None, identity=None,
                        state_dir=None, connect_timeout=5):
    """Recover from split brain (A5): snapshot the victim's LV, discard its changes, resync from the survivor."""
    from nagios_herd.ops import splitbrain as op

    options = _options(inventory, known_hosts, identity, state_dir, connect_timeout)

    def operation() -> int:
        code = _cluster(options, "resolve-split-brain", plan_only=plan)
        return op.run(options, guest=guest, victim=victim, plan_only=plan, out=OUT) if code is None else code

    _finish(operation)


def main() -> None:
    """``nagios-herd-fab``: Fabric's ``fab`` over exactly these tasks, for an installed package (no fabfile to
    find, no search through the current directory)."""
    from fabric import Config, Executor
    from fabric.main import Fab
    from invoke import Collection

    from nagios_herd import __version__

    Fab(name="nagios-herd-fab", binary="nagios-herd-fab", version=__version__,
        namespace=Collection.from_module(sys.modules[__name__]), executor_class=Executor,
        config_class=Config).run()
