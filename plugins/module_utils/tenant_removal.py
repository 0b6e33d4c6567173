# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 safety: removing a tenant, and changing policies without a gap.

``removal_plan`` decides from *recorded* cluster state (what the playbook read
from the API server) whether a tenant namespace may go, and in which order.
It refuses while the namespace or any sub-tenant still holds pods or
PersistentVolumeClaims, or while sub-tenants exist, naming each blocker,
unless ``force`` is set; then it removes children first.  ``tenant-root`` is
never removed.

``order_policy_changes`` turns "old objects -> new objects" into ordered steps
such that a connection allowed both before and after the change is allowed at
every moment in between (the property test replays the steps through the
reachability evaluator):

1. ``prepare``: create namespaces and subnets; add new namespace labels
   (changed label values keep the old value for now);
2. ``widen``: every policy becomes at least as permissive as before: updated
   policies get a *bridge* version (old and new allow rules together, only the
   old deny rules, default deny only where both versions have it), new
   policies are created *staged* (allow rules only, ``enableDefaultDeny`` off,
   so they cannot put an endpoint into default deny yet), policies about to be
   deleted are *disarmed* (deny rules and default deny removed, allow rules
   kept); pure widenings go straight to their final version;
3. ``narrow``: final versions of everything bridged or staged, final labels;
4. ``delete``: policies, then subnets, then namespaces that are gone.

Every step is a whole-object server-side apply (fields a step leaves out are
removed) or a delete; ``batches`` groups the steps of a phase so each phase is
one batched apply.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp

DEFAULT_LABEL_DOMAIN = "tenant.cozystack.io"
PHASES = {1: "prepare", 2: "widen", 3: "narrow", 4: "delete"}
POLICY_KINDS = (tp.CNP_KIND, tp.CCNP_KIND)
DIRECTIONS = ("ingress", "egress")
IMMUTABLE_FIELDS = {"Subnet": ("cidrBlock", "protocol")}
SUBNET_API_VERSION = "kubeovn.io/v1"


class ImmutableChangeError(ValueError):
    """The change needs a delete and re-create (e.g. a Kube-OVN Subnet's cidrBlock)."""


# --- removal ----------------------------------------------------------------

def _names(items):
    """Pod / PVC entries may be names or dicts with ``name`` (and ``phase``)."""
    result = []
    for item in items or ():
        if isinstance(item, dict):
            label = item.get("name", "?")
            if item.get("phase"):
                label = "%s (%s)" % (label, item["phase"])
            result.append(label)
        else:
            result.append(str(item))
    return sorted(result)


def state_from_objects(namespaces, pods=(), pvcs=()):
    """Build ``removal_plan``'s recorded state from raw API objects (``k8s_info`` resources)."""
    state = {}
    for obj in namespaces:
        metadata = obj.get("metadata") or {}
        state[metadata["name"]] = {"labels": dict(metadata.get("labels") or {}), "pods": [], "pvcs": []}
    for kind, objects in (("pods", pods), ("pvcs", pvcs)):
        for obj in objects:
            metadata = obj.get("metadata") or {}
            entry = state.setdefault(metadata.get("namespace"), {"labels": {}, "pods": [], "pvcs": []})
            item = {"name": metadata.get("name")}
            phase = (obj.get("status") or {}).get("phase")
            if phase:
                item["phase"] = phase
            entry[kind].append(item)
    return {"namespaces": state}


def subtree_namespaces(state, namespace, label_domain=DEFAULT_LABEL_DOMAIN):
    """Existing namespaces below ``namespace``: by the subtree label, or by name.

    The name rule (``<ns>-<child>``) holds because tenant names have no dash; the
    label catches namespaces whose labels were recorded.
    """
    key = tp.tenant_label_key(label_domain, namespace)
    below = []
    for name, info in (state.get("namespaces") or {}).items():
        if name == namespace:
            continue
        labels = (info or {}).get("labels") or {}
        if name.startswith(namespace + "-") or key in labels:
            below.append(name)
    return below


def _children_first(namespaces):
    return sorted(namespaces, key=lambda n: (-n.count("-"), n))


