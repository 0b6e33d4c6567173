# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each platform renderer, checked against the plan, plus golden files of the whole fabric bundle.

Golden files live in tests/unit/golden/fabric/<inventory>/ (the bundle's fabric/ folder of the example
and lab inventories). After an intended change, regenerate and review the diff:

    NETSTACK_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_fabric_renderers.py -k golden
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp, fabric, plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import common, frr, readback, sonic

import inventory_loader
import sitegen

GOLDEN = inventory_loader.REPO / "tests" / "unit" / "golden" / "fabric"
SECRETS = {"vault_bgp": "s3cret"}


def load(name):
    return plan_core.build_plan(*inventory_loader.load_inventory(inventory_loader.REPO / "inventories" / name))


@pytest.fixture(scope="module")
def example():
    return load("example")


@pytest.fixture(scope="module")
def lab():
    return load("lab")


@pytest.fixture(scope="module")
def four():
    """One rack per platform: eos, nxos, junos, sonic (two switches each) and an FRR rack."""
    site = sitegen.make_site(racks=5, nodes_per_rack=3, tenants=0,
                             platforms=("eos", "nxos", "junos", "sonic", "eos"))
    for host, switch in site[2].items():
        if host.startswith("r5-"):
            switch["network_os"] = None
            switch["netstack_switch"]["platform"] = "frr"
    return plan_core.build_plan(*site)


def out(plan, host, **kwargs):
    return fabric.switch_output(plan, host, **kwargs)


def sessions_of(plan, host):
    return [s for s in plan["bgp"]["sessions"] if s["switch"] == host]


# --- EOS --------------------------------------------------------------------------------------------

def test_eos_modules_follow_the_plan(four):
    o = out(four, "r1-sw1", secrets=SECRETS)
    mods = o["modules"]
    assert list(mods) == ["eos_vlans", "eos_interfaces", "eos_lag_interfaces", "eos_l2_interfaces",
                          "eos_l3_interfaces", "eos_prefix_lists", "eos_route_maps", "eos_bgp_global",
                          "eos_bgp_address_family"]
    assert mods["eos_prefix_lists"]["state"] == "replaced" and mods["eos_vlans"]["state"] == "merged"
    entries = mods["eos_prefix_lists"]["config"][0]["prefix_lists"][0]["entries"]
    assert entries[0] == {"sequence": 10, "action": "permit", "address": "10.3.0.64/26",
                          "match": {"operator": "eq", "masklen": 32}}
    glob = mods["eos_bgp_global"]["config"]
    assert glob["as_number"] == "65101" and glob["maximum_paths"] == {"max_equal_cost_paths": 3}
    expected = sessions_of(four, "r1-sw1")
    assert [(n["neighbor_address"], n["remote_as"]) for n in glob["neighbor"]] == \
        [(s["node_address"], str(s["node_asn"])) for s in expected]
    assert all(n["encryption_password"] == {"type": 0, "password": "s3cret"} for n in glob["neighbor"])
    assert all(n["route_map"] == {"name": "NETSTACK-FROM-NODES", "direction": "in"} for n in glob["neighbor"])
    af = mods["eos_bgp_address_family"]["config"]["address_family"][0]["neighbor"]
    assert all(n["route_map"] == {"name": "NETSTACK-TO-NODES", "direction": "out"} for n in af)
    svi = mods["eos_l3_interfaces"]["config"][0]
    assert svi == {"name": "Vlan10", "ipv4": [{"address": "%s/%d" % (four["vlans"][0]["switches"]["r1-sw1"],
                                                                     four["vlans"][0]["prefix_length"])}]}
    cli = common.cli_text(o["cli"]["after"])
    assert "   ip virtual-router address %s" % four["vlans"][0]["gateway"] in cli
    assert "   mlag 1" in cli and "   port-channel lacp fallback individual" in cli
    assert "   bgp bestpath as-path multipath-relax" in cli


def test_eos_listen_ranges_are_cli_with_a_peer_group():
    site = sitegen.make_site(racks=1, tenants=0, platforms=("eos",))
    site[0]["netstack_fabric"]["bgp"]["dynamic_neighbors"] = True
    p = plan_core.build_plan(*site)
    o = out(p, "r1-sw1")
    neighbors = o["modules"]["eos_bgp_global"]["config"]["neighbor"]
    assert neighbors[0]["neighbor_address"] == "NETSTACK-NODES" and neighbors[0]["peer_group"] == "NETSTACK-NODES"
    assert len(neighbors) == 1
    lines = [line for b in o["cli"]["after"] for line in b["lines"]]
    assert "bgp listen range %s peer-group NETSTACK-NODES remote-as 65001" % p["vlans"][0]["cidr"] in lines


# --- NX-OS ------------------------------------------------------------------------------------------

