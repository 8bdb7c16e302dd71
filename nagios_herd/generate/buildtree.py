"""Write a rendered build tree, whole or not at all, with its ``MANIFEST.json``.

The tree is written into a hidden temporary directory next to the destination and then renamed into place
(``renameat2(RENAME_EXCHANGE)`` swaps it atomically with an existing tree; without it, the old tree is renamed away
first). A reader therefore sees the old tree or the new one, never a half-written one, and a failure leaves the
destination as it was.

``MANIFEST.json``: ``{"checksum": ..., "files": {path: sha256}, "herd": ..., "inputs_sha256": ...}``. The content
checksum is sha256 over the sorted ``path NUL sha256`` lines of every file except the manifest itself, so it changes
exactly when some file's bytes or the file list change.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from nagios_herd.errors import HerdError
from nagios_herd.parallel import Child, cores

MANIFEST = "MANIFEST.json"
PRIVATE_MODE = 0o600  # files that may carry a secret (the DRBD configuration: shared-secret)
PUBLIC_MODE = 0o644
SUDOERS_MODE = 0o440  # a host's sudoers file, as Debian and sudo want every file in /etc/sudoers.d
SUDOERS_DIR = "/etc/sudoers.d/"
GROUP_MODE = 0o640  # a published tree: root writes, the nagios group reads, nobody else
WEB_USERS = "/etc/nagios4/htdigest.users"  # a guest's web users file: published root:www-data 0640
RESOURCE = "/etc/nagios4/resource.cfg"  # a guest's $USERn$ (the team's secrets): published root:nagios 0640
WEB_GROUP = "www-data"
PARALLEL_BYTES = 8 << 20  # from this much data on, a second process writes half of the files
_RENAME_EXCHANGE = 2


def file_digests(files: Mapping[str, bytes]) -> dict[str, str]:
    return {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}


def checksum(digests: Mapping[str, str]) -> str:
    """The content checksum over ``{path: sha256}`` (the manifest's ``checksum``)."""
    lines = "".join(f"{path}\0{sha}\n" for path, sha in sorted(digests.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def manifest(files: Mapping[str, bytes], *, herd: str, inputs_sha256: str) -> bytes:
    digests = file_digests(files)
    document = {"checksum": checksum(digests), "files": digests, "herd": herd, "inputs_sha256": inputs_sha256}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def read_manifest(tree: Path) -> dict | None:
    """The tree's manifest, or None when there is none or it is unreadable (treated as "no tree")."""
    try:
        document = json.loads((tree / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and isinstance(document.get("files"), dict) else None


def file_mode(relative: str) -> int:
    """0600 for a host's DRBD configuration (it may hold the peers' shared secret), a guest's web users file
    (password hashes), a guest's resource.cfg (the team's ``$USERn$`` secrets) and the manifest (a sha256 of each
    of those is a guessing aid for a short secret), 0440 for a host's sudoers file (the mode ``fab deploy``
    installs it with), else 0644 (less the umask)."""
    parts = relative.split("/")
    if parts[:1] == ["hosts"] and parts[2:4] == ["etc", "drbd.d"]:
        return PRIVATE_MODE
    if parts[:1] == ["hosts"] and parts[2:4] == ["etc", "sudoers.d"]:
        return SUDOERS_MODE
    private = parts[:1] == ["guests"] and (relative.endswith(WEB_USERS) or relative.endswith(RESOURCE))
    return PRIVATE_MODE if private or relative == MANIFEST else PUBLIC_MODE


def _group_readable(relative: str, mode: int) -> bool:
    """In a published tree: what the nagios group reads (Nagios re-reads resource.cfg as nagios on a reload, and
    may read all of it, so the manifest's digests tell it nothing new)."""
    return mode == PUBLIC_MODE or relative.endswith(RESOURCE) or relative == MANIFEST


def write_files(root: Path, files: Mapping[str, bytes], group: int | None = None) -> None:
    """Write every file under ``root`` (new and empty), :func:`file_mode` less the umask; a large tree in two
    processes. With ``group``: owner root and that group, files 0640 (a private one 0600), directories 0750."""
    if cores() > 1 and sum(len(data) for data in files.values()) >= PARALLEL_BYTES:
        items = sorted(files.items())
        child = Child(lambda: _write_files(root, dict(items[1::2]), group) or True)  # failed: written here instead
        try:
            _write_files(root, dict(items[0::2]), group)
        except BaseException:
            child.discard()  # the caller removes the directory: the child must be done writing into it
            raise
        child.result()
    else:
        _write_files(root, files, group)


def _write_files(root: Path, files: Mapping[str, bytes], group: int | None) -> None:
    made: set[Path] = set()
    for relative, data in files.items():
        target = root / relative
        if target.parent not in made:
            _make_dirs(root, target.parent, group)
            made.add(target.parent)
        mode = file_mode(relative)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     mode if group is None else 0o600)
        with open(fd, "wb") as handle:
            if group is not None and relative.endswith(WEB_USERS) and _web_group() is not None:
                os.fchown(fd, 0, _web_group())  # lighttpd (www-data) reads it per request; Nagios never
                os.fchmod(fd, GROUP_MODE)
            elif group is not None:
                os.fchown(fd, 0, group)
                os.fchmod(fd, GROUP_MODE if _group_readable(relative, mode) else mode)
            handle.write(data)


def _web_group() -> int | None:
    import grp

    try:
        return grp.getgrnam(WEB_GROUP).gr_gid
    except KeyError:
        return None


def _make_dirs(root: Path, directory: Path, group: int | None) -> None:
    """``directory`` and its missing parents below ``root``; with ``group``, each 0750 root:group."""
    missing = []
    while directory != root and not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        if group is not None:
            os.chown(path, 0, group)
            path.chmod(0o750)


def replaceable(destination: Path, what: str) -> None:
    """Refuse (one line starting with ``what``, the option that named it) a destination that exists and is not an
    earlier build tree: a file, or a directory that is neither empty nor holds a MANIFEST.json (an operator's
    ``--output ~`` is never swapped away and deleted)."""
    try:
        if not destination.exists():
            return
        if not destination.is_dir():
            raise HerdError(f"{what} {destination}: not a directory; refusing to replace it")
        if (destination / MANIFEST).is_file() or not any(destination.iterdir()):
            return
    except OSError as error:
        raise HerdError(f"{what} {destination}: {error.strerror or error}") from None
    raise HerdError(f"{what} {destination}: not a build tree (no {MANIFEST}); refusing to replace it")


def write_tree(destination: Path, files: Mapping[str, bytes], *, herd: str, inputs_sha256: str,
               group: int | None = None) -> str:
    """Replace ``destination`` by exactly ``files`` + manifest, atomically; returns the content checksum.

    With ``group`` the tree is root's and that group's only (files 0640, directories 0750).
    """
    import shutil

    destination = destination.absolute()
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.parent / f".{destination.name}.new-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(mode=0o755 if group is None else 0o700)
        if group is not None:
            os.chown(staging, 0, group)
            staging.chmod(0o750)
        document = manifest(files, herd=herd, inputs_sha256=inputs_sha256)
        write_files(staging, {**files, MANIFEST: document}, group)
        _swap_into_place(staging, destination)
    except OSError as error:
        raise HerdError(f"{destination}: cannot write the build tree: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return json.loads(document)["checksum"]


def _swap_into_place(staging: Path, destination: Path) -> None:
    """Move ``staging`` to ``destination``; an existing tree ends up at ``staging`` (removed by the caller)."""
    if not destination.exists():
        os.rename(staging, destination)
        return
    if _exchange(staging, destination):
        return
    old = destination.parent / f".{destination.name}.old-{os.getpid()}"
    os.rename(destination, old)
    os.rename(staging, destination)
    os.rename(old, staging)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False when the system cannot."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
