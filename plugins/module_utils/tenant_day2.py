# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 glue between the tenant core and the cluster: what the playbooks need.

* ``apply_batches(existing, wanted, label_domain)``: live objects (as
  ``kubernetes.core.k8s_info`` returns them) and the planned objects ->
  one batch per phase of ``tenant_removal.order_policy_changes``, so the
  tenants role applies each phase in one server-side apply and never drops
  allowed traffic.  Live objects are first reduced to the fields this area
  manages (server-filled metadata, other areas' namespace labels and
  controller-filled Subnet fields would otherwise look like changes).
* ``read_cluster_state(data)``: a recorded state file or ``k8s_info`` results
  in either the raw form (``tests/unit/fixtures/tenants_k8s_info.yaml``) or the
  reduced one (``tenants_cluster_state.yaml``) -> ``removal_plan``'s state.
* ``tenant_removal(site, name, state, force)``: which namespace, whether it
  may go (the inventory is the source of truth: a tenant still in
  ``netstack_tenants`` is never removed), and the removal rounds.
* ``apply_to_cluster(cluster, section, ...)``: the whole apply of the tenants
  section (``netstack.baremetal.tenants_apply``): read the live objects (scoped
  to the tenant for ``add_tenant.yml``), order them with ``apply_batches``,
  apply each phase in parallel requests, truthfully changed, with diffs.

No Ansible imports: the plan and tenants_apply actions call these functions.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp
from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_removal as rm
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import Batch
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import object_ref
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import did_you_mean

MANAGED_KINDS = ("Namespace", "Subnet", tp.CNP_KIND, tp.CCNP_KIND)
# Namespace labels other than these belong to someone else (Kubernetes, the gateway area, Cozystack's apps)
# and are never part of the comparison, so the tenants field manager never claims or drops them.
OWNED_LABEL_PREFIXES = (tp.LOCATOR_PREFIX,)
OWNED_LABELS = (core.NO_DELETE_LABEL,)


# --- live objects -> the fields this area manages ---------------------------

def owned_namespace_label(key, label_domain):
    return key.startswith(label_domain + "/") or key.startswith(OWNED_LABEL_PREFIXES) or key in OWNED_LABELS


def _tenant_of(obj):
    metadata = obj.get("metadata") or {}
    if obj.get("kind") == "Namespace":
        return metadata.get("name")
    return (metadata.get("labels") or {}).get(tp.TENANT_LABEL)


def normalize_existing(obj, label_domain=rm.DEFAULT_LABEL_DOMAIN, wanted=None):
    """``obj`` reduced to apiVersion, kind, name, namespace, our labels and spec (projected on ``wanted``)."""
    metadata = obj.get("metadata") or {}
    result = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": {"name": metadata.get("name")}}
    if metadata.get("namespace"):
        result["metadata"]["namespace"] = metadata["namespace"]
    labels = dict(metadata.get("labels") or {})
    if obj.get("kind") == "Namespace":
        labels = {k: v for k, v in labels.items() if owned_namespace_label(k, label_domain)}
    else:
        wanted_labels = ((wanted or {}).get("metadata") or {}).get("labels")
        if wanted_labels is not None:
            labels = {k: v for k, v in labels.items() if k in wanted_labels}
    result["metadata"]["labels"] = dict(sorted(labels.items()))
    if obj.get("kind") in (tp.CNP_KIND, tp.CCNP_KIND):
        # Policies are compared whole: a rule missing from the plan is a narrowing to order.
        for key in ("spec", "specs"):
            if obj.get(key):
                result[key] = copy.deepcopy(obj[key])
    elif isinstance(obj.get("spec"), dict) and obj.get("kind") != "Namespace":
        spec = obj["spec"]
        wanted_spec = (wanted or {}).get("spec")
        if wanted is not None and not isinstance(wanted_spec, dict):
            return result
        if isinstance(wanted_spec, dict):
            # Controllers fill more spec fields (Kube-OVN: vpc, default, ...): compare only ours.
            spec = {k: v for k, v in spec.items() if k in wanted_spec}
        result["spec"] = copy.deepcopy(spec)
    return result


