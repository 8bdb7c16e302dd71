"""Subcommands of ``nagios-herd``, one module each."""
