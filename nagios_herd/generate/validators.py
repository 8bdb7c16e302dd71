"""Check every file of a build tree with the real program that will read it; one result per file.

- Guest Nagios trees: ``nagios4 -v`` on a staged main file (see :mod:`nagios_herd.nagios.stage`: only the main
  file's path values are rebased, the object files are read through a symlink as generated), one run per guest, in
  parallel. Errors are attributed to the file nagios names; a failed tree fails every file in it.
- DRBD: per host, ``drbdadm -c WRAPPER dump all`` where WRAPPER includes ``global_common.conf`` and ``*.res`` like
  the host's ``/etc/drbd.conf``, run *as that host*: ``__DRBD_NODE__=<host>`` inside a private network namespace
  whose loopback carries the host's replication address, so drbdadm's "IP not found on this host" check passes for
  the right reason. Any stderr beyond drbdadm's known chatter fails the file it names ("Value is not valid"...).
- ``visudo -c -f`` on the sudoers file; :mod:`nagios_herd.parsers.xlcfg` on xl.cfg files (no ``xl`` without Xen);
  structural checks of NRPE, cgi.cfg and the volume plan; ``MANIFEST.json`` against the files' bytes.
- The cluster's ``cib.xml``: ``crm_verify`` and every resource's parameters against its agent's metadata (see
  :mod:`nagios_herd.generate.cib_check`).
- A guest's lighttpd web front: ``lighttpd -tt`` on a wrapper that includes it the way Debian's lighttpd.conf
  does; its htdigest users file: one ``user:realm:md5`` line per user, no user twice.
- Any other file fails: a tree must hold nothing no validator has seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nagios_herd.generate.buildtree import LIGHTTPD_CONF, MANIFEST, WEB_USERS, read_manifest
from nagios_herd.generate.tool import run_tool
from nagios_herd.nagios import stage as nagios_stage
from nagios_herd.parsers import xlcfg

NAGIOS = "/usr/sbin/nagios4"
DRBDADM = "/usr/sbin/drbdadm"
VISUDO = "/usr/sbin/visudo"
LIGHTTPD = "/usr/sbin/lighttpd"
_HTDIGEST = re.compile(r"^[A-Za-z0-9_.@+-]+:[^:\n]+:[0-9a-f]{32}$")
TIMEOUT = 120
_DRBD_CHATTER = re.compile(r"^\s*$|modinfo: not found|found __DRBD_NODE__ in environment|PRETENDING that I am")
_DRBD_WHERE = re.compile(r"^(/[^:\s]+)(?::\d+)?:")


@dataclass(frozen=True)
class Result:
    path: str  # relative to the tree
    ok: bool
    reason: str = ""
    collateral: bool = False  # failed only because another file of the same validator run failed

    def line(self) -> str:
        return f"OK {self.path}" if self.ok else f"FAIL {self.path}: {self.reason}"


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_tool(argv, TIMEOUT, env)


def _first(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no output"


_ADDRESS_LINE = re.compile(r"^\s*address\s+(.*?)\s*$")
_ADDRESS_OK = re.compile(r"^[A-Za-z0-9.:%_-]+$")


def _shell_in_addresses(path: Path) -> str:
    """The first ``address`` directive of an object file holding a character a shell acts on (Nagios runs
    host checks through /bin/sh with $HOSTADDRESS$ in them), else ''."""
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        found = _ADDRESS_LINE.match(line)
        if found and not _ADDRESS_OK.match(found.group(1)):
            return f"line {number}: address {found.group(1)!r} holds characters a shell acts on"
    return ""


def check_nagios_tree(root: Path, guest: str) -> list[Result]:
    """``nagios4 -v`` on one guest tree, and no host address a shell could act on; every file gets a result."""
    tree = root / "guests" / guest
    base = tree / "etc" / "nagios4"
    files = sorted(path for path in base.rglob("*") if path.is_file())
    relative = {path: path.relative_to(root).as_posix() for path in files}
    with tempfile.TemporaryDirectory(prefix=f"nagios-herd-validate-{guest}-") as stage_dir:
        staged = nagios_stage.stage(tree, Path(stage_dir))
        done = _run([NAGIOS, "-v", str(staged)])
        prefixes = {f"{stage_dir}/etc/nagios4/": base, f"{base.absolute()}/": base, f"{base.resolve()}/": base}
    errors: dict[str, list[str]] = {}
    pending: list[str] = []  # nagios names the file on the line after the message
    for line in done.stdout.splitlines() + done.stderr.splitlines():
        if not line.strip().startswith("Error:"):
            continue
        message = line.strip()[len("Error:"):].strip()
        target = ""
        for prefix, real in prefixes.items():
            if prefix in message:
                target = relative.get(real / message.split(prefix, 1)[1].split("'")[0], "")
                message = message.replace(prefix, "")
        pending.append(message)
        if target:
            errors.setdefault(target, []).extend(pending)
            pending = []
    if pending:
        errors.setdefault(relative[base / "nagios.cfg"], []).extend(pending)
    results = []
    cgi = relative[base / "cgi.cfg"] if base / "cgi.cfg" in relative else None
    for path in files:
        name = relative[path]
        if name in errors:  # nagios reports the cause first; later errors may be its consequences
            first = next(iter(errors))
            results.append(Result(name, False, "nagios4 -v: " + "; ".join(errors[name][:3]), name != first))
        elif name == cgi:
            results.append(_check_cgi(path, name))
        elif path.name == Path(WEB_USERS).name:
            results.append(_check_htdigest(path, name))
        elif path.suffix == ".cfg" and (unsafe := _shell_in_addresses(path)):
            results.append(Result(name, False, unsafe))
        elif done.returncode != 0:
            where = next(iter(errors), "") or _first(done.stdout + done.stderr)
            results.append(Result(name, False, f"nagios4 -v failed for this guest's tree (see {where})", True))
        else:
            results.append(Result(name, True))
    return results


def _check_htdigest(path: Path, name: str) -> Result:
    """The web users file: ``user:realm:md5`` lines (lighttpd's htdigest backend), each user once."""
    seen = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not _HTDIGEST.match(line):
            return Result(name, False, f"line {number}: not user:realm:md5-hex")
        user = line.split(":", 1)[0]
        if user in seen:
            return Result(name, False, f"line {number}: user {user} twice")
        seen.add(user)
    return Result(name, True)


_MISSING_PROGRAM = re.compile(r'invalid "bin-path" => "([^"]+)"')
_LIGHTTPD_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: \([^)]*\) ")  # its time and source line


