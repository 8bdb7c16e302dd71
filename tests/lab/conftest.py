"""One lab per test module (building one takes seconds), on random loopback addresses."""

from __future__ import annotations

import pytest

from nagios_herd.lab.testing import module_lab

lab = pytest.fixture(scope="module")(module_lab)
