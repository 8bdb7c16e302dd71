"""check_nagios_guest: is a guest's Nagios core alive and scheduling checks?

Asks the guest's statusjson.cgi (``query=programstatus`` and ``query=performancedata``), each answer
capped at 1 MiB, both within the -t deadline, redirects never followed. Default URL
``https://HOST/cgi-bin/nagios4/statusjson.cgi``; TLS is always verified (``--ca-file`` for a private CA).
Verdicts:

- CRITICAL: no answer (refused, no whole answer before the deadline, TLS failure, a body past 1 MiB), HTTP
  status other than 200/401/403, a blank body (the daemon is down: status.dat is gone), a body that is
  not JSON (HTML, truncated), a CGI error envelope about the server (type_code 1 memory, 2 file), no
  active host or service check in the last minute (after the first minute of uptime), or a status age beyond ``-c``.
- WARNING: status age beyond ``-w``. The age is ``query_time - last_data_update``, both from the
  guest's own clock, so clock skew cannot fake it.
- UNKNOWN: bad options, an unusable ``--authfile``, credentials rejected (HTTP 401/403: the check
  cannot tell anything), a CGI error about the request (type_code >= 3), JSON of another shape.

``--authfile`` holds ``username=...`` and ``password=...`` lines, or one ``user:password`` line; it
must not be accessible by group or others, and is never sent over plain http except to loopback.
``--input FILE`` reads the two saved answers (concatenated, any order) instead of asking.
"""

from __future__ import annotations

import os

from nagios_herd.parsers.nagios_status import (
    Answer,
    CGIError,
    EmptyAnswer,
    NotJSON,
    StatusError,
    parse_answer,
    parse_answers,
)
from nagios_herd.plugin.runtime import (
    CheckError,
    Option,
    Options,
    Plugin,
    Range,
    Report,
    State,
    UsageError,
    read_input,
    remaining_time,
)

LABEL = "NAGIOS"
CGI_PATH = "/cgi-bin/nagios4/statusjson.cgi"
QUERIES = ("programstatus", "performancedata")
STARTUP_GRACE = 60.0  # the "last minute" window means nothing before a minute of uptime
SERVER_SIDE_CGI_ERRORS = (1, 2)  # memory allocation, file open/read

PLUGIN = Plugin(
    LABEL,
    name="check_nagios_guest",
    usage="check_nagios_guest -H HOST [--url URL] [--authfile FILE] [--ca-file FILE]"
          " [-w SECONDS] [-c SECONDS] [--input FILE] [-t SECONDS] [-v]",
    description=__doc__,
    options=[
        Option("H", "hostname", metavar="HOST", help="the guest (its Nagios web server)"),
        Option(None, "url", metavar="URL",
               help=f"statusjson.cgi URL (default https://HOST{CGI_PATH})"),
        Option(None, "authfile", metavar="FILE",
               help="basic-auth credentials: username=/password= lines or user:password (mode 0600)"),
        Option(None, "ca-file", metavar="FILE", help="CA bundle that signed the guest's certificate"),
        Option("w", "warning", metavar="RANGE", convert=Range, default=Range("0:180"),
               help="range of status data age in seconds (default 0:180)"),
        Option("c", "critical", metavar="RANGE", convert=Range, default=Range("0:600"),
               help="range of status data age in seconds (default 0:600)"),
        Option(None, "input", metavar="FILE",
               help="read saved programstatus + performancedata answers ('-' = stdin)"),
    ],
)


class Down(Exception):
    """The guest did not give a usable answer: CRITICAL with this reason."""


def main(argv: list[str] | None = None) -> None:
    PLUGIN.main(check, argv)


def check(options: Options) -> Report:
    """Fetch (or read) both answers and judge them."""
    name = options.hostname or options.url or options.input
    if not name:
        raise UsageError("give -H HOST or --url URL (or --input FILE)")
    try:
        if options.input:
            answers = _from_text(read_input(options.input), "--input " + options.input)
        else:
            answers = _fetch(options)
    except Down as reason:
        report = Report(LABEL)
        report.add(State.CRITICAL, f"{options.hostname or name}: {reason}")
        return report
    return evaluate(answers["programstatus"], answers["performancedata"],
                    options.warning, options.critical, options.hostname or name)


def _judge(error: StatusError, source: str) -> Exception:
    """Map a parser error to Down (CRITICAL) or CheckError (UNKNOWN)."""
    if isinstance(error, (EmptyAnswer, NotJSON)):
        return Down(str(error))
    if isinstance(error, CGIError) and error.type_code in SERVER_SIDE_CGI_ERRORS:
        return Down(str(error))
    return CheckError(f"{source}: {error}")


def _from_text(text: str, source: str) -> dict[str, Answer]:
    try:
        answers = parse_answers(text)
    except StatusError as error:
        raise _judge(error, source) from None
    found = {answer.envelope.query: answer for answer in answers}
    missing = [query for query in QUERIES if query not in found]
    if missing or len(answers) != len(found):
        raise CheckError(f"{source}: need one answer to each of query={' and query='.join(QUERIES)};"
                         f" got {', '.join(a.envelope.query for a in answers)}")
    return found