def removal_plan(state, namespace, force=False, label_domain=DEFAULT_LABEL_DOMAIN):
    """Whether ``namespace`` may be removed, what blocks it, and the ordered deletions.

    ``state``: ``{"namespaces": {name: {"labels": {...}, "pods": [...],
    "pvcs": [...]}}}`` with every namespace that exists.  Returns ``{namespace,
    allowed, forced, blockers: [{kind, namespace, name}], message, steps}``;
    ``steps`` is empty when not allowed.
    """
    existing = state.get("namespaces") or {}
    result = {"namespace": namespace, "allowed": False, "forced": bool(force), "blockers": [], "steps": []}
    if namespace == tp.ROOT_NAMESPACE:
        result["blockers"].append({"kind": "root", "namespace": namespace, "name": namespace})
        result["message"] = "the root tenant is never removed (not even with force)"
        return result
    if namespace not in existing:
        result["allowed"] = True
        result["message"] = "namespace %s does not exist; only cluster-wide leftovers are cleaned up" % namespace
        result["steps"] = _cluster_scoped_cleanup(namespace)
        return result
    below = _children_first(subtree_namespaces(state, namespace, label_domain))
    blockers = [{"kind": "sub-tenant", "namespace": namespace, "name": child} for child in sorted(below)]
    for member in sorted(below + [namespace]):
        info = existing.get(member) or {}
        blockers.extend({"kind": "pod", "namespace": member, "name": n} for n in _names(info.get("pods")))
        blockers.extend({"kind": "pvc", "namespace": member, "name": n} for n in _names(info.get("pvcs")))
    result["blockers"] = blockers
    if blockers and not force:
        result["message"] = "refusing to remove %s: %s (set force=true to remove it anyway)" % (
            namespace, "; ".join(describe_blocker(b) for b in blockers))
        return result
    result["allowed"] = True
    result["message"] = "removing %s%s" % (
        ", ".join(below + [namespace]), " despite %d blocker(s)" % len(blockers) if blockers else "")
    for member in below + [namespace]:
        result["steps"].extend(_namespace_removal_steps(member))
    return result


def describe_blocker(blocker):
    if blocker["kind"] == "sub-tenant":
        return "sub-tenant namespace %s" % blocker["name"]
    if blocker["kind"] == "pvc":
        return "PersistentVolumeClaim %s/%s" % (blocker["namespace"], blocker["name"])
    if blocker["kind"] == "pod":
        return "pod %s/%s" % (blocker["namespace"], blocker["name"])
    return "%s %s" % (blocker["kind"], blocker["name"])


def _delete(kind, name, api_version, namespace=None, wait=False, missing_ok=True, reason=""):
    step = {"action": "delete", "apiVersion": api_version, "kind": kind, "name": name, "wait": wait,
            "missing_ok": missing_ok, "reason": reason}
    if namespace:
        step["namespace"] = namespace
    return step


def _namespace_removal_steps(namespace):
    # The namespace goes first and is waited for: its cluster-wide policies keep
    # its terminating pods in default deny until they are gone.
    steps = [_delete("Namespace", namespace, "v1", wait=True, missing_ok=False,
                     reason="deletes the tenant's pods, PVCs and namespaced policies")]
    return steps + _cluster_scoped_cleanup(namespace)


def _cluster_scoped_cleanup(namespace):
    steps = [_delete(tp.CCNP_KIND, name, tp.CILIUM_API_VERSION, reason="cluster-wide policy of %s" % namespace)
             for name in tp.cluster_policy_names(namespace)]
    steps.append(_delete("Subnet", namespace, SUBNET_API_VERSION,
                         reason="Kube-OVN subnet of %s (its addresses are free once the namespace is gone)"
                         % namespace))
    return steps


# --- policy change ordering -------------------------------------------------

def object_key(obj):
    metadata = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), metadata.get("namespace") or "", metadata.get("name"))


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _is_policy(obj):
    return obj.get("apiVersion") == tp.CILIUM_API_VERSION and obj.get("kind") in POLICY_KINDS


def _specs(obj):
    return ([obj["spec"]] if obj.get("spec") else []) + list(obj.get("specs") or [])


def _default_deny(spec, direction):
    explicit = (spec.get("enableDefaultDeny") or {}).get(direction)
    if explicit is not None:
        return bool(explicit)
    return bool(spec.get(direction)) or bool(spec.get(direction + "Deny"))


def _subject(spec):
    return _canonical({k: spec.get(k) for k in ("endpointSelector", "nodeSelector")})


