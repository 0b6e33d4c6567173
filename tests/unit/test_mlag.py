"""MLAG pairs (``netstack_fabric.racks[].mlag``): the plan-time checks, the plan's domains, the structured config,
what every platform renderer makes of it, and the warning for a pair the inventory leaves to the operator.

The site is ``sitegen``'s (racks r1 EOS, r2 NX-OS, r3 SONiC, two switches each, every node bonded to both
switches of its rack on Ethernet<n>) with an mlag block per rack. Each bad case breaks one thing and expects
exactly one problem, at the key to change. The rules are in ``plugins/module_utils/mlag.py``; the vendors'
rendered output of the same blocks is checked in test_fabric_rendered.py (EOS, NX-OS, Junos, SONiC payload).
"""
import copy
import sys

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.dellemc.enterprise_sonic.plugins.module_utils.network.sonic.argspec.mclag.mclag import (
    MclagArgs)
from ansible_collections.netstack.baremetal.plugins.module_utils import fabric, mlag
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import inventory_loader
import sitegen
from test_validation_physical import _run_plan_action

sys.path.insert(0, str(inventory_loader.REPO / "tests" / "twin"))
import site_twin  # noqa: E402

PEER_PORTS = ["Ethernet47", "Ethernet48"]


def block(rack, domain_id=None, **extra):
    entry = {"domain_id": domain_id or rack, "switches": [
        {"switch": "r%d-sw%d" % (rack, s), "peer_link_ports": list(PEER_PORTS),
         "keepalive_address": "192.168.%d.%d/24" % (rack, 10 + s)} for s in (1, 2)]}
    entry.update(extra)
    return entry


def paired_site(**kwargs):
    site = sitegen.make_site(**kwargs)
    for rack in site[0]["netstack_fabric"]["racks"]:
        rack["mlag"] = block(rack["index"])
    return site


def mlag_of(site, rack):
    return site[0]["netstack_fabric"]["racks"][rack - 1]["mlag"]


def _problems(site):
    with pytest.raises(PlanError) as caught:
        plan_core.build_plan(*site)
    return caught.value.problems


@pytest.fixture(scope="module")
def plan():
    return plan_core.build_plan(*paired_site())


# --- the plan -------------------------------------------------------------------------------------------

def test_the_plan_holds_each_pair_first_switch_by_index(plan):
    site = paired_site()
    # listed second-first: the order in the inventory does not make the first switch, the index does
    mlag_of(site, 1)["switches"].reverse()
    assert plan_core.build_plan(*site)["mlag"] == plan["mlag"]
    assert plan["mlag"]["r1"] == {
        "domain_id": 1, "peer_link_id": 2000, "peer_vlan": 4094, "peer_subnet": "169.254.255.0/30",
        "keepalive_prefix_length": 24, "keepalive_vrf": None, "system_mac": "44:38:39:ff:00:01",
        "keepalive_interval": 1, "session_timeout": 15,
        "switches": [
            {"name": "r1-sw1", "platform": "eos", "peer_link_ports": PEER_PORTS, "peer_address": "169.254.255.1",
             "keepalive_address": "192.168.1.11", "priority": 1000},
            {"name": "r1-sw2", "platform": "eos", "peer_link_ports": PEER_PORTS, "peer_address": "169.254.255.2",
             "keepalive_address": "192.168.1.12", "priority": 2000}],
        "cables": [["Ethernet47", "Ethernet47"], ["Ethernet48", "Ethernet48"]]}
    assert plan["fabric"]["warnings"] == []


def test_each_switch_gets_its_side_of_the_pair(plan):
    one = plan["fabric"]["switches"]["r2-sw1"]["mlag"]
    two = plan["fabric"]["switches"]["r2-sw2"]["mlag"]
    assert one["peer"] == "r2-sw2" and two["peer"] == "r2-sw1"
    assert (one["position"], two["position"]) == (0, 1) and (one["priority"], two["priority"]) == (1000, 2000)
    assert (one["local_address"], one["peer_address"]) == (two["peer_address"], two["local_address"])
    assert one["keepalive"] == {"local": "192.168.2.11", "peer": "192.168.2.12", "prefix_length": 24, "vrf": None}
    assert one["peer_link"] == {"id": 2000, "members": PEER_PORTS, "description": "MLAG peer link to r2-sw2",
                                "mtu": 9000, "vlans": [10, 20, 30, 4094]}
    # every bond spanning the pair is an MLAG member: the node indexes 4, 5, 6 of rack r2
    assert one["lags"] == two["lags"] == [4, 5, 6]


