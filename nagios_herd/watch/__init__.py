"""The watcher (``nagios-herd watch``): restarts a crashed guest where the herd records it, nothing more."""
