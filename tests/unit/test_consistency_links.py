# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both ends of every node link, read back from the rendered artefacts (consistency.links).

Good sites plan with no problem; for every kind of disagreement one renderer is
broken on purpose (monkeypatched to emit what it emitted before a fix, or a
plausible slip) and the plan must refuse it, naming both ends.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pathlib

import pytest
import yaml

import sitegen
from test_cluster_network_fixtures import site as example_site

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric, nodes_common
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.consistency import check_plan, links
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import eos, frr, junos, nxos, sonic
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden" / "fabric"


def plan_problems(inventory):
    try:
        plan_mod.build_plan(*inventory)
    except PlanError as exc:
        return exc.problems
    return []


def messages(problems):
    return ["%s: %s" % (p.path, p.message) for p in problems]


def with_platform(inventory, platform, racks=None):
    """Every switch (or those of ``racks``) on ``platform``."""
    _vars, _nodes, switches = inventory
    for host, switch in switches.items():
        if racks is None or switch["netstack_switch"]["rack"] in racks:
            switch.pop("network_os", None)
            switch["netstack_switch"]["platform"] = platform
    return inventory


def kubeadm(inventory, renderer="networkd"):
    inventory_vars = inventory[0]
    cluster = inventory_vars["netstack_cluster"]
    cluster["node_os"] = "kubeadm"
    cluster["variant"] = "kubeovn-cilium-generic"
    cluster.setdefault("nodes", {}).setdefault("kubeadm", {})["network_renderer"] = renderer
    return inventory


# --- good sites ------------------------------------------------------------------------------------------

def test_the_example_inventory_has_no_disagreement():
    plan = plan_mod.build_plan(*example_site())
    assert check_plan(plan) == []


