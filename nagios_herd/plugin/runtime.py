"""The check runtime shared by every nagios-herd check plugin (Monitoring Plugins guidelines).

Public API (checks import only these names from ``nagios_herd.plugin.runtime``):

- ``State`` — ``State.OK/WARNING/CRITICAL/UNKNOWN`` (ints 0..3); ``State.worst(states)`` picks the most
  severe (CRITICAL > WARNING > UNKNOWN > OK).
- ``Range(text)`` — guideline range ``10``, ``10:``, ``~:10``, ``10:20``, ``@10:20``; ``.alerts(value)``;
  a bad range raises ``RangeError`` (a ``ValueError``, so as an option ``convert`` it is a usage error).
- ``Report(label)`` — ``.add(state, text)`` one long-output line per object; ``.perf(label, value, uom,
  warn=, crit=, minimum=, maximum=)`` perfdata (dot decimals, quoted labels, duplicates rejected);
  ``.detail(text)`` lines shown at ``-v``; ``.summary`` overrides the status-line text (default: the non-OK
  lines, worst first, else ``.ok_summary``). The state is the worst added. Free text is kept on one line
  and a ``|`` in it becomes ``_`` (Nagios would read perfdata from it). ``Perf``, ``format_number`` and
  ``quote_label`` are the perfdata pieces ``Report.perf`` uses.
- ``Option(short, long, kind=VALUE|APPEND|FLAG|COUNT, metavar=, convert=, default=, help=)`` — a per-check
  option; ``-h``, ``-V``, ``-v`` (repeatable) and ``-t/--timeout SECONDS`` (default 10) are always added.
- ``Plugin(label, name=, usage=, description=, options=[...]).main(check)`` — parses ``sys.argv``, arms the
  timeout (SIGALRM → ``UNKNOWN - timed out after N s``), calls ``check(options) -> Report``, prints
  ``LABEL STATE - summary | perfdata`` plus long output, exits with the state. ``-h``/``-V`` exit 3 like
  the Monitoring Plugins. Any exception becomes one ``UNKNOWN`` line (traceback only at ``-vvv``).
- ``CheckError(message)`` — raise it for anything the check cannot read: ``LABEL UNKNOWN - message``.
- ``format_bytes(count)`` — a byte count for the long output (``272.0 MiB``, binary units).
- ``read_input(path)`` — the ``--input FILE`` text (``-`` = stdin), bytes-tolerant: NUL bytes dropped,
  invalid UTF-8 replaced; unreadable → ``CheckError``.
- ``run_tool(argv, timeout=None, env=None) -> ToolResult`` — runs an external tool: absolute path required,
  no shell, ``LC_ALL=C`` (``env`` adds variables, never overrides those), stdin closed, stdout/stderr
  captured and decoded; timeout defaults to what is left of ``-t``; no ``subprocess`` (see ``plugin.spawn``).
  ``ToolResult(argv, returncode, stdout, stderr)``, ``.ok``, ``.failure()`` one line for a CheckError.
  Not found / not executable / timeout → ``CheckError``.
- ``launch(module_name, label)`` — what the thin executables in ``checks/`` call: imports the check module
  under the guard and runs its ``main()``.
"""

from __future__ import annotations

import os
import sys
import time

from nagios_herd import __version__
from nagios_herd.plugin.args import APPEND, COUNT, FLAG, VALUE, Option, Options, UsageError, help_text, parse_args
from nagios_herd.plugin.output import Perf, Report, State, format_bytes, format_number, nagios_line, quote_label
from nagios_herd.plugin.range import Range, RangeError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up cost)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "APPEND", "COUNT", "FLAG", "VALUE", "CheckError", "Option", "Options", "Perf", "Plugin", "Range",
    "RangeError", "Report", "State", "ToolResult", "UsageError", "format_bytes", "format_number", "launch",
    "quote_label", "read_input", "run_tool",
]

DEFAULT_TIMEOUT = 10.0
MAX_INPUT_BYTES = 64 * 1024 * 1024
TOOL_ENV = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
_deadline: float | None = None


class CheckError(Exception):
    """Something the check cannot read or run: reported as UNKNOWN with this one-line message."""


class PluginTimeout(Exception):
    """Raised by the SIGALRM handler when ``-t`` expires."""


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a positive number of seconds")
    return value


STANDARD_OPTIONS = [
    Option("h", "help", kind=FLAG, help="print this help and exit (status 3)"),
    Option("V", "version", kind=FLAG, help="print the version and exit (status 3)"),
    Option("v", "verbose", kind=COUNT, help="more detail; repeat up to -vvv (traceback on internal errors)"),
    Option("t", "timeout", metavar="SECONDS", convert=_positive_seconds, default=DEFAULT_TIMEOUT,
           help=f"give up with UNKNOWN after SECONDS (default {DEFAULT_TIMEOUT:g})"),
]


