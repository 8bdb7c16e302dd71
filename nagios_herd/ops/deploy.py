"""``fab deploy``: push the build tree of ``nagios-herd generate`` to the hosts and guests, safely.

Why this order: the tree is validated here first (the same validators as ``nagios-herd validate``), then per
machine only files whose sha256 differs from ``MANIFEST.json`` are sent (to ``PATH.nagios-herd-new``), each file
of the build tree's access table given its owner and mode there (the same table ``publish`` writes from: who reads
the file, Nagios or the web server), each one checked on the target where a checker exists (``visudo -cf``, on the
sudoers file already root:root 0440), moved into place keeping the old copy, and the machine-level check run (``drbdadm dump RES`` on hosts, ``nagios4 -v`` on
guests). A failed check puts every old file back. Only what changed is reloaded: ``drbdadm adjust`` for a changed
resource file, and for a changed Nagios tree ``systemctl reload nagios4`` or else a HUP to the guest's Nagios (its
``lock_file`` pid, as the init script does, but only when that pid is a process of the Nagios binary). Every host
and guest then gets the check plugins as one checksummed bundle in the inventory's ``paths.plugin_dir``
(:mod:`nagios_herd.ops.plugins`: changed-only, each check answering ``-V`` before the switch, rolled back on
failure).

Root writes only into directories nobody else may write (a directory owned by another user or writable by
group/others is refused before anything is sent), and the old copy is made with ``cp --remove-destination``,
so a symlink planted at ``PATH.nagios-herd-old`` is replaced, never written through.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from nagios_herd.errors import HerdError
from nagios_herd.generate.buildtree import DEFAULT_ACCESS, SUDOERS_DIR, access, read_manifest
from nagios_herd.ops import plugins
from nagios_herd.ops.bundle import build as build_bundle
from nagios_herd.ops.remote import HostDown, Link
from nagios_herd.ops.runner import Options, Run, command_line

NEW, OLD = ".nagios-herd-new", ".nagios-herd-old"
NAGIOS_CFG = "/etc/nagios4/nagios.cfg"
KEEP_OLD = 'if [ -e "$1" ]; then cp -p --remove-destination -- "$1" "$1$2"; fi'
RESTORE_OLD = 'if [ -e "$1$2" ]; then mv -f -- "$1$2" "$1"; else rm -f -- "$1"; fi'
NAGIOS_EXE = "/usr/sbin/nagios4"
# Through the service manager when it runs Nagios; otherwise a HUP to the lock_file's pid, which the nagios user
# can write: only a plain positive number whose process is the Nagios binary is signalled (never -1, 0, a group).
RELOAD_NAGIOS = (
    'if command -v systemctl >/dev/null && systemctl is-active --quiet nagios4 2>/dev/null; then '
    'exec systemctl reload nagios4; fi; '
    'f=$(sed -n "s/^lock_file=//p" "$1"); '
    '[ -n "$f" ] && [ -s "$f" ] || { echo "no pid in the lock_file ${f:-(none)} of $1" >&2; exit 1; }; '
    'read -r pid rest < "$f"; '
    'case "$pid:$rest" in :*|0*|*[!0-9]*:*|*:?*) echo "lock_file $f holds no pid: $pid $rest" >&2; exit 1;; esac; '
    'exe=$(readlink "/proc/$pid/exe"); '
    '[ "$exe" = "$2" ] || { echo "pid $pid from $f is ${exe:-not running}, not $2" >&2; exit 1; }; '
    'kill -HUP "$pid"')


def machine_files(manifest: dict, kind: str, name: str) -> dict[str, str]:
    """Remote path -> sha256 for the files of ``kind/name/`` in the manifest."""
    prefix = f"{kind}/{name}/"
    return {"/" + path[len(prefix):]: digest for path, digest in manifest["files"].items() if path.startswith(prefix)}


def remote_digests(link: Link, paths: list[str]) -> dict[str, str]:
    result = link.run(["sha256sum", "--", *paths], timeout=60)
    digests = {}
    for line in result.stdout.splitlines():
        digest, _, path = line.partition("  ")
        if len(digest) == 64:
            digests[path] = digest
    return digests


def unsafe_dirs_command(directories: list[str]) -> list[str]:
    """``find`` printing each directory (symlinks resolved) that is not root's or is writable by group/others:
    root must not write where another user can plant a symlink."""
    return ["find", "-H", *directories, "-maxdepth", "0", "(", "!", "-uid", "0", "-o", "-perm", "/022", ")",
            "-printf", "%p (owner uid %U, mode %m)\n"]


def _safe_dirs(link: Link, paths: list[str]) -> None:
    directories = sorted({str(Path(path).parent) for path in paths})
    _must(link, ["mkdir", "-p", "--", *directories], "mkdir")
    found = link.run(unsafe_dirs_command(directories), timeout=60)
    if not found.ok or found.stdout.strip():
        first = found.stdout.strip().splitlines()[0] if found.stdout.strip() else found.why()
        raise HerdError(f"{link.name}: refusing to install into a directory others may write: {first}")


def _must(link: Link, argv: list[str], what: str) -> None:
    result = link.run(argv, timeout=120)
    if not result.ok:
        raise HerdError(f"{link.name}: {what} failed ({result.why()})")


def _checks(kind: str, changed: list[str], resources: list[str]) -> list[list[str]]:
    """What reads the new files on the target: ``drbdadm dump RES`` per changed resource (all of them when
    ``global_common.conf`` changed), ``nagios4 -v`` for a guest's tree."""
    if kind == "guests":
        return [["nagios4", "-v", NAGIOS_CFG]]
    touched = {Path(p).stem for p in changed if p.startswith("/etc/drbd.d/") and p.endswith(".res")}
    if any(p.endswith("/global_common.conf") for p in changed):
        touched = set(resources)
    return [["drbdadm", "dump", resource] for resource in sorted(touched)]


