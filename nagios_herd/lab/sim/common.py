"""What every simulator entry point shares: who am I (``LAB_HOST``), where is the lab's state
(``NAGIOS_HERD_LAB_STATE``), one transaction per invocation, and failures as the tools print them."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nagios_herd.lab.sim.drbd_ops import SimError
from nagios_herd.lab.sim.engine import Lab
from nagios_herd.lab.sim.state import SimStateError, state_dir_from_env, transaction

HOST_DOWN_CODE = 255  # what ssh returns when the host does not answer


def this_host() -> str:
    host = os.environ.get("LAB_HOST", "")
    if not host:
        raise SimStateError("LAB_HOST is not set (the lab host this command runs on)")
    return host


@contextmanager
def session() -> Iterator[tuple[Lab, str]]:
    """One locked transaction on behalf of this host; a crashed host answers nothing."""
    host = this_host()
    with transaction(state_dir_from_env()) as lab:
        if host not in lab.data["hosts"]:
            raise SimStateError(f"LAB_HOST={host} is not a host of this lab")
        if not lab.host(host)["alive"]:
            raise SimError([f"lab host {host} is down (crashed): no answer"], HOST_DOWN_CODE)
        yield lab, host


def main_wrapper(program: str, body: Callable[[list[str]], int], setup_error_code: int) -> None:
    """Run ``body(argv)``; refusals print their lines, a broken lab prints one line; never a traceback."""
    try:
        code = body(sys.argv[1:])
    except SimError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        code = exc.code
    except SimStateError as exc:
        print(f"{program} (nagios-herd lab): {exc}", file=sys.stderr)
        code = setup_error_code
    sys.stdout.flush()
    sys.exit(code)