def _lighttpd_complaints(output: str) -> list[str]:
    """What ``lighttpd -tt`` logged about the config: it exits 0 on an unknown (misspelt, so ignored) key or a
    FastCGI program it cannot run, and prints nothing for a clean one. A FastCGI program not installed on this
    machine is no complaint: php-cgi runs on the guests, not where the configuration is validated."""
    lines = [_LIGHTTPD_PREFIX.sub("", line.strip()) for line in output.splitlines() if line.strip()]
    return [line for line in lines
            if not ((found := _MISSING_PROGRAM.search(line)) and not os.path.exists(found.group(1)))]


def check_web(root: Path, path: Path) -> list[Result]:
    """``lighttpd -tt`` (load every module, parse everything) on the web front included from a minimal server
    config, as Debian's lighttpd.conf includes its enabled confs; a warning fails it too."""
    with tempfile.TemporaryDirectory(prefix="nagios-herd-validate-web-") as work:
        wrapper = Path(work) / "lighttpd.conf"
        wrapper.write_text(f'server.modules = ( "mod_access", "mod_alias" )\nserver.document-root = "{work}"\n'
                           f'server.port = 80\ninclude "{path.absolute()}"\n')
        done = _run([LIGHTTPD, "-tt", "-f", str(wrapper)])
    name = path.relative_to(root).as_posix()
    complaints = _lighttpd_complaints(done.stderr + done.stdout)
    if done.returncode != 0 or complaints:
        return [Result(name, False, "lighttpd -tt: " + (complaints[0] if complaints else "no output"))]
    return [Result(name, True)]


def _check_cgi(path: Path, name: str) -> Result:
    """cgi.cfg is read by the CGIs, not ``nagios4 -v``: key=value lines naming the generated main file."""
    settings = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key or not value:
            return Result(name, False, f"line {number}: not key=value")
        settings[key] = value
    if settings.get("main_config_file") != "/etc/nagios4/nagios.cfg":
        return Result(name, False, "main_config_file is not /etc/nagios4/nagios.cfg")
    if settings.get("use_authentication") != "1":
        return Result(name, False, "use_authentication is not 1")
    return Result(name, True)