def push(link: Link, build: Path, kind: str, files: dict[str, str], out: TextIO,
         resources: list[str]) -> list[str]:
    """Install the changed files on one machine; returns the remote paths that changed."""
    have = remote_digests(link, sorted(files))
    changed = sorted(path for path, digest in files.items() if have.get(path) != digest)
    if not changed:
        print(f"{link.name}: up to date ({len(files)} files)", file=out)
        return []
    _safe_dirs(link, changed)
    for path in changed:
        link.put(build / kind / link.name / path.lstrip("/"), path + NEW)
        wanted = access(f"{kind}/{link.name}{path}")
        if wanted is not DEFAULT_ACCESS:  # its final owner and mode before any check, then moved in place
            _must(link, ["chown", f"root:{wanted.group}", "--", path + NEW], f"chown {path}")
            _must(link, ["chmod", f"{wanted.mode:04o}", "--", path + NEW], f"chmod {path}")
        if path.startswith(SUDOERS_DIR):
            _must(link, ["visudo", "-c", "-f", path + NEW], f"visudo -cf {path}")
    for path in changed:
        _must(link, ["sh", "-c", KEEP_OLD, "sh", path, OLD], f"keep {path}")
        _must(link, ["mv", "-f", "--", path + NEW, path], f"install {path}")
    for check in _checks(kind, changed, resources):
        result = link.run(check, timeout=120)
        if not result.ok:
            _rollback(link, changed)
            raise HerdError(f"{link.name}: {' '.join(check)} failed after the update ({result.why()}); "
                            f"the previous files are back")
    for path in changed:
        link.run(["rm", "-f", "--", path + OLD], timeout=30)
    print(f"{link.name}: installed {len(changed)} changed file(s): {' '.join(changed)}", file=out)
    return changed


def _rollback(link: Link, changed: list[str]) -> None:
    for path in changed:
        link.run(["sh", "-c", RESTORE_OLD, "sh", path, OLD], timeout=30)


def reload(link: Link, kind: str, changed: list[str], out: TextIO) -> None:
    if kind == "guests":
        result = link.run(["sh", "-c", RELOAD_NAGIOS, "sh", NAGIOS_CFG, NAGIOS_EXE], timeout=30)
        print(f"{link.name}: Nagios reload {'sent' if result.ok else 'FAILED: ' + result.why()}", file=out)
        return
    resources = sorted(Path(p).stem for p in changed if p.startswith("/etc/drbd.d/") and p.endswith(".res"))
    if any(p.endswith("global_common.conf") for p in changed):
        resources = ["all"]
    for resource in resources:
        result = link.run(["drbdadm", "adjust", resource], timeout=60)
        print(f"{link.name}: drbdadm adjust {resource}: {'ok' if result.ok else result.why()}", file=out)


def run(options: Options, *, build: str, plan_only: bool, out: TextIO = sys.stdout) -> int:
    from nagios_herd.generate.validators import failures, validate

    tree = Path(build)
    manifest = read_manifest(tree)
    if manifest is None:
        raise HerdError(f"{tree}: no MANIFEST.json: run nagios-herd generate --output {tree} first")
    bad = failures(validate(tree))
    if bad:
        raise HerdError(f"{tree}: {len(bad)} file(s) fail validation, nothing deployed; first: {bad[0].line()}")
    bundle = build_bundle()
    command = command_line("deploy", build=build, plan=plan_only)
    failed = 0
    with Run(options, command, mutating=not plan_only, with_guests=True) as run_:
        targets = [("hosts", link) for link in run_.links.values()] + [("guests", link)
                                                                       for link in run_.guest_links.values()]
        plugin_dir = run_.herd.paths.plugin_dir
        for kind, link in targets:
            files = machine_files(manifest, kind, link.name)
            try:
                if link.down:
                    raise HostDown(f"unreachable ({link.down}); nothing deployed there, re-run when it is back")
                if plan_only:
                    have = remote_digests(link, sorted(files)) if files else {}
                    stale = sorted(p for p, d in files.items() if have.get(p) != d)
                    print(f"{link.name}: would install {len(stale)} file(s): {' '.join(stale) or '-'}", file=out)
                    in_use = plugins.installed(link, plugin_dir, bundle.checks)
                    print(f"{link.name}: plugins " + ("up to date" if in_use == bundle.name else
                                                      f"would go from {in_use or 'none'} to bundle {bundle.name}"),
                          file=out)
                    continue
                changed = push(link, tree, kind, files, out, [g.name for g in run_.herd.guests]) if files else []
                if changed:
                    reload(link, kind, changed, out)
                if plugins.install(link, plugin_dir, bundle, out):
                    changed.append(f"{plugin_dir}/ (bundle {bundle.name})")
                run_.journal.write(link.name, "end", "done", command=command, detail=" ".join(changed) or "no change")
            except HerdError as error:
                failed += 1
                print(f"{link.name}: FAILED: {error}", file=out)
                if not plan_only:
                    run_.journal.write(link.name, "end", "stopped", command=command, detail=str(error))
    return 1 if failed else 0
