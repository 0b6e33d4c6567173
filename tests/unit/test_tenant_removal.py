# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 safety: tenant removal against recorded cluster state, and gap-free policy changes."""
from __future__ import absolute_import, division, print_function

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import reachability as r
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_removal as rm
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core

from test_tenants import example_tenants, make_site, tenant_trees

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return yaml.safe_load(handle)


STATE = _fixture("tenants_cluster_state.yaml")


# --- removal ----------------------------------------------------------------

def test_removal_is_refused_and_every_blocker_named():
    plan = rm.removal_plan(STATE, "tenant-alice")
    assert not plan["allowed"] and plan["steps"] == []
    assert plan["blockers"] == [
        {"kind": "sub-tenant", "namespace": "tenant-alice", "name": "tenant-alice-dev"},
        {"kind": "sub-tenant", "namespace": "tenant-alice", "name": "tenant-alice-dev-feature"},
        {"kind": "sub-tenant", "namespace": "tenant-alice", "name": "tenant-alice-staging"},
        {"kind": "pod", "namespace": "tenant-alice-dev", "name": "web-0 (Running)"},
        {"kind": "pvc", "namespace": "tenant-alice-dev", "name": "data-web-0"},
    ]
    assert plan["message"] == (
        "refusing to remove tenant-alice: sub-tenant namespace tenant-alice-dev; sub-tenant namespace "
        "tenant-alice-dev-feature; sub-tenant namespace tenant-alice-staging; pod tenant-alice-dev/web-0 (Running); "
        "PersistentVolumeClaim tenant-alice-dev/data-web-0 (set force=true to remove it anyway)")


def test_forced_removal_deletes_children_first():
    plan = rm.removal_plan(STATE, "tenant-alice", force=True)
    assert plan["allowed"] and plan["forced"] and len(plan["blockers"]) == 5
    namespaces = [s["name"] for s in plan["steps"] if s["kind"] == "Namespace"]
    assert namespaces == ["tenant-alice-dev-feature", "tenant-alice-dev", "tenant-alice-staging", "tenant-alice"]
    assert "tenant-alicex" not in plan["message"]            # a prefix is not a child
    first = plan["steps"][:8]
    assert [(s["kind"], s["name"]) for s in first] == [("Namespace", "tenant-alice-dev-feature")] + [
        (tp.CCNP_KIND, n) for n in tp.cluster_policy_names("tenant-alice-dev-feature")] + [
        ("Subnet", "tenant-alice-dev-feature")]
    assert first[0]["wait"] and not first[0]["missing_ok"] and all(s["missing_ok"] for s in first[1:])


def test_an_empty_leaf_goes_without_force():
    plan = rm.removal_plan(STATE, "tenant-carol")
    assert plan["allowed"] and plan["blockers"] == [] and plan["message"] == "removing tenant-carol"
    assert plan["steps"][0] == {"action": "delete", "apiVersion": "v1", "kind": "Namespace", "name": "tenant-carol",
                                "wait": True, "missing_ok": False,
                                "reason": "deletes the tenant's pods, PVCs and namespaced policies"}


def test_finished_pods_and_labelled_sub_namespaces_still_block():
    plan = rm.removal_plan(STATE, "tenant-bob")
    assert not plan["allowed"]
    assert set(map(rm.describe_blocker, plan["blockers"])) == {
        "sub-tenant namespace migrated-bob-legacy", "pod tenant-bob/backup-28934-x7k2p (Succeeded)",
        "PersistentVolumeClaim migrated-bob-legacy/archive"}


def test_root_is_never_removed():
    for force in (False, True):
        plan = rm.removal_plan(STATE, "tenant-root", force=force)
        assert not plan["allowed"] and plan["steps"] == [] and "never removed" in plan["message"]


def test_an_absent_namespace_only_cleans_up_cluster_wide_leftovers():
    plan = rm.removal_plan(STATE, "tenant-gone")
    assert plan["allowed"] and "does not exist" in plan["message"]
    assert [s["kind"] for s in plan["steps"]] == [tp.CCNP_KIND] * 6 + ["Subnet"]


def test_state_from_k8s_info_objects():
    raw = _fixture("tenants_k8s_info.yaml")
    state = rm.state_from_objects(raw["namespaces"], raw["pods"], raw["pvcs"])
    assert state["namespaces"]["tenant-dora-ci"] == {"labels": {"tenant.cozystack.io/tenant-dora": ""},
                                                     "pods": [{"name": "runner-1", "phase": "Pending"}],
                                                     "pvcs": [{"name": "cache", "phase": "Bound"}]}
    plan = rm.removal_plan(state, "tenant-dora")
    assert [b["kind"] for b in plan["blockers"]] == ["sub-tenant", "pod", "pvc"]


# --- ordering policy changes ------------------------------------------------