def test_nxos_modules_follow_the_plan(four):
    o = out(four, "r2-sw1", omit_passwords=True)
    assert o["cli"]["before"][0]["lines"] == ["feature lacp", "feature interface-vlan", "feature vpc",
                                              "feature hsrp", "feature bgp"]
    mods = o["modules"]
    entries = mods["nxos_prefix_lists"]["config"][0]["prefix_lists"][0]["entries"]
    assert entries[0] == {"sequence": 10, "action": "permit", "prefix": "10.3.0.64/26", "ge": 32, "le": 32}
    glob = mods["nxos_bgp_global"]["config"]
    assert all("password" not in n for n in glob["neighbors"])
    assert glob["bestpath"] == {"as_path": {"multipath_relax": True}}
    nafs = mods["nxos_bgp_neighbor_address_family"]["config"]["neighbors"]
    assert [n["neighbor_address"] for n in nafs] == [s["node_address"] for s in sessions_of(four, "r2-sw1")]
    assert nafs[0]["address_family"][0]["route_map"] == {"inbound": "NETSTACK-FROM-NODES",
                                                         "outbound": "NETSTACK-TO-NODES"}
    assert mods["nxos_bgp_address_family"]["config"]["address_family"][0]["maximum_paths"] == {"parallel_paths": 3}
    assert mods["nxos_l2_interfaces"]["config"][0]["trunk"] == {"allowed_vlans": "10,20", "native_vlan": 10}
    cli = common.cli_text(o["cli"]["after"])
    assert "      ip %s" % four["vlans"][0]["gateway"] in cli and "   vpc 4" in cli


def test_nxos_password_placeholder_and_prefix_neighbors():
    site = sitegen.make_site(racks=1, tenants=0, platforms=("nxos",))
    site[0]["netstack_fabric"]["bgp"]["dynamic_neighbors"] = True
    p = plan_core.build_plan(*site)
    glob = out(p, "r1-sw1")["modules"]["nxos_bgp_global"]["config"]
    assert [n["neighbor_address"] for n in glob["neighbors"]] == [p["vlans"][0]["cidr"]]
    assert glob["neighbors"][0]["password"] == {"encryption": 0, "key": "<vault:vault_bgp>"}


# --- Junos ------------------------------------------------------------------------------------------

def test_junos_modules_and_policy(four):
    o = out(four, "r3-sw1", secrets=SECRETS)
    mods = o["modules"]
    assert list(mods) == ["junos_vlans", "junos_interfaces", "junos_lag_interfaces", "junos_l2_interfaces",
                          "junos_l3_interfaces", "junos_routing_options", "junos_bgp_global"]
    group = mods["junos_bgp_global"]["config"]["groups"][0]
    assert group["authentication_key"] == "s3cret" and group["export"] == "NETSTACK-TO-NODES"
    assert [(n["neighbor_address"], n["peer_as"]) for n in group["neighbors"]] == \
        [(s["node_address"], str(s["node_asn"])) for s in sessions_of(four, "r3-sw1")]
    assert mods["junos_interfaces"]["config"][0]["mtu"] == 9000 + 22
    assert mods["junos_l2_interfaces"]["config"][0]["trunk"] == {"allowed_vlans": ["nodes", "storage"],
                                                                 "native_vlan": "10"}
    lines = [line for b in o["cli"]["after"] for line in b["lines"]]
    assert ("set policy-options policy-statement NETSTACK-FROM-NODES term seq-10 from route-filter 10.3.0.64/26 "
            "prefix-length-range /32-/32") in lines
    assert "set policy-options policy-statement NETSTACK-FROM-NODES term seq-1000 then reject" in lines
    assert "set protocols bgp group NETSTACK-NODES import NETSTACK-FROM-NODES" in lines
    assert any(line.endswith("virtual-address %s" % four["vlans"][0]["gateway"]) for line in lines)


# --- SONiC ------------------------------------------------------------------------------------------

