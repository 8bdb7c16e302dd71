"""What ``drbdadm`` asks of the (simulated) DRBD 9 kernel, with the real refusals and exit codes.

Exit codes and messages follow drbd-utils ``user/v9/drbdsetup.c`` ``print_config_error``: a refused
state change prints ``RES: State change failed: (N) TEXT`` and exits 11, except
SS_NO_UP_TO_DATE_DISK (-2, "Need access to UpToDate data") which exits **17** (the code drbd.ocf stops
on); configuration failures print ``RES: Failure: (N) TEXT`` and exit 10. ``drbdadm`` then adds
``Command 'drbdsetup ...' terminated with exit code N`` and exits with the same code. The SS_* numbers
and texts are those of ``drbd_strings.c`` / ``drbd.h``.
"""

from __future__ import annotations

from nagios_herd.lab.sim.engine import Lab, new_side

SS_TWO_PRIMARIES = (-1, "Multiple primaries not allowed by config")
SS_NO_UP_TO_DATE_DISK = (-2, "Need access to UpToDate data")
SS_DEVICE_IN_USE = (-12, "Device is held open by someone")
ERR_NET_CONFIGURED = (125, "Device has a net-config (use disconnect first)")
ERR_NOT_PROTO_C = (139, "Protocol C required")
ERR_RES_NOT_KNOWN = (158, "Unknown resource")
ERR_MINOR_OR_VOLUME_EXISTS = (161, "Minor or volume exists already (delete it first)")
ERR_NEED_ALLOW_TWO_PRI = (164, "Can not clear allow_two_primaries as long as\nthere a primaries on both sides")


class SimError(Exception):
    """A refused command: ``lines`` go to stderr, ``code`` is the exit status."""

    def __init__(self, lines: list[str], code: int) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code


def _state_change_failed(res: str, error: tuple[int, str], command: str) -> SimError:
    number, text = error
    code = 17 if error == SS_NO_UP_TO_DATE_DISK else 11
    return SimError([f"{res}: State change failed: ({number}) {text}",
                     f"Command '{command}' terminated with exit code {code}"], code)


def _failure(obj: str, error: tuple[int, str], command: str) -> SimError:
    number, text = error
    return SimError([f"{obj}: Failure: ({number}) {text}",
                     f"Command '{command}' terminated with exit code 10"], 10)


def _require_up(lab: Lab, res: str, host: str, command: str) -> None:
    if not lab.side(res, host)["up"]:
        raise _failure(res, ERR_RES_NOT_KNOWN, command)


def _backing(lab: Lab, res: str, host: str) -> str:
    return f"/dev/{lab.host(host)['volume_group']}/{res}-root"


def up(lab: Lab, res: str, host: str) -> None:
    side, minor = lab.side(res, host), lab.resource(res)["minor"]
    if side["up"]:
        raise _failure(res, ERR_MINOR_OR_VOLUME_EXISTS, f"drbdsetup new-minor {res} {minor} 0")
    if not side["md"]:
        backing = _backing(lab, res, host)
        raise SimError([f"{minor}: Failure: (119) No valid meta-data signature found.", "",
                        f"\t==> Use 'drbdadm create-md {res}' to initialize meta-data area. <==", "",
                        f"Command 'drbdsetup attach {minor} {backing} {backing} internal' "
                        "terminated with exit code 10"], 10)
    if side["gen"] is None or side["disk"] == "Inconsistent":
        disk = "Inconsistent"
    elif side["disk"] == "Outdated":
        disk = "Outdated"
    else:
        disk = "Consistent"
    side.update(up=True, role="Secondary", disk=disk, net="connect", split_brain=False, discard=False,
                two_primaries=False)


def down(lab: Lab, res: str, host: str) -> None:
    side = lab.side(res, host)
    if not side["up"]:
        return
    if lab.is_open(res, host):
        raise _state_change_failed(res, SS_DEVICE_IN_USE, f"drbdsetup down {res}")
    side.update(up=False, role="Secondary", net="connect", split_brain=False, discard=False, two_primaries=False)


def primary(lab: Lab, res: str, host: str, *, force: bool = False) -> None:
    command = f"drbdsetup primary {res}" + (" --force" if force else "")
    _require_up(lab, res, host, command)
    side, resource = lab.side(res, host), lab.resource(res)
    if side["role"] == "Primary":
        return
    peer = lab.side(res, lab.peer_of(host))
    if resource["connected"] and peer["role"] == "Primary" and not (side.get("two_primaries")
                                                                    and peer.get("two_primaries")):
        raise _state_change_failed(res, SS_TWO_PRIMARIES, command)
    peer_up_to_date = resource["connected"] and peer["disk"] == "UpToDate"
    if not force and side["disk"] != "UpToDate" and not peer_up_to_date:
        raise _state_change_failed(res, SS_NO_UP_TO_DATE_DISK, command)
    side["role"] = "Primary"
    if force and side["disk"] != "UpToDate":
        lab.new_generation(res, side)
        side["disk"] = "UpToDate"
        if resource["connected"] and resource["sync"] is None:
            lab.start_full_sync(res, host)
    elif not resource["connected"]:
        lab.new_generation(res, side)