def _policy(name, spec, namespace="tenant-a"):
    return {"apiVersion": "cilium.io/v2", "kind": tp.CNP_KIND, "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


ALLOW_B = {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "tenant-b"}}]}
ALLOW_C = {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "tenant-c"}}]}


def test_unchanged_objects_need_no_step():
    objects = [_policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B]})]
    assert rm.order_policy_changes(objects, copy.deepcopy(objects)) == []


def test_a_pure_widening_is_applied_once():
    old = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B]})
    new = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B, ALLOW_C]})
    steps = rm.order_policy_changes([old], [new])
    assert [(s["stage"], s["object"]) for s in steps] == [("widen", new)]


def test_a_narrowing_goes_through_a_bridge():
    old = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B]})
    new = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_C]})
    steps = rm.order_policy_changes([old], [new])
    assert [s["stage"] for s in steps] == ["widen", "narrow"]
    assert steps[0]["object"]["spec"] == {"endpointSelector": {}, "ingress": [ALLOW_B, ALLOW_C],
                                          "enableDefaultDeny": {"ingress": True, "egress": False}}
    assert steps[1]["object"] == new


def test_new_policies_are_staged_unless_their_namespace_is_new():
    policy = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B], "egressDeny": [{"toEntities": ["world"]}]})
    steps = rm.order_policy_changes([], [policy])
    assert [s["stage"] for s in steps] == ["widen", "narrow"]
    assert steps[0]["object"]["spec"] == {"endpointSelector": {}, "ingress": [ALLOW_B],
                                          "enableDefaultDeny": {"ingress": False, "egress": False}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-a"}}
    steps = rm.order_policy_changes([], [namespace, policy])
    assert [(s["stage"], s["kind"]) for s in steps] == [("prepare", "Namespace"), ("widen", tp.CNP_KIND)]
    assert steps[1]["object"] == policy


def test_deleted_policies_are_disarmed_then_deleted_last():
    gone = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B]})
    subnet = {"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": "tenant-a"},
              "spec": {"cidrBlock": "10.200.0.0/24"}}
    steps = rm.order_policy_changes([gone, subnet], [])
    assert [(s["stage"], s["action"], s["kind"]) for s in steps] == [
        ("widen", "apply", tp.CNP_KIND), ("delete", "delete", tp.CNP_KIND), ("delete", "delete", "Subnet")]
    assert steps[0]["object"]["spec"]["enableDefaultDeny"] == {"ingress": False, "egress": False}


def test_namespace_labels_keep_old_values_until_the_end():
    old = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"x": "1", "y": "1"}}}
    new = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"x": "2", "z": "1"}}}
    steps = rm.order_policy_changes([old], [new])
    assert [(s["stage"], s["object"]["metadata"]["labels"]) for s in steps] == [
        ("prepare", {"x": "1", "y": "1", "z": "1"}), ("narrow", {"x": "2", "z": "1"})]


def test_a_bridge_the_live_object_already_is_is_left_out():
    """A label value edited by hand: the bridge keeps the live value, i.e. it is the live namespace. Applying it
    would only move field ownership, which a dry run (--check) reports as a change with an empty diff."""
    old = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"x": "evil", "y": "1"}}}
    new = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"x": "good", "y": "1"}}}
    steps = rm.order_policy_changes([old], [new])
    assert [(s["stage"], s["object"]) for s in steps] == [("narrow", new)]
    # a rule added to a policy by hand: the bridge (old and new rules) is the live policy
    bridge = {"endpointSelector": {}, "ingress": [ALLOW_B, ALLOW_C],
              "enableDefaultDeny": {"ingress": True, "egress": False}}
    new = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_C]})
    steps = rm.order_policy_changes([_policy("p", bridge)], [new])
    assert [(s["stage"], s["object"]) for s in steps] == [("narrow", new)]


def test_immutable_subnet_fields():
    old = {"apiVersion": "kubeovn.io/v1", "kind": "Subnet", "metadata": {"name": "s"},
           "spec": {"cidrBlock": "10.0.0.0/24"}}
    new = copy.deepcopy(old)
    new["spec"]["cidrBlock"] = "10.0.1.0/24"
    with pytest.raises(rm.ImmutableChangeError, match="cidrBlock cannot change"):
        rm.order_policy_changes([old], [new])


def test_batches_group_steps_by_phase():
    old = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_B]})
    new = _policy("p", {"endpointSelector": {}, "ingress": [ALLOW_C]})
    gone = _policy("q", {"endpointSelector": {}, "ingress": [ALLOW_B]})
    batches = rm.batches(rm.order_policy_changes([old, gone], [new]))
    assert [(b["stage"], len(b["apply"]), len(b["delete"])) for b in batches] == [
        ("widen", 2, 0), ("narrow", 1, 0), ("delete", 0, 1)]
    assert batches[2]["delete"] == [{"apiVersion": "cilium.io/v2", "kind": tp.CNP_KIND, "name": "q",
                                     "namespace": "tenant-a"}]


