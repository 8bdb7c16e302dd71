"""Two cores for one big job: part of it in a forked child while the parent does the rest.

A generate of a large herd is pure CPU work over independent pieces (team files, rendered files). :class:`Child`
forks once; its ``result()`` waits for what the child computed; the parent works on its own share in the
meantime. fork shares the parent's data with the child for free (no pickling of the inputs), only the result comes
back through a pipe. The work must be pure (read files, compute): if the child fails in any way — fork refused,
killed, an exception, an unpicklable result — the parent simply runs the same work itself, so an error surfaces
exactly as it would without the child (one line or a traceback from the parent, never a lost result).

:func:`gc_paused`: building the model allocates millions of acyclic containers; the cycle collector would rescan
the growing heap again and again for nothing, so it is paused while they are built.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


def cores() -> int:
    """CPUs a forked helper could use: those this process may run on, or 1 when another thread runs here (a child
    inherits every lock that thread holds at the fork, and could wait on one forever)."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Child(Generic[T]):
    """``work`` started in a forked child (or, if fork is refused, not started: :meth:`result` runs it here)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._pid = 0
        self._reader = -1
        try:
            reader, writer = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # the child: compute, send, leave without the parent's exit handlers or its unflushed buffers
            code = 1
            try:
                os.close(reader)
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with open(writer, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        self._pid, self._reader = pid, reader

    def _collect(self) -> bytes | None:
        """The child's pickled result, None if it failed; the child is reaped either way."""
        if not self._pid:
            return None
        with open(self._reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        return data if status == 0 and data else None

    def result(self) -> T:
        """The child's result; if it failed in any way, ``work`` runs here instead."""
        data = self._collect()
        if data is not None:
            try:
                return pickle.loads(data)
            except Exception:  # a result that does not survive the trip is computed here instead
                pass
        return self._work()

    def discard(self) -> None:
        """Wait for the child and drop its result."""
        self._collect()


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
