# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric area: structured switch configs, sessions and policy, both ends of every session."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp, fabric, plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import model
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import inventory_loader
import sitegen

SECRET = "example-only-not-secret"


@pytest.fixture(scope="module")
def example():
    return plan_core.build_plan(*inventory_loader.load_inventory(inventory_loader.REPO / "inventories" / "example"))


def build(site):
    return plan_core.build_plan(*site)


def test_every_switch_gets_every_vlan_and_the_svis_of_routed_vlans(example):
    for host, config in example["fabric"]["switches"].items():
        assert [v["id"] for v in config["vlans"]] == [10, 20, 30]
        svis = {s["vlan"]: s for s in config["svis"]}
        assert sorted(svis) == [10, 30]            # storage (20) is not routed
        for vlan in example["vlans"]:
            if vlan["routed"]:
                svi = svis[vlan["id"]]
                assert svi["address"] == vlan["switches"][host]
                assert svi["gateway"] == vlan["gateway"]
                assert svi["prefix_length"] == vlan["prefix_length"]
                assert svi["mtu"] == vlan["mtu"]


def test_node_ports_native_node_vlan_tagged_storage_and_mlag_bond_per_node(example):
    fab = example["fabric"]
    for node, view in fab["nodes"].items():
        assert view["native_vlan"] == 10 and view["tagged_vlans"] == [20]
        assert view["lag"] == example["nodes"][node]["index"] and view["mlag"] is True
        assert view["mtu"] == 9000
    r1 = fab["switches"]["r1-leaf1"]
    assert [p["name"] for p in r1["ports"]] == ["Ethernet1", "Ethernet2", "Ethernet3"]
    assert all(p["l2"] is None and p["lag"] for p in r1["ports"])      # L2 lives on the port-channel
    lags = {lag["id"]: lag for lag in r1["lags"]}
    assert sorted(lags) == [1, 4, 7]                                     # cp1, w1, w4: the node indexes
    assert lags[4]["members"] == ["Ethernet2"] and lags[4]["mlag"] == 4 and lags[4]["fallback"]
    assert lags[4]["l2"] == {"mode": "trunk", "native_vlan": 10, "vlans": [10, 20]}
    # both switches of the pair use the same port-channel / MLAG id for a node
    r1b = {lag["id"]: lag for lag in fab["switches"]["r1-leaf2"]["lags"]}
    assert sorted(r1b) == sorted(lags)


def test_active_backup_and_single_uplink_nodes_get_plain_ports():
    site = sitegen.make_site(racks=1, nodes_per_rack=3, tenants=0)
    nodes = site[1]
    nodes["r1-n2"]["netstack_node"]["bond_mode"] = "active-backup"
    nodes["r1-n3"]["netstack_node"]["uplinks"] = nodes["r1-n3"]["netstack_node"]["uplinks"][:1]
    p = build(site)
    sw1 = p["fabric"]["switches"]["r1-sw1"]
    ports = {port["description"].split()[0]: port for port in sw1["ports"]}
    assert ports["r1-n1"]["lag"] == 1
    assert ports["r1-n2"]["lag"] is None and ports["r1-n2"]["l2"]["mode"] == "trunk"
    assert ports["r1-n3"]["lag"] is None and ports["r1-n3"]["l2"]["native_vlan"] == 10
    assert [lag["id"] for lag in sw1["lags"]] == [1]
    assert p["fabric"]["nodes"]["r1-n3"]["bond"] is None
    sw2 = p["fabric"]["switches"]["r1-sw2"]
    assert "r1-n3" not in " ".join(port["description"] for port in sw2["ports"])


def test_l2_mode_tags_the_pool_vlan_on_node_ports_and_has_no_bgp():
    p = build(sitegen.make_site(racks=1, mode="l2", tenants=0))
    for view in p["fabric"]["nodes"].values():
        assert 30 in view["tagged_vlans"]
    for config in p["fabric"]["switches"].values():
        assert config["bgp"] is None and config["prefix_lists"] == [] and config["route_maps"] == []
    files = fabric.render_fabric(p)
    assert "BGP is off" in files["fabric/sessions.md"]
    assert not any(path.startswith("fabric/nodes/") for path in files)


