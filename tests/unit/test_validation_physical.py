"""Cabling, identity, hardware and version mistakes: each caught once, at the key to change, with the fix.

Every case breaks one thing in a valid synthetic site (``sitegen``: racks r1 EOS, r2 NX-OS, r3 SONiC, two
switches each, nodes cabled to both with eth0/eth1) and expects exactly one problem: its path, a fragment of
its message and of its hint. Through the plan action, the same inventory fails with that problem and writes
nothing. The rules are in ``plugins/module_utils/physical.py`` and docs/inventory.md ("Hosts and cabling").
"""
import copy
import os

import pytest
from unittest import mock

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import sitegen
from test_validation import _all, _uplink, cluster, node

PASSWORD_VAR = "vault_bgp"   # sitegen's netstack_fabric.bgp.password_var


def _rename_node(old, new):
    def mutate(site):
        site[1][new] = site[1].pop(old)
    return mutate


def _rename_switch(old, new):
    def mutate(site):
        site[2][new] = site[2].pop(old)
        for entry in site[1].values():
            for uplink in entry["netstack_node"]["uplinks"]:
                if uplink["switch"] == old:
                    uplink["switch"] = new
    return mutate


def _second_node(like, name, index=40):
    """Another node cabled like ``like`` (own index, own ports): only its name can clash."""
    def mutate(site):
        entry = copy.deepcopy(site[1][like])
        entry["role"] = "worker"
        entry["netstack_node"]["index"] = index
        for uplink in entry["netstack_node"]["uplinks"]:
            uplink["port"] = "Ethernet%d" % index
        site[1][name] = entry
    return mutate


def _second_switch(like, name):
    """Another switch of ``like``'s rack (index 3, own router id) that no node is cabled to."""
    def mutate(site):
        entry = copy.deepcopy(site[2][like])
        entry["netstack_switch"].update(index=3, router_id="10.255.99.3")
        site[2][name] = entry
    return mutate


def _no_uplinks(*hosts):
    def mutate(site):
        for host in hosts:
            node(site, host)["uplinks"] = []
    return mutate


def _rack_without_switches(site):
    for host in ("r3-sw1", "r3-sw2"):
        del site[2][host]
    _no_uplinks("r3-n1", "r3-n2", "r3-n3")(site)


def _node_is_a_switch(site):
    site[2]["r1-n1"] = copy.deepcopy(site[2]["r1-sw1"])
    site[2]["r1-n1"]["netstack_switch"].update(index=3, router_id="10.255.1.3")


def _kubeadm(site):
    cluster(site).update(node_os="kubeadm", variant="kubeovn-cilium-generic")


def _versions(kubernetes, talos):
    def mutate(site):
        cluster(site)["kubernetes_version"] = kubernetes
        cluster(site).setdefault("nodes", {})["talos"] = {"version": talos}
    return mutate


def _rack_scope(site):
    cluster(site)["bgp_speakers"] = {"scope": "rack"}
    for entry in site[1].values():
        entry["netstack_node"]["labels"] = {"topology.kubernetes.io/zone": entry["netstack_node"]["rack"]}


LONG_KUBEADM_NAME = "r2-n1." + "x" * 60

