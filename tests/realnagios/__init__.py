"""A real Nagios 4 core + lighttpd serving statusjson.cgi, for tests (see harness.RealNagios).

Import from any test module under ``tests/``: ``from realnagios import RealNagios, real_nagios``
(``real_nagios`` is a pytest fixture: a started instance with the default objects, stopped after
the test). Tests that use it need ``@pytest.mark.real``.
"""

from .fixtures import real_nagios
from .harness import STATE_NAMES, RealNagios

__all__ = ["STATE_NAMES", "RealNagios", "real_nagios"]