def test_sonic_payload(four):
    mods = out(four, "r4-sw1")["modules"]
    l3 = mods["sonic_l3_interfaces"]["config"][0]
    vlan = four["vlans"][0]
    assert l3 == {"name": "Vlan%d" % vlan["id"],
                  "ipv4": {"addresses": [{"address": "%s/%d" % (vlan["switches"]["r4-sw1"], vlan["prefix_length"])}]}}
    # the shared gateway is VRRP: SONiC's anycast gateway cannot share the VLAN interface with the switch's address
    vrrp = mods["sonic_vrrp"]["config"][0]
    assert vrrp == {"name": "Vlan%d" % vlan["id"], "group": [{"virtual_router_id": common.vrrp_group(vlan["id"]), "afi": "ipv4",
                                                              "virtual_address": [{"address": vlan["gateway"]}],
                                                              "preempt": True}]}
    # port channel members keep the switch's MTU (SONiC refuses a member whose MTU differs from its channel's)
    config = copy.deepcopy(four["fabric"]["switches"]["r4-sw1"])
    config["ports"][0]["lag"] = None
    ports = sonic.render(config)["modules"]["sonic_interfaces"]["config"]
    assert ports[0] == {"name": config["ports"][0]["name"], "description": config["ports"][0]["description"],
                        "enabled": True, "mtu": config["ports"][0]["mtu"]}
    assert ports[1:] and all("mtu" not in p for p in ports[1:])
    l2 = mods["sonic_l2_interfaces"]["config"][0]
    assert l2["access"] == {"vlan": 10} and l2["trunk"] == {"allowed_vlans": [{"vlan": "20"}]}
    assert [(e["map_name"], e["sequence_num"], e["action"]) for e in mods["sonic_route_maps"]["config"]] == [
        ("NETSTACK-FROM-NODES", 10, "permit"), ("NETSTACK-FROM-NODES", 1000, "deny"),
        ("NETSTACK-TO-NODES", 1000, "deny")]
    neighbors = mods["sonic_bgp_neighbors"]["config"][0]["neighbors"]
    assert neighbors[0]["auth_pwd"] == {"pwd": "<vault:vault_bgp>", "encrypted": False}
    nafs = mods["sonic_bgp_neighbors_af"]["config"][0]["neighbors"]
    assert nafs[0]["address_family"][0]["route_map"] == [{"name": "NETSTACK-FROM-NODES", "direction": "in"},
                                                         {"name": "NETSTACK-TO-NODES", "direction": "out"}]
    assert mods["sonic_bgp_af"]["config"][0]["address_family"]["afis"][0]["max_path"] == {"ebgp": 3}


# --- FRR: parse the text back and compare both ends ---------------------------------------------------

def parse_frr(text, owner, peers_are):
    """Sessions as an FRR config really sets them up, in bgp.switch_side/node_side shape."""
    asn = int(re.search(r"^router bgp (\d+)$", text, re.M).group(1))
    addresses = re.findall(r"^ ip address (\S+)/\d+$", text, re.M)
    neighbors = {}
    for address, key, value in re.findall(r"^ neighbor (\S+) (remote-as|password|timers|bfd|description)\s*(.*)$",
                                          text, re.M):
        neighbors.setdefault(address, {"bfd": False, "password_ref": None})
        if key == "remote-as":
            neighbors[address]["remote_asn"] = int(value)
        elif key == "password":
            neighbors[address]["password_ref"] = re.match(r"<vault:(\w+)>", value).group(1)
        elif key == "timers":
            neighbors[address]["keepalive"], neighbors[address]["hold_time"] = [int(v) for v in value.split()]
        elif key == "bfd":
            neighbors[address]["bfd"] = True
        else:
            neighbors[address]["peer"] = value
    view = []
    for address, n in neighbors.items():
        local = addresses[0] if addresses else None
        session = "%s~%s" % ((owner, n["peer"]) if peers_are == "nodes" else (n["peer"], owner))
        view.append(dict(n, session=session, peer_address=address, local_address=local, local_asn=asn))
    return view


def test_frr_switch_and_node_configs_agree_through_their_text(four):
    host = "r5-sw1"
    text = out(four, host)["files"]["frr.conf"]
    switch_view = {host: parse_frr(text, host, "nodes")}
    node_view = {}
    for node in sorted({s["node"] for s in sessions_of(four, host)}):
        node_text = fabric.node_frr_conf(four, node)
        peers = [p for p in parse_frr(node_text, node, "switches") if p["session"].startswith(host)]
        node_addr = four["nodes"][node]["addresses"]["nodes"]
        node_view[node] = [dict(p, local_address=node_addr) for p in peers]
    assert len(switch_view[host]) == 3
    assert bgp.check_consistency(switch_view, node_view) == []
    node_view[sorted(node_view)[0]][0]["password_ref"] = "vault_typo"
    assert [p.path.rsplit(".", 1)[1] for p in bgp.check_consistency(switch_view, node_view)] == ["password_ref"]


def test_frr_conf_policy_and_interfaces(lab):
    o = out(lab, "tor1")
    text = o["files"]["frr.conf"]
    assert "ip prefix-list NETSTACK-LB-POOLS seq 10 permit 10.79.0.0/28 ge 32 le 32" in text
    assert "  neighbor 10.77.0.11 default-originate" in text          # send_to_nodes: default_route
    assert "  maximum-paths 3" in text and " bgp bestpath as-path multipath-relax" in text
    assert "frr version" not in text and "hostname" not in text     # would show as a change on every reload
    intf = o["files"]["interfaces"]
    assert "iface swp1\n    alias n1 eth0\n    mtu 1500\n    bridge-pvid 10\n    bridge-vids 10 20" in intf
    assert "    address-virtual 00:00:5e:00:01:0a 10.77.0.1/24" in intf


