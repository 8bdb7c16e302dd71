"""Helpers for the Xen/LVM parser and check tests: fixture paths, running the real executables."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CHECKS = ROOT / "checks"
_PERF = re.compile(r"^(?:'((?:[^']|'')+)'|([^ =']+))=(-?[0-9.]+)([a-zA-Z%]*)((?:;[^; ]*){0,4})$")


class CheckRun:
    """One finished plugin run: status, first line, perfdata by label, long-output lines."""

    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        lines = proc.stdout.splitlines()
        self.first = lines[0] if lines else ""
        self.long = lines[1:]
        head, _, perf = self.first.partition(" | ")
        self.summary = head
        self.perf = parse_perfdata(perf) if perf else {}


def parse_perfdata(text: str) -> dict[str, tuple[float, str, list[str]]]:
    """Perfdata per the guidelines: label -> (value, uom, [warn, crit, min, max]); asserts validity."""
    items: dict[str, tuple[float, str, list[str]]] = {}
    for token in re.findall(r"'(?:[^']|'')+'=\S*|\S+", text):
        match = _PERF.match(token)
        assert match, f"invalid perfdata item {token!r}"
        label = (match[1] or match[2]).replace("''", "'")
        assert label not in items, f"duplicate perfdata label {label!r}"
        items[label] = (float(match[3]), match[4], match[5].split(";")[1:])
    return items


def run_check(name: str, *args: str, stdin: bytes | None = None, env: dict | None = None,
              timeout: float = 30) -> CheckRun:
    """Run ``checks/<name>`` as Nagios would (its own shebang, no shell) and assert the basics."""
    proc = subprocess.run([str(CHECKS / name), *args], input=stdin, capture_output=True,
                          timeout=timeout, env=env)
    out = subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(),
                                      proc.stderr.decode())
    run = CheckRun(out)
    assert run.status in (0, 1, 2, 3), out
    assert "Traceback" not in out.stdout + out.stderr, out
    state = ("OK", "WARNING", "CRITICAL", "UNKNOWN")[run.status]
    assert re.match(rf"^[A-Z]+ {state} - \S", run.first), run.first
    return run


def fixture(relative: str) -> str:
    """Absolute path of ``tests/fixtures/<relative>`` (which must exist)."""
    path = FIXTURES / relative
    assert path.is_file(), path
    return str(path)


def read(relative: str) -> str:
    return Path(fixture(relative)).read_text()