def read_input(path: str) -> str:
    """Read a saved tool output (``-`` = stdin) as text, tolerant of NUL bytes and bad UTF-8."""
    try:
        if path == "-":
            if sys.stdin is None:
                raise CheckError("--input -: no standard input")
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise CheckError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise CheckError(f"{path}: input larger than {MAX_INPUT_BYTES} bytes")
    return data.decode("utf-8", "replace").replace("\x00", "")


class ToolResult:
    """What an external tool printed and returned."""

    __slots__ = ("argv", "returncode", "stdout", "stderr")

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """One line naming the command, its exit status and its first stderr line."""
        first = next((line.strip() for line in self.stderr.splitlines() if line.strip()), "no error message")
        return f"{' '.join(self.argv)} exited {self.returncode}: {first}"


def remaining_time() -> float:
    """Seconds left of the ``-t`` budget (the default timeout outside a running plugin)."""
    if _deadline is None:
        return DEFAULT_TIMEOUT
    return max(0.1, _deadline - time.monotonic())


def run_tool(argv: Sequence[str], timeout: float | None = None,
             env: dict[str, str] | None = None) -> ToolResult:
    """Run ``argv`` (absolute path, no shell, ``LC_ALL=C``) and capture its output.

    ``env`` adds variables to the fixed tool environment (e.g. an ``LVM_SYSTEM_DIR`` passed through).
    """
    argv = [str(arg) for arg in argv]
    if not argv or not os.path.isabs(argv[0]):
        raise ValueError(f"run_tool needs an absolute program path, got {argv[:1]!r}")
    from nagios_herd.plugin import spawn  # lazy: --input never runs a tool

    seconds = remaining_time() if timeout is None else timeout
    try:
        returncode, stdout, stderr = spawn.capture(argv, {**(env or {}), **TOOL_ENV}, seconds)
    except spawn.Expired:
        raise CheckError(f"{argv[0]} timed out after {seconds:g} s") from None
    except OSError as error:
        raise CheckError(f"cannot run {argv[0]}: {error.strerror or error}") from None
    decode = lambda data: data.decode("utf-8", "replace").replace("\x00", "")  # noqa: E731
    return ToolResult(argv, returncode, decode(stdout), decode(stderr))


def _write(text: str) -> None:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):
        pass  # stdout closed or gone: the exit status still tells Nagios


class Plugin:
    """One check plugin: its label, options and help; :meth:`run` is the guarded main loop."""

    def __init__(self, label: str, *, name: str, usage: str, description: str,
                 options: Sequence[Option] = (), version: str = __version__) -> None:
        self.label, self.name, self.usage, self.description = label, name, usage, description
        self.options = [*STANDARD_OPTIONS, *options]
        self.version = version

    def _unknown(self, message: str) -> int:
        _write(f"{self.label} UNKNOWN - {nagios_line(message)}")
        return int(State.UNKNOWN)

    def run(self, check: Callable[[Options], Report], argv: Sequence[str] | None = None) -> int:
        """Parse ``argv``, run ``check`` under the timeout and the guard, print, return the exit status."""
        global _deadline
        verbose = 0
        import _signal  # the C module: ``signal`` would import ``enum`` (start-up cost)

        try:
            options = parse_args(sys.argv[1:] if argv is None else argv, self.options)
            verbose = options.verbose
            if options.help:
                _write(help_text(self.usage, self.description, self.options))
                return int(State.UNKNOWN)
            if options.version:
                _write(f"{self.name} {self.version}")
                return int(State.UNKNOWN)

            def expire(signum: int, frame: object) -> None:
                raise PluginTimeout()

            _signal.signal(_signal.SIGALRM, expire)
            _deadline = time.monotonic() + options.timeout
            _signal.setitimer(_signal.ITIMER_REAL, options.timeout)
            try:
                report = check(options)
                text, state = report.render(verbose), report.state
            finally:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
                _deadline = None
        except UsageError as error:
            _write(f"{self.label} UNKNOWN - {nagios_line(str(error))}\nUsage: {self.usage}")
            return int(State.UNKNOWN)
        except PluginTimeout:
            return self._unknown(f"timed out after {options.timeout:g} s")
        except CheckError as error:
            return self._unknown(str(error))
        except KeyboardInterrupt:
            return self._unknown("interrupted")
        except BaseException as error:  # the guard: never let a traceback escape to Nagios
            code = self._unknown(f"internal error: {type(error).__name__}: {error}")
            if verbose >= 3:
                import traceback

                _write(traceback.format_exc().rstrip())
            return code
        _write(text)
        return int(state)

    def main(self, check: Callable[[Options], Report], argv: Sequence[str] | None = None) -> None:
        """Run and exit with the plugin status."""
        sys.exit(self.run(check, argv))


def launch(module_name: str, label: str) -> None:
    """Entry of the thin executables: import ``module_name`` under the guard and call its ``main()``."""
    try:
        module = __import__(module_name, fromlist=["main"])
        main = module.main
    except BaseException as error:  # a broken install must still answer like a plugin
        _write(f"{label} UNKNOWN - cannot load {module_name}: {type(error).__name__}: {nagios_line(str(error))}")
        sys.exit(int(State.UNKNOWN))
    main()
