"""Golden files: the fixture inventory renders byte for byte into tests/golden/tree.

Regenerate after an intended change (then review the diff in git):
``NAGIOS_HERD_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/render/test_golden.py``
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from conftest import FIXTURE_INVENTORY, ROOT, generate

GOLDEN = ROOT / "tests" / "golden" / "tree"


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_fixture_inventory_renders_exactly_the_golden_tree(tmp_path):
    output = generate(FIXTURE_INVENTORY, tmp_path / "build")
    if os.environ.get("NAGIOS_HERD_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(output, GOLDEN)
    rendered, golden = _files(output), _files(GOLDEN)
    assert sorted(rendered) == sorted(golden)
    for path in sorted(golden):
        if rendered[path] != golden[path]:
            diff = difflib.unified_diff(golden[path].decode().splitlines(), rendered[path].decode().splitlines(),
                                        f"golden/{path}", f"rendered/{path}", lineterm="")
            raise AssertionError("\n".join(diff))


def test_golden_tree_has_the_contract_layout():
    files = _files(GOLDEN)
    for host in ("xen-a", "xen-b"):
        for guest in ("team-db", "team-ops", "team-web"):
            assert f"hosts/{host}/etc/xen/{guest}.cfg" in files
            assert f"hosts/{host}/etc/drbd.d/{guest}.res" in files
        for path in ("etc/drbd.d/global_common.conf", "etc/nagios/nrpe.d/nagios-herd.cfg",
                     "etc/sudoers.d/nagios-herd", "var/lib/nagios-herd/volumes.json"):
            assert f"hosts/{host}/{path}" in files
    for guest in ("team-db", "team-ops", "team-web"):
        assert f"guests/{guest}/etc/nagios4/nagios.cfg" in files
        assert f"guests/{guest}/etc/nagios4/objects/services.cfg" in files
    assert "MANIFEST.json" in files
