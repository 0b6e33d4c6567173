# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 for nodes (issue #14): add one node, or remove one, touching nothing else.

``node_change(plan, name, operation)`` reads a plan built for one node (``plan.build_node_plan``) and says what
that node owns: the switches it is cabled to (the only ones add_node.yml and remove_node.yml change, one of a
redundant pair at a time), its BGP sessions, the load-balancer objects that select it by host name (MetalLB
``BGPPeer``s, Cilium ``CiliumBGPClusterConfig``s in node scope), its Kubernetes labels, and, for a removal, the
control planes left. ``removal_decision`` decides from the live Node objects whether the removal may go on:
never the last control plane, never when the control planes left could not keep an etcd quorum (unless forced).
``drain_plan`` sorts the pods bound to the node into what is evicted and what is left (DaemonSet and mirror pods,
as ``kubectl drain --ignore-daemonsets``).

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.netstack.baremetal.plugins.module_utils import etcd_member, lb_objects
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import Batch
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import KubeError, object_ref

MERGE_PATCH = "application/merge-patch+json"
HOSTNAME_LABEL = "kubernetes.io/hostname"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
LB_RELEASES = ("metallb-config", "cilium-lb-config")


def selectors(obj):
    """The node selectors of a load-balancer object (MetalLB ``nodeSelectors``, Cilium ``nodeSelector``)."""
    spec = obj.get("spec") or {}
    found = list(spec.get("nodeSelectors") or [])
    if spec.get("nodeSelector"):
        found.append(spec["nodeSelector"])
    return found


def selects_only(obj, node):
    """Whether ``obj`` (a load-balancer object) selects node ``node`` by host name alone: it is that node's."""
    wanted = {"matchLabels": {HOSTNAME_LABEL: node.lower()}}
    return any(selector == wanted for selector in selectors(obj))


def lb_release_objects(plan):
    """Every object of the plan's load-balancer releases (``LB_RELEASES``), in release order."""
    section = plan.get("cluster_network") or {}
    return [obj for release in section.get("releases") or [] if release.get("name") in LB_RELEASES
            for obj in release.get("objects") or []]


def node_objects(plan, node):
    """The load-balancer objects of the plan's cluster network that are this node's (selected by its host name)."""
    return [obj for obj in lb_release_objects(plan) if selects_only(obj, node)]


def node_switches(plan, name):
    """The switches the node is (or, removed, was) cabled to, in rollout order (phase, then name)."""
    node = plan["nodes"].get(name) or (plan.get("removed_nodes") or {}).get(name) or {}
    switches = sorted(set(u["switch"] for u in node.get("uplinks") or []))
    rollout = (plan.get("fabric") or {}).get("rollout") or {}
    return sorted(switches, key=lambda s: ((rollout.get(s) or {}).get("phase", 0), s))


def node_change(plan, name, operation):
    """What the node owns and what the playbook changes: see the module docstring."""
    removed = operation == "remove"
    entry = (plan.get("removed_nodes") or {}).get(name) if removed else plan["nodes"].get(name)
    sessions = [s for s in plan["bgp"]["sessions"] if s["node"] == name] if plan["bgp"]["enabled"] else []
    control_planes = sorted(host for host, node in plan["nodes"].items() if node["role"] == "control-plane")
    change = {
        "name": name,
        "operation": operation,
        "role": entry["role"],
        "os": entry.get("os"),      # the node plays' group (a removed node's entry has none: no node play runs)
        "rack": entry["rack"],
        "index": entry["index"],
        "switches": node_switches(plan, name),
        "ports": [{"switch": u["switch"], "port": u["port"], "nic": u["nic"]} for u in entry["uplinks"]],
        "sessions": [{"switch": s["switch"], "node_address": s["node_address"],
                      "switch_address": s["switch_address"]} for s in sessions],
        "control_planes": [host for host in control_planes if host != name],
    }
    if removed:
        change["object_kinds"] = [list(kind) for kind in lb_kinds(plan)]
    else:
        change["objects"] = node_objects(plan, name)
        change["labels"] = node_labels(plan, name)
    return change


