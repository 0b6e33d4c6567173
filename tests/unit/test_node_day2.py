# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 for nodes (issue #14), the core: the plan of one node equals its part of the whole plan and holds nothing
else, a retired node (``state: removed``) keeps its index and its shut ports on every platform, the refusals, the
etcd quorum decision and the drain plan. The playbooks run on the site twin (test_node_day2_twin.py) and against a
real API server (tests/integration/test_node_day2.py)."""
from __future__ import absolute_import, division, print_function

import copy

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import node_day2
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import health, switch_output
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError


def _retire(example, *names):
    inventory_vars, nodes, switches = copy.deepcopy(example)
    for name in names:
        nodes[name]["netstack_node"]["state"] = "removed"
    return inventory_vars, nodes, switches


def _a_worker(plan):
    return next(h for h, n in plan["nodes"].items() if n["role"] == "worker")


def test_one_node_plans_its_switches_and_files_equal_to_the_whole_plan(example, full_plan):
    name = _a_worker(full_plan)
    plan = plan_core.build_node_plan(*example, name=name)
    change = plan["node_change"]
    cabled = sorted(set(u["switch"] for u in full_plan["nodes"][name]["uplinks"]))
    assert sorted(change["switches"]) == cabled
    assert sorted(plan["fabric"]["switches"]) == cabled                        # no other switch is planned
    for switch in cabled:
        assert plan["fabric"]["switches"][switch] == full_plan["fabric"]["switches"][switch]
    assert [h for h, n in plan["nodes"].items() if "talos" in n or "kubeadm" in n] == [name]
    assert plan["nodes"][name] == full_plan["nodes"][name]
    files = plan_core.render_node_bundle(plan)
    whole = plan_core.render_bundle(full_plan, ["fabric", "nodes"])
    assert files and all(whole[path] == text for path, text in files.items())
    assert sorted(set(p.split("/")[1].split(".")[0] for p in files if p.startswith("fabric/"))) == cabled
    assert set(p.split("/")[1] for p in files if p.startswith("nodes/")) == {name}
    # the node's sessions and its load-balancer objects: exactly those that select it by host name
    assert len(change["sessions"]) == len(cabled)
    objects = [o for r in full_plan["cluster_network"]["releases"] if r["name"] in node_day2.LB_RELEASES
               for o in r.get("objects") or [] if node_day2.selects_only(o, name)]
    assert change["objects"] == objects and objects


@pytest.mark.parametrize("name, match", [
    ("", "no node given"),
    ("nope", "node 'nope' is not in the inventory \\(groups netstack_control_plane, netstack_workers\\)"),
])
def test_unknown_or_missing_node_fails_naming_the_inventory(example, name, match):
    with pytest.raises(PlanError, match=match):
        plan_core.build_node_plan(*example, name=name)


def test_remove_refuses_a_node_still_active_and_add_one_marked_removed(example, full_plan):
    name = _a_worker(full_plan)
    with pytest.raises(PlanError, match="still active in the inventory.*state: removed"):
        plan_core.build_node_plan(*example, name=name, operation="remove")
    with pytest.raises(PlanError, match="is 'removed': the node is retired"):
        plan_core.build_node_plan(*_retire(example, name), name=name)


def test_a_colliding_index_or_port_is_refused_as_by_site_yml(example, full_plan):
    inventory_vars, nodes, switches = copy.deepcopy(example)
    name = _a_worker(full_plan)
    new = copy.deepcopy(nodes[name])
    nodes["n-new"] = new
    with pytest.raises(PlanError, match="index %d is already used" % full_plan["nodes"][name]["index"]):
        plan_core.build_node_plan(inventory_vars, nodes, switches, name="n-new")


def test_a_removed_node_keeps_its_index_reserved_and_its_ports_shut(example, full_plan):
    name = _a_worker(full_plan)
    retired = _retire(example, name)
    plan = plan_core.build_plan(*retired)
    assert name not in plan["nodes"] and name in plan["removed_nodes"]
    assert all(s["node"] != name for s in plan["bgp"]["sessions"])
    index = full_plan["nodes"][name]["index"]
    inventory_vars, nodes, switches = copy.deepcopy(retired)
    nodes["n-new"] = copy.deepcopy(example[1][name])
    with pytest.raises(PlanError, match="index %d is already used by node '%s' \\(removed: its index stays reserved"
                       % (index, name)):
        plan_core.build_plan(inventory_vars, nodes, switches)
    for uplink in full_plan["nodes"][name]["uplinks"]:
        config = plan["fabric"]["switches"][uplink["switch"]]
        port = [p for p in config["ports"] if p["name"] == uplink["port"]]
        assert port == [{"name": uplink["port"], "description": "%s %s" % (name, uplink["nic"]), "mtu": 1500,
                         "lag": None, "l2": None, "edge": True, "shutdown": True}]
        assert all(name not in (lag["description"] or "") for lag in config["lags"])
        assert all(n["description"] != name for n in config["bgp"]["sessions"])
        assert health.planned(config)["shut_ports"] == [uplink["port"]]


def test_every_platform_renders_a_removed_node_port_shut_with_its_description(example, full_plan):
    workers = [h for h, n in full_plan["nodes"].items() if n["role"] == "worker"]
    plan = plan_core.build_plan(*_retire(example, *workers))
    seen = set()
    for name, uplink in [(w, u) for w in workers for u in full_plan["nodes"][w]["uplinks"]]:
        output = switch_output(plan, uplink["switch"])
        platform = output["platform"]
        seen.add(platform)
        if platform == "frr":
            stanza = output["files"]["interfaces"].split("iface %s\n" % uplink["port"])[1].split("\n\n")[0]
            assert "alias %s %s" % (name, uplink["nic"]) in stanza and "link-down yes" in stanza
            continue
        module = "%s_interfaces" % platform
        entry = [e for e in output["modules"][module]["config"] if e["name"] == uplink["port"]]
        assert entry and entry[0]["enabled"] is False, (platform, entry)
        assert entry[0]["description"] == "%s %s" % (name, uplink["nic"])
    assert seen == set(p["platform"] for p in full_plan["switches"].values()), seen


def test_remove_plans_the_switches_without_the_node(example, full_plan):
    name = _a_worker(full_plan)
    plan = plan_core.build_node_plan(*_retire(example, name), name=name, operation="remove")
    change = plan["node_change"]
    assert change["operation"] == "remove" and change["sessions"] == []
    assert sorted(change["switches"]) == sorted(set(u["switch"] for u in full_plan["nodes"][name]["uplinks"]))
    assert change["object_kinds"] == [list(k) for k in node_day2.lb_kinds(full_plan)]
    assert "nodes" in plan and all("talos" not in n and "kubeadm" not in n for n in plan["nodes"].values())
    assert "cluster_network" not in plan


def _node(name, control_plane=False, ready=True):
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels[node_day2.CONTROL_PLANE_LABEL] = ""
    return {"metadata": {"name": name, "labels": labels},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def _change(name, role, control_planes):
    return {"name": name, "role": role, "control_planes": control_planes}


@pytest.mark.parametrize("live, force, allowed, forced", [
    ([_node("cp1", True), _node("cp2", True), _node("cp3", True)], False, True, False),      # 2 of 2 left Ready
    ([_node("cp1", True, ready=False), _node("cp2", True), _node("cp3", True)], False, False, False),  # 1 of 2
    ([_node("cp1", True, ready=False), _node("cp2", True), _node("cp3", True)], True, True, True),
    ([_node("cp2", True), _node("cp3", True)], False, False, False),                        # cp1 not even there
])
def test_control_plane_removal_keeps_an_etcd_quorum(live, force, allowed, forced):
    decision = node_day2.removal_decision(_change("cp3", "control-plane", ["cp1", "cp2"]), live, force=force)
    assert (decision["allowed"], decision["forced"]) == (allowed, forced), decision
    if not allowed:
        assert "would break the etcd quorum" in decision["message"] and "force=true" in decision["message"]


def test_the_last_control_plane_is_refused_even_forced_and_workers_never():
    decision = node_day2.removal_decision(_change("cp1", "control-plane", []), [_node("cp1", True)], force=True)
    assert not decision["allowed"] and "last control-plane node" in decision["message"]
    decision = node_day2.removal_decision(_change("w1", "worker", ["cp1"]), [_node("cp1", True, ready=False)])
    assert decision["allowed"]


def test_drain_leaves_daemonset_and_mirror_pods_and_evicts_the_rest():
    pods = [{"metadata": {"name": "ds", "ownerReferences": [{"kind": "DaemonSet"}]}},
            {"metadata": {"name": "static", "annotations": {node_day2.MIRROR_ANNOTATION: "x"}}},
            {"metadata": {"name": "app", "ownerReferences": [{"kind": "ReplicaSet"}]}},
            {"metadata": {"name": "bare"}}]
    plan = node_day2.drain_plan(pods)
    assert [p["metadata"]["name"] for p in plan["evict"]] == ["app", "bare"]
    assert [(p["metadata"]["name"], why) for p, why in plan["left"]] == [("ds", "DaemonSet"), ("static", "mirror pod")]


def test_health_leaves_out_what_the_change_removes_on_purpose():
    before = {"sessions": {"10.0.0.1": "Established", "10.0.0.2": "Established"}, "ports": {"swp1": True, "swp3": True}}
    after = {"sessions": {"10.0.0.1": "Established"}, "ports": {"swp1": True, "swp3": False}}
    assert len(health.regressions(before, after)) == 2
    keep = {"peers": ["10.0.0.1"], "subnets": ["10.0.0.254/24"], "shut_ports": ["swp3"]}
    kept = health.restrict(before, keep)
    assert health.regressions(kept, after) == []
    # a session outside the node-facing subnets (the operator's, to a spine) is never left out
    spine = dict(before, sessions=dict(before["sessions"], **{"203.0.113.1": "Established"}))
    assert health.regressions(health.restrict(spine, keep), after) == [
        "BGP session with 203.0.113.1 was Established before the change and is missing now"]
    # what is still planned is still checked
    assert health.regressions(kept, {"sessions": {"10.0.0.1": "Idle"}, "ports": {"swp1": False}}) == [
        "BGP session with 10.0.0.1 was Established before the change and is Idle now",
        "port swp1 was up before the change and is down now"]
