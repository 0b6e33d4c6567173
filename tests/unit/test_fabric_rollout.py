# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout order (fabric/rollout.py) and the health readings around a change (fabric/health.py, the
fabric_health filter). The rollout itself runs on the site twin: test_fabric_rolling.py."""
from __future__ import absolute_import, division, print_function

import json
import pathlib

import pytest

import inventory_loader
import sitegen

from ansible_collections.netstack.baremetal.plugins.filter.fabric_health import fabric_health
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import health, rollout

REPO = pathlib.Path(__file__).resolve().parents[2]


def _plan(site):
    return plan_core.build_plan(*site)


def test_the_first_leaf_of_every_rack_goes_first_and_its_peer_after():
    plan = _plan(inventory_loader.load_inventory(REPO / "inventories" / "example"))
    order = plan["fabric"]["rollout"]
    assert sorted(order) == sorted(plan["switches"])
    for host, entry in order.items():
        rack, index = plan["switches"][host]["rack"], plan["switches"][host]["index"]
        assert entry["phase"] == index, (host, entry)
        assert entry["peers"] == [s for s in sorted(plan["switches"])
                                  if plan["switches"][s]["rack"] == rack and s != host], (host, entry)


def test_peers_are_the_switches_that_share_a_node_not_the_rack():
    inventory_vars, nodes, switches = sitegen.make_site(racks=2, nodes_per_rack=2, switches_per_rack=3)
    plan = _plan((inventory_vars, nodes, switches))
    order = plan["fabric"]["rollout"]
    # the nodes reach sw1 and sw2 of their rack only: sw3 shares nothing, so it may change with the first phase
    assert order["r1-sw1"] == {"phase": 1, "peers": ["r1-sw2"]}
    assert order["r1-sw2"] == {"phase": 2, "peers": ["r1-sw1"]}
    assert order["r1-sw3"] == {"phase": 1, "peers": []}


def test_no_two_switches_of_a_node_share_a_phase_and_a_fourth_phase_is_refused():
    inventory_vars, nodes, switches = sitegen.make_site(racks=1, nodes_per_rack=3, switches_per_rack=4)
    three = next(iter(sorted(nodes)))
    nodes[three]["netstack_node"]["bond_mode"] = "active-backup"
    nodes[three]["netstack_node"]["uplinks"].append({"switch": "r1-sw3", "port": "Ethernet40", "nic": "eth2"})
    plan = _plan((inventory_vars, nodes, switches))
    order = plan["fabric"]["rollout"]
    assert [order["r1-sw%d" % i]["phase"] for i in (1, 2, 3, 4)] == [1, 2, 3, 1]
    for view in plan["fabric"]["nodes"].values():
        phases = [order[u["switch"]]["phase"] for u in view["uplinks"]]
        assert len(phases) == len(set(phases))

    nodes[three]["netstack_node"]["uplinks"].append({"switch": "r1-sw4", "port": "Ethernet40", "nic": "eth3"})
    with pytest.raises(plan_core.PlanError) as excinfo:
        _plan((inventory_vars, nodes, switches))
    text = str(excinfo.value)
    assert "netstack_switch" in text and "r1-sw4" in text and "phase 4" in text, text


def test_too_many_phases_names_the_peers():
    order = {"a": {"phase": 4, "peers": ["b", "c", "d"]}, "b": {"phase": 1, "peers": ["a"]}}
    assert rollout.too_many_phases(order) == {"a": ["b", "c", "d"]}


FRR_STDOUT = """{
  "ipv4Unicast": {"peers": {"10.61.0.11": {"state": "Established", "pfxRcd": 2},
                            "10.61.0.13": {"state": "Active", "pfxRcd": 0}}}
}
{
  "swp1": {"administrativeStatus": "up", "operationalStatus": "up"},
  "swp2": {"administrativeStatus": "up", "operationalStatus": "down"},
  "vlan10": {"administrativeStatus": "up", "operationalStatus": "up"}
}
"""


def test_frr_reading_is_both_documents_of_one_vtysh_call():
    state = health.health("frr", FRR_STDOUT)
    assert state == {"sessions": {"10.61.0.11": "Established", "10.61.0.13": "Active"},
                     "ports": {"swp1": True, "swp2": False, "vlan10": True}}
    assert health.summary(state) == "1 of 2 BGP sessions Established, 2 of 3 ports up"


def test_a_switch_without_bgp_yet_has_no_sessions():
    assert health.health("frr", "{}\n{\"lo\": {\"operationalStatus\": \"up\"}}")["sessions"] == {}


def test_eos_nxos_junos_and_sonic_readings():
    eos = health.health("eos", [
        {"vrfs": {"default": {"peers": {"10.1.0.11": {"peerState": "Established", "prefixReceived": 1}}}}},
        {"interfaceStatuses": {"Ethernet1": {"linkStatus": "connected"}, "Ethernet2": {"linkStatus": "notconnect"}}}])
    assert eos == {"sessions": {"10.1.0.11": "Established"}, "ports": {"Ethernet1": True, "Ethernet2": False}}
    nxos = health.health("nxos", [json.dumps(
        {"TABLE_vrf": {"ROW_vrf": {"TABLE_af": {"ROW_af": {"TABLE_saf": {"ROW_saf": {"TABLE_neighbor": {
            "ROW_neighbor": [{"neighborid": "10.1.0.11", "state": "Established", "prefixreceived": "1"}]}}}}}}}}),
        {"TABLE_interface": {"ROW_interface": [{"interface": "Ethernet1/1", "state": "up"},
                                               {"interface": "Ethernet1/2", "state": "down"}]}}])
    assert nxos == {"sessions": {"10.1.0.11": "Established"}, "ports": {"Ethernet1/1": True, "Ethernet1/2": False}}
    junos = health.health("junos", [
        {"bgp-information": [{"bgp-peer": [{"peer-address": [{"data": "10.1.0.11+179"}],
                                            "peer-state": [{"data": "Established"}]}]}]},
        {"interface-information": [{"physical-interface": [
            {"name": [{"data": "\nxe-0/0/1\n"}], "oper-status": [{"data": "\nup\n"}]},
            {"name": [{"data": "xe-0/0/2"}], "oper-status": [{"data": "down"}]}]}]}])
    assert junos == {"sessions": {"10.1.0.11": "Established"}, "ports": {"xe-0/0/1": True, "xe-0/0/2": False}}
    sonic = health.health("sonic", [{"openconfig-network-instance:neighbors": {"neighbor": [
        {"neighbor-address": "10.1.0.11", "state": {"session-state": "ESTABLISHED"}}]}}])
    assert sonic == {"sessions": {"10.1.0.11": "Established"}, "ports": None}
    assert health.summary(sonic).endswith("ports not read on this platform")


def test_regressions_are_what_was_up_before_and_is_not_now():
    before = {"sessions": {"a": "Established", "b": "Active", "c": "Established"},
              "ports": {"swp1": True, "swp2": False, "swp3": True}}
    after = {"sessions": {"a": "Established", "b": "Established"}, "ports": {"swp1": False, "swp2": True}}
    assert health.regressions(before, after) == [
        "BGP session with c was Established before the change and is missing now",
        "port swp1 was up before the change and is down now",
        "port swp3 was up before the change and is down now"]
    assert health.regressions(after, after) == []


def test_the_filter_reads_the_registered_results_of_the_role():
    before = fabric_health({"rc": 0, "stdout": FRR_STDOUT}, "frr")
    assert before["regressions"] == [] and before["summary"].startswith("1 of 2")
    worse = FRR_STDOUT.replace('"Established"', '"Connect"')
    assert fabric_health({"stdout": worse}, "frr", before=before)["regressions"] == [
        "BGP session with 10.61.0.11 was Established before the change and is Connect now"]
    sonic = {"response": [[200, {"openconfig-network-instance:neighbors": {"neighbor": [
        {"neighbor-address": "10.1.0.11", "state": {"session-state": "ACTIVE"}}]}}]]}
    assert fabric_health(sonic, "sonic")["sessions"] == {"10.1.0.11": "Active"}
    no_instance = {"failed": False, "msg": "{'ietf-restconf:errors': {'error': [{'error-message': "
                   "'Resource not found'}]}, 'code': 404}"}
    assert fabric_health(no_instance, "sonic")["sessions"] == {}