def test_subject_change_carries_both_rule_sets():
    old = _policy("p", {"endpointSelector": {"matchLabels": {"app": "x"}}, "ingress": [ALLOW_B]})
    new = _policy("p", {"endpointSelector": {"matchLabels": {"app": "y"}}, "ingress": [ALLOW_C]})
    steps = rm.order_policy_changes([old], [new])
    assert len(steps[0]["object"]["specs"]) == 2 and steps[1]["object"] == new


# --- the no-gap property, replayed through the evaluator ----------------------

PLATFORM = {"kube-system": {}, "cozy-system": {tp.SYSTEM_NAMESPACE_LABEL: "true"}, "default": {}}


def _probes(namespaces):
    probes = [r.dns_pod(), r.kube_apiserver(), r.world(), r.pod("default", "foreign")]
    for namespace in namespaces:
        probes.extend(r.tenant_probe(namespace, role) for role in ("app", "etcd-client", "ingress", "vminsert",
                                                                   "etcd"))
    return probes


def _ports(dst):
    return {"coredns": [(53, "UDP")], "kube-apiserver": [(6443, "TCP")], "ingress": [(443, "TCP")],
            "vminsert": [(8480, "TCP")], "etcd": [(2379, "TCP")]}.get(dst.name, [(8080, "TCP")])


def _allowed(objects, probes):
    namespaces = dict(PLATFORM)
    namespaces.update({o["metadata"]["name"]: o["metadata"].get("labels") or {} for o in objects
                       if o["kind"] == "Namespace"})
    policies = [o for o in objects if o["apiVersion"] == tp.CILIUM_API_VERSION]
    evaluator = r.Evaluator(namespaces, policies)
    present = [p for p in probes if p.kind != "pod" or p.namespace in namespaces]
    return {(src.key, dst.key, port, proto) for src in present for dst in present if src is not dst
            for port, proto in _ports(dst) if evaluator.may_reach(src, dst, port, proto)}, evaluator


def _check_transition(old_objects, new_objects):
    steps = rm.order_policy_changes(old_objects, new_objects)
    namespaces = sorted({o["metadata"]["name"] for o in old_objects + new_objects if o["kind"] == "Namespace"})
    probes = _probes(namespaces)
    by_key = {p.key: p for p in probes}
    before = _allowed(old_objects, probes)[0]
    after = _allowed(new_objects, probes)[0]
    kept = before & after
    state = {rm.object_key(o): o for o in old_objects}
    for position, step in enumerate(steps):
        key = rm.object_key({"apiVersion": step["apiVersion"], "kind": step["kind"],
                             "metadata": {"name": step["name"], "namespace": step.get("namespace")}})
        if step["action"] == "apply":
            state[key] = step["object"]
        else:
            state.pop(key)
        evaluator = _allowed(list(state.values()), [])[1]
        for src, dst, port, proto in kept:
            where = "step %d (%s %s %s)" % (position, step["stage"], step["kind"], step["name"])
            assert evaluator.may_reach(by_key[src], by_key[dst], port, proto), (
                "%s drops %s -> %s %d/%s" % (where, src, dst, port, proto))
    final = {rm.object_key(o): o for o in new_objects}
    assert state == final
    return steps


def _objects(tenants, isolation):
    return [o for e in core.plan_tenants(make_site(tenants, isolation=isolation))["tenants"] for o in e["objects"]]


def test_switching_the_example_from_reference_to_strict_and_back_drops_nothing():
    tenants = example_tenants()
    reference, strict = _objects(tenants, "reference"), _objects(tenants, "strict")
    steps = _check_transition(reference, strict)
    assert {s["stage"] for s in steps} == {"widen", "narrow"}
    _check_transition(strict, reference)


def test_removing_a_tenant_from_the_plan_drops_nothing_for_the_others():
    tenants = example_tenants()
    smaller = dict(tenants)
    del smaller["staging"]
    _check_transition(_objects(tenants, "strict"), _objects(smaller, "strict"))


@st.composite
def transitions(draw):
    tenants = draw(tenant_trees(max_tenants=3))
    changed = copy.deepcopy(tenants)
    for name in sorted(changed):
        for option in ("ingress", "etcd", "monitoring"):
            if draw(st.integers(0, 3)) == 0:
                changed[name][option] = not changed[name].get(option, False)
    if draw(st.booleans()):
        changed["zz"] = {"parent": draw(st.sampled_from(sorted(tenants))), "ingress": True}
    modes = draw(st.sampled_from([("strict", "strict"), ("reference", "strict"), ("strict", "reference"),
                                  ("reference", "reference")]))
    return tenants, changed, modes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transitions())
def test_policy_changes_never_drop_traffic_allowed_before_and_after(transition):
    tenants, changed, (old_mode, new_mode) = transition
    _check_transition(_objects(tenants, old_mode), _objects(changed, new_mode))