def node_labels(plan, name):
    """The labels the inventory gives the node (``labels``) that the playbooks set on the Node object."""
    return dict(plan["nodes"][name].get("labels") or {})


def _ready(node):
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def _is_control_plane(node):
    return CONTROL_PLANE_LABEL in ((node.get("metadata") or {}).get("labels") or {})


def removal_decision(change, live_nodes, force=False):
    """Whether removing the node may go on, from the live Node objects.

    ``live_nodes``: the cluster's Node objects (raw). A control-plane node is refused when it is the last one (even
    with ``force``), or when the control planes left, counting only the Ready ones as etcd members able to vote,
    would be fewer than a quorum of the members left (``force`` overrides that). Workers are never refused here.
    Returns ``{"allowed", "forced", "message", "control_planes": {"left", "ready"}}``.
    """
    name = change["name"]
    lower = name.lower()
    others = [n for n in live_nodes if (n.get("metadata") or {}).get("name") not in (name, lower)]
    left = sorted(set(change["control_planes"]) | set(n["metadata"]["name"] for n in others if _is_control_plane(n)))
    live = dict((n["metadata"]["name"], n) for n in others)
    ready = [host for host in left if host.lower() in live and _ready(live[host.lower()])]
    decision = {"allowed": True, "forced": False, "message": "", "control_planes": {"left": left, "ready": ready}}
    if change["role"] != "control-plane":
        return decision
    if not left:
        decision.update(allowed=False, message="%s is the last control-plane node: removing it would leave the cluster "
                                               "without an API server or etcd (force does not override this)" % name)
        return decision
    decision.update(etcd_member.quorum_decision("control-plane node %s" % name, left, ready, force))
    return decision


def drain_plan(pods):
    """``{"evict": [pod], "left": [(pod, reason)]}`` of the pods bound to the node: DaemonSet pods (their
    controller puts them back at once) and mirror pods (static, owned by the kubelet) are left, the rest evicted."""
    evict, left = [], []
    for pod in pods:
        meta = pod.get("metadata") or {}
        owners = [o.get("kind") for o in meta.get("ownerReferences") or []]
        if "DaemonSet" in owners:
            left.append((pod, "DaemonSet"))
        elif MIRROR_ANNOTATION in (meta.get("annotations") or {}):
            left.append((pod, "mirror pod"))
        else:   # a terminating pod is evicted again (a no-op) and waited for like the others
            evict.append(pod)
    return {"evict": evict, "left": left}


# --------------------------------------------------------------------------------------------- on the cluster

FIELD_MANAGER = "netstack-nodes"


def lb_kinds(plan):
    """The load-balancer kinds that hold per-node objects (node scope), as ``(apiVersion, kind)``."""
    if plan["load_balancer"]["mode"] != "bgp" or not plan["bgp"]["enabled"]:
        return []
    if plan["load_balancer"]["implementation"] == "metallb":
        return [(lb_objects.METALLB_V1B2, "BGPPeer")]
    return [(lb_objects.CILIUM_V2, "CiliumBGPClusterConfig")]


def _node_ref(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name.lower()}}


def add_to_cluster(cluster, change, check=False, with_diff=False, field_manager=FIELD_MANAGER):
    """The load-balancer objects of ``change`` (one server-side apply each, in parallel, one batch) and, for each of
    its nodes whose Node is registered, the inventory labels it does not carry yet.

    ``change``: one node's (``node_change``), or a rack's (``rack_day2.rack_change``: ``nodes`` lists its nodes'
    changes, ``objects`` every load-balancer object of the rack). Returns ``{"changed", "steps", "diff", "errors"}``.
    """
    steps, diff = [], []
    batch = Batch(cluster, [], field_manager, dry_run=check, with_diff=with_diff, fetch=True)
    batch.apply(change.get("objects") or [])
    steps.append("load-balancer objects: %d changed, %d unchanged" % (len(batch.changed), len(batch.unchanged)))
    changed = bool(batch.changed)
    diff += batch.diff
    errors = [str(e) for e in batch.errors]
    for member in change["nodes"] if "nodes" in change else [change]:
        labelled, step = _label_node(cluster, member["name"].lower(), member.get("labels") or {}, check, with_diff,
                                     diff)
        changed = changed or labelled
        steps.append(step)
    return {"changed": changed, "steps": steps, "diff": diff, "errors": errors}