def test_node_frr_conf_announces_and_accepts_only_the_default(lab):
    text = fabric.node_frr_conf(lab, "n1", announce=["10.79.0.1/32"], secrets={"lab_bgp_password": "pw"})
    assert "  network 10.79.0.1/32" in text and " neighbor 10.77.0.254 password pw" in text
    assert "route-map NETSTACK-NODE-IN permit 10\n match ip address prefix-list NETSTACK-DEFAULT-ROUTE" in text
    assert frr.node_frr_conf("lonely", []).strip().endswith("end")


def test_vrrp_group_stays_a_valid_virtual_router_id():
    groups = {v: common.vrrp_group(v) for v in range(1, 4095)}
    assert set(groups.values()) == set(range(1, 256))          # 0 is not a VRRP group; Junos would refuse it
    assert groups[10] == 10 and groups[255] == 255 and groups[256] == 1


def test_vlan_ranges():
    assert common.vlan_ranges([20, 10, 11, 12, 22, 23, 10]) == "10-12,20,22-23"
    assert common.vlan_ranges([5]) == "5" and common.vlan_ranges([]) == ""


# --- readback -------------------------------------------------------------------------------------------

def test_frr_reload_changes_ignore_hostname_and_context():
    assert readback.frr_reload_changes("\nLines To Delete\n===============\nno hostname vm\n\n"
                                       "Lines To Add\n============\n") == []
    changes = readback.frr_reload_changes("Lines To Add\n============\nrouter bgp 1\n neighbor 1.1.1.1 bfd\n")
    assert changes == ["+ router bgp 1", "+  neighbor 1.1.1.1 bfd"]


def test_bgp_report_reads_frr_eos_and_nxos(lab):
    frr_summary = {"ipv4Unicast": {"peers": {"10.77.0.11": {"state": "Established", "pfxRcd": 2},
                                             "10.77.0.12": {"state": "Active", "pfxRcd": 0}}}}
    routes = {"routes": {
        "10.79.0.1/32": [{"valid": True, "bestpath": True, "nexthops": [{"ip": "10.77.0.11"}]},
                         {"valid": True, "multipath": True, "nexthops": [{"ip": "10.77.0.12"}]}],
        "10.99.0.1/32": [{"valid": True, "bestpath": True, "nexthops": [{"ip": "10.77.0.13"}]}]}}
    report = readback.bgp_report(lab, "tor1", frr_summary, routes=routes, expect={"10.79.0.1/32": 3})
    assert [r["state"] for r in report["rows"]] == ["Established", "Active", "missing"]
    assert report["problems"] == [
        "tor1: session with n2 (10.77.0.12) is Active", "tor1: session with n3 (10.77.0.13) is missing",
        "tor1: 10.99.0.1/32 learned from 10.77.0.13 is outside the load-balancer pools",
        "tor1: 10.79.0.1/32 has 2 path(s), expected 3"]
    eos = {"vrfs": {"default": {"peers": {"10.77.0.11": {"peerState": "Established", "prefixReceived": 1}}}}}
    assert readback.bgp_rows(lab, "tor1", eos)[0]["established"]
    nxos = {"TABLE_vrf": {"ROW_vrf": {"TABLE_af": {"ROW_af": {"TABLE_saf": {"ROW_saf": {"TABLE_neighbor": {
        "ROW_neighbor": {"neighborid": "10.77.0.13", "state": "Established", "prefixreceived": "4"}}}}}}}}}
    assert readback.bgp_rows(lab, "tor1", nxos)[2]["prefixes_received"] == 4
    with pytest.raises(ValueError):
        readback.bgp_rows(lab, "tor1", {"something": 1})


def test_cfg_text_for_platforms_without_rendered_state(four):
    o = out(four, "r4-sw1", omit_passwords=True)
    o.update(switch="r4-sw1", platform="sonic", secrets=["vault_bgp"])
    text = readback.cfg_text(o, {})
    assert text.startswith("# r4-sw1 (sonic)")
    assert "# --- sonic_bgp_neighbors (no rendered state: the merged payload)" in text
    assert "vault_bgp" in text.splitlines()[1]


# --- golden files -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["example", "lab"])
def test_golden_bundle(name):
    files = fabric.render_fabric(load(name))
    folder = GOLDEN / name
    if os.environ.get("NETSTACK_REGEN_GOLDEN"):
        for old in folder.rglob("*"):
            if old.is_file():
                old.unlink()
        for rel, text in files.items():
            path = folder / rel[len("fabric/"):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    on_disk = {"fabric/" + str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted(files), "golden files differ in names; see the module docstring to regenerate"
    for rel, text in files.items():
        assert on_disk[rel] == text, "%s differs from its golden file; see the module docstring to regenerate" % rel
