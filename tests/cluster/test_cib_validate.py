"""validate on cluster/cib.xml: the real crm_verify plus the agents' metadata, which crm_verify never reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cibtree import cib_text, fixture_tree  # noqa: F401  (fixtures)

from nagios_herd.generate.validators import validate

pytestmark = pytest.mark.real


@pytest.fixture()
def tree(fixture_tree, tmp_path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(fixture_tree, copy)
    return copy


def _cib(tree: Path, old: str, new: str, count: int = 1) -> str:
    path = tree / "cluster" / "cib.xml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))
    results = {result.path: result for result in validate(tree, only="cluster")}
    assert "cluster/cib.xml" in results
    return "" if results["cluster/cib.xml"].ok else results["cluster/cib.xml"].reason


def test_the_generated_cib_passes(fixture_tree):
    results = {result.path: result for result in validate(fixture_tree)}
    assert results["cluster/cib.xml"].ok, results["cluster/cib.xml"].reason
    assert all(result.ok for result in results.values())


@pytest.mark.parametrize("old, new, expected", [
    ('type="Xen"', 'type="Xenn"', "resource vm-team-db: no such resource agent 'ocf:heartbeat:Xenn'"),
    ('provider="heartbeat"', 'provider="heartbeet"', "resource vm-team-db: no such resource agent"),
    ('type="fence_ipmilan"', 'type="fence_ipmilann"', "resource fence-xen-a: no such resource agent"),
    ('name="xmfile"', 'name="xmlfile"',
     "resource vm-team-db: parameter 'xmlfile' is not a parameter of ocf:heartbeat:Xen (did you mean 'xmfile'?)"),
    ('<nvpair id="vm-team-db-xmfile" name="xmfile" value="/etc/xen/team-db.cfg"/>', "",
     "resource vm-team-db: required parameter 'xmfile' of ocf:heartbeat:Xen is missing"),
    ('name="drbd_resource" value="team-ops"', 'name="drbd_resource" value="team-db"',
     "resource drbd-team-ops: parameter 'drbd_resource' = 'team-db' is unique"),
    ('name="allow-migrate"', 'name="alow-migrate"',
     "resource vm-team-db: unknown meta attribute 'alow-migrate' (did you mean 'allow-migrate'?)"),
    ('name="allow-migrate" value="true"', 'name="allow-migrate" value="maybe"',
     "resource vm-team-db: meta attribute 'allow-migrate': 'maybe' is not a boolean"),
    ('name="promoted-max" value="1"', 'name="promoted-max" value="one"',
     "resource drbd-team-db-clone: meta attribute 'promoted-max': 'one' is not a non-negative integer"),
    ('name="pcmk_host_list"', 'name="pcmk_hostlist"',
     "resource fence-xen-a: parameter 'pcmk_hostlist' is not a parameter of stonith:fence_ipmilan"),
    ('with-rsc="drbd-team-db-clone"', 'with-rsc="drbd-team-dbb-clone"', "crm_verify:"),
    ('rsc-role="Started"', 'rsc-role="Primary"', "crm_verify:"),
])
def test_each_mistake_fails_naming_the_resource_and_parameter(tree, old, new, expected):
    reason = _cib(tree, old, new)
    assert expected in reason


def test_no_fence_device_while_fencing_is_on_is_a_crm_verify_error(tree):
    path = tree / "cluster" / "cib.xml"
    text = path.read_text()
    start = text.index('<primitive id="fence-xen-a"')
    end = text.index('<clone id="drbd-team-db-clone"')
    text = text[:start] + text[end:]
    text = text.replace('<rsc_location id="loc-fence-xen-a" rsc="fence-xen-a" node="xen-a" score="-INFINITY"/>', "")
    text = text.replace('<rsc_location id="loc-fence-xen-b" rsc="fence-xen-b" node="xen-b" score="-INFINITY"/>', "")
    path.write_text(text)
    result = next(r for r in validate(tree, only="cluster") if r.path == "cluster/cib.xml")
    assert not result.ok and "STONITH" in result.reason
