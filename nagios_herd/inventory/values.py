"""Allowlists for single inventory values: each check returns a problem text, or None when the value is fine.

Every value ends up in a Xen, DRBD, Nagios or sudoers file or on a shell command line, so names are matched
against strict allowlists and free text may not carry anything Nagios or a shell would interpret.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

Check = Callable[[str], "str | None"]

# guests, Xen hosts, teams: valid as Xen domain, DRBD resource, LV (with -root/-swap) and file names
NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
NAGIOS_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # host_name, contact_name, hostgroup_name, command_name
TEXT = re.compile(r"^\w(?:[\w .,:/()@+#'-]{0,198}[\w.)])?$")
VOLUME_GROUP = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
BRIDGE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
UNIX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
EMAIL = re.compile(r"^[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$")
PAGER = re.compile(r"^[A-Za-z0-9@._+-]{1,64}$")
DNS_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
ADDRESS_CHARS = re.compile(r"^[A-Za-z0-9.:%_-]+$")  # Nagios puts $HOSTADDRESS$ on a /bin/sh command line
SCOPE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # an IPv6 zone: an interface name or index
MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
ABS_PATH = re.compile(r"^/(?:[A-Za-z0-9_.+-]+/?)*$")
INCLUDE = re.compile(r"^[A-Za-z0-9_.+/-]+\.toml$")

# characters that end a Nagios value (;), split check_command arguments (!), start a macro ($) or run a command (`)
_SUSPECT = re.compile(r"[\x00-\x1f\x7f;!$`]")
_ARG_SHELL = re.compile(r"[\x00-\x1f\x7f;!$`|&<>\\]")  # an argument lands on a shell command line
_LINE_SHELL = re.compile(r"[\x00-\x1f\x7f;!`|&<>\\]")  # a command line may use $MACROS$ only
_CHAR_NAMES = {"\n": "a newline", "\r": "a carriage return", "\x00": "a NUL byte", "`": "a backtick"}
MACRO = re.compile(r"\$([^$]*)\$")
_MACRO_NAMES = frozenset({
    "HOSTNAME", "HOSTALIAS", "HOSTADDRESS", "HOSTSTATE", "HOSTSTATEID", "HOSTOUTPUT", "LONGHOSTOUTPUT",
    "HOSTPERFDATA", "HOSTATTEMPT", "HOSTDISPLAYNAME", "SERVICEDESC", "SERVICESTATE", "SERVICESTATEID",
    "SERVICEOUTPUT", "LONGSERVICEOUTPUT", "SERVICEPERFDATA", "SERVICEATTEMPT", "SERVICEDISPLAYNAME",
    "CONTACTNAME", "CONTACTALIAS", "CONTACTEMAIL", "CONTACTPAGER", "NOTIFICATIONTYPE", "LONGDATETIME",
    "SHORTDATETIME", "DATE", "TIME", "TIMET",
})
_NUMBERED_MACRO = re.compile(r"^(USER([1-9]\d?|1\d\d|2[0-4]\d|25[0-6])|ARG([1-9]|[12]\d|3[0-2]))$")


def _first(regex: re.Pattern[str], value: str) -> str | None:
    """``'VALUE' contains X`` for the first character of ``value`` that ``regex`` forbids (newlines first)."""
    found = regex.search(value)
    if found is None:
        return None
    char = next((c for c in "\n\r\x00" if c in value), found.group())
    named = _CHAR_NAMES.get(char) or (repr(char) if char.isprintable() else "a control character")
    return f"{value!r} contains {named}"


def screened(check: Check) -> Check:
    """``check`` behind the guard every value passes first: nothing Nagios or a shell would interpret."""
    def guarded(value: str) -> str | None:
        return _first(_SUSPECT, value) or check(value)

    return guarded


_ACCEPTS: dict[Check, Callable[[str], object]] = {}


def pattern(regex: re.Pattern[str], what: str) -> Check:
    check = screened(lambda value: None if regex.match(value) else f"{value!r} is not {what}")
    _ACCEPTS[check] = regex.fullmatch  # every allowlist here excludes the screened characters
    return check


def accepts(check: Check) -> Callable[[str], object]:
    """A predicate truthy exactly for the values ``check`` finds no problem with, as cheap as possible.

    For an allowlist pattern that is the pattern's ``fullmatch``: it admits no screened character (none of the
    allowlists contains one), and ``fullmatch`` refuses the trailing newline ``match``'s ``$`` lets through.
    """
    return _ACCEPTS.get(check) or (lambda value: check(value) is None)


name = pattern(NAME, "a valid name (lowercase letters, digits and '-', 2-32 characters, starting with a letter)")
nagios_name = pattern(NAGIOS_NAME, "a valid Nagios object name (letters, digits, '_', '.', '-', at most 64)")
text = pattern(TEXT, "plain text (letters, digits, space and .,:/()@+#'-, at most 200 characters)")
volume_group = pattern(VOLUME_GROUP, "a valid volume group name (letters, digits, '_')")
bridge = pattern(BRIDGE, "a valid bridge interface name (at most 15 characters)")
unix_user = pattern(UNIX_USER, "a valid user name")
email = pattern(EMAIL, "a valid e-mail address")
pager = pattern(PAGER, "a valid pager address (letters, digits and @._+-)")
_abs_path = pattern(ABS_PATH, "an absolute path of letters, digits and _.+-")


def abs_path(value: str) -> str | None:
    if "/../" in value + "/" or "/./" in value + "/":
        return f"{value!r} contains a '.' or '..' component"
    return _abs_path(value)


@screened
def include(value: str) -> str | None:
    return None if INCLUDE.match(value) else f"{value!r} is not a relative path to a .toml file"


@screened
def ipv4(value: str) -> str | None:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return f"{value!r} is not an IPv4 address"
    if address.is_multicast or address.is_unspecified or value == "255.255.255.255":
        return f"{value!r} is not a unicast IPv4 address"
    return None


@screened
def host_address(value: str) -> str | None:
    """A monitored host's address: IPv4, IPv6 (a scope ID only of ``[A-Za-z0-9_.-]``) or a DNS name. Nagios
    runs host checks through /bin/sh with the address in them, so nothing a shell acts on may pass."""
    bad = next((char for char in value if not ADDRESS_CHARS.match(char)), None)
    if bad is not None:
        return (f"{value!r} contains {bad!r}: an address holds only letters, digits, '.', ':', '-' "
                f"(and '%' plus '_' in an IPv6 scope ID)")
    try:
        ipaddress.ip_address(value)
        if "%" in value and not SCOPE_ID.match(value.partition("%")[2]):
            return f"{value!r}: the IPv6 scope ID may hold only letters, digits, '_', '.' and '-'"
        return None
    except ValueError:
        pass
    return None if DNS_NAME.match(value) else f"{value!r} is not an IP address or DNS name"


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")  # what ipaddress reads as IPv4: no leading zeros
# the loader's fast path: most addresses are plain IPv4, which host_address accepts without parsing them
_ACCEPTS[host_address] = lambda value: _DOTTED_QUAD.fullmatch(value) is not None or host_address(value) is None


@screened
def mac(value: str) -> str | None:
    if not MAC.match(value):
        return f"{value!r} is not a MAC address (six lowercase hex pairs separated by ':')"
    if int(value[:2], 16) & 1:
        return f"{value!r} is a multicast MAC address; a guest needs a unicast one"
    if value == "00:00:00:00:00:00":
        return f"{value!r} is not a usable MAC address"
    return None


def drbd_protocol(value: str) -> str | None:
    return None if value == "C" else f"{value!r} is not supported; only protocol \"C\" (synchronous)"


def fence_agent(value: str) -> str | None:
    from nagios_herd.model import FENCE_AGENTS

    return None if value in FENCE_AGENTS else f"{value!r} is not a supported fence agent ({', '.join(FENCE_AGENTS)})"


def web_scheme(value: str) -> str | None:
    return None if value in ("http", "https") else f"{value!r} is not a scheme; use \"https\" or \"http\""


def role(value: str) -> str | None:
    return None if value in ("primary", "backup") else f"{value!r} is not a role; use \"primary\" or \"backup\""


def command_line(value: str) -> str | None:
    """A Nagios command_line: no shell metacharacters, and ``$...$`` only for an allowlist of standard macros."""
    bad = _first(_LINE_SHELL, value)
    if bad:
        return bad
    for macro in MACRO.findall(value):
        if macro not in _MACRO_NAMES and not _NUMBERED_MACRO.match(macro):
            return f"{value!r} uses ${macro}$, which is not an allowed macro"
    if MACRO.sub("", value).count("$"):
        return f"{value!r} contains an unpaired '$'"
    if not value.strip() or value != value.strip():
        return f"{value!r} is empty or has leading/trailing whitespace"
    return None


def command_arg(value: str) -> str | None:
    """One ``check_command`` argument: it becomes ``$ARGn$`` inside a shell command line."""
    return _first(_ARG_SHELL, value) or (None if value.strip() else f"{value!r} is empty")


# A team's Nagios objects reach nothing but the team's own Nagios, so they take what Nagios takes: object names
# exclude only the guest's illegal_object_name_chars (its nagios.cfg sets exactly these), text only line breakers.
ILLEGAL_OBJECT_NAME_CHARS = "`~!$%^&*|'\"<>?,()="
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _nagios_value(value: str, what: str) -> str | None:
    control = _first(_CONTROL, value)
    if control:
        return control
    if not value.strip():
        return f"{value!r} is empty"
    if value != value.strip():
        return f"{value!r} has leading or trailing whitespace ({what})"
    return None


def object_name(value: str) -> str | None:
    """A Nagios object name or service description as the guest's Nagios accepts it."""
    bad = next((char for char in value if char in ILLEGAL_OBJECT_NAME_CHARS), None)
    if bad:
        return f"{value!r} contains {bad!r}, which Nagios refuses in object names (illegal_object_name_chars)"
    if len(value) > 255:
        return f"{value!r} is longer than 255 characters"
    return _nagios_value(value, "Nagios drops it")