# (id, mutation, path, message fragment, hint fragment[, make_site arguments])
CASES = [
    # --- BGP and cabling ---
    ("node without uplinks", _no_uplinks("r2-n1"), "hosts.r2-n1.netstack_node.uplinks",
     "is empty: the node is cabled to no switch, so nothing connects it to the node VLAN 'nodes' (its address "
     "and BGP sessions)",
     "cable it to the switches of rack 'r2': uplinks: [{switch: r2-sw1, port: <port>, nic: eth0}, "
     "{switch: r2-sw2, port: <port>, nic: eth1}]"),
    ("node without uplinks in L2 mode", _no_uplinks("r2-n1"), "hosts.r2-n1.netstack_node.uplinks",
     "nothing connects it to the node VLAN 'nodes' (its address)", "uplinks: [{switch: r2-sw1",
     {"mode": "l2"}),
    ("rack of nodes without switches or cables", _rack_without_switches, "netstack_fabric.racks[2]",
     "rack 'r3' holds 3 node(s) (r3-n1, r3-n2, r3-n3) but no switch, and none of them has an uplink",
     "add the rack's top-of-rack switches to netstack_switches (netstack_switch: {rack: r3, index: 1"),
    ("rack contradicted by every uplink", lambda s: node(s, "r1-n2").update(rack="r2"),
     "hosts.r1-n2.netstack_node.rack", "is 'r2', but every uplink goes to a switch of rack 'r1' (r1-sw1, r1-sw2)",
     "set rack: r1"),
    ("unknown rack, uplinks in one rack", lambda s: node(s, "r1-n2").update(rack="rack1"),
     "hosts.r1-n2.netstack_node.rack", "rack 'rack1' does not exist", "set rack: r1 (its uplinks' switches are"),
    ("EOS port abbreviated", _uplink("r1-n2", 0, "port", "Et1"), "hosts.r1-n2.netstack_node.uplinks[0].port",
     "port Et1 on 'r1-sw1' is already cabled to 'r1-n1' (as Ethernet1: one port on EOS)",
     "one cable per port: correct the port of this uplink or of 'r1-n1'"),
    ("NX-OS port with a blank", _uplink("r2-n2", 1, "port", "ethernet 1"),
     "hosts.r2-n2.netstack_node.uplinks[1].port", "port ethernet 1 on 'r2-sw2' is already cabled to 'r2-n1' "
     "(as Ethernet1: one port on NX-OS)", "correct the port of this uplink or of 'r2-n1'"),
    ("SONiC port in capitals", _uplink("r3-n3", 0, "port", "ETHERNET1"), "hosts.r3-n3.netstack_node.uplinks[0].port",
     "is already cabled to 'r3-n1' (as Ethernet1: one port on SONiC)", "one cable per port"),
    ("NIC cabled twice in another case", _uplink("r1-n1", 1, "nic", "ETH0"),
     "hosts.r1-n1.netstack_node.uplinks[1].nic",
     "NIC 'ETH0' is cabled twice (also uplinks[0] as 'eth0': case does not tell NICs apart)",
     "give each uplink its own NIC"),
    ("rack scope, node cabled to one switch", _all(_rack_scope, lambda s: node(s).update(uplinks=node(s)["uplinks"][:1])),
     "hosts.r1-n1.netstack_node.uplinks", "bgp_speakers scope 'rack' gives every node of rack 'r1' the same BGP "
     "peers (r1-sw1, r1-sw2), but this node is cabled to r1-sw1",
     "cable it to r1-sw2 too, or set netstack_cluster.bgp_speakers.scope: node"),
    # --- host names ---
    ("node name in capitals", _rename_node("r2-n1", "R2-N1"), "hosts.R2-N1",
     "is not a valid node name: the host name is the node's Talos hostname and Kubernetes node name: one "
     "lower-case RFC 1123 label", "rename the host to 'r2-n1'"),
    ("node name with an underscore", _rename_node("r2-n1", "r2_n1"), "hosts.r2_n1", "is not a valid node name",
     "rename the host to 'r2-n1'"),
    ("FQDN as a Talos node name", _rename_node("r2-n1", "r2-n1.dc1.example.com"), "hosts.r2-n1.dc1.example.com",
     "Talos would register it by its first label only", "rename the host to 'r2-n1'"),
    ("kubeadm node name past 63 characters", _all(_kubeadm, _rename_node("r2-n1", LONG_KUBEADM_NAME)),
     "hosts." + LONG_KUBEADM_NAME, "a lower-case RFC 1123 DNS subdomain (a-z, 0-9, '-' and '.') of at most 63 "
     "characters", "rename the host to '%s'" % LONG_KUBEADM_NAME[:63]),
    ("switch name in capitals", _rename_switch("r2-sw1", "R2-SW1"), "hosts.R2-SW1",
     "is not a valid switch name: uplinks, BGP sessions and the load balancer's BGP peer objects name the switch",
     "rename the host to 'r2-sw1' and the uplinks that name it"),
    ("two nodes differing only in case", _second_node("r1-n1", "R1-N1"), "hosts.R1-N1",
     "differs from host 'r1-n1' only in case, but node names, hostnames and DNS names ignore case: both are "
     "'r1-n1'", "remove the duplicate, or rename it, e.g. 'r1-n4'"),
    ("two names with one valid form", _second_node("r1-n1", "r1_n1"), "hosts.r1_n1",
     "is not a valid node name, and its valid form 'r1-n1' clashes with host 'r1-n1'", "rename it, e.g. 'r1-n4'"),
    ("two switches differing only in case", _second_switch("r1-sw1", "R1-SW1"), "hosts.R1-SW1",
     "differs from host 'r1-sw1' only in case", "remove the duplicate, or rename it, e.g. 'r1-sw3'"),
    ("host in a node group and in netstack_switches", _node_is_a_switch, "hosts.r1-n1",
     "is in a node group (netstack_control_plane or netstack_workers) and in netstack_switches",
     "remove it from one of them"),
    # --- versions ---
    ("Kubernetes newer than Talos runs", _versions("1.36.2", "v1.12.6"), "netstack_cluster.kubernetes_version",
     "Kubernetes 1.36.2 does not run on Talos v1.12.6, which supports Kubernetes 1.30 to 1.35",
     "use a Kubernetes 1.30 to 1.35 release, e.g. kubernetes_version: \"1.34.0\", or Talos v1.13 or newer"),
    ("Kubernetes older than Talos runs", _versions("1.30.4", "v1.13.6"), "netstack_cluster.kubernetes_version",
     "which supports Kubernetes 1.31 to 1.36", "use a Kubernetes 1.31 to 1.36 release, e.g. kubernetes_version: "
     "\"1.35.0\", or Talos v1.12 (netstack_cluster.nodes.talos.version)"),
]