def _is_widening(old, new):
    """True when ``new`` allows at least what ``old`` allows, judged rule by rule."""
    old_specs, new_specs = _specs(old), _specs(new)
    if len(old_specs) != len(new_specs):
        return False
    for old_spec, new_spec in zip(old_specs, new_specs):
        if _subject(old_spec) != _subject(new_spec):
            return False
        for direction in DIRECTIONS:
            old_rules = {_canonical(r) for r in old_spec.get(direction) or []}
            new_rules = {_canonical(r) for r in new_spec.get(direction) or []}
            old_deny = {_canonical(r) for r in old_spec.get(direction + "Deny") or []}
            new_deny = {_canonical(r) for r in new_spec.get(direction + "Deny") or []}
            if not old_rules <= new_rules or not new_deny <= old_deny:
                return False
            if _default_deny(new_spec, direction) and not _default_deny(old_spec, direction):
                return False
    return True


def _staged_spec(spec, keep_deny, default_deny):
    """Copy of ``spec`` with deny rules kept or dropped and default deny set per direction."""
    dropped = ("enableDefaultDeny", "ingressDeny", "egressDeny")
    staged = {k: copy.deepcopy(v) for k, v in spec.items() if k not in dropped}
    if keep_deny:
        for direction in DIRECTIONS:
            if spec.get(direction + "Deny"):
                staged[direction + "Deny"] = copy.deepcopy(spec[direction + "Deny"])
    staged["enableDefaultDeny"] = {d: bool(default_deny[d]) for d in DIRECTIONS}
    return staged


def _with_specs(obj, specs):
    result = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("spec", "specs")}
    if len(specs) == 1:
        result["spec"] = specs[0]
    else:
        result["specs"] = specs
    return result


def _bridge(old, new):
    """Old and new allow rules together, old deny rules, default deny only where both request it."""
    old_specs, new_specs = _specs(old), _specs(new)
    if len(old_specs) == len(new_specs) and all(_subject(a) == _subject(b) for a, b in zip(old_specs, new_specs)):
        merged = []
        for old_spec, new_spec in zip(old_specs, new_specs):
            spec = _staged_spec(old_spec, True, {d: _default_deny(old_spec, d) and _default_deny(new_spec, d)
                                                 for d in DIRECTIONS})
            for direction in DIRECTIONS:
                rules = list(old_spec.get(direction) or [])
                seen = {_canonical(r) for r in rules}
                rules.extend(copy.deepcopy(r) for r in new_spec.get(direction) or [] if _canonical(r) not in seen)
                if rules:
                    spec[direction] = rules
            merged.append(spec)
        return _with_specs(new, merged)
    # Different subjects: carry both rule sets side by side, neither requesting
    # default deny (the endpoints the old subject loses must not stay in a
    # default deny the new version does not ask for).
    old_part = [_staged_spec(s, True, {d: False for d in DIRECTIONS}) for s in old_specs]
    new_part = [_staged_spec(s, False, {d: False for d in DIRECTIONS}) for s in new_specs]
    return _with_specs(new, old_part + new_part)


def _staged(new):
    return _with_specs(new, [_staged_spec(s, False, {d: False for d in DIRECTIONS}) for s in _specs(new)])


def _disarmed(old):
    return _with_specs(old, [_staged_spec(s, False, {d: False for d in DIRECTIONS}) for s in _specs(old)])


def _policy_namespace_scope(obj):
    """The single namespace a policy's subjects live in, if it pins one."""
    metadata = obj.get("metadata") or {}
    if obj.get("kind") == tp.CNP_KIND:
        return metadata.get("namespace")
    namespaces = set()
    for spec in _specs(obj):
        labels = ((spec.get("endpointSelector") or {}).get("matchLabels") or {})
        value = labels.get(tp.NS_KEY) or labels.get("io.kubernetes.pod.namespace")
        if value is None:
            return None
        namespaces.add(value)
    return namespaces.pop() if len(namespaces) == 1 else None


def _step(phase, action, obj, reason):
    metadata = obj.get("metadata") or {}
    step = {"phase": phase, "stage": PHASES[phase], "action": action, "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"), "name": metadata.get("name"), "reason": reason}
    if metadata.get("namespace"):
        step["namespace"] = metadata["namespace"]
    if action == "apply":
        step["object"] = obj
    return step


def _check_immutable(old, new):
    for field in IMMUTABLE_FIELDS.get(new.get("kind"), ()):
        before = (old.get("spec") or {}).get(field)
        after = (new.get("spec") or {}).get(field)
        if before is not None and before != after:
            raise ImmutableChangeError("%s %s: %s cannot change (%s -> %s); remove and re-create it" % (
                new.get("kind"), (new.get("metadata") or {}).get("name"), field, before, after))