def nagios_text(value: str) -> str | None:
    """Free text of a Nagios object (an alias): anything on one line."""
    return _nagios_value(value, "Nagios drops it")


def team_command_line(value: str) -> str | None:
    """A team's own command_line: it runs on the team's Nagios only, as on the server it came from."""
    return _nagios_value(value, "Nagios drops it")


# the same rules as one regular expression each, for the loader's fast path (tested to agree with the checks)
_NAME_CHAR = "[^\\x00-\\x1f\\x7f" + re.escape(ILLEGAL_OBJECT_NAME_CHARS) + "]"
_NAME_EDGE = "[^\\s\\x00-\\x1f\\x7f" + re.escape(ILLEGAL_OBJECT_NAME_CHARS) + "]"
OBJECT_NAME = re.compile(f"(?=.{{1,255}}$){_NAME_EDGE}(?:{_NAME_CHAR}*{_NAME_EDGE})?", re.S)
ONE_LINE_TEXT = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?")
TEAM_ARG = re.compile(r"(?:[^\s\x00-\x1f\x7f!](?:[^\x00-\x1f\x7f!]*[^\s\x00-\x1f\x7f!])?)?")


def one_line(value: str) -> str | None:
    """Any text on one line (a custom variable's value may even be empty)."""
    return _first(_CONTROL, value)


def _fast(check: Check, regex: re.Pattern[str]) -> Check:
    _ACCEPTS[check] = regex.fullmatch
    return check


def team_arg(value: str) -> str | None:
    """A ``check_command`` argument of a team command: anything on one line but the ``!`` that splits arguments.

    An argument of a herd-wide command lands on a shell line the herd wrote: :func:`command_arg` holds there.
    """
    control = _first(_CONTROL, value)
    if control:
        return control
    if "!" in value:
        return f"{value!r} contains '!', which separates check_command arguments"
    if value != value.strip():
        return f"{value!r} has leading or trailing whitespace (Nagios drops it)"
    return None


_fast(object_name, OBJECT_NAME)
_fast(nagios_text, ONE_LINE_TEXT)
_fast(team_command_line, ONE_LINE_TEXT)
_fast(team_arg, TEAM_ARG)
