"""Who owns what: the plugins' state directory (nagios) apart from root's, and safe writes into root's.

Why: root's state (the herd lock, the journal, ``state.json``, publish's ``.lock``) must never be shared with
the nagios user, or nagios could plant a symlink that root then writes through, or hold root's lock. So the
check plugins keep their state in their own nagios-owned directory (:data:`PLUGIN_STATE_DIR`, created by what
installs the plugins with :data:`PLUGIN_STATE_INSTALL`), and every directory root writes its state into is
refused unless it is owned by root (or the running user) and writable by nobody else (:func:`private_dir`).
Files there are opened with ``O_NOFOLLOW`` and mode 0600 (:func:`open_private`) and replaced by a temporary
file renamed into place (:func:`replace_private`), so a half-written file is never seen.
"""

from __future__ import annotations

import os
import stat

from nagios_herd.errors import HerdError

PLUGIN_STATE_ENV = "NAGIOS_HERD_PLUGIN_STATE_DIR"
PLUGIN_STATE_DIR = "/var/lib/nagios-herd-plugins"
PLUGIN_STATE_USER = "nagios"
PLUGIN_STATE_MODE = 0o750
# The command an installer runs (as root) so the plugins can keep state under NRPE.
PLUGIN_STATE_INSTALL = ("install", "-d", "-o", PLUGIN_STATE_USER, "-g", PLUGIN_STATE_USER,
                        "-m", f"{PLUGIN_STATE_MODE:04o}", PLUGIN_STATE_DIR)

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str], mode: int = PRIVATE_DIR_MODE, what: str = "state dir") -> None:
    """Create ``path`` with ``mode`` (0700; a tree others must read passes 0755) when missing; refuse it (one
    line starting with ``what``, e.g. the option that named it) when it is a symlink, not a directory, not owned by
    root or the running user, or writable by group or others."""
    name = os.fspath(path)
    try:
        os.makedirs(name, mode=mode, exist_ok=True)
    except FileExistsError:
        pass  # something that is not a directory: refused below
    except OSError as error:
        raise HerdError(f"{what} {name}: {error.strerror or error}") from None
    try:
        info = os.lstat(name)
    except OSError as error:
        raise HerdError(f"{what} {name}: {error.strerror or error}") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise HerdError(f"{what} {name}: not a directory (a symlink or a file); refusing to use it")
    if info.st_uid not in (0, os.geteuid()):
        raise HerdError(f"{what} {name}: owned by uid {info.st_uid}, not by root; refusing to use it "
                        f"(chown root:root {name})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise HerdError(f"{what} {name}: writable by group or others (mode {stat.S_IMODE(info.st_mode):04o}); "
                        f"refusing to use it (chmod 0700 {name})")


def open_private(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open`` that never follows a symlink, creates mode 0600, and tightens an older file to 0600."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        if flags & (os.O_WRONLY | os.O_RDWR) and stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def read_private(path: str | os.PathLike[str]) -> str | None:
    """The file's text, None when it does not exist; a symlink or anything but a regular file in its place is an
    error (one line)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise HerdError(f"{os.fspath(path)}: {error.strerror or error} (a symlink is never followed)") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise HerdError(f"{os.fspath(path)}: not a regular file")
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def replace_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a new 0600 file beside ``path`` (``mkstemp``: ``O_EXCL``) and rename it over ``path``."""
    import tempfile

    name = os.fspath(path)
    if os.path.isdir(name) and not os.path.islink(name):
        raise HerdError(f"{name}: is a directory; refusing to replace it")
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(name) or ".", prefix=f".{os.path.basename(name)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, name)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def read_root_only(path: str, what: str) -> bytes:
    """A secrets file's bytes, refused (one line naming ``what``) unless it is a regular file owned by root (or the
    running user) that neither group nor others may access; a symlink is never followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as error:
        raise HerdError(f"{path}: cannot read the {what}: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HerdError(f"{path}: the {what} is not a regular file")
        if info.st_uid not in (0, os.geteuid()):
            raise HerdError(f"{path}: the {what} is owned by uid {info.st_uid}, not root")
        if info.st_mode & 0o077:
            raise HerdError(f"{path}: the {what} is accessible by group or others "
                            f"(mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it")
        return os.read(fd, 1 << 20)
    finally:
        os.close(fd)


def read_secrets_toml(path: str, what: str, keys: frozenset[str] | set[str]) -> dict:
    """A root-only TOML secrets file (see :func:`read_root_only`) whose top-level keys are all in ``keys``; one line
    naming the file (and the key) on any problem, never a value."""
    import tomllib

    try:
        document = tomllib.loads(read_root_only(path, what).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        reason = "not UTF-8" if isinstance(error, UnicodeDecodeError) else str(error).split("(")[0].strip()
        raise HerdError(f"{path}: not a valid TOML secrets file ({reason})") from None
    unknown = sorted(set(document) - set(keys))
    if unknown:
        raise HerdError(f"{path}: {unknown[0]}: unknown key (known: {', '.join(sorted(keys))})")
    return document
