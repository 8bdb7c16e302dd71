"""Cron publishing: render into a new generation, validate it, swap it live atomically, reload only on change.

Live root layout::

    LIVE/.lock                 fcntl lock: one publish at a time (a second one waits up to --wait, then refuses)
    LIVE/state.json            the no-change stamp: sha256 of every input file (inventory, templates, generator)
    LIVE/current -> generations/000007-<checksum>   swapped by rename(2) of a new symlink: atomic
    LIVE/generations/NNNNNN-<checksum>/            complete build trees with MANIFEST.json; the last --keep stay
    LIVE/../.LIVE.staging/     where a candidate generation is written and validated (same file system)

No change costs no write: the inputs are re-hashed against ``state.json`` before anything else (milliseconds, no
inventory parsing); if any differ, the inventory is rendered in memory and compared with the live manifest's
content checksum; only a different checksum creates a generation, or a live one whose owners and modes are not
the build tree's access table's (an older version wrote it). Validation failure → the new generation is removed,
the live tree is untouched, one line, exit 1. After the swap, reload runs only if the files in ``scope``
changed, gated by ``nagios4 -v`` on the live main file(s): a failing gate or reload command puts the previous
generation back (a SIGHUP on a broken config makes Nagios 4 exit instead of keeping the old one).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from nagios_herd.errors import HerdError
from nagios_herd.generate.buildtree import MANIFEST, as_published, checksum, file_digests, read_manifest, write_tree
from nagios_herd.generate.inputs import stamp, stamp_files, templates_dir
from nagios_herd.privilege import open_private, private_dir, read_private, replace_private

if TYPE_CHECKING:
    from nagios_herd.generate.render import Build

NAGIOS = "/usr/sbin/nagios4"
NAGIOS_GROUP = "nagios"

LOCK = ".lock"
STATE = "state.json"
CURRENT = "current"
GENERATIONS = "generations"
LOCKED_EXIT = 75  # EX_TEMPFAIL: cron will simply try again next time
RELOAD_TIMEOUT = 120


class Options(NamedTuple):
    """One publish run (a NamedTuple: the no-change path must not pay for importing dataclasses)."""

    inventory: Path
    live: Path
    keep: int = 5
    scope: str = ""  # "guests/NAME" or "hosts/NAME": what is validated and what must change to reload
    reload: Sequence[str] = ()  # commands, each split with shlex and run without a shell, in order
    nagios_cfg: Sequence[str] = ()  # live main files that must pass nagios4 -v before any reload command
    wait: float = 30.0
    templates: Path | None = None  # None: render_inputs.templates_dir()


@contextmanager
def locked(live: Path, wait: float) -> Iterator[None]:
    """Hold ``LIVE/.lock`` (flock, 0600, never through a symlink); wait up to ``wait`` seconds, then refuse
    with one line (exit 75)."""
    handle = open_private(live / LOCK, os.O_RDWR | os.O_CREAT)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise HerdError(f"{live / LOCK}: another publish is running; gave up after {wait:g} s",
                                    exit_code=LOCKED_EXIT) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(handle)


def _read_json(path: Path) -> dict:
    try:
        document = json.loads(read_private(path) or "null")
    except (HerdError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _write_json(path: Path, document: dict) -> None:
    replace_private(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def _templates(options: Options) -> Path:
    return options.templates or templates_dir()


def current_generation(live: Path) -> str | None:
    try:
        target = os.readlink(live / CURRENT)
    except OSError:
        return None
    return Path(target).name


def unchanged(options: Options, state: dict, current: str | None) -> bool:
    """The fast path: same inventory and templates, same live generation, every recorded input byte-identical."""
    recorded = state.get("stamp")
    if not current or not isinstance(recorded, dict) or state.get("generation") != current:
        return False
    if not (options.live / CURRENT / MANIFEST).is_file():  # the live generation was removed behind our back
        return False
    if state.get("inventory") != str(options.inventory.resolve()) or \
            state.get("templates") != str(_templates(options).resolve()):
        return False
    return stamp([Path(path) for path in recorded]) == recorded


def scoped_checksum(digests: dict[str, str], scope: str) -> str:
    prefix = scope.rstrip("/") + "/" if scope else ""
    return checksum({path: sha for path, sha in digests.items() if path.startswith(prefix)})


def _swap(live: Path, generation: str | None) -> None:
    """Point ``current`` at ``generation`` (or remove it) with one rename(2)."""
    link = live / CURRENT
    if generation is None:
        link.unlink(missing_ok=True)
        return
    temporary = live / f".{CURRENT}.new-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(f"{GENERATIONS}/{generation}", temporary)
    os.replace(temporary, link)
    directory = os.open(live, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _next_name(live: Path, content: str) -> str:
    numbers = [int(path.name.split("-", 1)[0]) for path in (live / GENERATIONS).glob("[0-9]*-*")
               if path.name.split("-", 1)[0].isdigit()]
    return f"{max(numbers, default=0) + 1:06d}-{content[:12]}"


def _reload(options: Options) -> None:
    """Gate (nagios4 -v on each live main file), then the reload commands; HerdError on the first failure."""
    import shlex
    import subprocess

    steps = [([NAGIOS, "-v", cfg], f"live config {cfg} fails nagios4 -v") for cfg in options.nagios_cfg]
    steps += [(shlex.split(command), f"reload command {command!r} failed") for command in options.reload]
    for argv, what in steps:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=RELOAD_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HerdError(f"{what}: {error}") from None
        if done.returncode != 0:
            output = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            errors = [line for line in output if line.startswith("Error:")] or output
            raise HerdError(f"{what} (exit {done.returncode}): {errors[0] if errors else 'no output'}")


def _prune(live: Path, keep: int, protect: set[str]) -> None:
    import shutil

    generations = sorted(path for path in (live / GENERATIONS).iterdir() if not path.name.startswith("."))
    doomed = [path for path in generations[:-keep] if path.name not in protect] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)


def scoped(files: dict[str, bytes], scope: str) -> dict[str, bytes]:
    """The files a machine receives: with a scope (``guests/NAME``, ``hosts/NAME``) only that subtree.

    A guest gets its own Nagios tree and nothing else: not the other teams' objects, not the hosts' sudoers.
    """
    if not scope:
        return files
    prefix = scope.strip("/") + "/"
    return {path: data for path, data in files.items() if path.startswith(prefix)}


def nagios_gid() -> int | None:
    """The group a tree is published with (by default root:nagios 0640, directories 0750; the exceptions, the
    files the web server reads among them, are the build tree's access table); None where there is no nagios
    group (the files stay root's own)."""
    import grp

    try:
        return grp.getgrnam(NAGIOS_GROUP).gr_gid
    except KeyError:
        return None


def _candidate(live: Path, name: str, result: Build, files: dict[str, bytes], scope: str, gid: int | None) -> Path:
    """Write and validate the new generation outside the live tree, then move it into ``generations/``."""
    import shutil

    from nagios_herd.generate.validators import failures, validate

    candidate = live.parent / f".{live.name}.staging" / name  # same file system, outside the live tree
    try:
        write_tree(candidate, files, herd=result.herd.name, inputs_sha256=result.digests.all, group=gid)
        bad = failures(validate(candidate, only=scope))
        if bad:
            raise HerdError(f"validation failed, live tree unchanged: {bad[0].line()}"
                            + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""))
        _generations_dir(live)
        os.rename(candidate, live / GENERATIONS / name)
    finally:
        shutil.rmtree(candidate.parent, ignore_errors=True)
    return live / GENERATIONS / name


def _generations_dir(live: Path) -> None:
    """``LIVE/generations``, 0755 whatever the umask: the web server (www-data) passes through it to the files it
    reads in the live generation."""
    directory = live / GENERATIONS
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)


