"""pytest fixtures over :class:`RealNagios` (import them into a test module to use them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import RealNagios


@pytest.fixture
def real_nagios(tmp_path: Path) -> Iterator[RealNagios]:
    """A running core with one host and one OK service, stopped (by pid) after the test."""
    with RealNagios(tmp_path / "realnagios") as nagios:
        yield nagios
