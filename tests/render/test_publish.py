"""publish: no change → no write and no reload; broken → live tree untouched; one publish at a time; a real
nagios4 reloaded (gated by nagios4 -v) only when its files changed, and still running afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, cli

from nagios_herd.nagios.stage import stage

pytestmark = pytest.mark.real


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime_ns, size) of every entry under ``root``, directories included: any write shows."""
    entries = {}
    for directory, names, files in os.walk(root):
        for name in [*names, *files, "."]:
            info = os.lstat(os.path.join(directory, name))
            entries[os.path.join(directory, name)] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return entries


@pytest.fixture()
def herd(tmp_path) -> Path:
    """A private copy of the lab inventory that tests may edit."""
    directory = tmp_path / "inventory"
    directory.mkdir()
    shutil.copy(ROOT / "etc" / "lab.toml", directory / "lab.toml")
    shutil.copytree(ROOT / "etc" / "lab-teams", directory / "lab-teams")
    tmp_path.chmod(0o755)
    return directory / "lab.toml"


def add_host(inventory: Path, team: str = "lab-db", name: str = "added01") -> None:
    path = inventory.parent / "lab-teams" / f"{team}.toml"
    path.write_text(path.read_text() + f'\n[[hosts]]\nname = "{name}"\naddress = "127.2.9.9"\nalias = "Added"\n')


def publish(inventory: Path, live: Path, *extra: str, env: dict[str, str] | None = None):
    return cli("publish", "--inventory", str(inventory), "--live", str(live), *extra, env=env)