def _activate(options: Options, name: str, previous: str | None, reload_needed: bool) -> None:
    """Swap ``current`` to ``name`` and reload; on a failed gate or reload, put ``previous`` back."""
    import shutil

    _swap(options.live, name)
    if not reload_needed:
        return
    try:
        _reload(options)
    except HerdError as error:
        _swap(options.live, previous)
        shutil.rmtree(options.live / GENERATIONS / name, ignore_errors=True)
        raise HerdError(f"{error}; previous generation {previous or '(none)'} restored") from None


def publish(options: Options) -> str | None:
    """One cron run. Returns a line to log when something was published, None when nothing changed."""
    try:
        private_dir(options.live, 0o755, what="--live")  # Nagios reads the generations; only root writes here
        with locked(options.live, options.wait):
            return _publish_locked(options)
    except OSError as error:
        where = error.filename or options.live
        raise HerdError(f"{where}: {error.strerror or error}; live tree as before") from None


def _publish_locked(options: Options) -> str | None:
    live = options.live
    state = _read_json(live / STATE)
    previous = current_generation(live)
    if unchanged(options, state, previous):
        return None
    from nagios_herd.generate.render import build  # the slow path: Jinja2, the inventory loader, the validators

    result = build(options.inventory, options.scope)
    files = scoped(result.files, options.scope)
    if not files:
        raise HerdError(f"scope {options.scope!r} matches no generated file (no such guest or host?)")
    digests = file_digests(files)
    content = checksum(digests)
    live_manifest = read_manifest(live / CURRENT) if previous else None
    new_state = {"inventory": str(options.inventory.resolve()), "templates": str(_templates(options).resolve()),
                 "stamp": stamp(stamp_files(result.herd, result.templates))}
    gid = nagios_gid()
    if live_manifest is not None and live_manifest.get("checksum") == content and \
            (gid is None or as_published(live / CURRENT, files, gid)):
        new_state.update(generation=previous, checksum=content)
        if new_state != state:  # inputs changed without changing the output: remember, write nothing else
            _write_json(live / STATE, new_state)
        return None
    name = _next_name(live, content)
    _candidate(live, name, result, files, options.scope, gid)
    old = live_manifest.get("files", {}) if live_manifest else {}
    reload_needed = scoped_checksum(old, options.scope) != scoped_checksum(digests, options.scope)
    _activate(options, name, previous, reload_needed)
    _prune(live, options.keep, {name})
    new_state.update(generation=name, checksum=content)
    _write_json(live / STATE, new_state)
    reloaded = " and reloaded" if reload_needed and (options.reload or options.nagios_cfg) else ""
    return f"published generation {name}{reloaded}"
