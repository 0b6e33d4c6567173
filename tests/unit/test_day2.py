# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 of the tenants: one tenant planned alone, live objects ordered against the plan, checked removal."""
from __future__ import absolute_import, division, print_function

import copy
import os

import pytest
import yaml

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_day2 as day2
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

from inventory_loader import REPO
from test_tenants import example_tenants, make_site

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
STATES = REPO / "molecule" / "tenants" / "files"


def _fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return yaml.safe_load(handle)


# --- build_tenant_plan ------------------------------------------------------

def test_one_tenant_equals_its_part_of_the_full_plan(example, full_plan):
    plan = plan_core.build_tenant_plan(*example, name="dev")
    full_entry = next(e for e in full_plan["tenants"]["tenants"] if e["name"] == "dev")
    assert plan["tenants"]["tenants"] == [full_entry]
    assert plan["tenants"]["partial"] is True and plan["tenants"]["count"] == 1
    assert plan["tenant"]["namespace"] == "tenant-alice-dev" and plan["tenant"]["objects"] == full_entry["objects"]
    full_bundle = plan_core.render_bundle(full_plan, ["tenants", "gateway"])
    bundle = plan_core.render_tenant_bundle(plan)
    # its tenants file, and the gateway files of dev and of alice (the Gateway dev uses), as the full run writes them
    assert sorted(bundle) == ["gateway/tenant-alice-dev.yaml", "gateway/tenant-alice.yaml",
                              "tenants/tenant-alice-dev.yaml"]
    assert bundle == dict((path, full_bundle[path]) for path in bundle)
    # the core plan the roles read (mode, kubeconfig, cluster) is there, never reused as the whole plan
    assert plan["mode"] == full_plan["mode"] and plan["cluster"] == full_plan["cluster"]
    assert plan["fingerprint"] is None
    assert plan["gateway"]["partial"] is True
    for area in ("fabric", "cluster_network"):
        assert area not in plan