def _addresses_of(host: str, texts: Iterable[str]) -> list[str]:
    """The replication addresses the resource files give ``host`` (to put on the namespace's loopback)."""
    pattern = re.compile(r'\bon\s+"?' + re.escape(host) + r'"?\s*\{[^}]*?\baddress\s+(?:ipv[46]\s+)?'
                         r'\[?([0-9A-Fa-f.:]+?)\]?:\d+\s*;')
    found = {match.group(1) for text in texts for match in pattern.finditer(text)}
    return [f"{address}/{128 if ':' in address else 32}" for address in sorted(found)]


def check_drbd_host(root: Path, host: str) -> list[Result]:
    """``drbdadm dump all`` as ``host`` over global_common.conf + every .res file of the host."""
    directory = root / "hosts" / host / "etc" / "drbd.d"
    files = sorted(directory.iterdir())
    relative = {str(path.resolve()): path.relative_to(root).as_posix() for path in files}
    addresses = _addresses_of(host, (path.read_text() for path in files if path.suffix == ".res"))
    with tempfile.TemporaryDirectory(prefix=f"nagios-herd-drbd-{host}-") as scratch:
        wrapper = Path(scratch) / "drbd.conf"
        common = directory.resolve() / "global_common.conf"
        wrapper.write_text(f'include "{common}";\ninclude "{directory.resolve()}/*.res";\n')
        script = ('drbdadm=$1 config=$2; shift 2; ip link set lo up || exit 1; for address; do '
                  'ip addr add "$address" dev lo || exit 1; done; exec "$drbdadm" -c "$config" dump all')
        done = _run(["unshare", "--net", "--", "sh", "-c", script, "sh", DRBDADM, str(wrapper), *addresses],
                    env={**os.environ, "__DRBD_NODE__": host})
    problems: dict[str, list[str]] = {}
    current = ""
    for line in done.stderr.splitlines():
        if _DRBD_CHATTER.search(line):
            continue
        where = _DRBD_WHERE.match(line)
        if where:
            current = relative.get(str(Path(where.group(1)).resolve()), "")
        problems.setdefault(current, []).append(line.strip())
    results = []
    failed_at = next((name for name in problems if name), "")
    for path in files:
        name = relative[str(path.resolve())]
        reasons = problems.get(name, []) or problems.get("", [])
        collateral = not reasons and bool(failed_at)
        if not reasons and (done.returncode != 0 or problems):
            reasons = [f"drbdadm failed for this host's configuration (see {failed_at or 'its output'})"
                       if failed_at else f"drbdadm exited {done.returncode}: {_first(done.stderr)}"]
        elif not reasons and path.suffix == ".res" and f"# resource {path.stem} on {host}: not ignored" \
                not in done.stdout:
            reasons = [f"resource {path.stem} has no 'on {host}' section: this host would ignore it"]
        text = " ".join(reasons).replace(f"{root.resolve()}/", "")
        results.append(Result(name, not reasons, f"drbdadm: {text[:400]}" if reasons else "", collateral))
    return results


def check_sudoers(root: Path, path: Path) -> list[Result]:
    done = _run([VISUDO, "-c", "-f", str(path)])
    name = path.relative_to(root).as_posix()
    reason = _first(done.stderr).replace(f"{root}/", "")
    return [Result(name, done.returncode == 0, "" if done.returncode == 0 else f"visudo: {reason}")]


def check_xl(root: Path, path: Path) -> list[Result]:
    name = path.relative_to(root).as_posix()
    try:
        problems = xlcfg.check_domain(xlcfg.parse(path.read_text()), name=path.stem)
    except xlcfg.XlConfigError as error:
        problems = [str(error)]
    return [Result(name, not problems, "xl.cfg: " + "; ".join(problems) if problems else "")]


def check_nrpe(root: Path, path: Path) -> list[Result]:
    """NRPE syntax: ``key=value`` lines; commands as ``command[NAME]=LINE``."""
    name = path.relative_to(root).as_posix()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not value.strip() or not re.fullmatch(r"[a-z_]+|command\[[A-Za-z0-9_.-]+\]", key):
            return [Result(name, False, f"nrpe: line {number}: not 'key=value' or 'command[NAME]=...'")]
    return [Result(name, True)]


def check_volumes(root: Path, path: Path) -> list[Result]:
    name = path.relative_to(root).as_posix()
    try:
        plan = json.loads(path.read_text())
        ok = all(isinstance(v["size_mb"], int) and v["size_mb"] > 0 and v["name"] for v in plan["volumes"])
    except (ValueError, KeyError, TypeError) as error:
        return [Result(name, False, f"volume plan: {error}")]
    return [Result(name, ok, "" if ok else "volume plan: a volume without a name or a positive size")]


