"""cluster/cib.xml as generated: read back as XML, never as text."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cibtree import cib_text, fixture_tree  # noqa: F401  (fixtures)

from inventory_helpers import copy_fixture, edit, run_cli
from nagios_herd.errors import InventoryError
from nagios_herd.generate.render import build
from nagios_herd.inventory.loader import load
from nagios_herd.parsers import cib as cibparse

INVENTORY = Path(__file__).resolve().parents[1] / "render" / "inventory"


def _pairs(element: ET.Element) -> dict[str, str]:
    return {pair.get("name"): pair.get("value") for pair in element.iter("nvpair")}


def test_every_guest_is_a_promotable_drbd_clone_and_a_xen_primitive_on_its_promoted_copy(cib_text):
    root = ET.fromstring(cib_text)
    assert [n.get("uname") for n in root.iterfind("./configuration/nodes/node")] == ["xen-a", "xen-b"]
    resources = {r.id: r for r in cibparse.resources(cib_text)}
    for guest, preferred in (("team-db", "xen-a"), ("team-ops", "xen-a"), ("team-web", "xen-b")):
        clone = dict(resources[f"drbd-{guest}-clone"].meta)
        assert clone["promotable"] == "true" and clone["promoted-max"] == "1" and clone["clone-max"] == "2"
        assert resources[f"drbd-{guest}"].agent == "ocf:linbit:drbd"
        assert resources[f"drbd-{guest}"].parent == f"drbd-{guest}-clone"
        assert dict(resources[f"drbd-{guest}"].params) == {"drbd_resource": guest}
        vm = resources[f"vm-{guest}"]
        assert vm.agent == "ocf:heartbeat:Xen"
        assert dict(vm.params)["xmfile"] == f"/etc/xen/{guest}.cfg"
        colocation = root.find(f"./configuration/constraints/rsc_colocation[@rsc='vm-{guest}']")
        assert colocation.get("with-rsc") == f"drbd-{guest}-clone" and colocation.get("with-rsc-role") == "Promoted"
        assert colocation.get("score") == "INFINITY"
        order = root.find(f"./configuration/constraints/rsc_order[@then='vm-{guest}']")
        assert (order.get("first"), order.get("first-action"), order.get("then-action")) == \
            (f"drbd-{guest}-clone", "promote", "start")
        assert cibparse.location_preferences(cib_text)[f"vm-{guest}"] == preferred


def test_the_xl_cfg_the_primitive_names_is_the_generated_one(fixture_tree, cib_text):
    for resource in cibparse.resources(cib_text):
        if resource.agent == "ocf:heartbeat:Xen":
            path = dict(resource.params)["xmfile"]
            for host in ("xen-a", "xen-b"):
                assert (fixture_tree / "hosts" / host / path.lstrip("/")).is_file()


def test_stickiness_beats_the_preference_and_timeouts_follow_the_shutdown_timeout(cib_text):
    root = ET.fromstring(cib_text)
    vm = root.find("./configuration/resources/primitive[@id='vm-team-db']")
    meta = _pairs(vm.find("meta_attributes"))
    preference = int(root.find("./configuration/constraints/rsc_location[@rsc='vm-team-db']").get("score"))
    assert int(meta["resource-stickiness"]) > preference
    assert meta["migration-threshold"] == "3" and meta["failure-timeout"] == "600s"
    assert meta["allow-migrate"] == "true"
    assert _pairs(vm.find("instance_attributes"))["shutdown_timeout"] == "90"  # the fixture's pacemaker table
    ops = {op.get("name"): op.get("timeout") for op in vm.iterfind("./operations/op")}
    assert ops["stop"] == "150s"  # the clean shutdown, then destroy
    assert ops["migrate_to"] == ops["migrate_from"] == "150s"


def test_fencing_one_device_per_host_never_on_that_host_and_no_secret_in_the_file(cib_text):
    root = ET.fromstring(cib_text)
    assert _pairs(root.find("./configuration/crm_config"))["stonith-enabled"] == "true"
    for host, ip in (("xen-a", "192.0.2.211"), ("xen-b", "192.0.2.212")):
        device = root.find(f"./configuration/resources/primitive[@id='fence-{host}']")
        assert (device.get("class"), device.get("type")) == ("stonith", "fence_ipmilan")
        params = _pairs(device)
        assert params["ip"] == ip and params["pcmk_host_list"] == host
        assert params["username"] == params["password"] == "lrm://"  # Pacemaker's CIB secrets store
        ban = root.find(f"./configuration/constraints/rsc_location[@rsc='fence-{host}']")
        assert ban.get("node") == host and ban.get("score") == "-INFINITY"
    assert "pcmk_delay_base" in _pairs(root.find("./configuration/resources/primitive[@id='fence-xen-a']"))
    assert "pcmk_delay_base" not in _pairs(root.find("./configuration/resources/primitive[@id='fence-xen-b']"))


def test_a_herd_without_fencing_gets_a_cib_that_does_not_pretend_to_fence(tmp_path):
    inventory = copy_fixture(tmp_path)
    herd = build(inventory / "herd.toml")
    root = ET.fromstring(herd.files["cluster/cib.xml"])
    assert _pairs(root.find("./configuration/crm_config"))["stonith-enabled"] == "false"
    assert root.find("./configuration/resources/primitive[@class='stonith']") is None


def _inventory_with(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(INVENTORY, target)
    path = target / "herd.toml"
    path.write_text(path.read_text() + text)
    return path


def test_pacemaker_managing_the_herd_needs_a_fence_device_for_every_host(tmp_path):
    path = _inventory_with(tmp_path, "")
    edit(path.parent, "herd.toml", '[fencing.xen-b]\nagent = "fence_ipmilan"\nip = "192.0.2.212"\nlanplus = true\n',
         "")
    with pytest.raises(InventoryError) as error:
        load(path)
    assert any("fencing.xen-b: missing: pacemaker.manages_herd is true" in line for line in error.value.lines())


@pytest.mark.parametrize("text, message", [
    ('\n[fencing.xen-c]\nagent = "fence_ipmilan"\nip = "192.0.2.213"\n', "fencing.xen-c: 'xen-c' is not a host"),
    ('\n[fencing.xen-c]\nagent = "fence_ipmilann"\nip = "192.0.2.213"\n', "is not a supported fence agent"),
])
def test_fencing_tables_are_checked(tmp_path, text, message):
    with pytest.raises(InventoryError) as error:
        load(_inventory_with(tmp_path, text))
    assert any(message in line for line in error.value.lines()), error.value.lines


def test_a_bad_pacemaker_key_is_one_line_naming_it(tmp_path):
    path = _inventory_with(tmp_path, "")
    edit(path.parent, "herd.toml", "shutdown_timeout = 90", "shutdown_timeout = 5")
    done = run_cli("generate", "--inventory", str(path), "--output", str(tmp_path / "out"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "pacemaker.shutdown_timeout: 5 s is outside 10..3600 s" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_cluster_check_is_an_nrpe_command_only_when_pacemaker_manages_the_herd(fixture_tree, tmp_path):
    nrpe = (fixture_tree / "hosts" / "xen-a" / "etc" / "nagios" / "nrpe.d" / "nagios-herd.cfg").read_text()
    line = next(text for text in nrpe.splitlines() if text.startswith("command[check_herd_cluster]="))
    assert "sudo -n /usr/sbin/crm_mon --one-shot --inactive --output-as=xml | " in line
    assert line.endswith("--guest team-db@xen-a --guest team-ops@xen-a --guest team-web@xen-b")
    sudoers = (fixture_tree / "hosts" / "xen-a" / "etc" / "sudoers.d" / "nagios-herd").read_text()
    assert "/usr/sbin/crm_mon --one-shot --inactive --output-as\\=xml" in sudoers
    services = (fixture_tree / "guests" / "team-ops" / "etc" / "nagios4" / "objects" / "services.cfg").read_text()
    assert services.count("herd_check_nrpe!check_herd_cluster") == 2  # the watcher asks both hosts
    plain = build(copy_fixture(tmp_path) / "herd.toml").files
    assert not any(b"check_herd_cluster" in data or b"crm_mon" in data for data in plain.values())


def test_drbd_fencing_goes_through_pacemaker_only_when_it_manages_the_herd(fixture_tree, tmp_path):
    drbd = fixture_tree / "hosts" / "xen-a" / "etc" / "drbd.d"
    assert "fencing resource-and-stonith;" in (drbd / "team-db.res").read_text()
    common = (drbd / "global_common.conf").read_text()
    assert 'fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh";' in common
    assert 'unfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh";' in common
    plain = build(copy_fixture(tmp_path) / "herd.toml").files
    res = next(data for path, data in plain.items() if path.endswith(".res"))
    assert b"fencing resource-only;" in res
    assert not any(b"crm-fence-peer" in data for data in plain.values())