def apply_batches(existing, wanted, label_domain=rm.DEFAULT_LABEL_DOMAIN):
    """One batch per phase (``prepare``, ``widen``, ``narrow``, ``delete``) from the live to the planned objects.

    Only live objects of the planned tenants' namespaces are considered, so
    tenants that are not planned (other tenants on ``add_tenant``, tenants gone
    from the inventory on ``tenants.yml``) are never touched: removing a tenant
    is ``remove_tenant.yml``'s job.  Returns ``[{phase, stage, apply, delete, awaiting_namespace}]``
    without empty phases; ``awaiting_namespace`` lists the objects of ``apply`` whose namespace is not live
    (this run's ``prepare`` phase creates it): a server-side dry run (check mode) cannot take them.
    """
    wanted = [w for w in wanted or [] if w]
    scope = {w["metadata"]["name"] for w in wanted if w.get("kind") == "Namespace"}
    scope.update(_tenant_of(w) for w in wanted if w.get("kind") != "Namespace")
    by_key = {rm.object_key(w): w for w in wanted}
    old = []
    for obj in existing or []:
        if not obj or obj.get("kind") not in MANAGED_KINDS or _tenant_of(obj) not in scope:
            continue
        if obj.get("kind") != "Namespace":
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if labels.get(tp.MANAGED_BY_LABEL) != tp.MANAGED_BY_VALUE:
                continue
        old.append(normalize_existing(obj, label_domain, by_key.get(rm.object_key(obj))))
    live_namespaces = {(obj.get("metadata") or {}).get("name") for obj in existing or []
                       if obj and obj.get("kind") == "Namespace"}
    steps = rm.order_policy_changes(old, wanted)
    result = []
    for batch in rm.batches(steps):
        if batch["apply"] or batch["delete"]:
            batch["delete"] = [ref_object(ref) for ref in batch["delete"]]
            batch["awaiting_namespace"] = [obj for obj in batch["apply"] if obj["metadata"].get("namespace")
                                           and obj["metadata"]["namespace"] not in live_namespaces]
            result.append(batch)
    return result


def ref_object(ref):
    """A step's flat reference -> the object shape ``kubernetes.core.k8s`` deletes (``state: absent``)."""
    metadata = {"name": ref["name"]}
    if ref.get("namespace"):
        metadata["namespace"] = ref["namespace"]
    return {"apiVersion": ref["apiVersion"], "kind": ref["kind"], "metadata": metadata}


# --- the apply ----------------------------------------------------------------

AWAITING_NOTE = "(not dry-run: its namespace is created by this run)"


def live_reads(section):
    """``[(api_version, kind, namespace, label_selector, field_selector)]`` that read what ``apply_batches``
    compares. One tenant (``add_tenant.yml``): its Namespace by name, its CiliumNetworkPolicies in its namespace,
    the cluster-scoped kinds by its tenant label, so the reads stay flat however many tenants the cluster has
    (its ancestors' objects are not read: the plan of one tenant holds none of them)."""
    partial = bool(section.get("partial"))
    first = section["tenants"][0]["namespace"] if partial and section["tenants"] else None
    labels = ["%s=%s" % (tp.MANAGED_BY_LABEL, tp.MANAGED_BY_VALUE)] + (
        ["%s=%s" % (tp.TENANT_LABEL, first)] if partial else [])
    reads = [("v1", "Namespace", None, None, ["metadata.name=%s" % first] if partial else None)]
    if section.get("policies_enforced", True):
        reads.append(("cilium.io/v2", tp.CNP_KIND, first, labels, None))
        reads.append(("cilium.io/v2", tp.CCNP_KIND, None, labels, None))
    if str(section.get("variant", "")).startswith("kubeovn"):
        reads.append(("kubeovn.io/v1", "Subnet", None, labels, None))
    return reads


