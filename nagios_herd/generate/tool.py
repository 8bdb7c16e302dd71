"""Run one validator tool (nagios4, drbdadm, visudo, crm_verify, …) so that its absence or a hang is a result.

A validator that is not installed or does not answer must become one FAIL line naming it, never a traceback:
exit 127 ("not installed") and 124 ("no answer within N s") are the shell's own conventions for those cases.
"""

from __future__ import annotations

import subprocess


def run_tool(argv: list[str], timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    except FileNotFoundError:
        return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]}: not installed")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"{argv[0]}: no answer within {timeout:g} s")
