"""Run a program and capture what it prints, without ``subprocess``: the engine under ``runtime.run_tool``.

Why: ``import subprocess`` pulls in ``locale``, ``re``, ``enum``, ``threading`` and ``selectors``, about 10 ms,
as much as the rest of a check's start-up, and every check on a host runs one tool per run. ``os.posix_spawn``
(the C library's vfork and exec) and ``select.poll`` do the same work. What subprocess does for a child is
kept: stdin on /dev/null, no descriptor of ours leaks into the tool (LVM warns about each), SIGPIPE and SIGXFSZ
back to their defaults, an exit status that is negative for a signal, and no tool outliving its timeout or the
check.
"""

from __future__ import annotations

import os
import select
import time
from _signal import SIGKILL, SIGPIPE, SIGXFSZ  # the C module: ``signal`` would import ``enum``

CHUNK = 65536


class Expired(Exception):
    """The program ran longer than it was given; it has been killed."""


def capture(argv: list[str], env: dict[str, str], seconds: float) -> tuple[int, bytes, bytes]:
    """(exit status, stdout, stderr) of ``argv`` (an absolute path, no shell) run with exactly ``env``.

    Raises ``OSError`` when the program cannot be started and :class:`Expired` when it runs longer than
    ``seconds``; on any exception (the check's ``-t`` alarm too) the program is killed and reaped first."""
    deadline = time.monotonic() + seconds
    _keep_descriptors_private()
    out_read, out_write = os.pipe()  # close-on-exec; a dup2 onto the same number (a check started with stdout
    err_read, err_write = os.pipe()  # closed gets a pipe end at 1) clears that flag, as glibc does since 2.29
    pid = None
    try:
        try:
            pid = os.posix_spawn(argv[0], argv, env, setsigdef=(SIGPIPE, SIGXFSZ), file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_write, 1),
                (os.POSIX_SPAWN_DUP2, err_write, 2)])
        finally:
            os.close(out_write)
            os.close(err_write)
        output = _read_until_closed((out_read, err_read), deadline)
        status = _wait(pid, deadline)
        pid = None
        return os.waitstatus_to_exitcode(status), output[out_read], output[err_read]
    finally:
        if pid is not None:
            try:
                os.kill(pid, SIGKILL)
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # the alarm struck between reaping it and forgetting its pid
        os.close(out_read)
        os.close(err_read)


def _keep_descriptors_private() -> None:
    """subprocess's ``close_fds``: a descriptor this process inherited (from NRPE, sudo, a shell) is not passed on."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        descriptors = list(range(3, 256))
    for descriptor in descriptors:
        if descriptor > 2:
            try:
                os.set_inheritable(descriptor, False)
            except OSError:
                pass  # closed meanwhile (the listing's own descriptor)


def _read_until_closed(descriptors: tuple[int, ...], deadline: float) -> dict[int, bytes]:
    chunks: dict[int, list[bytes]] = {descriptor: [] for descriptor in descriptors}
    poller = select.poll()
    for descriptor in descriptors:
        poller.register(descriptor, select.POLLIN)
    open_count = len(descriptors)
    while open_count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Expired()
        for descriptor, _ in poller.poll(int(left * 1000) + 1):
            data = os.read(descriptor, CHUNK)
            if data:
                chunks[descriptor].append(data)
            else:
                poller.unregister(descriptor)
                open_count -= 1
    return {descriptor: b"".join(parts) for descriptor, parts in chunks.items()}


def _wait(pid: int, deadline: float) -> int:
    """The wait status; the program closed its output, so it is exiting: ask again at growing intervals (a
    program that closed its output and kept running still meets the deadline)."""
    pause = 0.0002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            raise Expired()
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
