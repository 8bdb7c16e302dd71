"""A failover killed (SIGKILL) after every journaled step, then run again: it always converges (I10).

After each kill: never two Primaries, never the domain on both hosts; ``verify`` names the unfinished job.
After the re-run: the guest runs on the target only, Primary only there, every acknowledged write kept.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.real]

STEPS = 9  # journal lines of a complete failover before its "end" line ("begin" and 8 steps)


@pytest.mark.parametrize("kill_after", range(1, STEPS + 1))
def test_failover_killed_after_each_step_converges_on_rerun(ops, kill_after):
    run = ops.start("failover", "--guest", "lab-db", "--nagios-wait", "0")
    try:
        ops.wait(lambda: len(ops.journal()) >= kill_after or run.poll() is not None, 60, "journal lines")
    finally:
        run.kill()
        run.wait()
    ops.assert_safe()
    if kill_after == 3:
        verify = ops.fab("verify")
        assert verify.returncode == 1 and "V13" in verify.stdout and "re-run it to converge" in verify.stdout
    again = ops.fab("failover", "--guest", "lab-db", "--nagios-wait", "0")
    assert again.returncode == 0, again.stdout + again.stderr
    ops.assert_safe()
    assert ops.where("lab-db") == ["backup"] and ops.primaries("lab-db") == ["backup"]
    assert ops.canary_intact("lab-db", "backup")
    if kill_after == 3:
        assert ops.fab("verify").returncode == 0  # the re-run closed the interrupted job