def _namespace_bridge(old, new):
    bridge = copy.deepcopy(new)
    labels = dict(((new.get("metadata") or {}).get("labels")) or {})
    labels.update(((old.get("metadata") or {}).get("labels")) or {})
    bridge.setdefault("metadata", {})["labels"] = dict(sorted(labels.items()))
    return bridge


def order_policy_changes(old_objects, new_objects):
    """Ordered steps from ``old_objects`` to ``new_objects`` that never drop allowed traffic."""
    old = {object_key(o): o for o in old_objects}
    new = {object_key(o): o for o in new_objects}
    created_namespaces = {key[3] for key in new if key[1] == "Namespace" and key not in old}
    steps = []
    for key in sorted(set(old) | set(new), key=_sort_key):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None:
            if _canonical(before) == _canonical(after):
                continue
            _check_immutable(before, after)
            steps.extend(_update_steps(before, after))
        elif after is not None:
            steps.extend(_create_steps(after, created_namespaces))
        else:
            steps.extend(_delete_steps(before))
    steps.sort(key=lambda s: (s["phase"], _delete_rank(s) if s["action"] == "delete" else 0,
                              _sort_key(object_key({"apiVersion": s["apiVersion"], "kind": s["kind"],
                                                    "metadata": {"name": s["name"],
                                                                 "namespace": s.get("namespace")}}))))
    return steps


_KIND_RANK = {"Namespace": 0, "Subnet": 1, tp.CNP_KIND: 2, tp.CCNP_KIND: 3}


def _sort_key(key):
    return (_KIND_RANK.get(key[1], 4), key[2], key[3] or "", key[0] or "", key[1] or "")


def _delete_rank(step):
    # Policies first, then subnets, then namespaces.
    return {tp.CNP_KIND: 0, tp.CCNP_KIND: 0, "Subnet": 1, "Namespace": 2}.get(step["kind"], 1)


def _update_steps(before, after):
    # A bridge the live object already is (a value edited by hand: the bridge keeps the live value; a rule added by
    # hand: the bridge is the live rule set) changes nothing: applying it would only move field ownership, which a
    # dry run (--check) reports as a change with an empty diff.
    return [s for s in _update_steps_of(before, after) if _canonical(s["object"]) != _canonical(before)]


def _update_steps_of(before, after):
    if _is_policy(after):
        if _is_widening(before, after):
            return [_step(2, "apply", after, "only adds allowances")]
        return [_step(2, "apply", _bridge(before, after), "bridge: old and new allow rules together"),
                _step(3, "apply", after, "final version")]
    if after.get("kind") == "Namespace":
        bridge = _namespace_bridge(before, after)
        if _canonical(bridge) == _canonical(after):
            return [_step(1, "apply", after, "adds labels only")]
        return [_step(1, "apply", bridge, "new labels added, old values kept"),
                _step(3, "apply", after, "final labels")]
    return [_step(2, "apply", after, "updated")]


def _create_steps(after, created_namespaces):
    if not _is_policy(after):
        return [_step(1, "apply", after, "created before the policies that rely on it")]
    if _policy_namespace_scope(after) in created_namespaces:
        # Its subjects live in a namespace created by this change: no traffic to protect yet.
        return [_step(2, "apply", after, "new namespace, no existing traffic")]
    return [_step(2, "apply", _staged(after), "staged: allow rules only, no default deny"),
            _step(3, "apply", after, "final version")]


def _delete_steps(before):
    steps = []
    if _is_policy(before):
        steps.append(_step(2, "apply", _disarmed(before), "disarmed before deletion: no deny, no default deny"))
    steps.append(_step(4, "delete", before, "no longer wanted"))
    return steps


def batches(steps):
    """Group steps by phase: ``[{phase, stage, apply: [objects], delete: [refs]}]``, one batch per phase."""
    grouped = []
    for step in steps:
        if not grouped or grouped[-1]["phase"] != step["phase"]:
            grouped.append({"phase": step["phase"], "stage": step["stage"], "apply": [], "delete": []})
        if step["action"] == "apply":
            grouped[-1]["apply"].append(step["object"])
        else:
            grouped[-1]["delete"].append({k: step[k] for k in ("apiVersion", "kind", "name", "namespace")
                                          if k in step})
    return grouped