def secondary(lab: Lab, res: str, host: str) -> None:
    _require_up(lab, res, host, f"drbdsetup secondary {res}")
    if lab.is_open(res, host):
        raise _state_change_failed(res, SS_DEVICE_IN_USE, f"drbdsetup secondary {res}")
    lab.side(res, host)["role"] = "Secondary"


def net_options(lab: Lab, res: str, host: str, *, two_primaries: bool | None, protocol: str | None) -> None:
    """``drbdadm net-options``: change this side's connection options while connected (DRBD 9, ``drbd_nl.c``
    ``_check_net_options``): the option cannot be cleared while both sides are Primary (164) and needs
    protocol C (139); each side's own setting decides whether it accepts a second Primary."""
    peer_id = lab.host(lab.peer_of(host))["node_id"]
    words = [f"--protocol={protocol}"] if protocol else []
    if two_primaries is not None:
        words.append(f"--allow-two-primaries={'yes' if two_primaries else 'no'}")
    command = " ".join([f"drbdsetup net-options {res} {peer_id}", *words])
    _require_up(lab, res, host, command)
    resource, side = lab.resource(res), lab.side(res, host)
    allow = side.get("two_primaries", False) if two_primaries is None else two_primaries
    wire = protocol or resource.get("protocol", "C")
    peer = lab.side(res, lab.peer_of(host))
    if not allow and resource["connected"] and side["role"] == peer["role"] == "Primary":
        raise _failure(res, ERR_NEED_ALLOW_TWO_PRI, command)
    if allow and wire != "C":
        raise _failure(res, ERR_NOT_PROTO_C, command)
    resource["protocol"] = wire
    side["two_primaries"] = allow


def connect(lab: Lab, res: str, host: str, *, discard_my_data: bool = False) -> None:
    peer_id = lab.host(lab.peer_of(host))["node_id"]
    command = f"drbdsetup connect {res} {peer_id}" + (" --discard-my-data" if discard_my_data else "")
    _require_up(lab, res, host, command)
    side = lab.side(res, host)
    if side["net"] == "connect":
        raise _failure(res, ERR_NET_CONFIGURED, command)
    side.update(net="connect", split_brain=False, discard=discard_my_data)


def disconnect(lab: Lab, res: str, host: str) -> None:
    peer_id = lab.host(lab.peer_of(host))["node_id"]
    _require_up(lab, res, host, f"drbdsetup disconnect {res} {peer_id}")
    lab.side(res, host)["net"] = "standalone"


def adjust(lab: Lab, res: str, host: str) -> None:
    """Make the running resource match its configuration: up when down, connecting when StandAlone."""
    side = lab.side(res, host)
    if not side["up"]:
        up(lab, res, host)
    elif side["net"] == "standalone":
        side.update(net="connect", split_brain=False)
    if not (side["role"] == "Primary" and lab.side(res, lab.peer_of(host))["role"] == "Primary"):
        side["two_primaries"] = False  # the configuration's value (a temporary net-options change ends)


def create_md(lab: Lab, res: str, host: str, *, force: bool, confirmed: bool) -> list[str]:
    """Fresh metadata: no data generation, the disk Inconsistent until a full sync from the peer."""
    minor, backing = lab.resource(res)["minor"], _backing(lab, res, host)
    command = f"drbdmeta {minor} v09 {backing} internal create-md 1"
    side = lab.side(res, host)
    if side["up"]:
        raise SimError([f"Device '{minor}' is configured!",
                        f"Command '{command}' terminated with exit code 20"], 20)
    if side["md"] and not (force or confirmed):
        raise SimError([
            "You want me to create a v09 style flexible-size internal meta data block.",
            "There appears to be a v09 flexible-size internal meta data block",
            f"already in place on {backing} at byte offset {lab.resource(res)['size_kib'] * 1024}", "",
            "Do you really want to overwrite the existing meta-data?",
            "[need to type 'yes' to confirm] Operation canceled.",
            f"Command '{command}' terminated with exit code 1"], 1)
    lab.resource(res)["hosts"][host] = new_side(md=True)
    bitmap_kib = -(-lab.resource(res)["size_kib"] // 32768)
    return ["initializing activity log", f"initializing bitmap ({bitmap_kib} KB) to all zero",
            "Writing meta data...", "New drbd meta data block successfully created."]
