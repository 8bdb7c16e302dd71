"""The two-host rehearsal lab: sshd per host, LVM on loop devices, xl/drbdadm/drbdsetup simulators."""
