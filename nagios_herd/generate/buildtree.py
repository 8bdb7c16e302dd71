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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from nagios_herd.errors import HerdError
from nagios_herd.parallel import Child, cores

MANIFEST = "MANIFEST.json"
PRIVATE_MODE = 0o600  # files that may carry a secret (the DRBD configuration: shared-secret)
PUBLIC_MODE = 0o644
SUDOERS_MODE = 0o440  # a host's sudoers file, as Debian and sudo want every file in /etc/sudoers.d
SUDOERS_DIR = "/etc/sudoers.d/"
DRBD_DIR = "/etc/drbd.d/"
WEB_USERS = "/etc/nagios4/htdigest.users"  # a guest's web users file (password hashes)
RESOURCE = "/etc/nagios4/resource.cfg"  # a guest's $USERn$ (the team's secrets)
CGI_CFG = "/etc/nagios4/cgi.cfg"
NAGIOS_CFG = "/etc/nagios4/nagios.cfg"
LIGHTTPD_CONF = "/etc/lighttpd/conf-available/50-nagios-herd.conf"  # a guest's web front (lighty-enable-mod)
WEB_GROUP = "www-data"  # the web server (lighttpd), the CGIs and the PHP pages run as this user and group
TREE_GROUP = "nagios"  # stands for the group a tree is published with: Nagios reads it
ROOT_GROUP = "root"
DIR_MODE = 0o750  # a published directory: the tree's group lists and enters it, nobody else
TRAVERSE_MODE = 0o751  # a published directory on the way to a file others read: they pass through, never list
PARALLEL_BYTES = 8 << 20  # from this much data on, a second process writes half of the files
_RENAME_EXCHANGE = 2


class Access(NamedTuple):
    """Who reads one file: owner root, ``group`` and ``mode`` in a published generation and on the machine
    (``fab deploy`` installs it so), ``built`` its mode in a build tree (``generate``: root's own, no group)."""

    group: str  # TREE_GROUP, ROOT_GROUP or WEB_GROUP
    mode: int
    built: int


DEFAULT_ACCESS = Access(TREE_GROUP, 0o640, PUBLIC_MODE)  # Nagios reads it, no other local user does
# The one table of the files that differ from DEFAULT_ACCESS: (machine kind, path on the machine; ending in "/":
# every file in that directory) -> access. ``publish`` writes and ``fab deploy`` installs from it.
ACCESS: dict[tuple[str, str], Access] = {
    # the herd's and the team's $USERn$ secrets: Nagios re-reads it as the nagios user on a reload
    ("guests", RESOURCE): Access(TREE_GROUP, 0o640, PRIVATE_MODE),
    # password hashes: lighttpd reads it as www-data on every request; Nagios never
    ("guests", WEB_USERS): Access(WEB_GROUP, 0o640, PRIVATE_MODE),
    # the CGIs' and the PHP pages' own configuration (NAGIOS_CGI_CONFIG), read as www-data; Nagios never
    ("guests", CGI_CFG): Access(WEB_GROUP, 0o640, PUBLIC_MODE),
    # Nagios reads it (as nagios on a reload) and so do the CGIs (cgi.cfg's main_config_file, as www-data): the
    # only way for both without www-data in the nagios group is other-readable, as Debian installs it
    ("guests", NAGIOS_CFG): Access(TREE_GROUP, 0o644, PUBLIC_MODE),
    # lighttpd reads it as root at start, but as www-data on a graceful restart (SIGUSR1, Debian's reload): a file
    # it cannot read then stops the server. No secret in it (it names the users file), 0644 as Debian's confs
    ("guests", LIGHTTPD_CONF): Access(ROOT_GROUP, PUBLIC_MODE, PUBLIC_MODE),
    # whoever writes it can give any user root: Debian's and sudo's convention for /etc/sudoers.d
    ("hosts", SUDOERS_DIR): Access(ROOT_GROUP, SUDOERS_MODE, SUDOERS_MODE),
    # may carry the peers' shared secret; only DRBD (root) reads it
    ("hosts", DRBD_DIR): Access(ROOT_GROUP, PRIVATE_MODE, PRIVATE_MODE),
    # a sha256 of each file, the secret ones too, is a guessing aid for a short secret: root's own when built;
    # published, the nagios group reads a guest's resource.cfg itself, and the users file holds hashes only
    ("", MANIFEST): Access(TREE_GROUP, 0o640, PRIVATE_MODE),
}


