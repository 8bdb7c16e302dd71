"""What the lab's watchers say about a fault: their statusjson.cgi, the notification captures, and the faults.

Shared by the monitoring tests and ``benchmarks/alert.py``. A :class:`Fault` injects one failure into a
running lab, names the herd services it must bring to a state, and heals it; :func:`herd_services` reads
those services from the watchers that answer; :func:`notifications` reads every guest's capture
(``notifications.capture``, one tab-separated line per notification).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from nagios_herd import procs
from nagios_herd.errors import HerdError
from nagios_herd.lab import guests
from nagios_herd.lab.lab import Lab
from nagios_herd.lab.layout import read_json
from nagios_herd.lab.sim.state import DEFAULT_RESYNC_RATE_MIB
from nagios_herd.lab.status import report_json
from nagios_herd.ops import splitbrain
from nagios_herd.ops.runner import Options

STATUS_TEXT = {1: "PENDING", 2: "OK", 4: "WARNING", 8: "UNKNOWN", 16: "CRITICAL"}
HOST_SERVICES = ("DRBD sync", "LVM capacity", "Xen domains")
Key = tuple[str, str]  # (host, service) as the watcher's Nagios names them
Line = tuple[str, str, str, str, str]  # (type, host, service, state, contact)


def _run(lab: Lab, guest: str) -> dict:
    return read_json(lab.layout.guest_run(guest)) or {}


def services(lab: Lab, guest: str, query: str) -> dict[Key, tuple[str, str]]:
    """(host, service) -> (state, plugin output) as ``guest``'s Nagios holds them (statusjson.cgi servicelist)."""
    answer = requests.get(f"{_run(lab, guest)['web']}?query=servicelist&details=true&{query}", timeout=10,
                          auth=guests.reader_auth(lab.layout, guest)).json()
    return {(host, name): (STATUS_TEXT[fields["status"]], fields["plugin_output"])
            for host, listing in answer["data"]["servicelist"].items() for name, fields in listing.items()}


def herd_services(lab: Lab) -> dict[Key, tuple[str, str]]:
    """Every herd service the watchers that answer hold (a watcher whose host crashed answers nothing)."""
    watcher, peer = lab.herd.watcher, lab.herd.watcher_peer
    found: dict[Key, tuple[str, str]] = {}
    for guest, group in ((watcher, "herd-xen-hosts"), (watcher, "herd-guests"), (peer, "herd-guests")):
        try:
            found.update(services(lab, guest, f"hostgroup={group}"))
        except (requests.RequestException, KeyError, ValueError):
            continue
    return found


def healthy(lab: Lab) -> bool:
    """Both watchers answer and the monitoring loop's services are OK: each dom0's NRPE checks
    (:data:`HOST_SERVICES`) and each guest's Nagios. Other herd services (the guest watcher's state, which only
    a run of ``nagios-herd watch`` writes) are not part of the loop these faults exercise."""
    found = herd_services(lab)
    loop = {key: state for key, (state, _) in found.items() if key[1] in (*HOST_SERVICES, "Nagios")}
    expected = len(HOST_SERVICES) * len(lab.herd.hosts) + len(lab.herd.guests)
    return len(loop) == expected and all(state == "OK" for state in loop.values())


def notifications(lab: Lab) -> dict[str, list[Line]]:
    """Each guest's captured notifications, in the order they were sent (from the file ``lab status`` names)."""
    found = {}
    for guest, fields in report_json(lab)["guests"].items():
        capture = fields["notifications"]
        try:
            text = Path(capture).read_text() if capture else ""
        except FileNotFoundError:
            text = ""
        found[guest] = [tuple(line.split("\t")[1:6]) for line in text.splitlines()  # type: ignore[misc]
                             if line.count("\t") == 5]
    return found


def since(lab: Lab, before: dict[str, list[Line]]) -> list[Line]:
    """The notifications sent since ``before`` (a :func:`notifications` snapshot)."""
    return [line for guest, lines in notifications(lab).items() for line in lines[len(before.get(guest, [])):]]


def check_interval(lab: Lab) -> float:
    """Seconds between two checks of a herd service (the lab's clock)."""
    if lab.herd.lab is None:
        raise HerdError(f"{lab.herd.source}: no [lab] clock: the alert timings need the lab's short intervals")
    return lab.herd.lab.check_interval * lab.herd.lab.interval_length


def _no_delay(lab: Lab) -> float:
    return 0.0