def reloads(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_no_change_writes_nothing_and_does_not_reload(herd, tmp_path):
    live, log = tmp_path / "live", tmp_path / "reloads.log"
    hook = ("--reload", f"sh -c 'echo reloaded >> {log}'")
    first = publish(herd, live, *hook)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("published generation 000001-") and first.stderr == ""
    assert reloads(log) == 1
    before = snapshot(live)
    again = publish(herd, live, *hook)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert snapshot(live) == before
    assert reloads(log) == 1


def test_a_change_publishes_a_new_generation_and_reloads_only_the_changed_scope(herd, tmp_path):
    db_log, web_log = tmp_path / "db.log", tmp_path / "web.log"
    live = {"lab-db": tmp_path / "live-db", "lab-web": tmp_path / "live-web"}  # each guest is its own machine

    def run_both():
        return [publish(herd, live[guest], "--scope", f"guests/{guest}", "--reload", f"sh -c 'echo x >> {log}'")
                for guest, log in (("lab-db", db_log), ("lab-web", web_log))]

    assert [done.returncode for done in run_both()] == [0, 0]
    assert (reloads(db_log), reloads(web_log)) == (1, 1)
    old = os.readlink(live["lab-db"] / "current")
    add_host(herd)
    results = run_both()
    assert [done.returncode for done in results] == [0, 0]
    assert results[0].stdout.startswith("published generation 000002-")
    assert results[1].stdout == ""  # lab-web's own tree did not change: nothing written
    assert os.readlink(live["lab-db"] / "current") != old and (live["lab-db"] / old).is_dir()  # the old one is kept
    assert "added01" in (live["lab-db"] / "current/guests/lab-db/etc/nagios4/objects/hosts.cfg").read_text()
    assert (reloads(db_log), reloads(web_log)) == (2, 1)  # lab-web's files did not change


# A published guest tree: what each user may read. Everything not named is root:nagios 0640 (files) or 0750
# (directories); www-data passes through the directories on the way to what it reads, and lists none of them.
WEB_CONF = "etc/lighttpd/conf-available/50-nagios-herd.conf"
GUEST_FILES = {"etc/nagios4/cgi.cfg": ("www-data", 0o640), "etc/nagios4/htdigest.users": ("www-data", 0o640),
               "etc/nagios4/nagios.cfg": ("nagios", 0o644), "etc/nagios4/resource.cfg": ("nagios", 0o640),
               WEB_CONF: ("root", 0o644)}
TRAVERSED = {".", "guests", "guests/lab-db", "guests/lab-db/etc", "guests/lab-db/etc/nagios4",
             "guests/lab-db/etc/lighttpd", "guests/lab-db/etc/lighttpd/conf-available"}
WEB_READS = {"etc/nagios4/cgi.cfg", "etc/nagios4/htdigest.users", "etc/nagios4/nagios.cfg", WEB_CONF}
NAGIOS_READS = {"etc/nagios4/nagios.cfg", "etc/nagios4/resource.cfg", "etc/nagios4/objects/hosts.cfg"}


@pytest.fixture(scope="module")
def web_live(tmp_path_factory) -> Iterator[Path]:
    """The live root of lab-db publishing its own tree, with the web front's users file (a web secrets file in
    the herd file); in a directory every user may pass through, as /var/lib is."""
    from nagios_herd.inventory.loader import load

    inventory = tmp_path_factory.mktemp("web-inventory")
    shutil.copy(ROOT / "etc" / "lab.toml", inventory / "lab.toml")
    shutil.copytree(ROOT / "etc" / "lab-teams", inventory / "lab-teams")
    herd = load(inventory / "lab.toml")
    people = sorted({c.name for g in herd.guests for c in g.team.contacts} | {a.name for a in herd.admins})
    secrets = inventory / "web.toml"
    secrets.write_text("\n".join(["[contacts]", *(f'{name} = "pw-{name}-0123456789"' for name in people),
                                   "[reader]", *(f'{g.name} = "pw-{g.name}-0123456789"' for g in herd.guests)]))
    secrets.chmod(0o600)
    main = inventory / "lab.toml"
    main.write_text(main.read_text().replace('name = "lab"\n', f'name = "lab"\nweb_secrets = "{secrets}"\n', 1))
    root = Path(tempfile.mkdtemp(prefix="publish-web-"))
    try:
        root.chmod(0o755)
        done = publish(main, root / "live", "--scope", "guests/lab-db")
        assert done.returncode == 0, done.stderr
        yield root / "live"
    finally:
        shutil.rmtree(root)


def readable(user: str, paths: list[Path]) -> set[Path]:
    """The paths ``user`` can read, asked of the kernel as that user."""
    return {path for path in paths
            if subprocess.run(["runuser", "-u", user, "--", "cat", "--", str(path)], capture_output=True,
                              check=False).returncode == 0}


def test_a_guest_receives_only_its_own_tree_with_each_files_owner_and_mode(web_live):
    """A guest's publish writes its tree alone (no other team's objects, no host's sudoers); each file root's,
    group and mode as the table above says, the rest root:nagios 0640 and 0750."""
    import grp
    import stat

    current = (web_live / "current").resolve()
    assert sorted(path.relative_to(current).as_posix() for path in current.glob("*/*")) == ["guests/lab-db"]
    assert not (current / "hosts").exists()
    entries = [current, *current.rglob("*")]
    assert len(entries) > 10 and (current / "guests/lab-db/etc/nagios4/htdigest.users").is_file()
    for path in entries:
        relative = path.relative_to(current).as_posix()
        if path.is_dir():
            wanted = ("nagios", 0o751 if relative in TRAVERSED else 0o750)
        else:
            wanted = GUEST_FILES.get(relative.removeprefix("guests/lab-db/"), ("nagios", 0o640))
        info = path.lstat()
        assert (info.st_uid, grp.getgrgid(info.st_gid).gr_name, stat.S_IMODE(info.st_mode)) == (0, *wanted), path


def test_the_web_server_reads_exactly_its_files_through_the_live_link(web_live):
    """www-data reads cgi.cfg, nagios.cfg, the users file and the lighttpd config through ``current`` and lists
    no directory; the nagios user reads what Nagios needs and neither cgi.cfg nor the users file; another local
    user only nagios.cfg and the lighttpd config (0644, as Debian installs them)."""
    tree = web_live / "current/guests/lab-db"
    files = [tree / name for name in (*GUEST_FILES, *NAGIOS_READS)] + [web_live / "current/MANIFEST.json"]
    assert readable("www-data", files) == {tree / name for name in WEB_READS}
    assert readable("nagios", files) == {tree / name for name in (*NAGIOS_READS, WEB_CONF)} | {
        web_live / "current/MANIFEST.json"}
    assert readable("nobody", files) == {tree / "etc/nagios4/nagios.cfg", tree / WEB_CONF}
    for directory in (web_live / "current", tree / "etc/nagios4", tree / "etc/nagios4/objects"):
        listing = subprocess.run(["runuser", "-u", "www-data", "--", "ls", "--", str(directory)],
                                 capture_output=True, check=False)
        assert listing.returncode != 0, directory


def test_lighttpd_as_www_data_reads_the_published_web_front(web_live):
    """lighttpd re-reads its configuration as www-data on a graceful restart (Debian's reload): the published
    config, included through ``current`` as the guest's /etc/lighttpd does, parses as www-data."""
    main = Path(tempfile.mkdtemp(prefix="lighttpd-", dir=web_live.parent)) / "lighttpd.conf"
    main.parent.chmod(0o755)
    main.write_text(f'server.document-root = "{main.parent}"\nserver.port = 80\n'
                    f'include "{web_live / "current/guests/lab-db" / WEB_CONF}"\n')
    main.chmod(0o644)
    done = subprocess.run(["runuser", "-u", "www-data", "--", "lighttpd", "-tt", "-f", str(main)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_debians_cgi_as_www_data_reads_the_published_configuration(web_live):
    """Debian's statusjson.cgi as the web server runs it, on a guest whose /etc/nagios4 is the live tree's: it
    reads the published cgi.cfg and the nagios.cfg it names, and stops only later, at the object cache this
    machine's Nagios does not write (a private mount namespace puts the link at /etc/nagios4/nagios.cfg)."""
    import json

    etc = web_live / "current/guests/lab-db/etc/nagios4"
    script = ('mount -t tmpfs none /etc/nagios4 && ln -s "$1/nagios.cfg" /etc/nagios4/nagios.cfg && '
              'exec runuser -u www-data -- env -i NAGIOS_CGI_CONFIG="$1/cgi.cfg" REMOTE_USER=nagios-herd '
              'REQUEST_METHOD=GET QUERY_STRING=query=programstatus /usr/lib/cgi-bin/nagios4/statusjson.cgi')
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(etc)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "{" in done.stdout, done.stderr
    result = json.loads(done.stdout[done.stdout.index("{"):])["result"]
    assert result["cgi"] == "statusjson.cgi" and "configuration file" not in result["message"], result


def test_a_generation_with_an_older_versions_modes_is_written_again_without_a_reload(herd, tmp_path):
    """A guest upgraded from a version that published everything 0640 and 0750: its content is unchanged, yet
    the next publish (the generator changed, so the inputs differ) writes a new generation with today's modes and
    does not reload Nagios; with today's modes the same run writes nothing."""
    import json

    live, log = tmp_path / "live", tmp_path / "reloads.log"
    hook = ("--scope", "guests/lab-db", "--reload", f"sh -c 'echo reloaded >> {log}'")
    assert publish(herd, live, *hook).returncode == 0
    first = os.readlink(live / "current")

    def generator_changed() -> None:  # what an upgrade does to the recorded inputs
        state = json.loads((live / "state.json").read_text())
        state["stamp"] = {path: "" for path in state["stamp"]}
        (live / "state.json").write_text(json.dumps(state))

    generator_changed()
    same = publish(herd, live, *hook)
    assert (same.returncode, same.stdout, same.stderr) == (0, "", "")
    assert os.readlink(live / "current") == first
    current = live / first
    for path in (current, *current.rglob("*")):
        path.chmod(0o750 if path.is_dir() else 0o640)
    generator_changed()
    again = publish(herd, live, *hook)
    assert again.returncode == 0 and again.stdout.startswith("published generation 000002-"), again.stderr
    assert "reloaded" not in again.stdout and reloads(log) == 1
    etc = live / "current/guests/lab-db/etc/nagios4"
    assert [oct(path.stat().st_mode & 0o777) for path in (etc, etc / "nagios.cfg", etc / "cgi.cfg")] == [
        oct(0o751), oct(0o644), oct(0o640)]


def test_keep_prunes_old_generations(herd, tmp_path):
    live = tmp_path / "live"
    for index in range(4):
        add_host(herd, name=f"added{index:02d}")
        assert publish(herd, live, "--keep", "2").returncode == 0
    generations = sorted(path.name for path in (live / "generations").iterdir())
    assert [name[:6] for name in generations] == ["000003", "000004"]
    assert os.readlink(live / "current") == f"generations/{generations[-1]}"


def test_a_broken_template_leaves_the_live_tree_untouched(herd, tmp_path):
    live, log = tmp_path / "live", tmp_path / "reloads.log"
    hook = ("--reload", f"sh -c 'echo reloaded >> {log}'")
    assert publish(herd, live, *hook).returncode == 0
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    services = templates / "guest/objects/services.cfg.j2"
    services.write_text(services.read_text().replace("service_description", "service_descripton"))
    before = snapshot(live)
    done = publish(herd, live, *hook, env={**os.environ, "NAGIOS_HERD_TEMPLATES": str(templates)})
    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "validation failed, live tree unchanged: FAIL guests/" in done.stderr
    assert "service_descripton" in done.stderr
    assert snapshot(live) == before
    assert reloads(log) == 1


def test_a_failing_reload_gate_restores_the_previous_generation(herd, tmp_path):
    live, log = tmp_path / "live", tmp_path / "reloads.log"
    assert publish(herd, live).returncode == 0
    previous = os.readlink(live / "current")
    broken = tmp_path / "broken.cfg"
    broken.write_text("cfg_file=/nonexistent/objects.cfg\n")
    add_host(herd)
    done = publish(herd, live, "--nagios-cfg", str(broken), "--reload", f"sh -c 'echo reloaded >> {log}'")
    assert done.returncode == 1
    assert f"live config {broken} fails nagios4 -v" in done.stderr
    assert f"previous generation {Path(previous).name} restored" in done.stderr
    assert os.readlink(live / "current") == previous
    assert reloads(log) == 0
    assert sorted(path.name for path in (live / "generations").iterdir()) == [Path(previous).name]


def test_a_second_publish_waits_for_the_lock_then_refuses(herd, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"handle = open({str(live / '.lock')!r}, 'w')\n"
        "fcntl.flock(handle, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[1]))\n"), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = publish(herd, live, "--wait", "0.5")
        assert refused.returncode == 75
        expected = f"nagios-herd: {live / '.lock'}: another publish is running; gave up after 0.5 s"
        assert refused.stderr.strip() == expected
        assert not (live / "current").exists()
        waited = publish(herd, live, "--wait", "30")  # the holder lets go after 3 s
        assert waited.returncode == 0, waited.stderr
        assert (live / "current").is_symlink()
    finally:
        holder.kill()
        holder.wait()


def test_a_running_nagios_is_reloaded_only_on_change_and_keeps_running(herd, tmp_path):
    from nagios_herd.nagios.daemons import stop_pid

    live = tmp_path / "live"
    assert publish(herd, live).returncode == 0
    # the daemon reads the live tree through "current", as /etc/nagios4 -> LIVE/current/guests/G/etc/nagios4 would
    main = stage(live / "current" / "guests" / "lab-db", tmp_path / "guest", {"use_syslog": "0"})
    daemon = subprocess.run(["/usr/sbin/nagios4", "-d", str(main)], capture_output=True, text=True, timeout=60)
    assert daemon.returncode == 0, daemon.stdout + daemon.stderr
    pid_file = tmp_path / "guest/run/nagios4/nagios4.pid"
    log = tmp_path / "guest/var/log/nagios4/nagios.log"
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = int(pid_file.read_text())  # nagios4 -d wrote its pid before it returned; absent means it did not start
    try:
        hook = ("--scope", "guests/lab-db", "--nagios-cfg", str(main), "--reload", f"kill -HUP {pid}")
        unchanged = publish(herd, live, *hook)
        assert (unchanged.returncode, unchanged.stdout) == (0, "")
        time.sleep(1)
        assert "Caught SIGHUP" not in log.read_text()
        add_host(herd)
        changed = publish(herd, live, *hook)
        assert changed.returncode == 0, changed.stderr
        assert changed.stdout.strip().endswith("and reloaded")
        cache = tmp_path / "guest/var/lib/nagios4/objects.cache"
        deadline = time.monotonic() + 30
        while "added01" not in cache.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "added01" in cache.read_text()  # the daemon re-read the new generation
        assert "Caught SIGHUP" in log.read_text()
        os.kill(pid, 0)  # still running
    finally:
        stop_pid(pid)


def test_generate_publish_is_the_same_cron_mode(herd, tmp_path):
    live = tmp_path / "live"
    done = cli("generate", "--publish", "--inventory", str(herd), "--live", str(live), "--keep", "1")
    assert done.returncode == 0 and done.stdout.startswith("published generation 000001-"), done.stderr
    before = snapshot(live)
    again = cli("generate", "--publish", "--inventory", str(herd), "--live", str(live))
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert snapshot(live) == before


def test_bad_live_root_or_unknown_scope_is_one_line_not_a_traceback(herd, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    done = publish(herd, blocker / "live")
    assert done.returncode == 1
    assert done.stderr == f"nagios-herd: --live {blocker / 'live'}: Not a directory\n"
    unknown = publish(herd, tmp_path / "live", "--guest", "no-such-guest")
    assert unknown.returncode == 1
    assert unknown.stderr == ("nagios-herd: scope 'guests/no-such-guest' matches no generated file "
                              "(no such guest or host?)\n")
    assert not (tmp_path / "live" / "current").exists()


def test_a_live_generation_removed_by_hand_is_published_again(herd, tmp_path):
    live = tmp_path / "live"
    assert publish(herd, live).returncode == 0
    shutil.rmtree(live / os.readlink(live / "current"))
    again = publish(herd, live)
    assert again.returncode == 0 and again.stdout.startswith("published generation 000001-"), again.stderr
    assert (live / "current" / "MANIFEST.json").is_file()
