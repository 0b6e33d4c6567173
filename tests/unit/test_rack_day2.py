# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 for racks (issue #14, add_rack.yml), the core and the playbook in render mode: the plan of a rack equals
its part of the whole plan and holds nothing else, the switches outside the rack it changes are found by comparing
the fabric with and without it, the refusals name the inventory path, and add_rack.yml writes only the rack's files.
The playbook's fabric part runs on the site twin (test_rack_day2_twin.py), its Kubernetes part against a real API
server (tests/integration/test_node_day2.py)."""
from __future__ import absolute_import, division, print_function

import copy

import pytest
import yaml

import sitegen
from ansible_collections.netstack.baremetal.plugins.module_utils import node_day2, rack_day2
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

from inventory_loader import REPO
from playbook_run import recap, run_playbook


def _rack_of(plan, rack):
    switches = sorted(h for h, s in plan["switches"].items() if s["rack"] == rack)
    nodes = sorted(h for h, n in plan["nodes"].items() if n["rack"] == rack)
    return switches, nodes


def test_one_rack_plans_its_switches_and_nodes_equal_to_the_whole_plan(example, full_plan):
    plan = plan_core.build_rack_plan(*example, name="r2")
    change = plan["rack_change"]
    switches, nodes = _rack_of(full_plan, "r2")
    assert switches and nodes
    assert change["rack_switches"] == switches and change["other_switches"] == []
    assert sorted(change["switches"]) == switches and sorted(plan["fabric"]["switches"]) == switches
    # rollout order: one switch of the pair, then its peer
    phases = [full_plan["fabric"]["rollout"][s]["phase"] for s in change["switches"]]
    assert phases == sorted(phases) and len(set(phases)) == 2
    for switch in switches:
        assert plan["fabric"]["switches"][switch] == full_plan["fabric"]["switches"][switch]
    assert sorted(n["name"] for n in change["nodes"]) == nodes
    assert sorted(h for h, n in plan["nodes"].items() if "talos" in n or "kubeadm" in n) == nodes
    for node in nodes:
        assert plan["nodes"][node] == full_plan["nodes"][node]
    files = plan_core.render_rack_bundle(plan)
    whole = plan_core.render_bundle(full_plan, ["fabric", "nodes"])
    assert files and all(whole[path] == text for path, text in files.items())
    assert sorted(set(p.split("/")[1].split(".")[0] for p in files if p.startswith("fabric/"))) == switches
    assert sorted(set(p.split("/")[1] for p in files if p.startswith("nodes/"))) == nodes
    # its sessions and load-balancer objects: exactly those of its nodes (node scope: selected by host name)
    assert sorted((s["switch"], s["node"]) for s in change["sessions"]) == sorted(
        (s["switch"], s["node"]) for s in full_plan["bgp"]["sessions"] if s["rack"] == "r2")
    objects = [o for r in full_plan["cluster_network"]["releases"] if r["name"] in node_day2.LB_RELEASES
               for o in r.get("objects") or [] if any(node_day2.selects_only(o, n) for n in nodes)]
    assert change["objects"] == objects and len(objects) == len(change["sessions"])
    assert all(m["labels"] == full_plan["nodes"][m["name"]]["labels"] for m in change["nodes"])


def test_in_rack_scope_the_objects_selecting_the_rack_are_its_own():
    site = sitegen.make_site(racks=3, tenants=1, platforms=("eos",))
    site[0]["netstack_cluster"]["bgp_speakers"] = {"scope": "rack"}
    plan = plan_core.build_rack_plan(*site, name="r3")
    label = plan["cluster_network"]["load_balancer"]["speakers"]["rack_label"]
    objects = plan["rack_change"]["objects"]
    assert objects and all(node_day2.selectors(o) == [{"matchLabels": {label: "r3"}}] for o in objects)
    assert len(objects) == len(plan["rack_change"]["rack_switches"])      # one per switch of the rack


def test_the_switches_a_rack_changes_outside_itself_are_found_by_comparing_the_fabric(example, monkeypatch):
    # Nothing in today's model makes a rack change another rack's switch (test above, and the sitegen sites below);
    # the comparison is what decides, so a switch whose configuration differs without the rack is rolled with it.
    real = plan_core._fabric_without_rack

    def before_with_an_older_r1_leaf(*args):
        switches = real(*args)
        switches["r1-leaf1"] = dict(switches["r1-leaf1"], bgp=dict(switches["r1-leaf1"]["bgp"], max_paths=1))
        return switches
    monkeypatch.setattr(plan_core, "_fabric_without_rack", before_with_an_older_r1_leaf)
    plan = plan_core.build_rack_plan(*example, name="r2")
    change = plan["rack_change"]
    assert change["other_switches"] == ["r1-leaf1"]
    assert sorted(plan["fabric"]["switches"]) == ["r1-leaf1", "r2-leaf1", "r2-leaf2"]
    assert sorted(plan_core.render_rack_bundle(plan)) == sorted(
        p for p in plan_core.render_rack_bundle(plan) if p.startswith(("fabric/r1-leaf1.", "fabric/r2-", "nodes/")))
    assert any(p.startswith("fabric/r1-leaf1.") for p in plan_core.render_rack_bundle(plan))
    rollout = plan["fabric"]["rollout"]
    assert change["switches"] == sorted(change["switches"], key=lambda s: (rollout[s]["phase"], s))


@pytest.mark.parametrize("racks, per_rack, platforms", [(3, 3, ("eos", "nxos", "sonic")), (2, 5, ("eos",))])
def test_a_new_rack_changes_no_other_switch(racks, per_rack, platforms):
    site = sitegen.make_site(racks=racks, nodes_per_rack=per_rack, tenants=1, platforms=platforms)
    whole = plan_core.build_plan(*site)
    for rack in ["r%d" % r for r in range(2, racks + 1)]:       # r1 holds the control planes
        change = plan_core.build_rack_plan(*site, name=rack)["rack_change"]
        assert change["other_switches"] == [] and change["rack_switches"] == _rack_of(whole, rack)[0]


def test_without_rack_leaves_out_its_entry_switches_and_nodes_and_keeps_the_inputs(example):
    kept = copy.deepcopy(example)
    inventory_vars, nodes, switches = rack_day2.without_rack(*example, rack="r2")
    assert example == kept
    assert [r["name"] for r in inventory_vars["netstack_fabric"]["racks"]] == ["r1", "r3"]
    assert all(n["netstack_node"]["rack"] != "r2" for n in nodes.values()) and "w1" in nodes
    assert all(s["netstack_switch"]["rack"] != "r2" for s in switches.values()) and "r1-leaf1" in switches


def test_changed_switches_names_only_existing_switches_whose_configuration_differs():
    before = {"a": {"x": 1}, "b": {"x": 1}, "gone": {"x": 1}}
    after = {"a": {"x": 1}, "b": {"x": 2}, "new": {"x": 1}}
    assert rack_day2.changed_switches(before, after) == ["b"]


@pytest.mark.parametrize("name, match", [
    ("", "netstack_fabric.racks: no rack given \\(ansible-playbook playbooks/add_rack.yml -e rack=<name>\\)"),
    ("r22", "netstack_fabric.racks: rack 'r22' is not in netstack_fabric.racks \\(did you mean 'r2'\\?\\)"),
    ("zz", "rack 'zz' is not in netstack_fabric.racks \\(known racks: r1, r2, r3\\)"),
])
def test_a_missing_or_unknown_rack_is_refused_naming_the_inventory_path(example, name, match):
    with pytest.raises(PlanError, match=match):
        plan_core.build_rack_plan(*example, name=name)


def _grown(example, **rack):
    inventory_vars, nodes, switches = copy.deepcopy(example)
    inventory_vars["netstack_fabric"]["racks"].append(dict({"name": "r4", "index": 4}, **rack))
    return inventory_vars, nodes, switches


def test_a_rack_without_switches_is_refused(example):
    with pytest.raises(PlanError, match=r"netstack_fabric.racks\[3\]: rack 'r4' has no switch in netstack_switches"):
        plan_core.build_rack_plan(*_grown(example), name="r4")


def test_a_colliding_rack_is_refused_as_by_site_yml(example):
    with pytest.raises(PlanError, match=r"netstack_fabric.racks\[3\].index: rack index 2 is already used by rack 'r2'"):
        plan_core.build_rack_plan(*_grown(example, index=2), name="r4")
    inventory_vars, nodes, switches = _grown(example)
    switches["r4-leaf1"] = copy.deepcopy(switches["r2-leaf1"])
    switches["r4-leaf1"]["netstack_switch"]["rack"] = "r4"                # same router id as r2-leaf1
    with pytest.raises(PlanError, match=r"hosts.r4-leaf1.netstack_switch.router_id"):
        plan_core.build_rack_plan(inventory_vars, nodes, switches, name="r4")


def test_a_rack_the_site_cannot_do_without_is_not_a_day2_change():
    site = sitegen.make_site(racks=2, nodes_per_rack=3, control_planes=3, tenants=1, platforms=("eos",))
    with pytest.raises(PlanError, match=r"netstack_fabric.racks\[0\]: the site does not plan without rack 'r1'.*"
                                        r"not a day-2 change.*site.yml"):
        plan_core.build_rack_plan(*site, name="r1")


# ------------------------------------------------------------------------------------------ the playbook, rendered

def test_add_rack_in_render_mode_writes_only_the_racks_files(tmp_path):
    bundle = tmp_path / "bundle"
    rc, out = run_playbook("add_rack.yml", [REPO / "inventories" / "example"], "-e", "rack=r2", "-e",
                           "netstack_bundle_dir=%s" % bundle)
    assert rc == 0, out[-4000:]
    assert sorted(recap(out)) == ["localhost", "r2-leaf1", "r2-leaf2"]    # no other switch, no node
    assert all(counts["changed"] == 0 for host, counts in recap(out).items() if host != "localhost")
    written = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    assert written == sorted(["fabric/r2-leaf1.cfg", "fabric/r2-leaf1.yml", "fabric/r2-leaf2.cfg",
                              "fabric/r2-leaf2.yml"] + ["nodes/%s/%s" % (n, f) for n in ("cp2", "w2", "w5")
                                                        for f in ("network.yaml", "talos-patch.yaml")])
    assert "would apply 6 load-balancer object(s) and label Node(s) cp2, w2, w5 (render mode)" in out
    fabric = yaml.safe_load((bundle / "fabric" / "r2-leaf1.yml").read_text())
    assert fabric and "r1-leaf1" not in (bundle / "fabric" / "r2-leaf1.cfg").read_text()

    rc, out = run_playbook("add_rack.yml", [REPO / "inventories" / "example"], "-e", "rack=r2", "-e",
                           "netstack_bundle_dir=%s" % bundle)
    assert rc == 0 and recap(out)["localhost"]["changed"] == 0, out[-4000:]   # nothing left to write


def test_add_rack_refuses_an_unknown_rack_before_anything_runs(tmp_path):
    rc, out = run_playbook("add_rack.yml", [REPO / "inventories" / "example"], "-e", "rack=r9", "-e",
                           "netstack_bundle_dir=%s" % (tmp_path / "bundle"))
    assert rc != 0 and "netstack_fabric.racks: rack 'r9' is not in netstack_fabric.racks" in out, out[-3000:]
    assert sorted(recap(out)) == ["localhost"] and not (tmp_path / "bundle").exists()