def test_a_rack_without_a_block_plans_as_before_and_warns():
    site = paired_site()
    del site[0]["netstack_fabric"]["racks"][1]["mlag"]
    the_plan = plan_core.build_plan(*site)
    assert "r2" not in the_plan["mlag"] and the_plan["fabric"]["switches"]["r2-sw1"]["mlag"] is None
    # the bonds keep their MLAG ids
    assert [lag["mlag"] for lag in the_plan["fabric"]["switches"]["r2-sw1"]["lags"]] == [4, 5, 6]
    [warning] = the_plan["fabric"]["warnings"]
    assert warning.startswith("netstack_fabric.racks[1]: the LACP bonds of r2-n1, r2-n2, r2-n3 span switches "
                              "r2-sw1, r2-sw2, but rack 'r2' has no mlag block")
    assert "left to the operator" in warning
    output = fabric.switch_output(the_plan, "r2-sw1")
    assert not any("vpc domain" in b["parents"][:1] for b in output["cli"]["before"])
    assert "vpc 4" in sum((b["lines"] for b in output["cli"]["after"]), [])


def test_the_plan_action_reports_the_warning(tmp_path):
    site = paired_site()
    del site[0]["netstack_fabric"]["racks"][2]["mlag"]
    result = _run_plan_action(site, tmp_path / "bundle")
    assert not result.get("failed"), result.get("msg")
    assert [w for w in result["warnings"] if "mlag" in w] == [w for w in result["warnings"]
                                                              if w.startswith("netstack_fabric.racks[2]:")]
    assert len([w for w in result["warnings"] if "mlag" in w]) == 1


def test_many_racks_without_a_block_get_one_warning():
    site = sitegen.make_site(racks=5, switches_per_rack=2)
    for rack in site[0]["netstack_fabric"]["racks"]:
        rack.pop("mlag", None)
    [warning] = plan_core.build_plan(*site)["fabric"]["warnings"]
    assert warning.startswith("netstack_fabric.racks: 5 racks (r1, r2, r3, r4, r5) have LACP bonds spanning two "
                              "switches but no mlag block")
    assert "netstack_fabric.racks[0]" in warning


def test_no_warning_when_no_bond_spans_two_switches():
    site = sitegen.make_site(switches_per_rack=1)
    assert plan_core.build_plan(*site)["fabric"]["warnings"] == []


# --- one mistake, one problem at the key to change -------------------------------------------------------

def _set(rack, **values):
    def mutate(site):
        mlag_of(site, rack).update(values)
    return mutate


def _member(rack, position, **values):
    def mutate(site):
        mlag_of(site, rack)["switches"][position].update(values)
    return mutate


def _third_switch(site):
    entry = copy.deepcopy(site[2]["r1-sw1"])
    entry["netstack_switch"].update(index=3, router_id="10.255.99.3")
    site[2]["r1-sw3"] = entry


def _other_platform(site):
    site[2]["r1-sw2"]["network_os"] = "cisco.nxos.nxos"


def _node_on_peer_link_port(site):
    site[1]["r1-n3"]["netstack_node"]["uplinks"][1]["port"] = "Et48"


def _bonded_node_index(site):
    site[1]["r1-n2"]["netstack_node"]["index"] = 2000