@dataclass(frozen=True)
class Fault:
    """One failure: ``prepare`` (optional) brings the herd to where the fault starts (a notified state of its
    own), ``inject`` causes it, ``expected`` names the herd services it brings to a state, ``delay`` is the
    seconds its detection waits by design (a check's timeout, a stall time) on top of the check intervals."""

    name: str
    inject: Callable[[Lab], None]
    heal: Callable[[Lab], None]
    expected: Callable[[Lab], dict[Key, str]]  # herd service -> the state the fault brings it to
    delay: Callable[[Lab], float] = _no_delay
    prepare: Callable[[Lab], None] | None = None


def _on(lab: Lab, host: str, command: str) -> str:
    machine = lab.herd.host(host)
    done = lab.ssh(machine.address, command, machine.ssh_port)
    if done.returncode != 0:
        raise HerdError(f"lab: {host}: {command}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _host_crash_expected(lab: Lab) -> dict[Key, str]:
    backup = lab.herd.backup
    expected = {(backup.name, service): "CRITICAL" for service in HOST_SERVICES}
    expected[(lab.herd.primary.name, "DRBD sync")] = "CRITICAL"
    expected.update({(guest.name, "Nagios"): "CRITICAL" for guest in lab.herd.guests
                     if guest.preferred_host == backup.name and guest.name != lab.herd.watcher})
    return expected


def _crash_heal(lab: Lab) -> None:
    lab.revive(lab.herd.backup.name)
    lab.reset()


def _first_guest_on_primary(lab: Lab) -> str:
    return next(guest.name for guest in lab.herd.guests
                if guest.preferred_host == lab.herd.primary.name and guest.name != lab.herd.watcher)


def _destroy(lab: Lab) -> None:
    _on(lab, lab.herd.primary.name, f"xl destroy {_first_guest_on_primary(lab)}")


def _recreate(lab: Lab) -> None:
    _on(lab, lab.herd.primary.name, f"xl create /etc/xen/{_first_guest_on_primary(lab)}.cfg")


FILLER = "nagios-herd-lab-filler"


def _fill(lab: Lab) -> None:
    """Fill the backup's VG to 96 % with one inactive LV."""
    host = lab.herd.backup
    free, size = map(int, _on(lab, host.name, "vgs --noheadings --units b --nosuffix -o vg_free,vg_size "
                                              f"{host.volume_group}").split())
    take = (free - size * 4 // 100) // (1024 * 1024)
    _on(lab, host.name, f"lvcreate -an -Zn -y -L {take}m -n {FILLER} {host.volume_group}")


def _empty(lab: Lab) -> None:
    _on(lab, lab.herd.backup.name, f"lvremove -f {lab.herd.backup.volume_group}/{FILLER}")


def stop_nagios(lab: Lab, guest: str) -> None:
    """The guest's nagios4 exits (its web server keeps answering, with no status)."""
    run = _run(lab, guest)
    procs.terminate({run["nagios_pid"]: run["nagios_start"]})


def restart_guest(lab: Lab, guest: str) -> None:
    """The guest boots again where it runs, its Nagios with it."""
    host = guests.served_on(lab.layout, guest)
    if host is None:
        raise HerdError(f"lab: {guest} is not running")
    guests.stop(lab.layout, guest)
    guests.serve(lab.layout, lab.herd, lab.herd.guest(guest), host)


GUEST_CHECK_TIMEOUT = 10.0  # check_nagios_guest's default -t: the watchers' command sets none
STALL_TIME = 30.0  # check_drbd_sync's default --stall-time: the generated NRPE line sets none
SLOW_RESYNC_MIB = 0.0005  # a resync of the few seconds of writes a short cut leaves lasts over a minute


def _pause(lab: Lab, paused: bool) -> None:
    _on(lab, lab.herd.primary.name, f"xl {'pause' if paused else 'unpause'} {_first_guest_on_primary(lab)}")


def _paused_expected(lab: Lab) -> dict[Key, str]:
    """The host's Xen check warns; the guest answers nothing, so its Nagios check runs into its timeout."""
    return {(lab.herd.primary.name, "Xen domains"): "WARNING", (_first_guest_on_primary(lab), "Nagios"): "CRITICAL"}


def _paused_delay(lab: Lab) -> float:
    """Each attempt of the guest's Nagios check waits its whole timeout before it says CRITICAL."""
    clock = lab.herd.lab
    return (clock.max_check_attempts if clock else 3) * GUEST_CHECK_TIMEOUT


def _split_resource(lab: Lab) -> str:
    return lab.herd.guest(_first_guest_on_primary(lab)).resource


def _split_brain(lab: Lab) -> None:
    """The backup promotes the guest's resource while the link is cut; at the reconnect both sides refuse
    each other's data (StandAlone)."""
    lab.cut_link()
    _on(lab, lab.herd.backup.name, f"drbdadm primary {_split_resource(lab)}")
    lab.heal_link()


def _resolve_split_brain(lab: Lab) -> None:
    """The operator's procedure, ``fab resolve-split-brain --guest G --victim BACKUP``: the backup's changes are
    discarded (after a snapshot of its volume), and it resyncs from the primary, where the guest runs."""
    options = Options(inventory=str(lab.inventory), known_hosts=str(lab.known_hosts), identity=str(lab.client_key),
                      state_dir=str(lab.layout.fab_state_dir))
    out = io.StringIO()
    code = splitbrain.run(options, guest=_first_guest_on_primary(lab), victim=lab.herd.backup.name, plan_only=False,
                          out=out)
    if code != 0:
        raise HerdError(f"lab: fab resolve-split-brain exited {code}: {out.getvalue().strip()}")


def _drbd_states(lab: Lab, state: str) -> dict[Key, str]:
    return {(host.name, "DRBD sync"): state for host in lab.herd.hosts}


def _slow_resync(lab: Lab) -> None:
    """A short cut leaves blocks out of sync; after the reconnect they resync slowly: the watcher shows the
    resync on both hosts as a WARNING with its progress and ETA, and tells it (waits up to 3 check intervals)."""
    before = notifications(lab)
    lab.cut_link()
    time.sleep(2)  # the running guests write meanwhile: blocks for the resync
    lab.set_resync_rate(SLOW_RESYNC_MIB)
    lab.heal_link()
    keys = set(_drbd_states(lab, "WARNING"))

    def resyncing() -> bool:
        found = herd_services(lab)
        return all(found.get(key, ("?", ""))[0] == "WARNING" and "% done, ETA " in found[key][1] for key in keys)

    deadline = 3 * check_interval(lab) + 2
    wait(resyncing, deadline, f"{sorted(keys)}: WARNING with the resync's progress and ETA")
    wait(lambda: told(lab, before, "PROBLEM", keys), deadline, "the resync's WARNING notified")


def _other_guest(lab: Lab) -> str:
    return next(guest.name for guest in lab.herd.guests if guest.name not in (lab.herd.watcher, lab.herd.watcher_peer))


FAULTS = (
    Fault("link cut", lambda lab: lab.cut_link(), lambda lab: lab.heal_link(),
          lambda lab: {(host.name, "DRBD sync"): "CRITICAL" for host in lab.herd.hosts}),
    Fault("domain destroyed", _destroy, _recreate,
          lambda lab: {(lab.herd.primary.name, "Xen domains"): "CRITICAL",
                       (_first_guest_on_primary(lab), "Nagios"): "CRITICAL"}),
    Fault("VG at 96 %", _fill, _empty, lambda lab: {(lab.herd.backup.name, "LVM capacity"): "CRITICAL"}),
    Fault("guest Nagios stops", lambda lab: stop_nagios(lab, _other_guest(lab)),
          lambda lab: restart_guest(lab, _other_guest(lab)),
          lambda lab: {(_other_guest(lab), "Nagios"): "CRITICAL"}),
    Fault("watcher stops", lambda lab: stop_nagios(lab, lab.herd.watcher),
          lambda lab: restart_guest(lab, lab.herd.watcher),
          lambda lab: {(lab.herd.watcher, "Nagios"): "CRITICAL"}),
    Fault("host crash", lambda lab: lab.crash(lab.herd.backup.name), _crash_heal, _host_crash_expected),
    Fault("guest paused", lambda lab: _pause(lab, True), lambda lab: _pause(lab, False), _paused_expected,
          delay=_paused_delay),
    Fault("resync stalls", lambda lab: lab.set_resync_rate(0), lambda lab: lab.set_resync_rate(DEFAULT_RESYNC_RATE_MIB),
          lambda lab: _drbd_states(lab, "CRITICAL"), delay=lambda lab: STALL_TIME, prepare=_slow_resync),
    Fault("split brain", _split_brain, _resolve_split_brain, lambda lab: _drbd_states(lab, "CRITICAL")),
)


def wait(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``predicate``; the seconds it took (AssertionError naming ``what`` after ``timeout``)."""
    start = time.monotonic()
    procs.wait_for(predicate, timeout, what, error=AssertionError)
    return time.monotonic() - start


def told(lab: Lab, before: dict[str, list[Line]], kind: str, keys: set[Key]) -> bool:
    """Every one of ``keys`` has a ``kind`` (PROBLEM, RECOVERY) notification since ``before``."""
    return keys <= {(host, service) for sent, host, service, _, _ in since(lab, before) if sent == kind}
