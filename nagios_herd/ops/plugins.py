"""Install the plugin bundle (:mod:`nagios_herd.ops.bundle`) into a machine's plugin dir: changed-only, checked
before it is used, switched in one rename, rolled back when the switched plugins do not answer.

On the target (``DIR`` is the inventory's ``paths.plugin_dir``):

    DIR/.nagios-herd-plugins/NAME/           one unpacked bundle (NAME: the first 16 hex digits of its sha256)
    DIR/.nagios-herd-plugins/current -> NAME the bundle in use; the one before it is kept for a rollback
    DIR/check_* -> .nagios-herd-plugins/current/checks/check_*

Why this way: the Nagios and NRPE command lines keep naming ``DIR/check_*`` while the switch from one bundle to the
next is one ``rename(2)`` of ``current`` (a check starting at that moment runs the old or the new bundle, never a
mix). A bundle is unpacked beside the one in use, its files are checked against its ``SHA256SUMS``, byte-compiled
by the target's own python3 (start-up time counts), and each check must answer ``-V`` with its name and version
before ``current`` moves; after the switch each is asked again through its ``DIR/check_*`` link, and a failure
puts the previous bundle (and any file the links replaced) back. A plugin dir whose ``check_*`` belong to the
Debian package nagios-herd-plugins (``/usr/lib/nagios/plugins``) is refused: dpkg owns those files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.ops.bundle import Bundle
from nagios_herd.ops.remote import Link
from nagios_herd.privilege import PLUGIN_STATE_DIR, PLUGIN_STATE_INSTALL, PLUGIN_STATE_MODE, PLUGIN_STATE_USER

BASE = ".nagios-herd-plugins"
KEPT = ".nagios-herd-old"  # suffix of a file a check link replaced, until the switch is confirmed

DPKG_LIST = "/var/lib/dpkg/info/nagios-herd-plugins.list"

# Each script gets DIR NAME [VERSION] CHECK... as positional parameters (quoted by the remote layer).
PACKAGED = r'''dir=$1; list=$2; shift 2
[ -f "$list" ] || exit 0
for c in "$@"; do if grep -qxF "$dir/$c" "$list"; then echo "$dir/$c"; exit 1; fi; done'''
INSTALLED = r'''d="$1/.nagios-herd-plugins"
cur=$(readlink "$d/current") || exit 3
cd "$d/$cur" && sha256sum -c --quiet --strict SHA256SUMS >/dev/null 2>&1 || exit 4
echo "$cur"'''
LINKED = r'''dir=$1; shift
for c in "$@"; do [ "$(readlink "$dir/$c")" = ".nagios-herd-plugins/current/checks/$c" ] || exit 5; done'''
STAGE = r'''set -e; umask 022
d="$1/.nagios-herd-plugins"; name=$2; version=$3; shift 3
rm -rf "$d/$name.new"; mkdir -p "$d/$name.new"
tar -xf "$d/$name.tar" -C "$d/$name.new" --no-same-owner
rm -f "$d/$name.tar"
cd "$d/$name.new"
sha256sum -c --quiet --strict SHA256SUMS
python3 -m compileall -q nagios_herd >/dev/null
for c in "$@"; do
  v=$("$d/$name.new/checks/$c" -V 2>&1 </dev/null) || true
  [ "$v" = "$c $version" ] || { echo "$c -V answered: ${v:-nothing}" >&2; exit 1; }
done
cd "$d"; rm -rf "$name"; mv "$name.new" "$name"'''
SWITCH = r'''set -e
dir=$1; d="$1/.nagios-herd-plugins"; name=$2; shift 2
readlink "$d/current" || true
ln -sfn "$name" "$d/current.new"; mv -T "$d/current.new" "$d/current"
for c in "$@"; do
  t=".nagios-herd-plugins/current/checks/$c"
  [ "$(readlink "$dir/$c" 2>/dev/null)" = "$t" ] && continue
  if [ -e "$dir/$c" ] || [ -L "$dir/$c" ]; then mv -T "$dir/$c" "$dir/$c.nagios-herd-old"; fi
  ln -sfn "$t" "$dir/$c.new"; mv -T "$dir/$c.new" "$dir/$c"
done'''
ANSWER = r'''dir=$1; version=$2; shift 2
for c in "$@"; do
  v=$("$dir/$c" -V 2>&1 </dev/null) || true
  [ "$v" = "$c $version" ] || { echo "$c -V answered: ${v:-nothing}" >&2; exit 1; }
done'''
ROLLBACK = r'''dir=$1; d="$1/.nagios-herd-plugins"; prev=$2; failed=$3; shift 3
if [ -n "$prev" ]; then ln -sfn "$prev" "$d/current.new" && mv -T "$d/current.new" "$d/current"; else rm -f "$d/current"; fi
for c in "$@"; do
  if [ -e "$dir/$c.nagios-herd-old" ] || [ -L "$dir/$c.nagios-herd-old" ]; then mv -T "$dir/$c.nagios-herd-old" "$dir/$c"
  elif [ -z "$prev" ]; then rm -f "$dir/$c"; fi
done
[ "$failed" = "$prev" ] || rm -rf "$d/$failed"'''
PRUNE = r'''dir=$1; d="$1/.nagios-herd-plugins"; keep=$2; prev=$3; shift 3
for c in "$@"; do rm -f "$dir/$c.nagios-herd-old"; done
for p in "$d"/*; do n=${p##*/}; [ "$n" = current ] || [ "$n" = "$keep" ] || [ "$n" = "$prev" ] || rm -rf "$p"; done'''

# DIR USER MODE INSTALL-ARGV...: the plugins' state dir, owned by the user NRPE runs them as (where that user exists).
STATE_DIR = r'''dir=$1; user=$2; mode=$3; shift 3
id -u "$user" >/dev/null 2>&1 || exit 0
[ -d "$dir" ] && [ ! -L "$dir" ] && [ "$(stat -c %U:%G:%a "$dir")" = "$user:$user:$mode" ] && exit 0
"$@" && echo created'''


def _sh(link: Link, script: str, *args: str, timeout: float = 120):
    return link.run(["sh", "-c", script, "sh", *args], timeout=timeout)


def installed(link: Link, plugin_dir: str, checks: tuple[str, ...]) -> str | None:
    """The name of the bundle in use when its files match its checksums and every check link points at it."""
    result = _sh(link, INSTALLED, plugin_dir, timeout=60)
    if not result.ok or not _sh(link, LINKED, plugin_dir, *checks, timeout=30).ok:
        return None
    return result.stdout.strip() or None


def install(link: Link, plugin_dir: str, bundle: Bundle, out: TextIO) -> bool:
    """Put ``bundle`` in use on one machine; False when it already was. HerdError (with the previous plugins
    back in place) when it cannot be installed or its checks do not answer."""
    packaged = _sh(link, PACKAGED, plugin_dir, DPKG_LIST, *bundle.checks, timeout=30)
    if not packaged.ok:
        raise HerdError(f"{link.name}: {packaged.stdout.strip() or plugin_dir} belongs to the Debian package "
                        f"nagios-herd-plugins, which the bundle never replaces: give paths.plugin_dir a directory "
                        f"of its own")
    state_dir(link, out)
    if installed(link, plugin_dir, bundle.checks) == bundle.name:
        print(f"{link.name}: plugins up to date (bundle {bundle.name})", file=out)
        return False
    base = f"{plugin_dir}/{BASE}"
    mkdir = link.run(["mkdir", "-p", "--", base], timeout=30)
    if not mkdir.ok:
        raise HerdError(f"{link.name}: cannot create {base} ({mkdir.why()})")
    with tempfile.NamedTemporaryFile(prefix="nagios-herd-plugins-", suffix=".tar") as local:
        local.write(bundle.data)
        local.flush()
        link.put(Path(local.name), f"{base}/{bundle.name}.tar")
    staged = _sh(link, STAGE, plugin_dir, bundle.name, bundle.version, *bundle.checks, timeout=300)
    if not staged.ok:
        link.run(["rm", "-rf", "--", f"{base}/{bundle.name}.new", f"{base}/{bundle.name}.tar"], timeout=60)
        raise HerdError(f"{link.name}: plugin bundle {bundle.name} refused before the switch ({staged.why()}); "
                        f"the plugins in use are unchanged")
    switched = _sh(link, SWITCH, plugin_dir, bundle.name, *bundle.checks, timeout=60)
    previous = switched.stdout.strip().splitlines()[0] if switched.stdout.strip() else ""
    answer = _sh(link, ANSWER, plugin_dir, bundle.version, *bundle.checks, timeout=120) if switched.ok else switched
    if not answer.ok:
        _sh(link, ROLLBACK, plugin_dir, previous, bundle.name, *bundle.checks, timeout=60)
        raise HerdError(f"{link.name}: plugins of bundle {bundle.name} did not answer after the switch "
                        f"({answer.why()}); {'bundle ' + previous if previous else 'what was there'} is back")
    _sh(link, PRUNE, plugin_dir, bundle.name, previous, *bundle.checks, timeout=60)
    print(f"{link.name}: plugins installed (bundle {bundle.name}, {len(bundle.checks)} checks, each answered -V)",
          file=out)
    return True


def state_dir(link: Link, out: TextIO) -> None:
    """The directory check_drbd_sync keeps its stall state in, owned by the nagios user (without it a stalled
    resync is only a WARNING "stall detection impaired"); left alone where there is no nagios user."""
    made = _sh(link, STATE_DIR, PLUGIN_STATE_DIR, PLUGIN_STATE_USER, f"{PLUGIN_STATE_MODE:o}", *PLUGIN_STATE_INSTALL,
               timeout=30)
    if not made.ok:
        raise HerdError(f"{link.name}: cannot create the plugins' state dir {PLUGIN_STATE_DIR} ({made.why()})")
    if made.stdout.strip() == "created":
        print(f"{link.name}: created {PLUGIN_STATE_DIR} ({PLUGIN_STATE_USER}, {PLUGIN_STATE_MODE:04o})", file=out)