def access(relative: str) -> Access:
    """The access of the file at ``relative`` in a tree (``guests/G/etc/nagios4/cgi.cfg``, ``MANIFEST.json``)."""
    kind, _, rest = relative.partition("/")
    if not rest:
        return ACCESS.get(("", relative), DEFAULT_ACCESS)
    path = "/" + rest.partition("/")[2]
    found = ACCESS.get((kind, path))
    if found is None:
        found = ACCESS.get((kind, path[:path.rindex("/") + 1]), DEFAULT_ACCESS)
    return found


def read_by_others(wanted: Access) -> bool:
    """Someone outside root and the tree's group reads the file: the directories on its path let them through."""
    return wanted.group == WEB_GROUP or bool(wanted.mode & 0o004)


def traversed(files: Iterable[str]) -> set[str]:
    """The directories (relative, ``""`` the tree's root) that are TRAVERSE_MODE when published: every one on the
    path to a file :func:`read_by_others`; the rest are DIR_MODE."""
    through: set[str] = set()
    for relative in files:
        if read_by_others(access(relative)):
            parts = relative.split("/")[:-1]
            through.update("/".join(parts[:depth]) for depth in range(len(parts) + 1))
    return through


def as_published(tree: Path, files: Iterable[str], group: int) -> bool:
    """Whether ``tree``, published earlier with ``group``, has the owners and modes :data:`ACCESS` gives ``files``
    now: a generation written by an older version is written again even when its content is the same."""
    tree = Path(os.path.realpath(tree))  # the live ``current`` link: its generation's own modes count
    files = [*files, MANIFEST]
    try:
        for relative in files:
            wanted = access(relative)
            if wanted is not DEFAULT_ACCESS:
                info = os.lstat(tree / relative)
                if (info.st_uid, info.st_gid, info.st_mode & 0o7777) != (0, *_published(wanted, group)):
                    return False
        return all(os.lstat(tree / directory).st_mode & 0o7777 == TRAVERSE_MODE for directory in traversed(files))
    except OSError:
        return False


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


def write_files(root: Path, files: Mapping[str, bytes], group: int | None = None) -> None:
    """Write every file under ``root`` (new and empty), its built mode (:data:`ACCESS`) less the umask; a large
    tree in two processes. With ``group`` (the gid of TREE_GROUP) each file gets its published owner, group and
    mode, the directories root:group DIR_MODE or TRAVERSE_MODE (:func:`traversed`), ``root`` included."""
    through = traversed(files) if group is not None else set()
    if group is not None:
        os.chown(root, 0, group)
        root.chmod(TRAVERSE_MODE if "" in through else DIR_MODE)
    if cores() > 1 and sum(len(data) for data in files.values()) >= PARALLEL_BYTES:
        items = sorted(files.items())
        child = Child(lambda: _write_files(root, dict(items[1::2]), group, through) or True)  # failed: done here
        try:
            _write_files(root, dict(items[0::2]), group, through)
        except BaseException:
            child.discard()  # the caller removes the directory: the child must be done writing into it
            raise
        child.result()
    else:
        _write_files(root, files, group, through)


def _write_files(root: Path, files: Mapping[str, bytes], group: int | None, through: set[str]) -> None:
    made: set[Path] = set()
    for relative, data in files.items():
        target = root / relative
        if target.parent not in made:
            _make_dirs(root, target.parent, group, through)
            made.add(target.parent)
        wanted = access(relative)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     wanted.built if group is None else 0o600)
        with open(fd, "wb") as handle:
            if group is not None:
                gid, mode = _published(wanted, group)
                os.fchown(fd, 0, gid)
                os.fchmod(fd, mode)
            handle.write(data)


def _published(wanted: Access, tree: int) -> tuple[int, int]:
    """(gid, mode) of a published file of ``wanted`` access in a tree of group ``tree``: where the web server's group
    does not exist (a build on an operator's machine) the file is root's own, as a tree without a nagios group is."""
    import grp

    if wanted.group == TREE_GROUP:
        return tree, wanted.mode
    if wanted.group == ROOT_GROUP:
        return 0, wanted.mode
    try:
        return grp.getgrnam(wanted.group).gr_gid, wanted.mode
    except KeyError:
        return 0, wanted.mode & 0o700


def _make_dirs(root: Path, directory: Path, group: int | None, through: set[str]) -> None:
    """``directory`` and its missing parents below ``root``; with ``group``, each root:group DIR_MODE, or
    TRAVERSE_MODE when it is in ``through``."""
    missing = []
    while directory != root and not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        if group is not None:
            os.chown(path, 0, group)
            path.chmod(TRAVERSE_MODE if path.relative_to(root).as_posix() in through else DIR_MODE)


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

    With ``group`` the tree is published: owners, groups and modes from :data:`ACCESS`.
    """
    import shutil

    destination = destination.absolute()
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.parent / f".{destination.name}.new-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(mode=0o755 if group is None else 0o700)
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
