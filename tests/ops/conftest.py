"""One lab per test module of tests/ops (building one takes seconds); each test resets it."""

from __future__ import annotations

import pytest

from .labops import Ops


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from nagios_herd.lab.testing import module_lab

    yield from module_lab(tmp_path_factory)


@pytest.fixture
def ops(lab, tmp_path):
    operations = Ops(lab, tmp_path / "state")
    operations.reset()
    return operations