def read_authfile(path: str) -> tuple[str, str]:
    """(user, password) from an owner-only file; CheckError names the file and the problem."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)  # a FIFO must not block
    except OSError as error:
        raise CheckError(f"cannot read authfile {path}: {error.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise CheckError(f"authfile {path} is not a regular file")
        if mode & 0o077:
            raise CheckError(f"authfile {path} is accessible by group/others (mode "
                             f"{stat.S_IMODE(mode):04o}); chmod 600 it")
        data = os.read(fd, 65536)
    finally:
        os.close(fd)
    try:
        lines = [line.strip() for line in data.decode("utf-8").splitlines()]
    except UnicodeDecodeError:
        raise CheckError(f"authfile {path} is not UTF-8 text") from None
    lines = [line for line in lines if line and not line.startswith("#")]
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    if set(fields) == {"username", "password"} and len(lines) == 2 and fields["username"]:
        return fields["username"], fields["password"]
    if len(lines) == 1 and ":" in lines[0] and lines[0].split(":", 1)[0]:
        user, password = lines[0].split(":", 1)
        return user, password
    raise CheckError(f"authfile {path}: expected 'username=...' and 'password=...' lines"
                     " or one 'user:password' line")


def _target(options: Options) -> str:
    if options.url:
        return options.url
    if not options.hostname:
        raise UsageError("give -H HOST or --url URL")
    return f"https://{options.hostname}{CGI_PATH}"


def _plain_http_allowed(url: str) -> bool:
    """Credentials may cross plain http only to a loopback address (the lab)."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_ca_file(path: str) -> None:
    """A --ca-file without a usable certificate is our mistake (UNKNOWN), not the guest's."""
    import ssl

    if not os.path.isfile(path):
        raise CheckError(f"--ca-file {path}: no such file")
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError) as error:
        raise CheckError(f"--ca-file {path}: no usable CA certificate ({_ssl_reason(error)})") from None


def _ssl_reason(error: BaseException) -> str:
    from nagios_herd.httpget import reason

    return reason(error)


def _fetch(options: Options) -> dict[str, Answer]:
    url = _target(options)
    auth = read_authfile(options.authfile) if options.authfile else None
    if auth and not _plain_http_allowed(url):
        raise CheckError(f"refusing to send the credentials of {options.authfile} over plain http"
                         f" to {url}; use https")
    if options.ca_file:
        _check_ca_file(options.ca_file)
    answers: dict[str, Answer] = {}
    for query in QUERIES:
        body = _get(url, query, auth, options.ca_file)
        try:
            answers[query] = parse_answer(body, expect=query)
        except StatusError as error:
            raise _judge(error, f"{url}?query={query}") from None
    return answers


def _get(url: str, query: str, auth: tuple[str, str] | None, cafile: str | None) -> str:
    """One bounded GET (size cap, total deadline before -t, no redirect); raises Down for what the guest
    did wrong (a missed deadline included: CRITICAL), CheckError for what we did wrong."""
    from nagios_herd.httpget import BadUrl, DeadlineMissed, TlsFailure, TooLarge, Unreachable, get

    seconds = max(0.2, remaining_time() - 0.5)
    try:
        answer = get(url, seconds=seconds, params={"query": query}, auth=auth, cafile=cafile)
    except TlsFailure as error:
        raise Down(f"TLS failure: {error}") from None
    except DeadlineMissed:
        raise Down(f"no answer within {seconds:.1f} s") from None
    except Unreachable as error:
        raise Down(f"cannot connect: {error}") from None
    except TooLarge as error:
        raise Down(str(error)) from None
    except BadUrl as error:
        raise CheckError(str(error)) from None
    if answer.status in (401, 403, 407):
        raise CheckError(f"HTTP {answer.status} {answer.reason} from {url}: credentials"
                         " missing or rejected (check --authfile)")
    if answer.status != 200:
        where = answer.headers.get("location")
        raise Down(f"HTTP {answer.status} {answer.reason}" + (f" (redirect to {where})" if where else ""))
    return answer.body.decode("utf-8", "replace")


def evaluate(program: Answer, performance: Answer, warning: Range, critical: Range,
             name: str) -> Report:
    """The verdict on two parsed answers: status age against -w/-c, checks in the last minute."""
    envelope, status, perf = program.envelope, program.program, performance.performance
    assert status is not None and perf is not None  # guaranteed by the expected queries
    report = Report(LABEL)
    age = envelope.data_age
    uptime = max(0.0, envelope.query_time - status.program_start)
    age_state = (State.CRITICAL if critical.alerts(age)
                 else State.WARNING if warning.alerts(age) else State.OK)
    report.add(age_state, f"{name}: status data {age:.0f} s old")
    active = perf.service_active.last_1min + perf.host_active.last_1min
    if active:
        report.add(State.OK, f"{name}: {active} active checks in the last minute")
    elif uptime < STARTUP_GRACE:
        report.add(State.OK, f"{name}: started {uptime:.0f} s ago, no active check yet")
    else:
        disabled = not status.active_service_checks and not status.active_host_checks
        report.add(State.CRITICAL, f"{name}: no active check in the last minute"
                   + (" (active checks are disabled)" if disabled else ""))
    report.ok_summary = (f"{name}: Nagios {status.version} pid {status.nagios_pid} up "
                         f"{uptime:.0f} s, status {age:.0f} s old, {active} checks in the last minute")
    report.detail(f"query_time {envelope.query_time:.0f}, last_data_update "
                  f"{envelope.last_data_update:.0f}, program_start {status.program_start:.0f}")
    report.perf("age", round(age, 3), "s", warn=warning, crit=critical, minimum=0)
    report.perf("uptime", round(uptime, 3), "s", minimum=0)
    for label, counts in (("service_checks", perf.service_active), ("host_checks", perf.host_active)):
        report.perf(f"{label}_1min", counts.last_1min, minimum=0)
        report.perf(f"{label}_5min", counts.last_5min, minimum=0)
    report.perf("passive_checks_1min", perf.service_passive.last_1min + perf.host_passive.last_1min,
                minimum=0)
    return report
