# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load-balancer objects: pools, advertisements, and BGP peers that match the switches one to one."""
from __future__ import absolute_import, division, print_function

import copy

import pytest

from test_cluster_network_fixtures import ALLOWED, build, objects, problems, release

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp, lb_objects


def _switch_view(plan):
    return bgp.switch_side(plan["bgp"]["sessions"])


def _node_view(plan, rel, objs=None):
    return lb_objects.node_view(objs if objs is not None else rel["objects"], plan, rel["secrets"],
                                rack_label=plan["cluster_network"]["load_balancer"]["speakers"]["rack_label"])


def _per_rack(inventory_vars, nodes, switches):
    inventory_vars["netstack_cluster"]["bgp_speakers"] = {"scope": "rack"}
    for host, node in nodes.items():
        node["netstack_node"]["labels"] = {"topology.kubernetes.io/zone": node["netstack_node"]["rack"]}


@pytest.mark.parametrize("node_os,variant", ALLOWED)
def test_metallb_peers_match_the_switch_side_one_to_one(node_os, variant):
    plan = build(node_os, variant)
    if variant == "noop":
        # noop installs no load balancer unless asked (features.load_balancer)
        assert release(plan, "metallb-config") is None

        def ask(inventory_vars, nodes, switches):
            inventory_vars["netstack_cluster"]["features"]["load_balancer"] = True
        plan = build(node_os, variant, edit=ask)
    rel = release(plan, "metallb-config")
    peers = [o for o in rel["objects"] if o["kind"] == "BGPPeer"]
    assert len(peers) == len(plan["bgp"]["sessions"]) == 18
    assert bgp.check_consistency(_switch_view(plan), _node_view(plan, rel)) == []
    for peer in peers:
        assert peer["apiVersion"] == "metallb.io/v1beta2"
        (selector,) = peer["spec"]["nodeSelectors"]
        node = selector["matchLabels"]["kubernetes.io/hostname"]
        assert peer["metadata"]["annotations"]["netstack.io/session"].endswith("~" + node)


def test_per_rack_peers_match_the_switch_side_too():
    plan = build("talos", "kubeovn-cilium", edit=_per_rack)
    rel = release(plan, "metallb-config")
    peers = [o for o in rel["objects"] if o["kind"] == "BGPPeer"]
    assert len(peers) == 6  # 3 racks x 2 switches instead of 18 sessions
    assert {tuple(p["spec"]["nodeSelectors"][0]["matchLabels"].items()) for p in peers} == {
        (("topology.kubernetes.io/zone", r),) for r in ("r1", "r2", "r3")}
    assert all("sourceAddress" not in p["spec"] for p in peers)
    assert bgp.check_consistency(_switch_view(plan), _node_view(plan, rel)) == []


def test_per_rack_scope_needs_rack_wide_asns_and_consistent_labels():
    def per_node_asn(inventory_vars, nodes, switches):
        _per_rack(inventory_vars, nodes, switches)
        inventory_vars["netstack_fabric"]["asn"]["nodes"]["scheme"] = "per_node"
    assert "netstack_cluster.bgp_speakers.scope" in [p.path for p in problems(edit=per_node_asn)]

    def wrong_label(inventory_vars, nodes, switches):
        _per_rack(inventory_vars, nodes, switches)
        nodes["w1"]["netstack_node"]["labels"]["topology.kubernetes.io/zone"] = "r2"
    assert [p.path for p in problems(edit=wrong_label)] == ["hosts.w1.netstack_node.labels"]


@pytest.mark.parametrize("field,value", [("peerAddress", "10.10.0.200"), ("peerASN", 65999), ("myASN", 65999),
                                         ("holdTime", "30s"), ("sourceAddress", "10.10.0.99")])
def test_the_consistency_check_sees_a_wrong_peer(field, value):
    plan = build("talos", "kubeovn-cilium")
    rel = release(plan, "metallb-config")
    objs = copy.deepcopy(rel["objects"])
    peer = next(o for o in objs if o["kind"] == "BGPPeer")
    peer["spec"][field] = value
    found = bgp.check_consistency(_switch_view(plan), _node_view(plan, rel, objs))
    assert found, "a broken %s went unnoticed" % field


def test_the_consistency_check_sees_a_peer_on_the_wrong_node():
    plan = build("talos", "kubeovn-cilium")
    rel = release(plan, "metallb-config")
    objs = copy.deepcopy(rel["objects"])
    peer = next(o for o in objs if o["kind"] == "BGPPeer")
    peer["spec"]["nodeSelectors"] = [{"matchLabels": {"kubernetes.io/hostname": "w6"}}]
    messages = [p.message for p in bgp.check_consistency(_switch_view(plan), _node_view(plan, rel, objs))]
    assert any("switch" in m and "only" in m for m in messages)