def test_one_tenant_plans_no_other_area_and_no_other_tenant(example, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("day 2 must not plan other areas or all tenants")
    monkeypatch.setattr(plan_core, "AREAS", [(name, refuse, refuse) for name, _p, _r in plan_core.AREAS])
    monkeypatch.setattr(core, "plan_tenants", refuse)
    finished = []
    original = core._finish_tenant
    monkeypatch.setattr(core, "_finish_tenant", lambda facts, *a: finished.append(facts["name"]) or original(facts, *a))
    plan_core.build_tenant_plan(*example, name="feature")
    assert finished == ["feature"]


def test_new_tenant_steps_create_the_namespace_first(example):
    tenant = plan_core.build_tenant_plan(*example, name="bob")["tenant"]
    assert [b["stage"] for b in tenant["batches"]] == ["prepare", "widen"]
    assert [o["kind"] for o in tenant["batches"][0]["apply"]] == ["Namespace"]
    assert len(tenant["batches"][1]["apply"]) == len(tenant["objects"]) - 1
    assert all(not b["delete"] for b in tenant["batches"])


@pytest.mark.parametrize("name, match", [
    ("alcie", "tenant 'alcie' is not in netstack_tenants.*did you mean 'alice'"),
    ("", "no tenant given"),
    (None, "no tenant given"),
])
def test_unknown_or_missing_tenant_fails_with_a_hint(example, name, match):
    with pytest.raises(PlanError, match=match):
        plan_core.build_tenant_plan(*example, name=name)


def test_the_whole_inventory_is_still_validated(example):
    inventory_vars, nodes, switches = copy.deepcopy(example)
    inventory_vars["netstack_tenants"]["bad-name"] = {"parent": "bob"}
    with pytest.raises(PlanError, match="cannot contain '-'"):
        plan_core.build_tenant_plan(inventory_vars, nodes, switches, name="dev")
    inventory_vars, nodes, switches = copy.deepcopy(example)
    inventory_vars["netstack_cluster"]["api"]["port"] = "not-a-port"
    with pytest.raises(PlanError):
        plan_core.build_tenant_plan(inventory_vars, nodes, switches, name="dev")


# --- apply_batches: live objects against the plan ---------------------------

def _live(obj):
    """``obj`` as the API server returns it: server metadata, other owners' labels, controller-filled fields."""
    live = copy.deepcopy(obj)
    metadata = live["metadata"]
    metadata.update(uid="0f0f", resourceVersion="42", creationTimestamp="2026-01-01T00:00:00Z",
                    managedFields=[{"manager": "netstack-tenants"}], annotations={"a": "b"})
    if live["kind"] == "Namespace":
        metadata["labels"] = dict(metadata["labels"], **{
            "kubernetes.io/metadata.name": metadata["name"], "gateway.netstack.baremetal/tenant-root": "true"})
        live["spec"] = {"finalizers": ["kubernetes"]}
        live["status"] = {"phase": "Active"}
    if live["kind"] == "Subnet":
        live["spec"].update(vpc="ovn-cluster", default=False, enableLb=True)
        live["status"] = {"v4availableIPs": 250}
    return live


def _site_objects(tenants, name, **kwargs):
    return core.plan_one_tenant(make_site(tenants, **kwargs), name)["objects"]


def test_live_objects_equal_to_the_plan_give_no_batch():
    tenants = example_tenants()
    tenants["dev"]["subnet"] = {}
    wanted = _site_objects(tenants, "dev")
    assert any(o["kind"] == "Subnet" for o in wanted)
    assert day2.apply_batches([_live(o) for o in wanted], wanted) == []


def test_a_new_tenant_is_created_without_touching_the_others():
    tenants = example_tenants()
    others = [_live(o) for name in ("alice", "bob", "root") for o in _site_objects(tenants, name)]
    tenants["carol"] = {"parent": "root"}
    wanted = _site_objects(tenants, "carol")
    batches = day2.apply_batches(others, wanted)
    touched = {(o["metadata"].get("namespace") or o["metadata"]["name"]) for b in batches for o in b["apply"]}
    touched |= {o["metadata"].get("namespace") or o["metadata"]["name"] for b in batches for o in b["delete"]}
    assert {n if n.startswith("tenant-carol") else n for n in touched} <= {"tenant-carol"} | {
        o["metadata"]["name"] for o in wanted if o["kind"] == tp.CCNP_KIND}
    assert [b["stage"] for b in batches] == ["prepare", "widen"]
    # its namespace is not live: check mode cannot dry-run its namespaced objects, the role reports them instead
    assert batches[0]["awaiting_namespace"] == []
    awaiting = batches[1]["awaiting_namespace"]
    assert awaiting and all(o["metadata"]["namespace"] == "tenant-carol" for o in awaiting)
    assert awaiting == [o for o in batches[1]["apply"] if o["metadata"].get("namespace")]
    assert all(b["awaiting_namespace"] == [] for b in day2.apply_batches(
        others + [_live(o) for o in wanted if o["kind"] == "Namespace"], wanted))


def test_narrowing_widens_first_and_deletes_last():
    tenants = example_tenants()
    before = [_live(o) for o in _site_objects(tenants, "dev", isolation="reference")]
    tenants["dev"]["etcd"] = False                     # <ns>-ingress-etcd must go
    wanted = _site_objects(tenants, "dev")            # and strict isolation narrows the ingress
    batches = day2.apply_batches(before, wanted)
    stages = [b["stage"] for b in batches]
    assert stages == sorted(stages, key=["prepare", "widen", "narrow", "delete"].index)
    assert stages[-2:] == ["narrow", "delete"] and "widen" in stages
    assert batches[-1]["delete"] == [{"apiVersion": tp.CILIUM_API_VERSION, "kind": tp.CCNP_KIND,
                                      "metadata": {"name": "tenant-alice-dev-ingress-etcd"}}]
    widen = next(b for b in batches if b["stage"] == "widen")
    disarmed = next(o for o in widen["apply"] if o["metadata"]["name"] == "tenant-alice-dev-ingress-etcd")
    assert disarmed["spec"]["enableDefaultDeny"] == {"ingress": False, "egress": False}


def test_objects_of_other_owners_and_tenants_are_ignored():
    wanted = _site_objects(example_tenants(), "dev")
    stray = [
        {"apiVersion": tp.CILIUM_API_VERSION, "kind": tp.CNP_KIND,
         "metadata": {"name": "hand-made", "namespace": "tenant-alice-dev", "labels": {}}, "spec": {}},
        {"apiVersion": tp.CILIUM_API_VERSION, "kind": tp.CCNP_KIND,
         "metadata": {"name": "tenant-bob-egress", "labels": tp.object_labels("tenant-bob")}, "spec": {}},
    ]
    batches = day2.apply_batches([_live(o) for o in wanted] + stray, wanted)
    assert batches == []


def test_namespace_labels_of_other_owners_are_never_claimed():
    namespace = _live(_site_objects(example_tenants(), "dev")[0])
    reduced = day2.normalize_existing(namespace)
    assert "kubernetes.io/metadata.name" not in reduced["metadata"]["labels"]
    assert "gateway.netstack.baremetal/tenant-root" not in reduced["metadata"]["labels"]
    assert "tenant.cozystack.io/tenant-alice-dev" in reduced["metadata"]["labels"]
    assert set(reduced) == {"apiVersion", "kind", "metadata"}


# --- recorded cluster state -------------------------------------------------

def test_both_recorded_formats_are_read():
    raw = day2.read_cluster_state(_fixture("tenants_k8s_info.yaml"))
    assert raw["namespaces"]["tenant-dora-ci"]["pods"] == [{"name": "runner-1", "phase": "Pending"}]
    reduced = day2.read_cluster_state(_fixture("tenants_cluster_state.yaml"))
    assert reduced["namespaces"]["tenant-alice-dev"]["pvcs"] == [{"name": "data-web-0"}]
    assert day2.read_cluster_state({"namespaces": {"tenant-x": None}}) == {
        "namespaces": {"tenant-x": {"labels": {}, "pods": [], "pvcs": []}}}
    with pytest.raises(ValueError):
        day2.read_cluster_state(["not", "a", "mapping"])


# --- removal ----------------------------------------------------------------

STATE = _fixture("tenants_cluster_state.yaml")


def _removal(example, name, state=STATE, force=False):
    return plan_core.build_tenant_removal(*example, name=name, cluster_state=state, force=force)["tenant_removal"]


def test_a_tenant_still_in_the_inventory_is_refused_even_forced(example):
    for name in ("dev", "tenant-alice-dev"):
        removal = _removal(example, name, force=True)
        assert not removal["allowed"] and removal["in_inventory"] and removal["steps"] == []
        assert "still in netstack_tenants" in removal["message"]
        assert removal["blockers"][0] == {"kind": "inventory", "namespace": "tenant-alice-dev",
                                          "name": "netstack_tenants.dev"}


def test_the_inventory_refuses_before_the_cluster_is_read(example):
    """No cluster state (remove_tenant.yml's first call, before any k8s_info): a tenant of the inventory, by name or
    namespace, and the root are refused; a name only the cluster can resolve is left undecided."""
    for name in ("dev", "tenant-alice-dev"):
        removal = plan_core.build_tenant_removal(*example, name=name, cluster_state=None, force=True)["tenant_removal"]
        assert not removal["allowed"] and removal["in_inventory"] and removal["steps"] == []
        assert removal["blockers"] == [{"kind": "inventory", "namespace": "tenant-alice-dev",
                                        "name": "netstack_tenants.dev"}]
        assert removal["message"] == _removal(example, name, force=True)["message"]
        assert "decided" not in removal
    for name in ("root", "tenant-root"):
        removal = plan_core.build_tenant_removal(*example, name=name, cluster_state=None)["tenant_removal"]
        assert not removal["allowed"] and "never removed" in removal["message"]
    for name in ("carol", "tenant-carol", "carl"):
        removal = plan_core.build_tenant_removal(*example, name=name, cluster_state=None)["tenant_removal"]
        assert removal["decided"] is False and removal["steps"] == [] and removal["blockers"] == []
    # an explicit empty state still means "nothing exists"
    assert _removal(example, "tenant-carol", state={})["allowed"]


def test_root_is_never_removed(example):
    for name in ("root", "tenant-root"):
        removal = _removal(example, name, force=True)
        assert not removal["allowed"] and "never removed" in removal["message"]


def test_an_unknown_tenant_gets_a_did_you_mean(example):
    removal = _removal(example, "carl")
    assert not removal["allowed"] and "did you mean 'carol'" in removal["message"]
    assert not _removal(example, "nobody")["allowed"]


def test_a_tenant_gone_from_the_inventory_is_found_in_the_cluster(example):
    removal = _removal(example, "carol")
    assert removal["allowed"] and removal["namespace"] == "tenant-carol" and not removal["in_inventory"]
    assert removal["rounds"][0]["delete_namespace"] == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-carol"}}]
    # kubeovn-cilium example: cluster-wide policies and the subnet are cleaned up after the namespace
    assert [o["kind"] for o in removal["rounds"][0]["cleanup"]] == [tp.CCNP_KIND] * 6 + ["Subnet"]
    assert removal["file"] == "tenants/removal-tenant-carol.yaml"


def test_a_namespace_that_is_gone_only_cleans_up(example):
    removal = _removal(example, "tenant-zed-old")
    assert removal["allowed"] and [r["delete_namespace"] for r in removal["rounds"]] == [[]]
    assert removal["rounds"][0]["namespace"] == "tenant-zed-old"


def test_unsupported_kinds_are_not_deleted():
    site = make_site({"root": {"host": "example.org"}}, variant="noop")
    removal = day2.tenant_removal(site, "carol", STATE)
    assert [s["kind"] for s in removal["steps"]] == ["Namespace"]


def test_ambiguous_plain_name_asks_for_the_namespace():
    state = {"namespaces": {
        "tenant-a-x": {"labels": {"tenant.cozystack.io/tenant-a-x": ""}},
        "tenant-b-x": {"labels": {"tenant.cozystack.io/tenant-b-x": ""}}}}
    removal = day2.tenant_removal(make_site({"root": {"host": "example.org"}}), "x", state)
    assert not removal["allowed"] and "several namespaces (tenant-a-x, tenant-b-x)" in removal["message"]


@pytest.mark.parametrize("state_file, force, allowed, namespaces, blockers", [
    ("busy.yaml", False, False, [], {"sub-tenant namespace tenant-carol-ci", "pod tenant-carol/web-0 (Running)",
                                     "PersistentVolumeClaim tenant-carol/data-web-0 (Bound)"}),
    ("busy.yaml", True, True, ["tenant-carol-ci", "tenant-carol"], None),
    ("empty.yaml", False, True, ["tenant-carol"], set()),
])
def test_the_molecule_recorded_states(example, state_file, force, allowed, namespaces, blockers):
    """The states molecule/tenants runs remove_tenant.yml against decide as its verify step expects."""
    with open(str(STATES / state_file)) as handle:
        state = yaml.safe_load(handle)
    removal = _removal(example, "carol", state, force)
    assert removal["allowed"] is allowed
    assert [r["namespace"] for r in removal["rounds"]] == namespaces
    if blockers is not None:
        from ansible_collections.netstack.baremetal.plugins.module_utils.tenant_removal import describe_blocker
        assert set(map(describe_blocker, removal["blockers"])) == blockers
