"""A small, fixed herd built directly from the model, for rendering tests that must not depend on TOML loading."""

from __future__ import annotations

from nagios_herd.model import Command, Contact, Guest, Herd, MonitoredHost, Service, Team, XenHost


def team(name: str, hosts: int = 2) -> Team:
    monitored = tuple(
        MonitoredHost(f"{name}{i:02d}", f"10.{len(name)}.0.{i}", f"{name} server {i}",
                      groups=(f"{name}-servers",), parents=(f"{name}01",) if i > 1 else ())
        for i in range(1, hosts + 1)
    )
    services = tuple(
        service
        for host in monitored
        for service in (Service(host.name, "PING", "check_ping", ("100.0,20%", "500.0,60%")),
                        Service(host.name, "SSH; port", "check_tcp_port", ("22",)))
    )
    return Team(
        name=name,
        alias=f"Team {name}; the {name} people",
        contacts=(Contact("alice", "Alice Example", "alice@example.net", pager="+15550001"),
                  Contact("bob", "Bob Example", "bob@example.net")),
        hosts=monitored,
        services=services,
        commands=(Command("check_tcp_port", "$USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$"),),
        source=f"teams/{name}.toml",
    )


def herd() -> Herd:
    hosts = (
        XenHost("alpha", "primary", "192.0.2.11", "198.51.100.11", 4096, 256, "vg_herd", "xenbr0"),
        XenHost("beta", "backup", "192.0.2.12", "198.51.100.12", 4096, 256, "vg_herd", "xenbr0"),
    )
    names = ("db", "ops", "web")
    guests = tuple(
        Guest(f"team-{name}", team(name), "alpha" if index % 2 == 0 else "beta", 128, 1, f"192.0.2.{100 + index}",
              f"00:16:3e:00:00:{index:02x}", 2560, 512, index, 7789 + index)
        for index, name in enumerate(names, start=1)
    )
    return Herd(
        name="testherd",
        hosts=hosts,
        guests=guests,
        watcher="team-ops",
        watcher_peer="team-web",
        commands=(Command("check_ping", "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$ -p 5"),),
        source="herd.toml",
    )