def check_cib(root: Path, path: Path) -> list[Result]:
    from nagios_herd.generate import cib_check

    name = path.relative_to(root).as_posix()
    problems = [problem.replace(f"{path.parent}/", "") for problem in cib_check.check(path)]
    return [Result(name, not problems, "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)"
                                                                   if len(problems) > 5 else ""))]


def check_manifest(root: Path) -> list[Result]:
    """The manifest lists exactly the tree's files with their current sha256."""
    document = read_manifest(root)
    if document is None:
        return [Result(MANIFEST, False, "missing or not a manifest")]
    present = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()} - {MANIFEST}
    listed = set(document["files"])
    problems = [f"{path} not in the manifest" for path in sorted(present - listed)]
    problems += [f"{path} missing" for path in sorted(listed - present)]
    problems += [f"{path} changed since generation" for path in sorted(present & listed)
                 if hashlib.sha256((root / path).read_bytes()).hexdigest() != document["files"][path]]
    return [Result(MANIFEST, not problems, "; ".join(problems[:5]))]


Task = tuple[list[str], Callable[[], list[Result]]]  # the files one validator run reports on, and the run


def _tasks(root: Path, only: str) -> list[Task]:
    """One task per validator run under the ``only`` subtree (all when empty)."""
    def rel(paths: Iterable[Path]) -> list[str]:
        return sorted(path.relative_to(root).as_posix() for path in paths if path.is_file())

    tasks: list[Task] = [([MANIFEST], lambda: check_manifest(root))]
    cib = root / "cluster" / "cib.xml"
    if cib.is_file() and (not only.strip("/") or "cluster/cib.xml".startswith(only.strip("/"))):
        tasks.append((rel([cib]), lambda: check_cib(root, cib)))
    for host_dir in _parts(root, "hosts", only):
        etc = host_dir / "etc"
        per_file = [(etc / "sudoers.d" / "nagios-herd", check_sudoers),
                    (etc / "nagios" / "nrpe.d" / "nagios-herd.cfg", check_nrpe),
                    (host_dir / "var" / "lib" / "nagios-herd" / "volumes.json", check_volumes)]
        per_file += [(path, check_xl) for path in sorted((etc / "xen").glob("*.cfg"))]
        for path, check in per_file:
            if path.is_file():
                tasks.append((rel([path]), lambda path=path, check=check: check(root, path)))
        if (etc / "drbd.d").is_dir():
            tasks.append((rel((etc / "drbd.d").iterdir()), lambda host=host_dir.name: check_drbd_host(root, host)))
    for guest_dir in _parts(root, "guests", only):
        web = guest_dir / LIGHTTPD_CONF.lstrip("/")
        if web.is_file():
            tasks.append((rel([web]), lambda web=web: check_web(root, web)))
        tasks.append((rel((guest_dir / "etc" / "nagios4").rglob("*")),
                      lambda guest=guest_dir.name: check_nagios_tree(root, guest)))
    return tasks


def _guarded(task: Task) -> list[Result]:
    """Run one task; a file it cannot even read fails every file of the task instead of raising."""
    files, run = task
    try:
        return run()
    except (OSError, UnicodeDecodeError) as error:
        return [Result(path, False, f"cannot check: {error}") for path in files]


def _parts(root: Path, kind: str, only: str) -> list[Path]:
    """The host or guest trees of ``kind`` inside the ``only`` subtree."""
    directory = root / kind
    parts = sorted(path for path in directory.iterdir() if path.is_dir()) if directory.is_dir() else []
    prefix = only.strip("/")
    return [path for path in parts if not prefix or f"{kind}/{path.name}" == prefix
            or f"{kind}/{path.name}".startswith(prefix + "/") or prefix == kind]


def validate(root: Path, jobs: int | None = None, only: str = "") -> list[Result]:
    """Every file of the tree (or of the ``only`` subtree, e.g. ``guests/NAME``), checked; sorted by path."""
    tasks = _tasks(root, only)
    covered = {path for files, _ in tasks for path in files}
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        for batch in pool.map(_guarded, tasks):
            results.extend(batch)
    prefix = only.strip("/") + "/" if only.strip("/") else ""
    stray = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - covered
    stray = {path for path in stray if path.startswith(prefix)}
    results += [Result(path, False, "no validator knows this file") for path in sorted(stray)]
    return sorted(results, key=lambda result: result.path)


def failures(results: Iterable[Result]) -> list[Result]:
    """The failed results, the ones that name a cause first."""
    return sorted((result for result in results if not result.ok), key=lambda result: result.collateral)