def test_bgp_neighbors_are_the_plan_sessions(example):
    for host, config in example["fabric"]["switches"].items():
        expected = [s for s in example["bgp"]["sessions"] if s["switch"] == host]
        got = config["bgp"]["neighbors"]
        assert [(n["address"], n["remote_asn"], n["description"]) for n in got] == \
            [(s["node_address"], s["node_asn"], s["node"]) for s in expected]
        assert config["bgp"]["asn"] == expected[0]["switch_asn"]
        assert config["bgp"]["max_paths"] == 3              # three nodes per rack
        for n in got:
            assert n["password_ref"] == "vault_netstack_bgp_password"
            assert (n["keepalive"], n["hold_time"], n["bfd"]) == (3, 9, True)
            assert (n["route_map_in"], n["route_map_out"]) == ("NETSTACK-FROM-NODES", "NETSTACK-TO-NODES")
            assert n["default_originate"] is False


def test_policy_accepts_only_32s_of_the_pools_and_sends_nothing(example):
    config = example["fabric"]["switches"]["r1-leaf1"]
    pools = {pl["name"]: pl for pl in config["prefix_lists"]}
    assert list(pools) == ["NETSTACK-LB-POOLS"]
    entries = pools["NETSTACK-LB-POOLS"]["entries"]
    assert [(e["prefix"], e["ge"], e["le"], e["action"]) for e in entries] == [
        ("10.30.0.64/26", 32, 32, "permit"), ("10.40.0.0/25", 32, 32, "permit")]
    maps = {rm["name"]: rm["entries"] for rm in config["route_maps"]}
    assert maps["NETSTACK-FROM-NODES"] == [
        {"sequence": 10, "action": "permit", "match_prefix_list": "NETSTACK-LB-POOLS"},
        {"sequence": 1000, "action": "deny", "match_prefix_list": None}]
    assert maps["NETSTACK-TO-NODES"] == [{"sequence": 1000, "action": "deny", "match_prefix_list": None}]


def test_default_route_to_nodes_and_single_address_pools():
    site = sitegen.make_site(racks=1, tenants=0)
    site[0]["netstack_fabric"]["bgp"]["send_to_nodes"] = "default_route"
    site[0]["netstack_load_balancer"]["pools"][1]["addresses"] = ["10.9.0.7/32"]
    p = build(site)
    config = p["fabric"]["switches"]["r1-sw1"]
    lists = {pl["name"]: pl["entries"] for pl in config["prefix_lists"]}
    assert lists["NETSTACK-DEFAULT-ROUTE"][0]["prefix"] == "0.0.0.0/0"
    single = [e for e in lists["NETSTACK-LB-POOLS"] if e["prefix"] == "10.9.0.7/32"][0]
    assert single["ge"] is None and single["le"] is None          # "ge 32" on a /32 is invalid
    assert all(n["default_originate"] for n in config["bgp"]["neighbors"])
    out = {rm["name"]: rm["entries"] for rm in config["route_maps"]}["NETSTACK-TO-NODES"]
    assert out[0] == {"sequence": 10, "action": "permit", "match_prefix_list": "NETSTACK-DEFAULT-ROUTE"}


def test_dynamic_neighbors_use_listen_ranges_except_on_sonic():
    site = sitegen.make_site(racks=3, tenants=0, platforms=("eos", "nxos", "sonic"))
    site[0]["netstack_fabric"]["bgp"]["dynamic_neighbors"] = True
    p = build(site)
    eos = p["fabric"]["switches"]["r1-sw1"]["bgp"]
    assert eos["neighbors"] == [] and eos["peer_group"]["name"] == model.PEER_GROUP
    assert eos["listen_ranges"] == [{"range": p["vlans"][0]["cidr"], "remote_asn": 65001,
                                     "peer_group": model.PEER_GROUP}]
    sonic = p["fabric"]["switches"]["r3-sw1"]["bgp"]
    assert sonic["listen_ranges"] == [] and len(sonic["neighbors"]) == 3
    assert fabric.check_fabric(p, p["fabric"]) == []