def _label_node(cluster, name, labels, check, with_diff, diff):
    """Set the ``labels`` Node ``name`` does not carry yet (a merge patch: other labels are left alone); appends to
    ``diff``. Returns ``(changed, step)``."""
    node = cluster.get(_node_ref(name))
    if node is None:
        return False, "Node %s is not registered yet: its labels come with its configuration when it joins" % name
    have = (node.get("metadata") or {}).get("labels") or {}
    missing = dict((k, v) for k, v in sorted(labels.items()) if have.get(k) != v)
    if not missing:
        return False, "Node %s labels: as planned" % name
    cluster.call("PATCH", cluster.path("v1", "Node", name=name), [("dryRun", "All")] if check else [],
                 {"metadata": {"labels": missing}}, MERGE_PATCH, what="Node %s" % name)
    if with_diff:
        diff.append({"before_header": "Node %s labels" % name, "after_header": "Node %s labels" % name,
                     "before": "".join("%s=%s\n" % (k, have.get(k)) for k in sorted(missing) if k in have),
                     "after": "".join("%s=%s\n" % kv for kv in sorted(missing.items()))})
    return True, "Node %s labels: set %s" % (name, ", ".join(sorted(missing)))


def _evict(cluster, pod, check):
    meta = pod["metadata"]
    body = {"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
    path = "/api/v1/namespaces/%s/pods/%s/eviction" % (meta["namespace"], meta["name"])
    cluster.call("POST", path, [("dryRun", "All")] if check else [], body, what="eviction of pod %s/%s"
                 % (meta["namespace"], meta["name"]))


def _pods_on(cluster, name):
    return cluster.list("v1", "Pod", field_selector="spec.nodeName=%s" % name.lower())


def remove_from_cluster(cluster, change, kinds, force=False, check=False, with_diff=False, timeout=300,
                        sleep=time.sleep, clock=time.time):
    """Cordon, drain, delete the Node, then delete the load-balancer objects that select it, in that order.

    ``kinds``: the load-balancer kinds to look for objects selecting the node in (``lb_kinds``); None keeps them
    (replace_node.yml: same name, same sessions). Refused before anything changes when ``removal_decision`` says so.
    A pod whose eviction a
    PodDisruptionBudget refuses stops the drain (the node stays cordoned) unless ``force``, which deletes it.
    Returns ``{"changed", "steps", "diff", "errors", "decision"}``; ``errors`` non-empty: stopped there."""
    name = change["name"].lower()
    outcome = {"changed": False, "steps": [], "diff": [], "errors": []}
    live_nodes = cluster.list("v1", "Node")
    decision = removal_decision(change, live_nodes, force=force)
    outcome["decision"] = decision
    if not decision["allowed"]:
        outcome["errors"].append(decision["message"])
        return outcome
    if decision["forced"]:
        outcome["steps"].append(decision["message"])
    node = next((n for n in live_nodes if n["metadata"]["name"] == name), None)
    dry = [("dryRun", "All")] if check else []
    if node is None:
        outcome["steps"].append("Node %s is not in the cluster: nothing to cordon, drain or delete" % name)
    else:
        if not (node.get("spec") or {}).get("unschedulable"):
            cluster.call("PATCH", cluster.path("v1", "Node", name=name), dry, {"spec": {"unschedulable": True}},
                         MERGE_PATCH, what="cordon of Node %s" % name)
            outcome["changed"] = True
            outcome["diff"].append({"before_header": "Node %s" % name, "after_header": "Node %s" % name,
                                    "before": "unschedulable: false\n", "after": "unschedulable: true\n"})
        outcome["steps"].append("Node %s cordoned" % name)
        drain = drain_plan(_pods_on(cluster, name))
        blocked = []
        for pod in drain["evict"]:
            ref = "%s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"])
            try:
                _evict(cluster, pod, check)
            except KubeError as exc:
                if exc.status == 404:
                    continue
                if exc.status != 429:
                    outcome["errors"].append(str(exc))
                    continue
                if not force:
                    blocked.append(ref)
                    continue
                cluster.delete(pod, dry_run=check)
                outcome["steps"].append("pod %s deleted (its PodDisruptionBudget refused the eviction; forced)" % ref)
            outcome["changed"] = True
            outcome["diff"].append({"before_header": "Pod %s" % ref, "after_header": "Pod %s" % ref,
                                    "before": "on %s\n" % name, "after": "evicted\n"})
        outcome["steps"].append("drain: %d pod(s) evicted, %d left (%s)" % (
            len(drain["evict"]) - len(blocked), len(drain["left"]),
            ", ".join("%s/%s: %s" % (p["metadata"]["namespace"], p["metadata"]["name"], why)
                      for p, why in drain["left"]) or "none"))
        if blocked:
            outcome["errors"].append("a PodDisruptionBudget refuses the eviction of %s: Node %s stays cordoned and "
                                     "nothing else was changed; wait and run again, or -e force=true deletes them"
                                     % (", ".join(blocked), name))
        if outcome["errors"]:
            return outcome
        if not check:
            deadline = clock() + timeout
            evicted = set((p["metadata"]["namespace"], p["metadata"]["name"]) for p in drain["evict"])
            while True:
                still = sorted("%s/%s" % key for key in evicted & set(
                    (p["metadata"]["namespace"], p["metadata"]["name"]) for p in _pods_on(cluster, name)))
                if not still:
                    break
                if clock() > deadline:
                    outcome["errors"].append("after %d s these pods are still on %s: %s; Node %s stays cordoned"
                                             % (timeout, name, ", ".join(still), name))
                    return outcome
                sleep(1)
        cluster.delete(_node_ref(name), dry_run=check)
        outcome["changed"] = True
        outcome["diff"].append({"before_header": "Node %s" % name, "after_header": "Node %s" % name,
                                "before": "exists\n", "after": "deleted\n"})
        outcome["steps"].append("Node %s deleted" % name)
    if kinds is None:
        outcome["steps"].append("load-balancer objects selecting %s kept: the same sessions come back with the new "
                                "hardware" % name)
        return outcome
    stale = []
    for api_version, kind in kinds:
        try:
            stale += [obj for obj in cluster.list(api_version, kind) if selects_only(obj, change["name"])]
        except KubeError as exc:
            if exc.status != 404:
                raise
            outcome["steps"].append("%s %s is not served: no load-balancer object to delete" % (api_version, kind))
    batch = Batch(cluster, stale, FIELD_MANAGER, dry_run=check, with_diff=with_diff)
    batch.delete(stale)
    outcome["errors"] += [str(e) for e in batch.errors]
    outcome["changed"] = outcome["changed"] or bool(batch.changed)
    outcome["diff"] += batch.diff
    outcome["steps"].append("load-balancer objects selecting %s deleted: %s" % (
        name, ", ".join(object_ref(o) for o in stale) or "none"))
    return outcome


def replace_in_cluster(cluster, change, force=False, check=False, with_diff=False, timeout=300):
    """replace_node.yml: the old Node out (``remove_from_cluster``, its load-balancer objects kept), but only when it
    is not Ready - a Ready Node of that name is taken as the new hardware already joined (a re-run after the join must
    not delete it) - unless ``force``."""
    node = cluster.get(_node_ref(change["name"]))
    if node is not None and _ready(node) and not force:
        return {"changed": False, "errors": [], "diff": [], "decision": None,
                "steps": ["Node %s is Ready: taken as the new hardware already joined, not deleted (power the old "
                          "machine off first, or -e force=true)" % change["name"].lower()]}
    return remove_from_cluster(cluster, change, None, force=force, check=check, with_diff=with_diff, timeout=timeout)
