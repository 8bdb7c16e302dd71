"""nagios-herd: a herd of Nagios servers as Xen guests on two DRBD-mirrored hosts."""

__version__ = "0.1.0"