def test_a_bond_over_three_switches_is_refused():
    site = sitegen.make_site(racks=1, nodes_per_rack=2, switches_per_rack=3, tenants=0)
    site[1]["r1-n1"]["netstack_node"]["uplinks"].append({"switch": "r1-sw3", "port": "Ethernet7", "nic": "eth2"})
    with pytest.raises(PlanError) as err:
        build(site)
    assert "at most the two switches of an MLAG pair" in str(err.value)


def test_both_ends_agree_on_the_example(example):
    assert fabric.check_fabric(example, example["fabric"]) == []
    switch_view = {h: model.switch_sessions(c) for h, c in example["fabric"]["switches"].items()}
    assert sum(len(v) for v in switch_view.values()) == len(example["bgp"]["sessions"]) == 18


@pytest.mark.parametrize("key, value, reported", [
    ("remote_asn", 65999, "remote_asn"),
    ("password_ref", "vault_other", "password_ref"),
    ("hold_time", 30, "hold_time"),
    ("bfd", False, "bfd"),
])
def test_consistency_check_catches_a_switch_config_that_disagrees(example, key, value, reported):
    broken = copy.deepcopy(example["fabric"])
    broken["switches"]["r2-leaf1"]["bgp"]["neighbors"][1][key] = value
    problems = fabric.check_fabric(example, broken)
    assert len(problems) == 1
    assert problems[0].path == "bgp.sessions.r2-leaf1~w2.%s" % reported


def test_the_check_of_a_partial_fabric_still_catches_its_switches_disagreeing(example):
    # add_node/remove_node plan only the node's switches: the check compares the node sessions towards them only
    # (nothing is reported for the switches not planned), and still catches one of them disagreeing
    partial = copy.deepcopy(example["fabric"])
    partial["switches"] = {"r2-leaf1": partial["switches"]["r2-leaf1"]}
    assert fabric.check_fabric(example, partial) == []
    partial["switches"]["r2-leaf1"]["bgp"]["neighbors"][1]["hold_time"] = 30
    assert [p.path for p in fabric.check_fabric(example, partial)] == ["bgp.sessions.r2-leaf1~w2.hold_time"]
    del partial["switches"]["r2-leaf1"]["bgp"]["neighbors"][1]
    assert [p.message for p in fabric.check_fabric(example, partial)] == ["configured on node 'w2' only"]


def test_consistency_check_catches_a_wrong_neighbor_address_and_svi(example):
    broken = copy.deepcopy(example["fabric"])
    broken["switches"]["r1-leaf1"]["bgp"]["neighbors"][0]["address"] = "10.10.0.99"
    problems = fabric.check_fabric(example, broken)
    assert [p.message for p in problems] == ["configured on node 'cp1' only"]
    broken = copy.deepcopy(example["fabric"])
    broken["switches"]["r1-leaf2"]["svis"][0]["address"] = "10.10.0.200"
    paths = sorted(p.path for p in fabric.check_fabric(example, broken))
    assert paths == ["bgp.sessions.r1-leaf2~cp1.local_address", "bgp.sessions.r1-leaf2~w1.local_address",
                     "bgp.sessions.r1-leaf2~w4.local_address"]


@pytest.mark.parametrize("node_key, value, switch_key", [
    ("remote_asn", 65555, "local_asn"),          # the node peers with the wrong switch ASN
    ("local_asn", 65555, "remote_asn"),          # the node speaks with an ASN the switch does not expect
    ("peer_address", "10.10.0.1", "local_address"),
    ("local_address", "10.10.0.77", "peer_address"),
    ("password_ref", "vault_typo", "password_ref"),
])
def test_bgp_check_consistency_catches_a_node_end_that_disagrees(example, node_key, value, switch_key):
    node_view = copy.deepcopy(example["bgp"]["nodes"])
    node_view["w3"][0][node_key] = value
    switch_view = bgp.switch_side(example["bgp"]["sessions"])
    problems = bgp.check_consistency(switch_view, node_view)
    assert [p.path for p in problems] == ["bgp.sessions.r3-leaf1~w3.%s" % switch_key]
    assert repr(value) in problems[0].message


