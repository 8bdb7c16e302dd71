"""The generated Nagios trees read back by an independent parser (pynag.Parsers.config) as an oracle."""

from __future__ import annotations

import warnings

import pytest
from conftest import SHIPPED

from nagios_herd.inventory.loader import load
from nagios_herd.nagios.stage import stage


def _objects(tree, guest, scratch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pynag's invalid escape sequences
        from pynag.Parsers import config
    parser = config(cfg_file=str(stage(tree / "guests" / guest, scratch / guest)))
    parser.parse()
    real = {kind: [item for item in parser.data[f"all_{kind}"] if item.get("register") != "0"]
            for kind in ("host", "service", "contact", "contactgroup", "hostgroup", "command")}
    return real


def _names(value):
    return [name for name in (value or "").split(",") if name]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_guest_tree_reads_back_consistent_and_complete(shipped_trees, tmp_path, name):
    herd = load(SHIPPED[name])
    tree = shipped_trees[name]
    for guest in herd.guests:
        objects = _objects(tree, guest.name, tmp_path)
        hosts = {host["host_name"] for host in objects["host"]}
        contacts = {contact["contact_name"] for contact in objects["contact"]}
        groups = {group["contactgroup_name"] for group in objects["contactgroup"]}
        commands = {command["command_name"] for command in objects["command"]}
        team = guest.team
        meta_hosts = {herd.watcher: len(herd.hosts) + len(herd.guests) - 1, herd.watcher_peer: 1}.get(guest.name, 0)
        meta_services = {herd.watcher: 3 * len(herd.hosts) + len(herd.guests) - 1 + 1,  # + the guest watcher
                         herd.watcher_peer: 1}.get(guest.name, 0)
        assert len(hosts) == len(objects["host"]) == len(team.hosts) + meta_hosts, guest.name
        assert len(objects["service"]) == len(team.services) + meta_services, guest.name
        watching = guest.name in (herd.watcher, herd.watcher_peer) and herd.admins
        admins = {admin.name for admin in herd.admins} if watching else set()
        assert contacts == {contact.name for contact in team.contacts} | admins
        assert groups == {team.name} | ({"herd-admins"} if watching else set())
        assert {host.name for host in team.hosts} <= hosts
        for service in objects["service"]:
            assert service["host_name"] in hosts, (guest.name, service)
            assert set(_names(service.get("contacts"))) <= contacts
            assert set(_names(service.get("contact_groups"))) <= groups
            assert service.get("contacts") or service.get("contact_groups"), service
            assert service["check_command"].split("!")[0] in commands
        for host in objects["host"]:
            assert set(_names(host.get("contacts"))) <= contacts
            assert set(_names(host.get("contact_groups"))) <= groups
            assert set(_names(host.get("parents"))) <= hosts
        for group in objects["contactgroup"]:
            assert set(_names(group["members"])) <= contacts


def test_watcher_and_peer_watch_the_herd(shipped_trees, tmp_path):
    herd = load(SHIPPED["herd"])
    tree = shipped_trees["herd"]
    watcher = _objects(tree, herd.watcher, tmp_path)
    checks = {(s["host_name"], s["check_command"]) for s in watcher["service"]}
    for host in herd.hosts:
        for command in ("check_xen_domain", "check_lvm_capacity", "check_drbd_sync"):
            assert (host.name, f"herd_check_nrpe!{command}") in checks
    watched = {s["host_name"] for s in watcher["service"] if s["check_command"] == "herd_check_nagios_guest"}
    assert watched == {guest.name for guest in herd.guests} - {herd.watcher}
    peer = _objects(tree, herd.watcher_peer, tmp_path)
    assert {(s["host_name"], s["check_command"]) for s in peer["service"]
            if s["check_command"].startswith("herd_")} == {(herd.watcher, "herd_check_nagios_guest")}
    others = [guest for guest in herd.guests if guest.name not in (herd.watcher, herd.watcher_peer)]
    plain = _objects(tree, others[0].name, tmp_path)
    assert not [s for s in plain["service"] if s["check_command"].startswith("herd_")]


@pytest.mark.real
def test_nagios_resolves_the_herds_objects_with_flap_detection_off(shipped_trees):
    """Nagios 4.4 loses the RECOVERY of a problem whose recovering check starts the flapping: every object the
    herd's templates define (the watchers' herd checks, the teams' hosts and services) has flap detection off."""
    from nagios_herd.adopt.oracle import resolve_tree

    herd = load(SHIPPED["lab"])
    resolved = resolve_tree(shipped_trees["lab"] / "guests" / herd.watcher, "the lab's watcher")
    objects = [(kind, item) for kind, item in resolved if kind in ("host", "service")]
    herd_names = {host.name for host in herd.hosts}
    assert {item["host_name"] for _, item in objects} >= herd_names
    for kind, item in objects:
        assert item.get("flap_detection_enabled") == "0", (kind, item.get("host_name"),
                                                          item.get("service_description"))
