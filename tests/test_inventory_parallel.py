"""Reading team files in two processes gives exactly what one process gives: the same herd, the same problems.

Also the fork helper's promise: a child that fails in any way costs time, never a result.
"""

from __future__ import annotations

import os

import pytest
from inventory_helpers import copy_fixture, edit

from nagios_herd import parallel
from nagios_herd.errors import InventoryError
from nagios_herd.inventory.loader import load


def _problems(herd_toml: object, parallel_read: bool) -> list[str]:
    with pytest.raises(InventoryError) as caught:
        load(herd_toml, parallel=parallel_read)  # type: ignore[arg-type]
    return caught.value.problems


def test_same_herd_either_way(tmp_path) -> None:
    root = copy_fixture(tmp_path)
    assert load(root / "herd.toml", parallel=True) == load(root / "herd.toml", parallel=False)


def test_same_problem_lines_in_the_same_order(tmp_path) -> None:
    root = copy_fixture(tmp_path)
    edit(root, "teams/alpha.toml", 'name = "gw01"', 'name = "gw 01"')  # read problem in one team
    edit(root, "teams/beta.toml", 'name = "beta"', 'name = "alpha"')  # team names collide across files
    gamma = root / "teams/gamma.toml"
    gamma.write_text(gamma.read_text() + '\n[[contacts]]\nname = "zed"\nextra = 1\n[[services]]\nhost = "nope"\n')
    edit(root, "herd.toml", 'team = "teams/beta.toml"', 'team = "teams/beta.toml"\nsurprise = true')
    serial = _problems(root / "herd.toml", False)
    assert len({line.split(":")[0] for line in serial}) == 4  # every file has problems
    assert any("duplicate team name" in line for line in serial)
    assert _problems(root / "herd.toml", True) == serial


def test_unreadable_team_file_either_way(tmp_path) -> None:
    root = copy_fixture(tmp_path)
    (root / "teams/beta.toml").write_bytes(b"[team]\nname = \"\xff\"\n")
    edit(root, "teams/alpha.toml", "[team]", "[team\n")
    assert _problems(root / "herd.toml", True) == _problems(root / "herd.toml", False)


def test_child_result_comes_from_the_child() -> None:
    parent = os.getpid()
    assert parallel.Child(os.getpid).result() != parent


@pytest.mark.parametrize("failure", ["raise", "unpicklable", "exit"])
def test_failed_child_means_the_parent_does_the_work(failure: str) -> None:
    parent = os.getpid()

    def work() -> object:
        if os.getpid() != parent:
            if failure == "raise":
                raise RuntimeError("child only")
            if failure == "exit":
                os._exit(3)
            return lambda: None  # pickle refuses a lambda
        return "parent"

    assert parallel.Child(work).result() == "parent"


def test_failure_in_the_work_surfaces_from_the_parent() -> None:
    def work() -> None:
        raise ValueError("a real bug")

    with pytest.raises(ValueError, match="a real bug"):
        parallel.Child(work).result()


def test_no_fork_while_another_thread_runs() -> None:
    import threading

    assert parallel.cores() >= 1
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.cores() == 1
    finally:
        stop.set()
        thread.join()