def test_bundle_carries_placeholders_never_the_secret(example):
    files = fabric.render_fabric(example)
    text = "".join(files.values())
    assert SECRET not in text
    assert "<vault:vault_netstack_bgp_password>" in files["fabric/r1-leaf1.yml"]
    assert "password <vault:vault_netstack_bgp_password>" in files["fabric/nodes/cp1.frr.conf"]
    assert sorted(p for p in files if not p.startswith("fabric/nodes/")) == [
        "fabric/r1-leaf1.yml", "fabric/r1-leaf2.yml", "fabric/r2-leaf1.yml", "fabric/r2-leaf2.yml",
        "fabric/r3-leaf1.yml", "fabric/r3-leaf2.yml", "fabric/sessions.md"]
    assert fabric.render_fabric(example) == files             # deterministic


def test_bundle_is_the_same_under_another_hash_seed(example):
    code = ("import sys, json, inventory_loader\n"
            "from ansible_collections.netstack.baremetal.plugins.module_utils import plan, fabric\n"
            "p = plan.build_plan(*inventory_loader.load_inventory(inventory_loader.REPO / 'inventories' / 'example'))\n"
            "print(json.dumps(fabric.render_fabric(p)))\n")
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONHASHSEED="12345",
               PYTHONPATH=os.pathsep.join([here, os.path.join(str(inventory_loader.REPO), "build", "collections")]))
    result = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, check=True)
    assert json.loads(result.stdout.decode()) == fabric.render_fabric(example)


def test_secrets_are_resolved_only_when_given(example):
    out = fabric.switch_output(example, "r1-leaf1", secrets={"vault_netstack_bgp_password": SECRET})
    passwords = {n["encryption_password"]["password"] for n in out["modules"]["eos_bgp_global"]["config"]["neighbor"]}
    assert passwords == {SECRET}
    omitted = fabric.switch_output(example, "r1-leaf1", omit_passwords=True)
    assert all("encryption_password" not in n for n in omitted["modules"]["eos_bgp_global"]["config"]["neighbor"])
    with pytest.raises(ValueError, match="vault_netstack_bgp_password"):
        fabric.switch_output(example, "r1-leaf1", secrets={})


def test_sessions_table_lists_every_session(example):
    table = fabric.sessions_table(example)
    rows = [line for line in table.splitlines() if line.startswith("| r")]
    assert len(rows) == 18
    assert "| r1-leaf1 | 10.10.0.254 | 65101 | cp1 | 10.10.0.11 | 65001 | `vault_netstack_bgp_password` | yes | 3/9 |" \
        in rows


def test_secret_refs_and_plan_stays_secret_free(example):
    assert example["fabric"]["switches"]["r3-leaf2"]["secrets"] == ["vault_netstack_bgp_password"]
    assert SECRET not in repr(example)


def test_large_site_plans_quickly():
    import time
    site = sitegen.make_site(racks=20, nodes_per_rack=40, tenants=0)
    started = time.time()
    p = build(site)
    files = fabric.render_fabric(p)
    assert time.time() - started < 20
    assert len(p["fabric"]["switches"]) == 40
    assert all(len(c["bgp"]["neighbors"]) == 40 for c in p["fabric"]["switches"].values())
    assert len(files) == 40 + 800 + 1


def test_node_addresses_stay_inside_their_vlan(example):
    for node, view in example["fabric"]["nodes"].items():
        address = ipaddress.ip_address(example["nodes"][node]["addresses"]["nodes"])
        assert address in ipaddress.ip_network(example["vlans"][0]["cidr"])