def _make(case):
    return sitegen.make_site(**(case[5] if len(case) > 5 else {}))


def _problems(site):
    with pytest.raises(PlanError) as caught:
        plan_core.build_plan(*site)
    return caught.value.problems


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_mistake_one_problem_at_the_key_to_change(case):
    site = _make(case)
    case[1](site)
    problems = _problems(site)
    path, message, hint = case[2:5]
    assert [p.path for p in problems] == [path], "\n".join(str(p) for p in problems)
    assert message in problems[0].message
    assert hint in problems[0].hint


# --- nothing is written but the error ------------------------------------------------------------------

def _run_plan_action(site, bundle_dir):
    """The plan action (as ``playbooks/*.yml`` run it) on ``site``: its result."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.template import Templar
    from ansible_collections.netstack.baremetal.plugins.action.plan import ActionModule

    inventory_vars, nodes, switches = site
    groups = {"netstack_control_plane": sorted(h for h, n in nodes.items() if n["role"] == "control-plane"),
              "netstack_workers": sorted(h for h, n in nodes.items() if n["role"] == "worker"),
              "netstack_switches": sorted(switches)}
    common = dict(inventory_vars, **{PASSWORD_VAR: "not-a-real-password"})
    hostvars = dict((h, dict(common, netstack_node=n["netstack_node"])) for h, n in nodes.items())
    for host, entry in switches.items():
        hostvars.setdefault(host, dict(common))
        hostvars[host].update(netstack_switch=entry["netstack_switch"], ansible_network_os=entry["network_os"])
    task = mock.MagicMock(args={"bundle_dir": str(bundle_dir), "sections": ["plan", "fabric"]},
                          async_val=0, check_mode=False)
    loader = DataLoader()
    action = ActionModule(task, mock.MagicMock(), PlayContext(), loader, Templar(loader=loader), None)
    return action.run(task_vars=dict(common, hostvars=hostvars, groups=groups))


def test_the_action_writes_the_bundle_of_a_valid_site(tmp_path):
    result = _run_plan_action(sitegen.make_site(), tmp_path / "bundle")
    assert not result.get("failed"), result.get("msg")
    assert os.listdir(str(tmp_path / "bundle"))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_nothing_is_written_but_the_error(case, tmp_path):
    site = _make(case)
    case[1](site)
    result = _run_plan_action(site, tmp_path / "bundle")
    assert result["failed"] and [p["path"] for p in result["problems"]] == [case[2]]
    assert case[3] in result["msg"] and case[4] in result["msg"]
    assert not (tmp_path / "bundle").exists()


# --- all at once -----------------------------------------------------------------------------------------

def test_every_physical_mistake_is_reported_at_once():
    site = sitegen.make_site()
    _all(_no_uplinks("r2-n1"), _uplink("r1-n2", 0, "port", "Et1"), _uplink("r3-n1", 1, "nic", "ETH0"),
         lambda s: node(s, "r1-n3").update(rack="r2"), _rename_node("r3-n3", "R3_N3"),
         _rename_switch("r3-sw2", "R3-SW2"), _node_is_a_switch, _versions("1.29.1", "v1.13.6"))(site)
    problems = _problems(site)
    assert sorted(p.path for p in problems) == sorted([
        "hosts.r2-n1.netstack_node.uplinks", "hosts.r1-n2.netstack_node.uplinks[0].port",
        "hosts.r3-n1.netstack_node.uplinks[1].nic", "hosts.r1-n3.netstack_node.rack", "hosts.R3_N3",
        "hosts.R3-SW2", "hosts.r1-n1", "netstack_cluster.kubernetes_version"]), "\n".join(str(p) for p in problems)


def test_two_mistakes_of_one_node_are_two_problems():
    # an unknown rack and no cables: the rack is reported at the rack, the missing cables at the uplinks
    site = sitegen.make_site()
    _all(_no_uplinks("r2-n1"), lambda s: node(s, "r2-n1").update(rack="rack2"))(site)
    problems = _problems(site)
    assert [p.path for p in problems] == ["hosts.r2-n1.netstack_node.rack", "hosts.r2-n1.netstack_node.uplinks"]
    assert "rack 'rack2' does not exist" in problems[0].message
    assert problems[1].hint == "list its cables: uplinks: [{switch: <switch>, port: <port>, nic: <nic>}]"


# --- what is not a mistake ---------------------------------------------------------------------------------

def test_bgp_peers_are_the_switches_a_node_is_cabled_to():
    site = sitegen.make_site()
    node(site)["uplinks"] = node(site)["uplinks"][:1]
    plan = plan_core.build_plan(*site)
    assert [s["id"] for s in plan["bgp"]["sessions"] if s["node"] == "r1-n1"] == ["r1-sw1~r1-n1"]
    assert "r1-n1" not in [n["peer"] for n in plan["bgp"]["switches"]["r1-sw2"]["neighbors"]]
    assert [p["peer"] for p in plan["bgp"]["nodes"]["r1-n1"]] == ["r1-sw1"]
    # every other node still peers with both switches of its rack, in switch index order
    assert [p["peer"] for p in plan["bgp"]["nodes"]["r1-n2"]] == ["r1-sw1", "r1-sw2"]


def test_both_uplinks_on_one_switch_make_a_plain_lacp_bond():
    # 802.3ad needs one LACP partner: one switch is one (no MLAG then), and active-backup needs none
    site = sitegen.make_site()
    node(site)["uplinks"][1].update(switch="r1-sw1", port="Ethernet7")
    plan = plan_core.build_plan(*site)
    assert plan["fabric"]["nodes"]["r1-n1"]["lag"] == 1 and plan["fabric"]["nodes"]["r1-n1"]["mlag"] is False
    assert [s["switch"] for s in plan["bgp"]["sessions"] if s["node"] == "r1-n1"] == ["r1-sw1"]


@pytest.mark.parametrize("mutate", [
    _all(_kubeadm, _rename_node("r2-n1", "r2-n1.dc1")),                  # kubeadm: a DNS subdomain
    _rename_switch("r2-sw1", "r2-sw1.dc1.example.com"),                  # a switch may be named by its FQDN
    _uplink("r3-n2", 0, "port", "Eth1/1"),                               # SONiC: another naming scheme
    _uplink("r1-n2", 0, "port", "Ethernet1/1"),                          # EOS: a lane, not Ethernet1
    _versions("1.35.0", "v1.12.6"), _versions("1.31.2", "v1.13.6"),      # supported pairs
    _all(_kubeadm, _versions("1.29.0", "v1.13.6")),                      # kubeadm: no Talos
], ids=["kubeadm-dotted-name", "switch-fqdn", "sonic-standard-name", "eos-lane", "talos-1.12-k8s-1.35",
        "talos-1.13-k8s-1.31", "kubeadm-any-version"])
def test_what_is_not_a_mistake_plans(mutate):
    site = sitegen.make_site()
    mutate(site)
    plan_core.build_plan(*site)
