# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node labels as the nodes will have them against every rendered node selector (consistency.labels)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

import sitegen
from test_cluster_network_fixtures import ALLOWED, BOTH_LB, site

from ansible_collections.netstack.baremetal.plugins.module_utils import lb_objects, nodes_kubeadm
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.consistency import check_plan, labels
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError


def plan_problems(inventory):
    try:
        plan_mod.build_plan(*inventory)
    except PlanError as exc:
        return exc.problems
    return []


def messages(problems):
    return ["%s: %s" % (p.path, p.message) for p in problems]


def per_rack(inventory_vars, nodes, _switches, label=True):
    inventory_vars["netstack_cluster"]["bgp_speakers"] = {"scope": "rack"}
    inventory_vars["netstack_fabric"].setdefault("asn", {})["nodes"] = {"base": 65000, "scheme": "per_rack"}
    for node in nodes.values():
        if label:
            node["netstack_node"]["labels"] = {"topology.kubernetes.io/zone": node["netstack_node"]["rack"]}


# --- good sites ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", ALLOWED)
@pytest.mark.parametrize("implementation,mode", BOTH_LB)
def test_every_variant_and_load_balancer_agrees(node_os, variant, implementation, mode):
    if implementation == "cilium" and variant == "noop":
        pytest.skip("Cilium's load balancer needs Cilium")
    plan = plan_mod.build_plan(*site(node_os, variant, implementation, mode))
    assert check_plan(plan) == []


def test_per_rack_peers_select_the_labelled_racks():
    plan = plan_mod.build_plan(*site(edit=per_rack))
    assert check_plan(plan) == []


def test_node_labels_as_the_nodes_will_have_them():
    talos = labels.node_labels(plan_mod.build_plan(*site("talos", "kubeovn-cilium")))
    kubeadm = labels.node_labels(plan_mod.build_plan(*site("kubeadm", "kubeovn-cilium-generic")))
    for nodes in (talos, kubeadm):
        assert nodes["cp1"]["labels"][labels.HOSTNAME_LABEL] == "cp1"
        assert nodes["cp1"]["labels"][labels.CONTROL_PLANE_LABEL] == ""
        assert labels.CONTROL_PLANE_LABEL not in nodes["w1"]["labels"]
        # both node OSes drop kubeadm's / Talos' exclude label on control planes: MetalLB announces from them
        assert labels.EXCLUDE_LB_LABEL not in nodes["cp1"]["labels"]
        assert nodes["w1"]["labels"]["kubernetes.io/os"] == "linux"


def test_the_chart_turns_master_nodes_label_into_a_node_selector():
    assert labels.master_nodes_selector("node-role.kubernetes.io/control-plane") == {
        "node-role.kubernetes.io/control-plane": ""}
    assert labels.master_nodes_selector("kube-ovn/role=master") == {"kube-ovn/role": "master"}


def test_selectors_are_evaluated_like_the_scheduler():
    index = labels._Index({
        "a": {"name": "a", "labels": {"zone": "r1", "size": "3", "kubernetes.io/arch": labels.ANY}, "sources": {}},
        "b": {"name": "b", "labels": {"zone": "r2"}, "sources": {}}})
    assert index.node_selector({"zone": "r1"}) == {"a"}
    assert index.node_selector({"kubernetes.io/arch": "arm64"}) == {"a"}
    assert index.label_selector({}) == {"a", "b"}
    assert index.label_selector({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["r1"]}]}) == {"b"}
    assert index.label_selector({"matchExpressions": [{"key": "size", "operator": "DoesNotExist"}]}) == {"b"}
    assert index.label_selector({"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["2"]}]}) == {"a"}
    assert index.node_affinity({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["r2"]}]},
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}]}}) == {"a", "b"}


# --- broken renders ----------------------------------------------------------------------------------------

def test_the_old_true_control_plane_label_of_kubeadm_is_refused(monkeypatch):
    original = nodes_kubeadm.node_labels

    def relabelled(plan, host):
        found = original(plan, host)
        if plan["nodes"][host]["role"] == "control-plane":
            found[labels.CONTROL_PLANE_LABEL] = "true"
        return found
    monkeypatch.setattr(nodes_kubeadm, "node_labels", relabelled)
    problems = plan_problems(site("kubeadm", "kubeovn-cilium-generic"))
    (problem,) = [p for p in problems if p.path.endswith("MASTER_NODES_LABEL")]
    assert problem.path == "netstack_cluster.components.kube_ovn.values.MASTER_NODES_LABEL"
    assert problem.message == (
        "Kube-OVN ovn-central and kube-ovn-monitor run where MASTER_NODES_LABEL "
        "'node-role.kubernetes.io/control-plane' selects (nodeSelector kubernetes.io/os=linux, "
        "node-role.kubernetes.io/control-plane=\"\"): it selects no node, MASTER_NODES lists cp1, cp2, cp3; "
        "cp1 has node-role.kubernetes.io/control-plane=true (kubeadm_bootstrap kubectl label); "
        "cp2 has node-role.kubernetes.io/control-plane=true (kubeadm_bootstrap kubectl label); "
        "cp3 has node-role.kubernetes.io/control-plane=true (kubeadm_bootstrap kubectl label)")