CASES = [
    ("switch not in the rack", _member(1, 1, switch="r2-sw2"), "netstack_fabric.racks[0].mlag.switches[1].switch",
     "switch 'r2-sw2' is in rack 'r2', not in rack 'r1'", "r1-sw1, r1-sw2"),
    ("unknown switch", _member(1, 1, switch="r1-sw9"), "netstack_fabric.racks[0].mlag.switches[1].switch",
     "switch 'r1-sw9' does not exist", "r1-sw"),
    ("switch named twice", _member(1, 1, switch="r1-sw1"), "netstack_fabric.racks[0].mlag.switches[1].switch",
     "names switch 'r1-sw1' twice", "r1-sw1, r1-sw2"),
    ("three switches in the rack", _third_switch, "netstack_fabric.racks[0].mlag",
     "needs exactly two switches in rack 'r1', it has 3", "give the rack two switches"),
    ("platforms differ", _other_platform, "netstack_fabric.racks[0].mlag.switches",
     "joins 'r1-sw1' (eos) and 'r1-sw2' (nxos)", "same platform"),
    ("peer-link port is a node uplink", _node_on_peer_link_port,
     "netstack_fabric.racks[0].mlag.switches[1].peer_link_ports[1]",
     "port Ethernet48 on 'r1-sw2' is the uplink of node 'r1-n3'", "no node is cabled to"),
    ("port counts differ", _member(1, 1, peer_link_ports=["Ethernet47"]),
     "netstack_fabric.racks[0].mlag.switches[1].peer_link_ports", "has 1 port(s), 'r1-sw1' has 2", "same order"),
    ("keepalive addresses equal", _member(1, 1, keepalive_address="192.168.1.11/24"),
     "netstack_fabric.racks[0].mlag.switches[1].keepalive_address", "the same address as that of 'r1-sw1'",
     "own (management) address"),
    ("keepalive subnets differ", _member(1, 1, keepalive_address="192.168.9.12/24"),
     "netstack_fabric.racks[0].mlag.switches[1].keepalive_address",
     "192.168.9.12/24 is not in the subnet of the keepalive address of 'r1-sw1', 192.168.1.11/24",
     "e.g. 192.168.1.1/24"),
    ("keepalive prefix lengths differ", _member(1, 1, keepalive_address="192.168.1.12/25"),
     "netstack_fabric.racks[0].mlag.switches[1].keepalive_address", "is not in the subnet", "share a subnet"),
    ("keepalive address of another pair",
     lambda s: (_member(2, 0, keepalive_address="192.168.1.13/24")(s),
                _member(2, 1, keepalive_address="192.168.1.12/24")(s)),
     "netstack_fabric.racks[1].mlag.switches[1].keepalive_address",
     "address 192.168.1.12 is already the keepalive address of netstack_fabric.racks[0].mlag.switches[1]",
     "own address"),
    ("domain id duplicated", _set(2, domain_id=1), "netstack_fabric.racks[1].mlag.domain_id",
     "domain id 1 is already used by netstack_fabric.racks[0].mlag", "e.g. 2"),
    ("domain id out of range", _set(1, domain_id=1001), "netstack_fabric.racks[0].mlag.domain_id", "1000", ""),
    ("system MAC duplicated", _set(2, system_mac="44:38:39:ff:00:01"), "netstack_fabric.racks[1].mlag.system_mac",
     "already the one of netstack_fabric.racks[0].mlag", "unique system_mac"),
    ("system MAC multicast", _set(1, system_mac="01:00:5e:00:00:01"), "netstack_fabric.racks[0].mlag.system_mac",
     "multicast", "44:38:39:ff:00:01"),
    ("peer VLAN is a fabric VLAN", _set(1, peer_vlan=20), "netstack_fabric.racks[0].mlag.peer_vlan",
     "VLAN 20 is the fabric VLAN 'storage'", "e.g. 4094"),
    ("peer subnet too small", _set(1, peer_subnet="169.254.255.0/32"), "netstack_fabric.racks[0].mlag.peer_subnet",
     "room for no two switch addresses", "/30"),
    ("peer subnet overlaps a VLAN", _set(1, peer_subnet="10.2.0.0/30"), "netstack_fabric.racks[0].mlag.peer_subnet",
     "overlaps VLAN 'storage'", "169.254.255.0/30"),
    ("peer link id is a bond", _bonded_node_index, "netstack_fabric.racks[0].mlag.peer_link_id",
     "port channel 2000 is the bond of node 'r1-n2'", "e.g. 1999"),
    ("session timeout too short", _set(1, keepalive_interval=5, session_timeout=10),
     "netstack_fabric.racks[0].mlag.session_timeout", "less than 3 x keepalive_interval", "15 or more"),
    ("one switch only", lambda s: mlag_of(s, 1)["switches"].pop(), "netstack_fabric.racks[0].mlag.switches",
     "needs at least 2 item(s), has 1", ""),
    ("three switches listed", lambda s: mlag_of(s, 1)["switches"].append(dict(mlag_of(s, 1)["switches"][0])),
     "netstack_fabric.racks[0].mlag.switches", "takes at most 2 item(s), has 3", ""),
    ("keepalive without prefix length", _member(1, 0, keepalive_address="192.168.1.11"),
     "netstack_fabric.racks[0].mlag.switches[0].keepalive_address", "has no prefix length",
     "add the prefix length, e.g. 192.168.1.11/24"),
    ("unknown key", _set(1, peer_link="Port-Channel9"), "netstack_fabric.racks[0].mlag.peer_link", "", ""),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_mistake_one_problem_at_the_key_to_change(case):
    site = paired_site()
    case[1](site)
    problems = _problems(site)
    path, message, hint = case[2:5]
    assert [p.path for p in problems] == [path], "\n".join(str(p) for p in problems)
    assert message in problems[0].message
    assert hint in problems[0].hint


def test_every_mlag_mistake_is_reported_at_once():
    site = paired_site()
    for mutate in (_member(1, 1, switch="r2-sw2"), _set(2, domain_id=3), _set(3, peer_vlan=10),
                   _member(3, 1, keepalive_address="192.168.7.12/24")):
        mutate(site)
    assert sorted(p.path for p in _problems(site)) == [
        "netstack_fabric.racks[0].mlag.switches[1].switch", "netstack_fabric.racks[2].mlag.domain_id",
        "netstack_fabric.racks[2].mlag.peer_vlan", "netstack_fabric.racks[2].mlag.switches[1].keepalive_address"]


# --- what each platform gets ------------------------------------------------------------------------------

def _lines(blocks):
    return [(tuple(b["parents"]), line) for b in blocks for line in b["lines"]]


def test_eos_domain_and_peer_link(plan):
    out = fabric.switch_output(plan, "r1-sw2")
    modules = out["modules"]
    assert {"vlan_id": 4094, "name": "NETSTACK-MLAG-PEER", "state": "active"} in modules["eos_vlans"]["config"]
    assert {"name": "Port-Channel2000", "members": [{"member": "Ethernet47", "mode": "active"},
                                                    {"member": "Ethernet48", "mode": "active"}]} \
        in modules["eos_lag_interfaces"]["config"]
    assert {"name": "Port-Channel2000", "mode": "trunk"} in modules["eos_l2_interfaces"]["config"]
    assert {"name": "Vlan4094", "ipv4": [{"address": "169.254.255.2/30"}]} in modules["eos_l3_interfaces"]["config"]
    lines = _lines(out["cli"]["after"])
    for line in ("domain-id 1", "local-interface Vlan4094", "peer-address 169.254.255.1",
                 "peer-address heartbeat 192.168.1.11", "peer-link Port-Channel2000"):
        assert (("mlag configuration",), line) in lines
    assert (("vlan 4094",), "trunk group NETSTACK-MLAG-PEER") in lines
    assert (("interface Port-Channel2000",), "switchport trunk group NETSTACK-MLAG-PEER") in lines


def test_eos_heartbeat_in_the_keepalive_vrf():
    site = paired_site()
    mlag_of(site, 1)["keepalive_vrf"] = "MGMT"
    out = fabric.switch_output(plan_core.build_plan(*site), "r1-sw1")
    assert (("mlag configuration",), "peer-address heartbeat 192.168.1.12 vrf MGMT") in _lines(out["cli"]["after"])


def test_nxos_vpc_domain_before_the_modules(plan):
    out = fabric.switch_output(plan, "r2-sw1")
    before = out["cli"]["before"]
    assert "feature vpc" in before[0]["lines"] and "feature lacp" in before[0]["lines"]
    assert before[1] == {"parents": ["vpc domain 2"], "lines": [
        "role priority 1000", "peer-keepalive destination 192.168.2.12 source 192.168.2.11 vrf management"]}
    assert {"name": "port-channel2000", "mode": "trunk"} in out["modules"]["nxos_l2_interfaces"]["config"]
    assert out["cli"]["after"][0] == {"parents": ["interface port-channel2000"],
                                      "lines": ["spanning-tree port type network", "vpc peer-link"]}


def test_sonic_mclag_payload_is_what_the_module_accepts(plan):
    out = fabric.switch_output(plan, "r3-sw2")
    modules = out["modules"]
    assert list(modules).index("sonic_l3_interfaces") < list(modules).index("sonic_mclag") \
        < list(modules).index("sonic_vrrp")
    mclag = modules["sonic_mclag"]
    assert mclag == {"state": "merged", "config": {
        "domain_id": 3, "source_address": "169.254.255.2", "peer_address": "169.254.255.1",
        "peer_link": "PortChannel2000", "keepalive": 1, "session_timeout": 15, "system_mac": "44:38:39:ff:00:03",
        "backup_keepalive_source_address": "192.168.3.12", "backup_keepalive_peer_address": "192.168.3.11",
        "backup_keepalive_session_vrf": "mgmt",
        "members": {"portchannels": [{"lag": "PortChannel7"}, {"lag": "PortChannel8"}, {"lag": "PortChannel9"}]}}}
    # the module's own argument spec (dellemc.enterprise_sonic), as AnsibleModule validates it
    result = ArgumentSpecValidator(MclagArgs.argument_spec).validate(mclag)
    assert result.error_messages == []
    assert result.validated_parameters["config"]["domain_id"] == 3
    assert {"name": "PortChannel2000", "mode": "lacp", "members": {"interfaces": [
        {"member": "Ethernet47"}, {"member": "Ethernet48"}]}} in modules["sonic_lag_interfaces"]["config"]
    assert {"name": "PortChannel2000", "trunk": {"allowed_vlans": [
        {"vlan": "10"}, {"vlan": "20"}, {"vlan": "30"}, {"vlan": "4094"}]}} in modules["sonic_l2_interfaces"]["config"]
    # the peer-link members keep the switch's MTU, as the node bonds' members do
    assert {"name": "Ethernet47", "description": "MLAG peer link to r3-sw1", "enabled": True} \
        in modules["sonic_interfaces"]["config"]


def test_the_argspec_check_catches_a_wrong_payload(plan):
    config = dict(fabric.switch_output(plan, "r3-sw2")["modules"]["sonic_mclag"]["config"], domain_id="three")
    assert ArgumentSpecValidator(MclagArgs.argument_spec).validate({"config": config}).error_messages


def test_junos_mc_lag_lines():
    site = paired_site(platforms=("junos",))
    for rack in (1, 2, 3):
        for member in mlag_of(site, rack)["switches"]:
            member["peer_link_ports"] = ["xe-0/0/46", "xe-0/0/47"]
    the_plan = plan_core.build_plan(*site)
    lines = fabric.switch_output(the_plan, "r1-sw2")["cli"]["after"]
    lines = [line for b in lines for line in b["lines"]]
    for line in ("set protocols iccp local-ip-addr 169.254.255.2",
                 "set protocols iccp peer 169.254.255.1 backup-liveness-detection backup-peer-ip 192.168.1.11",
                 "set multi-chassis multi-chassis-protection 169.254.255.1 interface ae2000",
                 "set switch-options service-id 1",
                 "set interfaces ae2 aggregated-ether-options mc-ae chassis-id 1",
                 "set interfaces ae2 aggregated-ether-options mc-ae status-control standby",
                 "set interfaces ae2 aggregated-ether-options lacp system-id 44:38:39:ff:00:01"):
        assert line in lines
    modules = fabric.switch_output(the_plan, "r1-sw2")["modules"]
    assert {"name": "NETSTACK-ICCP", "vlan_id": 4094, "l3_interface": "irb.4094"} in modules["junos_vlans"]["config"]
    assert {"name": "ae2000", "mode": "active", "members": [{"member": "xe-0/0/46"}, {"member": "xe-0/0/47"}]} \
        in modules["junos_lag_interfaces"]["config"]


def test_frr_peerlink_is_read_by_the_twin():
    site = paired_site()
    for name, entry in site[2].items():
        if entry["netstack_switch"]["rack"] == "r1":
            entry["netstack_switch"]["platform"] = "frr"
            entry["network_os"] = "frr"
    for member in mlag_of(site, 1)["switches"]:
        member["peer_link_ports"] = ["swp49", "swp50"]
    mlag_of(site, 1)["keepalive_vrf"] = "oob"
    the_plan = plan_core.build_plan(*site)
    for host, first in (("r1-sw1", True), ("r1-sw2", False)):
        text = fabric.switch_output(the_plan, host)["files"]["interfaces"]
        model = site_twin.read_interfaces(text)
        assert model["members"]["peerlink"] == {"ports": ["swp49", "swp50"], "pvid": None, "tagged": [10, 20, 30],
                                                "mtu": 9000}
        assert model["peerlink"] == {
            "name": "peerlink.4094", "bond": "peerlink", "vlan": 4094, "ports": ["swp49", "swp50"],
            "address": "169.254.255.%d/30" % (1 if first else 2), "peer_ip": "169.254.255.%d" % (2 if first else 1),
            "backup_ip": "192.168.1.%d" % (12 if first else 11), "backup_vrf": "oob", "sys_mac": "44:38:39:ff:00:01",
            "priority": 1000 if first else 2000}


def test_default_system_mac_from_the_domain_id():
    assert mlag.default_system_mac(1) == "44:38:39:ff:00:01"
    assert mlag.default_system_mac(1000) == "44:38:39:ff:03:e8"
