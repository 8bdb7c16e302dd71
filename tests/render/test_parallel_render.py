"""Rendering in two processes (a large herd) gives the bytes and the errors one process gives."""

from __future__ import annotations

import dataclasses

import herdbuilder
import pytest
from conftest import SHIPPED

from nagios_herd.errors import HerdError
from nagios_herd.generate import render as render_module
from nagios_herd.generate.inputs import Digests, digests, templates_dir
from nagios_herd.generate.render import render
from nagios_herd.inventory.loader import load


def _both(monkeypatch: pytest.MonkeyPatch, herd, inputs) -> tuple[object, object]:
    """(one process, two processes): each the rendered files or the error's text."""
    results = []
    for threshold in (10**12, 0):
        monkeypatch.setattr(render_module, "PARALLEL_OBJECTS", threshold)
        monkeypatch.setattr(render_module, "cores", lambda: 2)
        try:
            results.append(render(herd, inputs))
        except HerdError as error:
            results.append(str(error))
    return results[0], results[1]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_same_bytes(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    herd = load(SHIPPED[name])
    serial, parallel = _both(monkeypatch, herd, digests(herd, templates_dir()))
    assert isinstance(serial, dict) and len(serial) > 20
    assert parallel == serial


def _refusing(herd, *indexes: int):
    guests = list(herd.guests)
    for index in indexes:
        team = dataclasses.replace(guests[index].team, alias=f"Team {index} ! bang")
        guests[index] = dataclasses.replace(guests[index], team=team)
    return dataclasses.replace(herd, guests=tuple(guests))


@pytest.mark.parametrize("indexes", [(1,), (0,), (1, 2), (2, 1)], ids=str)
def test_same_first_error(monkeypatch: pytest.MonkeyPatch, indexes: tuple[int, ...]) -> None:
    herd = _refusing(herdbuilder.herd(), *indexes)
    assert len(herd.guests) >= 3
    serial, parallel = _both(monkeypatch, herd, Digests("h", {g.name: "g" for g in herd.guests}, "a"))
    assert isinstance(serial, str) and f"guests/{herd.guests[min(indexes)].name}/" in serial
    assert parallel == serial


def _write_in_two(monkeypatch: pytest.MonkeyPatch) -> None:
    from nagios_herd.generate import buildtree

    monkeypatch.setattr(buildtree, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(buildtree, "cores", lambda: 2)


def test_tree_written_in_two_processes_is_complete(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from nagios_herd.generate.buildtree import read_manifest, write_tree

    _write_in_two(monkeypatch)
    files = {f"guests/g{index % 3}/file{index}.cfg": f"content {index}\n".encode() for index in range(40)}
    write_tree(tmp_path / "build", files, herd="h", inputs_sha256="x")
    written = {path.relative_to(tmp_path / "build").as_posix(): path.read_bytes()
               for path in (tmp_path / "build").rglob("*") if path.is_file()}
    assert written == {**files, "MANIFEST.json": (tmp_path / "build" / "MANIFEST.json").read_bytes()}
    assert set(read_manifest(tmp_path / "build")["files"]) == set(files)


@pytest.mark.parametrize("share", [0, 1], ids=["parent-share", "child-share"])
def test_failed_write_in_either_process_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path, share: int) -> None:
    from nagios_herd.generate.buildtree import write_tree

    _write_in_two(monkeypatch)
    files = {f"a{index}.cfg": b"x\n" for index in range(10)}
    unwritable = f"a{share}" + "z" * 300  # too long a name; sorted at index 2 + share (MANIFEST.json comes first)
    files[unwritable] = b"x\n"
    assert sorted([*files, "MANIFEST.json"]).index(unwritable) % 2 == share
    with pytest.raises(HerdError, match="cannot write the build tree"):
        write_tree(tmp_path / "build", files, herd="h", inputs_sha256="x")
    assert list(tmp_path.iterdir()) == []