def apply_to_cluster(cluster, section, field_manager, check=False, with_diff=False):
    """Apply the tenants ``section`` of the plan to ``cluster`` (``kube.client.Cluster``), phase by phase.

    Returns ``{changed, phases: [{stage, changed, unchanged, deleted, awaiting_namespace}], diff,
    pending_namespaces, errors}``; a phase with errors ends the run (the next phase may narrow what this one
    should have widened). Check mode is a server-side dry run; objects whose namespace this run creates cannot be
    dry-run and are shown against nothing instead (``awaiting_namespace``).
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        reads = list(pool.map(lambda r: cluster.list(r[0], r[1], namespace=r[2], label_selector=r[3],
                                                     field_selector=r[4], cached=True), live_reads(section)))
    existing = [obj for found in reads for obj in found]
    wanted = [obj for entry in section["tenants"] for obj in entry["objects"]]
    batches = apply_batches(existing, wanted, section.get("label_domain", rm.DEFAULT_LABEL_DOMAIN))
    run = Batch(cluster, existing, field_manager, dry_run=check, with_diff=with_diff)
    result = {"phases": [], "pending_namespaces": [], "errors": []}
    for batch in batches:
        awaiting = batch["awaiting_namespace"] if check else []
        waiting = set(id(obj) for obj in awaiting)     # the same objects as in apply (apply_batches)
        sent = [obj for obj in batch["apply"] if id(obj) not in waiting]
        before_changed, before_unchanged = len(run.changed), len(run.unchanged)
        run.apply(sent)
        run.announce(awaiting, AWAITING_NOTE)
        applied = run.changed[before_changed:]
        if not run.errors:
            run.delete(batch["delete"])
        result["phases"].append({
            "stage": batch["stage"], "changed": [r for r in run.changed[before_changed:] if r in applied],
            "deleted": [r for r in run.changed[before_changed:] if r not in applied],
            "unchanged": len(run.unchanged) - before_unchanged,
            "awaiting_namespace": [object_ref(obj) for obj in awaiting]})
        if check:
            result["pending_namespaces"].extend(obj["metadata"]["name"] for obj in batch["apply"]
                                                if obj["kind"] == "Namespace")
        if run.errors:
            result["errors"] = ["phase %s: %s" % (batch["stage"], exc) for exc in run.errors]
            break
    result["changed"] = bool(run.changed)
    result["diff"] = run.diff
    result["pending_namespaces"] = sorted(set(result["pending_namespaces"]))
    return result


# --- recorded cluster state -------------------------------------------------

def read_cluster_state(data):
    """Recorded or live state -> ``{"namespaces": {name: {labels, pods, pvcs}}}``.

    Accepts the reduced form (``namespaces`` a mapping) or raw ``k8s_info``
    resources (``namespaces``, ``pods``, ``pvcs`` lists of API objects).
    """
    if not isinstance(data, dict):
        raise ValueError("the cluster state must be a mapping with 'namespaces' (got %s)" % type(data).__name__)
    namespaces = data.get("namespaces")
    if isinstance(namespaces, dict):
        state = {}
        for name, info in namespaces.items():
            info = info or {}
            state[name] = {"labels": dict(info.get("labels") or {}), "pods": list(info.get("pods") or []),
                           "pvcs": list(info.get("pvcs") or [])}
        return {"namespaces": state}
    if isinstance(namespaces, list) or namespaces is None:
        return rm.state_from_objects(namespaces or [], data.get("pods") or [], data.get("pvcs") or [])
    raise ValueError("'namespaces' of the cluster state must be a mapping or a list of Namespace objects")


# --- removal ----------------------------------------------------------------

def resolve_namespace(site, name, state):
    """``(namespace, tenant name if in the inventory else None, error)`` for ``-e tenant=<name>``.

    A tenant of the inventory: its computed namespace.  Otherwise a name with
    a dash is taken as a namespace; a plain name is looked up in the cluster
    state (``tenant-<name>`` or ``<...>-<name>`` carrying its own subtree label).
    """
    tenants = site.get("tenants") or {}
    if name in tenants:
        return core.plan_one_tenant(site, name)["namespace"], name, None
    existing = state.get("namespaces") or {}
    if "-" in name:
        # A namespace; the last part is the tenant name (tenant names have no dash).
        owner = name.rsplit("-", 1)[1]
        if owner in tenants and core.plan_one_tenant(site, owner)["namespace"] == name:
            return name, owner, None
        return name, None, None
    label_domain = core.tenancy_settings(site)["label_domain"]
    candidates = sorted(ns for ns, info in existing.items()
                        if ns.startswith(core.NAMESPACE_PREFIX) and (ns == core.NAMESPACE_PREFIX + name or (
                            ns.endswith("-" + name)
                            and tp.tenant_label_key(label_domain, ns) in ((info or {}).get("labels") or {}))))
    if len(candidates) == 1:
        return candidates[0], None, None
    if len(candidates) > 1:
        return None, None, "tenant '%s' matches several namespaces (%s): give the namespace, e.g. -e tenant=%s" % (
            name, ", ".join(candidates), candidates[0])
    known = [ns.rsplit("-", 1)[1] for ns in existing if ns.startswith(core.NAMESPACE_PREFIX)]
    hint = did_you_mean(name, sorted(set(list(tenants) + known)))
    return None, None, "tenant '%s' is neither in netstack_tenants nor in the cluster%s" % (
        name, ("; " + hint) if hint else " (give its namespace, e.g. -e tenant=%s%s, to clean up leftovers)"
        % (core.NAMESPACE_PREFIX, name))


def _supported(step, settings):
    if step["kind"] == "Subnet":
        return settings["kubeovn"]
    if step["kind"] == tp.CCNP_KIND:
        return settings["enforced"]
    return True


def removal_rounds(steps, namespace=None):
    """Group removal steps per namespace: ``[{namespace, delete_namespace: [ref], cleanup: [refs]}]``.

    Each round is two batched deletes: the Namespace (waited for), then its
    cluster-wide leftovers (policies, subnet).  Leftovers of a namespace that
    is already gone form a round without ``delete_namespace``.
    """
    rounds = []
    for step in steps:
        ref = ref_object(step)
        if step["kind"] == "Namespace":
            rounds.append({"namespace": step["name"], "delete_namespace": [ref], "cleanup": []})
            continue
        if not rounds:
            rounds.append({"namespace": namespace, "delete_namespace": [], "cleanup": []})
        rounds[-1]["cleanup"].append(ref)
    return rounds


def refusal_without_cluster(site, name):
    """The refusals the inventory alone decides, or None: ``name`` (a tenant or its namespace) is still in
    ``netstack_tenants``, or is the root tenant.  The playbook asks this before it reads the cluster, so such a
    tenant is refused without listing the pods and PVCs of its subtree.

    A plain name that is not in the inventory needs the cluster (it is looked up among the namespaces): None.
    Returns the shape of ``tenant_removal`` (``allowed`` false, no steps).
    """
    tenants = site.get("tenants") or {}
    if name not in tenants and "-" not in (name or ""):
        return None
    namespace, inventory_name, error = resolve_namespace(site, name, {"namespaces": {}})
    if error or (inventory_name is None and namespace != tp.ROOT_NAMESPACE):
        return None
    result = {"tenant": name, "namespace": namespace, "in_inventory": inventory_name is not None,
              "allowed": False, "forced": False, "steps": [], "rounds": [], "file": removal_file(namespace)}
    if namespace == tp.ROOT_NAMESPACE:
        # rm.removal_plan's answer for the root, whatever the state
        result.update(rm.removal_plan({"namespaces": {}}, namespace))
        result.update(steps=[], rounds=[])
        return result
    result["message"] = _in_inventory_message(inventory_name, namespace)
    result["blockers"] = [_inventory_blocker(inventory_name, namespace)]
    return result


def _in_inventory_message(inventory_name, namespace):
    return ("refusing to remove tenant '%s' (%s): it is still in netstack_tenants; remove it (and its sub-tenants) "
            "from the inventory first, then run remove_tenant.yml again (force does not override this)"
            % (inventory_name, namespace))


def _inventory_blocker(inventory_name, namespace):
    return {"kind": "inventory", "namespace": namespace, "name": "netstack_tenants.%s" % inventory_name}


def tenant_removal(site, name, state, force=False):
    """The removal of tenant ``name`` from recorded ``state``: ``removal_plan`` plus the inventory rule.

    Returns ``{tenant, namespace, in_inventory, allowed, forced, blockers,
    message, steps, rounds}``; ``error`` (and nothing else useful) when the
    name cannot be resolved.  ``state`` None (the cluster not read yet): the
    refusal of ``refusal_without_cluster``, or ``decided`` false when only the
    cluster state can decide.
    """
    if state is None:
        refusal = refusal_without_cluster(site, name)
        if refusal is not None:
            refusal["forced"] = bool(force)
            return refusal
        return {"tenant": name, "namespace": None, "allowed": False, "decided": False, "forced": bool(force),
                "message": "the removal of '%s' is decided from the cluster state" % name,
                "blockers": [], "steps": [], "rounds": []}
    namespace, inventory_name, error = resolve_namespace(site, name, state)
    in_inventory = inventory_name is not None
    if error:
        return {"tenant": name, "namespace": None, "allowed": False, "error": error, "message": error,
                "blockers": [], "steps": [], "rounds": []}
    settings = core.tenancy_settings(site)
    plan = rm.removal_plan(state, namespace, force=force, label_domain=settings["label_domain"])
    result = {"tenant": name, "namespace": namespace, "in_inventory": in_inventory}
    result.update(plan)
    if namespace != tp.ROOT_NAMESPACE and in_inventory:
        # The inventory is the source of truth: tenants.yml would re-create the tenant at its next run.
        result.update(allowed=False, steps=[], message=_in_inventory_message(inventory_name, namespace))
        result["blockers"] = [_inventory_blocker(inventory_name, namespace)] + list(plan["blockers"])
    result["steps"] = [s for s in result["steps"] if _supported(s, settings)]
    result["rounds"] = removal_rounds(result["steps"], namespace)
    result["file"] = removal_file(namespace)
    return result


def removal_file(namespace):
    return "tenants/removal-%s.yaml" % namespace
