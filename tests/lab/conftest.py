"""One lab per test module (building one takes seconds), on random loopback addresses."""

from __future__ import annotations

import pytest

from nagios_herd.lab.testing import running_lab, unavailable


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with running_lab(tmp_path_factory.mktemp("lab")) as the_lab:
        yield the_lab

