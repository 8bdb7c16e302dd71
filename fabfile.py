"""``fab`` in a checkout finds the operator tasks here; they live in :mod:`nagios_herd.tasks`."""

from nagios_herd.tasks import *  # noqa: F403 - the tasks are this module's whole content
from nagios_herd.tasks import __all__  # noqa: F401