SHAPES = {
    "default": dict(),
    "l2": dict(mode="l2"),
    "one-switch-per-rack": dict(racks=2, switches_per_rack=1),
    "four-switches": dict(racks=2, nodes_per_rack=4, switches_per_rack=4),
    "junos": dict(platforms=("junos",)),
    "single-rack": dict(racks=1, nodes_per_rack=5, control_planes=1),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("node_os", ["talos", "networkd", "netplan"])
def test_every_sitegen_shape_has_no_disagreement(shape, node_os):
    inventory = sitegen.make_site(tenants=1, **SHAPES[shape])
    if node_os != "talos":
        kubeadm(inventory, node_os)
    plan = plan_mod.build_plan(*inventory)
    assert check_plan(plan) == []


@pytest.mark.parametrize("node_os", ["talos", "networkd", "netplan"])
def test_frr_switches_and_single_nic_nodes_agree(node_os):
    inventory = with_platform(sitegen.make_site(tenants=1, racks=2, switches_per_rack=1), "frr")
    if node_os != "talos":
        kubeadm(inventory, node_os)
    plan = plan_mod.build_plan(*inventory)
    assert check_plan(plan) == []


def test_active_backup_bonds_on_plain_ports_agree():
    inventory = sitegen.make_site(tenants=1)
    for node in inventory[1].values():
        node["netstack_node"]["bond_mode"] = "active-backup"
    plan = plan_mod.build_plan(*inventory)
    assert plan["fabric"]["switches"]["r1-sw1"]["lags"] == []
    assert check_plan(plan) == []


# --- every platform's reader on that platform's rendered output ------------------------------------------

READ_SHAPES = {
    # platform: (LAG name of node r1-n1 (index 1), first port, SVI MTU rendered)
    "eos": ("Port-Channel1", "Ethernet1", 9000),
    "nxos": ("port-channel1", "Ethernet1", 9000),
    "junos": ("ae1", "Ethernet1", None),
    "sonic": ("PortChannel1", "Ethernet1", None),
    "frr": ("bond1", "Ethernet1", 9000),
}


@pytest.mark.parametrize("platform", sorted(READ_SHAPES))
def test_each_platform_reader_reads_its_rendered_output(platform):
    plan = plan_mod.build_plan(*with_platform(sitegen.make_site(tenants=1), platform))
    lag, port_name, svi_mtu = READ_SHAPES[platform]
    output = fabric.switch_output(plan, "r1-sw1", omit_passwords=True)
    ports, svis = links.read_switch(platform, output)
    port = ports[port_name]
    assert port["untagged"] == 10 and port["tagged"] == {20}
    # SONiC leaves a port channel member's MTU at the platform's 9100 (above every node MTU)
    assert port["mtu"] == (9100 if platform == "sonic" else 9000) and port["l2"]
    assert port["mtu_set"] == (platform != "sonic")
    assert (port["lag"], port["lacp"], port["members"]) == (lag, "lacp", [port_name])
    # every cabled port of the switch is read, nothing else
    cabled = {u["port"] for n in plan["nodes"].values() for u in n["uplinks"] if u["switch"] == "r1-sw1"}
    assert set(ports) == cabled
    assert svis[10] == svi_mtu
    if platform in ("eos", "nxos", "frr"):
        assert port["mlag"] == 1


def test_the_frr_reader_reads_the_golden_lab_interfaces_file():
    text = (GOLDEN / "lab" / "tor1.interfaces").read_text()
    ports, svis = links.read_switch("frr", {"modules": {}, "cli": {"before": [], "after": []},
                                            "files": {"interfaces": text}})
    assert sorted(ports) == ["swp1", "swp2", "swp3"]
    assert all(p["untagged"] == 10 and p["tagged"] == {20} and p["mtu"] == 1500 for p in ports.values())
    assert 10 in svis


@pytest.mark.parametrize("switch,platform", [("r1-leaf1", "eos"), ("r2-leaf1", "nxos"), ("r3-leaf1", "sonic")])
def test_the_readers_read_the_golden_example_bundle(switch, platform):
    doc = yaml.safe_load((GOLDEN / "example" / ("%s.yml" % switch)).read_text())
    output = {"modules": doc["modules"], "cli": doc.get("cli") or {"before": [], "after": []}, "files": {}}
    ports, _svis = links.read_switch(platform, output)
    peer_link = {name: p for name, p in ports.items() if (p["lag"] or "").lower().endswith("channel2000")}
    nodes = {name: p for name, p in ports.items() if name not in peer_link}
    assert nodes and all(p["untagged"] == 10 and p["tagged"] == {20} and p["lacp"] == "lacp"
                         and p["mtu"] == (9100 if platform == "sonic" else 9000) for p in nodes.values())
    # the MLAG peer link (the example's racks have an mlag block): an LACP trunk carrying every VLAN (an EOS or
    # NX-OS trunk without an allowed list also sends VLAN 1 untagged, its default native VLAN)
    assert len(peer_link) == 2 and all(p["lacp"] == "lacp" and p["untagged"] in (None, 1)
                                       and {10, 20, 30} <= p["tagged"] for p in peer_link.values())


def test_vlan_lists_in_every_vocabulary():
    assert links.vlan_list("10,20-22") == {10, 20, 21, 22}
    assert links.vlan_list(["10", "30"]) == {10, 30}
    assert links.vlan_list([{"vlan": "20"}, {"vlan": "40-41"}]) == {20, 40, 41}
    assert links.vlan_list("10 20") == {10, 20}
    assert links.vlan_list(None) == links.ALL_VLANS


@pytest.mark.parametrize("node_os", ["talos", "networkd", "netplan"])
def test_each_node_reader_reads_its_rendered_files(node_os):
    inventory = example_site()
    if node_os != "talos":
        kubeadm(inventory, node_os)
    plan = plan_mod.build_plan(*inventory)
    node = plan["nodes"]["w1"]
    _os_name, read = links.read_node(node)
    assert read["bond0"]["kind"] == "bond" and read["bond0"]["members"] == ["enp1s0f0", "enp1s0f1"]
    assert read["bond0"]["mode"] == "802.3ad" and read["bond0"]["mtu"] == 9000
    assert read["bond0"]["addresses"] == ["%s/24" % node["addresses"]["nodes"]]
    assert read["bond0.20"]["vlan_id"] == 20 and read["bond0.20"]["parent"] == "bond0"
    assert read["bond0.20"]["addresses"] == ["%s/24" % node["addresses"]["storage"]]


# --- broken renders ----------------------------------------------------------------------------------------

def _old_tagged_node_vlan(original):
    """nodes_common.node_network as it was before the node link contract: every VLAN tagged."""
    def node_network(plan, host):
        net = original(plan, host)
        net = copy.deepcopy(net)
        for vlan in net["vlans"]:
            if not vlan["tagged"] and net["parent"]:
                vlan["tagged"] = True
                vlan["link"] = nodes_common.vlan_link_name(net["parent"], vlan["id"])
        return net
    return node_network


@pytest.mark.parametrize("node_os", ["talos", "networkd", "netplan"])
def test_the_old_tagged_node_vlan_is_refused_naming_both_ends(monkeypatch, node_os):
    monkeypatch.setattr(nodes_common, "node_network", _old_tagged_node_vlan(nodes_common.node_network))
    inventory = example_site()
    if node_os != "talos":
        kubeadm(inventory, node_os)
    found = messages(plan_problems(inventory))
    assert ("hosts.w1.netstack_node.uplinks[0]: netstack_node w1 uplink enp1s0f0 / r1-leaf1 Ethernet2: "
            "node sends VLAN 10 (nodes) tagged, switch sends it untagged") in found
    # every cabled port of every platform
    assert len([m for m in found if "tagged, switch sends it untagged" in m]) == 18


def test_a_wrong_native_vlan_on_one_platform_is_refused(monkeypatch):
    original = nxos._l2

    def wrong_native(name, l2):
        entry = original(name, l2)
        entry["trunk"]["native_vlan"] = 20
        return entry
    monkeypatch.setattr(nxos, "_l2", wrong_native)
    problems = plan_problems(example_site())
    found = messages(problems)
    assert ("hosts.w2.netstack_node.uplinks[0]: netstack_node w2 uplink enp1s0f0 / r2-leaf1 Ethernet1/2: node sends "
            "VLAN 10 (nodes) untagged, switch sends it tagged (switch sends VLAN 20 (storage) untagged)") in found
    assert ("hosts.w2.netstack_node.uplinks[0]: netstack_node w2 uplink enp1s0f0 / r2-leaf1 Ethernet1/2: node sends "
            "VLAN 20 (storage) tagged, switch sends it untagged") in found
    # only the NX-OS rack
    assert {p.path.split(".")[1] for p in problems} == {"cp2", "w2", "w5"}
    assert all("the fabric renderer (nxos) and the node renderer (Talos)" in p.hint for p in problems)


def test_a_missing_allowed_vlan_is_refused(monkeypatch):
    original = sonic._l2

    def no_trunk(name, l2):
        entry = original(name, l2)
        entry.pop("trunk", None)
        return entry
    monkeypatch.setattr(sonic, "_l2", no_trunk)
    found = messages(plan_problems(example_site()))
    assert ("hosts.w3.netstack_node.uplinks[1]: netstack_node w3 uplink enp1s0f1 / r3-leaf2 Ethernet4: node has "
            "VLAN 20 (storage) tagged (bond0.20), the switch port does not carry it") in found


def test_a_port_mtu_below_the_node_link_is_refused(monkeypatch):
    original = eos.render

    def small_mtu(config, secrets=None, omit_passwords=False):
        out = original(config, secrets=secrets, omit_passwords=omit_passwords)
        for entry in out["modules"]["eos_interfaces"]["config"]:
            if entry["name"].startswith("Port-Channel"):
                entry["mtu"] = 1500
        return out
    monkeypatch.setattr(eos, "render", small_mtu)
    found = messages(plan_problems(example_site()))
    assert ("hosts.cp1.netstack_node.uplinks[0]: netstack_node cp1 uplink enp1s0f0 / r1-leaf1 Ethernet1: MTU 9000 "
            "on the node link bond0, 1500 on the switch port") in found


def test_a_node_vlan_smaller_than_its_link_is_refused_at_the_vlan_mtu():
    inventory = example_site()
    inventory[0]["netstack_fabric"]["vlans"][0]["mtu"] = 1500      # nodes; storage stays 9000
    problems = [p for p in plan_problems(inventory) if p.path == "netstack_fabric.vlans[0].mtu"]
    assert len(problems) == 1
    assert problems[0].message.startswith("VLAN 10 (nodes) is untagged on the node links, so on 9 node(s) (cp1, cp2, "
                                          "cp3, w1, w2, ...) its IP MTU is the link's 9000, while the switches' SVIs "
                                          "have r1-leaf1 1500")
    assert problems[0].hint.startswith("set netstack_fabric.vlans[0].mtu to 9000")


def test_a_static_lag_against_an_lacp_bond_is_refused(monkeypatch):
    original = eos.render

    def static_lag(config, secrets=None, omit_passwords=False):
        out = original(config, secrets=secrets, omit_passwords=omit_passwords)
        for lag in out["modules"]["eos_lag_interfaces"]["config"]:
            for member in lag["members"]:
                member["mode"] = "on"
        return out
    monkeypatch.setattr(eos, "render", static_lag)
    found = messages(plan_problems(example_site()))
    assert ("hosts.w1.netstack_node.uplinks[0]: netstack_node w1 uplink enp1s0f0 / r1-leaf1 Ethernet2: node bonds "
            "enp1s0f0, enp1s0f1 with LACP (802.3ad), switch Port-Channel4 is a static LAG") in found


@pytest.mark.parametrize("node_os", ["talos", "networkd", "netplan"])
def test_an_active_backup_bond_against_an_lacp_lag_is_refused(monkeypatch, node_os):
    original = nodes_common.node_network

    def active_backup(plan, host):
        net = copy.deepcopy(original(plan, host))
        if net["bond"]:
            net["bond"]["mode"] = "active-backup"
        return net
    monkeypatch.setattr(nodes_common, "node_network", active_backup)
    inventory = example_site()
    if node_os != "talos":
        kubeadm(inventory, node_os)
    found = messages(plan_problems(inventory))
    assert ("hosts.w3.netstack_node.uplinks[0]: netstack_node w3 uplink enp1s0f0 / r3-leaf1 Ethernet4: switch "
            "bundles the port in PortChannel6 (LACP), the node has bond mode active-backup") in found


def test_plain_ports_against_an_lacp_bond_are_refused(monkeypatch):
    original = frr.interfaces

    def no_bonds(config):
        config = dict(config, lags=[], ports=[dict(p, lag=None, l2=p["l2"] or config["lags"][0]["l2"])
                                              for p in config["ports"]])
        return original(config)
    monkeypatch.setattr(frr, "interfaces", no_bonds)
    inventory = with_platform(example_site(), "frr", racks=["r1"])
    found = messages(plan_problems(inventory))
    assert ("hosts.w1.netstack_node.uplinks[1]: netstack_node w1 uplink enp1s0f1 / r1-leaf2 Ethernet2: node bonds "
            "enp1s0f0, enp1s0f1 with LACP (802.3ad), the switch port is a plain port") in found


def test_lag_members_that_are_not_the_node_bond_are_refused(monkeypatch):
    original = junos.render

    def extra_member(config, secrets=None, omit_passwords=False):
        out = original(config, secrets=secrets, omit_passwords=omit_passwords)
        out["modules"]["junos_lag_interfaces"]["config"][0]["members"].append({"member": "xe-0/0/47"})
        return out
    monkeypatch.setattr(junos, "render", extra_member)
    inventory = with_platform(example_site(), "junos", racks=["r1"])
    found = messages(plan_problems(inventory))
    assert ("hosts.cp1.netstack_node.uplinks[0]: netstack_node cp1 uplink enp1s0f0 / r1-leaf1 Ethernet1: switch LAG "
            "ae1 has members Ethernet1, xe-0/0/47, the node's bond is cabled to Ethernet1 on this switch") in found


def test_mlag_ids_that_differ_between_the_pair_are_refused(monkeypatch):
    original = eos.render

    def shifted(config, secrets=None, omit_passwords=False):
        out = original(config, secrets=secrets, omit_passwords=omit_passwords)
        if config["name"] == "r1-leaf2":
            for item in out["cli"]["after"]:
                item["lines"] = ["mlag %d" % (int(line.split()[1]) + 100) if line.startswith("mlag ") else line
                                 for line in item["lines"]]
        return out
    monkeypatch.setattr(eos, "render", shifted)
    found = messages(plan_problems(example_site()))
    assert ("hosts.w1.netstack_node.uplinks: netstack_node w1 bond: the MLAG ids of its LAGs disagree "
            "(r1-leaf1 Port-Channel4: 4, r1-leaf2 Port-Channel4: 104)") in found


def test_a_node_address_on_a_vlan_the_port_does_not_carry_is_refused(monkeypatch):
    original = nodes_common.node_network

    def external_too(plan, host):
        net = copy.deepcopy(original(plan, host))
        if net["parent"]:
            net["vlans"].append({"vlan": "external", "id": 30, "role": "external", "mtu": 1500,
                                 "link": nodes_common.vlan_link_name(net["parent"], 30), "tagged": True,
                                 "address": "10.30.0.%d/24" % (100 + plan["nodes"][host]["index"]),
                                 "cidr": "10.30.0.0/24", "gateway": None})
        return net
    monkeypatch.setattr(nodes_common, "node_network", external_too)
    found = messages(plan_problems(example_site()))
    assert ("hosts.w1.netstack_node.uplinks[0]: netstack_node w1 uplink enp1s0f0 / r1-leaf1 Ethernet2: node has "
            "VLAN 30 (external) tagged (bond0.30), the switch port does not carry it") in found


# --- the vendors' own rendered configuration (golden state: rendered output) ---------------------------------

@pytest.fixture(scope="module")
def rendered_plan(tmp_path_factory):
    """The plan of the inventory the golden ``rendered/*.cfg`` files come from (test_fabric_rendered)."""
    from test_fabric_rendered import make_inventory
    import inventory_loader
    target = make_inventory(tmp_path_factory.mktemp("consistency") / "inventory")
    return plan_mod.build_plan(*inventory_loader.load_inventory(target))


@pytest.mark.parametrize("switch", ["r1-leaf1", "r1-leaf2", "r2-leaf1", "r2-leaf2", "r4-leaf1", "r4-leaf2"])
def test_the_vendor_rendered_configuration_reads_like_the_module_arguments(rendered_plan, switch):
    platform = rendered_plan["switches"][switch]["platform"]
    from_text = links.read_rendered_text(platform, (GOLDEN / "rendered" / ("%s.cfg" % switch)).read_text())
    from_modules = links.read_switch(platform, fabric.switch_output(rendered_plan, switch, omit_passwords=True))
    assert from_text == from_modules
    peer_link = set(rendered_plan["fabric"]["switches"][switch]["mlag"]["peer_link"]["members"])
    ports = {name: p for name, p in from_text[0].items() if name not in peer_link}
    assert ports and all(p["untagged"] == 10 and p["tagged"] == {20} and p["lacp"] == "lacp" and p["mtu"] == 9000
                         for p in ports.values())
    # the peer link reads back as an LACP trunk of every VLAN, from the vendor text as from the arguments
    assert peer_link and all(from_text[0][name]["lacp"] == "lacp" and {10, 20, 30} <= from_text[0][name]["tagged"]
                             for name in peer_link)


def test_a_mis_tagged_vendor_configuration_is_read_as_such():
    text = (GOLDEN / "rendered" / "r1-leaf1.cfg").read_text().replace("switchport trunk native vlan 10\n", "")
    ports, _svis = links.read_rendered_text("eos", text)
    assert ports["Ethernet2"]["untagged"] is None and ports["Ethernet2"]["tagged"] == {10, 20}


def test_a_tagged_vlan_mtu_other_than_the_switch_svi_is_refused(monkeypatch):
    original = nodes_common.node_network

    def jumbo_external(plan, host):
        net = copy.deepcopy(original(plan, host))
        for vlan in net["vlans"]:
            if vlan["vlan"] == "external":
                vlan["mtu"] = 9000
        return net
    monkeypatch.setattr(nodes_common, "node_network", jumbo_external)
    found = messages(plan_problems(example_site(mode="l2")))
    assert ("hosts.w1.netstack_node.uplinks[0]: netstack_node w1 uplink enp1s0f0 / r1-leaf1 Ethernet2: VLAN 30 "
            "(external) has MTU 9000 on the node (bond0.30), 1500 on the switch's SVI") in found