def test_a_talos_control_plane_labelled_apart_from_the_others_is_refused():
    def one_true(_vars, nodes, _switches):
        nodes["cp2"]["netstack_node"]["labels"] = {labels.CONTROL_PLANE_LABEL: "true"}
    problems = plan_problems(site("talos", "kubeovn-cilium", edit=one_true))
    (problem,) = [p for p in problems if p.path.endswith("MASTER_NODES_LABEL")]
    assert "it selects cp1, cp3, MASTER_NODES lists cp1, cp2, cp3" in problem.message
    assert "cp2 has node-role.kubernetes.io/control-plane=true (Talos machine.nodeLabels)" in problem.message


@pytest.mark.parametrize("implementation", ["metallb", "cilium"])
def test_a_peer_selecting_a_host_that_does_not_exist_is_refused(implementation):
    # lb_objects' own check (bgp.check_consistency on the objects) refuses this plan first: break the
    # rendered objects of a good plan instead, and run the label check on its own
    plan = plan_mod.build_plan(*site("talos", "kubeovn-cilium", implementation, "bgp"))
    for rel in plan["cluster_network"]["releases"]:
        for obj in rel.get("objects", ()):
            if obj["kind"] == "BGPPeer" and obj["spec"]["nodeSelectors"][0]["matchLabels"].get(
                    lb_objects.HOSTNAME_LABEL) == "w1":
                obj["spec"]["nodeSelectors"] = [{"matchLabels": {lb_objects.HOSTNAME_LABEL: "w1-ghost"}}]
            if obj["kind"] == "CiliumBGPClusterConfig" and obj["spec"]["nodeSelector"]["matchLabels"].get(
                    lb_objects.HOSTNAME_LABEL) == "w1":
                obj["spec"]["nodeSelector"] = {"matchLabels": {lb_objects.HOSTNAME_LABEL: "w1-ghost"}}
    found = messages(labels.check_labels(plan))
    kind = "BGPPeer r1-leaf1-w1" if implementation == "metallb" else "CiliumBGPClusterConfig netstack-w1"
    assert any(m.startswith("netstack_cluster.bgp_speakers: %s (peer r1-leaf1 10.10.0.254, ASN 65001) selects no "
                            "node: no node carries kubernetes.io/hostname=w1-ghost" % kind) for m in found), found
    assert any(m.startswith("hosts.w1.netstack_node: BGP session r1-leaf1~w1: no peer object selects node w1")
               for m in found), found


def test_a_node_without_its_rack_label_is_refused_with_the_label_to_add():
    def unlabelled(inventory_vars, nodes, switches):
        per_rack(inventory_vars, nodes, switches)
        nodes["w2"]["netstack_node"]["labels"] = {}
    problems = plan_problems(site(edit=unlabelled))
    (first, _second) = [p for p in problems if p.path == "hosts.w2.netstack_node.labels"]
    assert first.message.startswith("BGP session r2-leaf1~w2: no peer object selects node w2")
    assert first.message.endswith("; w2 has no label topology.kubernetes.io/zone")
    assert first.hint == "add the label topology.kubernetes.io/zone: r2 to the node"


def test_a_helm_values_node_selector_that_selects_nothing_is_refused():
    def speakers(inventory_vars, _nodes, _switches):
        inventory_vars["netstack_cluster"]["components"] = {"metallb": {"values": {
            "speaker": {"nodeSelector": {"netstack.io/speaker": "yes"}}}}}
    found = messages(plan_problems(site(edit=speakers)))
    assert ("netstack_cluster.components.metallb.values.speaker.nodeSelector: release metallb: nodeSelector "
            "netstack.io/speaker=yes selects no node (9 nodes, none carries all these labels)") in found


def test_kubeadm_control_planes_keeping_the_exclude_label_are_refused(monkeypatch):
    monkeypatch.setattr(nodes_kubeadm, "label_args",
                        lambda plan, host: ["%s=%s" % kv for kv in nodes_kubeadm.node_labels(plan, host).items()])
    problems = plan_problems(site("kubeadm", "kubeovn-cilium-generic"))
    found = [p for p in problems if p.path == "hosts.cp1.netstack_node.labels"]
    assert found and found[0].message == (
        "BGPPeer r1-leaf1-cp1 peers node cp1 with r1-leaf1, but MetalLB announces nothing from it: cp1 has "
        "node.kubernetes.io/exclude-from-external-load-balancers=\"\" (the node OS)")


def test_upper_case_host_names_are_refused_before_any_selector():
    # the host name is the Talos hostname and Kubernetes node name, both lower-case: an upper-case one is
    # refused at plan time, so no selector has to guess the name (test_validation_physical.py has the rest)
    inventory = sitegen.make_site(tenants=1)
    inventory[1]["R1-N2"] = inventory[1].pop("r1-n2")
    with pytest.raises(plan_mod.PlanError) as caught:
        plan_mod.build_plan(*inventory)
    assert [(p.path, p.hint) for p in caught.value.problems] == [("hosts.R1-N2", "rename the host to 'r1-n2'")]