def test_missing_and_extra_peers_are_reported():
    plan = build("talos", "kubeovn-cilium")
    rel = release(plan, "metallb-config")
    objs = [o for o in rel["objects"] if o["kind"] != "BGPPeer" or o["spec"]["peerAddress"] != "10.10.0.254"]
    assert len(bgp.check_consistency(_switch_view(plan), _node_view(plan, rel, objs))) == 3


def test_bgp_password_is_a_secret_reference_never_the_value():
    plan = build("talos", "kubeovn-cilium")
    rel = release(plan, "metallb-config")
    assert rel["secrets"] == [{"name": "netstack-bgp-password", "namespace": "cozy-metallb",
                               "type": "kubernetes.io/basic-auth", "key": "password",
                               "variable": "vault_netstack_bgp_password"}]
    for peer in objects(plan, "BGPPeer"):
        assert peer["spec"]["passwordSecret"] == {"name": "netstack-bgp-password", "namespace": "cozy-metallb"}
        assert "password" not in peer["spec"]
    assert not objects(plan, "Secret")


def test_no_password_no_secret():
    def none(inventory_vars, nodes, switches):
        inventory_vars["netstack_fabric"]["bgp"]["password_var"] = None
    plan = build(edit=none)
    assert release(plan, "metallb-config")["secrets"] == []
    assert all("passwordSecret" not in p["spec"] for p in objects(plan, "BGPPeer"))


def test_bfd_profile_only_with_bfd():
    plan = build()
    (profile,) = objects(plan, "BFDProfile")
    assert profile["spec"] == {"receiveInterval": 300, "transmitInterval": 300, "detectMultiplier": 3}
    assert all(p["spec"]["bfdProfile"] == "netstack" for p in objects(plan, "BGPPeer"))

    def no_bfd(inventory_vars, nodes, switches):
        inventory_vars["netstack_fabric"]["bgp"]["bfd"] = False
    plan = build(edit=no_bfd)
    assert objects(plan, "BFDProfile") == []
    assert all("bfdProfile" not in p["spec"] for p in objects(plan, "BGPPeer"))


def test_metallb_pools_and_bgp_advertisements_from_the_plan():
    plan = build()
    pools = {o["metadata"]["name"]: o["spec"] for o in objects(plan, "IPAddressPool")}
    assert pools == {"public": {"addresses": ["10.30.0.64/26"], "autoAssign": True, "avoidBuggyIPs": False},
                     "internal": {"addresses": ["10.40.0.0/25"], "autoAssign": False, "avoidBuggyIPs": False}}
    adverts = {o["metadata"]["name"]: o["spec"] for o in objects(plan, "BGPAdvertisement")}
    # /32 only, the prefix length the switches accept from the nodes
    assert adverts == {name: {"ipAddressPools": [name], "aggregationLength": 32} for name in pools}
    assert objects(plan, "L2Advertisement") == []
    assert all(o["metadata"]["namespace"] == "cozy-metallb" for o in release(plan, "metallb-config")["objects"])


def test_metallb_l2_mode():
    plan = build(mode="l2")
    rel = release(plan, "metallb-config")
    assert {o["kind"] for o in rel["objects"]} == {"IPAddressPool", "L2Advertisement"}
    pools = {o["metadata"]["name"]: o["spec"]["addresses"] for o in objects(plan, "IPAddressPool")}
    assert pools["internal"] == ["10.30.0.200-10.30.0.219"]
    assert rel["secrets"] == []


def test_pool_ranges_are_written_without_blanks():
    def spaced(inventory_vars, nodes, switches):
        inventory_vars["netstack_load_balancer"]["pools"][0]["addresses"] = ["10.30.0.64 - 10.30.0.95"]
    pools = {o["metadata"]["name"]: o["spec"] for o in objects(build(edit=spaced), "IPAddressPool")}
    assert pools["public"]["addresses"] == ["10.30.0.64-10.30.0.95"]


@pytest.mark.parametrize("node_os,variant", [c for c in ALLOWED if c[1] != "noop"])
def test_cilium_bgp_control_plane_matches_the_switch_side(node_os, variant):
    plan = build(node_os, variant, implementation="cilium", mode="bgp")
    assert release(plan, "metallb") is None and release(plan, "metallb-config") is None
    rel = release(plan, "cilium-lb-config")
    assert bgp.check_consistency(_switch_view(plan), _node_view(plan, rel)) == []
    values = release(plan, "cilium")["values"]
    assert values["bgpControlPlane"] == {"enabled": True,
                                         "secretsNamespace": {"create": False, "name": "cozy-cilium"}}
    assert "l2announcements" not in values
    (peer_config,) = objects(plan, "CiliumBGPPeerConfig")
    assert peer_config["spec"]["authSecretRef"] == "netstack-bgp-password"
    assert rel["secrets"][0]["namespace"] == "cozy-cilium" and rel["secrets"][0]["type"] == "Opaque"
    (advert,) = objects(plan, "CiliumBGPAdvertisement")
    assert advert["metadata"]["labels"]["netstack.io/advertise"] == "lb"
    assert peer_config["spec"]["families"][0]["advertisements"]["matchLabels"] == {"netstack.io/advertise": "lb"}
    assert len(objects(plan, "CiliumBGPClusterConfig")) == len(plan["nodes"])


def test_cilium_bgp_per_rack():
    plan = build(implementation="cilium", mode="bgp", edit=_per_rack)
    rel = release(plan, "cilium-lb-config")
    assert len(objects(plan, "CiliumBGPClusterConfig")) == 3
    assert bgp.check_consistency(_switch_view(plan), _node_view(plan, rel)) == []


def test_cilium_l2_announcements_and_pools():
    plan = build(implementation="cilium", mode="l2")
    assert release(plan, "cilium")["values"]["l2announcements"] == {"enabled": True}
    (policy,) = objects(plan, "CiliumL2AnnouncementPolicy")
    assert policy["spec"] == {"loadBalancerIPs": True, "externalIPs": False}
    pools = {o["metadata"]["name"]: o["spec"] for o in objects(plan, "CiliumLoadBalancerIPPool")}
    assert pools["public"] == {"blocks": [{"cidr": "10.30.0.64/26"}]}
    # Cilium has no autoAssign: a pool that is not automatic serves only Services that ask for it by label
    assert pools["internal"] == {"blocks": [{"start": "10.30.0.200", "stop": "10.30.0.219"}],
                                 "serviceSelector": {"matchLabels": {"netstack.io/lb-pool": "internal"}}}
    assert "metallb" not in [r["name"] for r in plan["cluster_network"]["releases"]]
    assert "cozy-metallb" not in [o["metadata"]["name"] for o in objects(plan, "Namespace")]


def test_cilium_bgp_with_bfd_is_refused():
    def bfd(inventory_vars, nodes, switches):
        inventory_vars["netstack_fabric"]["bgp"]["bfd"] = True
    assert [p.path for p in problems(implementation="cilium", mode="bgp", edit=bfd)] == ["netstack_fabric.bgp.bfd"]


@pytest.mark.parametrize("implementation", ["metallb", "cilium"])
def test_l2_on_a_vlan_without_node_addresses_is_refused(implementation):
    # the plan engine refuses it for both (addressing): neither speaker can answer ARP there
    def no_addresses(inventory_vars, nodes, switches):
        for vlan in inventory_vars["netstack_fabric"]["vlans"]:
            if vlan["name"] == "external":
                vlan["node_addresses"] = False
    found = problems(implementation=implementation, mode="l2", edit=no_addresses)
    # one problem, at the VLAN setting to change, however many pools live there
    assert [p.path for p in found] == ["netstack_fabric.vlans[2].node_addresses"]
    assert "(used by pools 'public', 'internal')" in found[0].message


def test_k8s_names_are_dns_names_and_unique():
    assert lb_objects.k8s_name("R1_Leaf1~CP1") == "r1-leaf1-cp1"
    long_a = lb_objects.k8s_name("x" * 80 + "a")
    long_b = lb_objects.k8s_name("x" * 80 + "b")
    assert len(long_a) <= 63 and long_a != long_b


def test_peer_names_stay_unique_when_host_names_collide_after_joining():
    # valid host names (the plan refuses the others) can still collide once joined: switch r1-leaf1 with
    # node x-w1 and switch r1-leaf1-x with node w1 both give r1-leaf1-x-w1
    def collide(inventory_vars, nodes, switches):
        switches["r1-leaf1-x"] = switches.pop("r1-leaf2")
        for member in inventory_vars["netstack_fabric"]["racks"][0]["mlag"]["switches"]:   # the r1 MLAG pair
            if member["switch"] == "r1-leaf2":
                member["switch"] = "r1-leaf1-x"
        for node in nodes.values():
            for uplink in node["netstack_node"]["uplinks"]:
                if uplink["switch"] == "r1-leaf2":
                    uplink["switch"] = "r1-leaf1-x"
        nodes["x-w1"] = copy.deepcopy(nodes["w1"])
        nodes["x-w1"]["netstack_node"]["index"] = 20
        for uplink in nodes["x-w1"]["netstack_node"]["uplinks"]:
            uplink["port"] = "Ethernet20"
    plan = build(edit=collide)
    assert {"r1-leaf1~x-w1", "r1-leaf1-x~w1"} <= set(s["id"] for s in plan["bgp"]["sessions"])
    names = [p["metadata"]["name"] for p in objects(plan, "BGPPeer")]
    assert len(names) == len(set(names)) == len(plan["bgp"]["sessions"])
