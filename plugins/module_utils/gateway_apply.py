# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway section of the plan, applied to a cluster (``netstack.baremetal.gateway_apply``).

``preflight``: the APIs the objects need are served (Gateway API, cert-manager, admission policies) and every
planned tenant namespace is the tenants area's (``gateway.unready_tenant_namespaces``); nothing is sent before both
hold. ``apply_to_cluster``: the batches in order (server-side applies, each object read first for a truthful
change and diff), then the prune of what the plan no longer holds (kind by kind, in the plan's deletion order).
Day 2 (``partial``, one tenant from ``add_tenant.yml``): no API check, no namespace check, no prune, and only the
namespaces the batches name are read, so the run stays flat however many tenants the cluster has.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.netstack.baremetal.plugins.module_utils import gateway
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.batch import Batch
from ansible_collections.netstack.baremetal.plugins.module_utils.kube.client import KubeError, object_ref

NEEDED_CRDS = ("gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io",
               "tlsroutes.gateway.networking.k8s.io", "issuers.cert-manager.io", "certificates.cert-manager.io")
CRD_API = "apiextensions.k8s.io/v1"
POLICY_API = ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy")
AWAITING_NOTE = "(not dry-run: its namespace does not exist yet)"


class NotReady(Exception):
    """The cluster is not ready for the gateway objects; nothing was sent."""


def _crd_present(cluster, name):
    return cluster.get({"apiVersion": CRD_API, "kind": "CustomResourceDefinition", "metadata": {"name": name}})


def check_apis(cluster, section):
    """Raise ``NotReady`` when a CRD the Gateways need is missing or admission policies are not served."""
    if section.get("gateways"):
        with ThreadPoolExecutor(max_workers=len(NEEDED_CRDS)) as pool:
            found = list(pool.map(lambda name: _crd_present(cluster, name), NEEDED_CRDS))
        missing = [name for name, obj in zip(NEEDED_CRDS, found) if obj is None]
        if missing:
            raise NotReady(
                "Missing CRDs %s: the Gateway API (experimental channel, TLSRoute) comes from the cluster_network role "
                "(playbooks/cluster_network.yml) and must be installed before Cilium; Issuers and Certificates need "
                "cert-manager." % ", ".join(missing))
    if section.get("admission_policies"):
        try:
            cluster.resource(*POLICY_API)
        except KubeError as exc:
            if exc.status != 404:
                raise
            raise NotReady(
                "The API server does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (Kubernetes "
                "1.30 or newer); without it nothing stops one tenant from claiming another's hostnames. Upgrade, or "
                "set netstack_cluster.features.gateway_api.admission_policies to false knowingly.")


def unready_message(unready, check):
    names = ", ".join("%s: %s" % (u["namespace"], u["reason"]) for u in unready)
    return ("Tenant namespaces not ready for their Gateways: %s. Apply the tenants first: ansible-playbook "
            "playbooks/tenants.yml, or for these tenants only ansible-playbook playbooks/add_tenant.yml -e "
            "tenant=<name> for each of %s (in this order). gateway.yml never creates a tenant namespace nor labels "
            "one the tenants area has not applied: it would have no tenant labels and no isolation policies.%s"
            % (names, ", ".join(str(u["tenant"]) for u in unready),
               " To preview both in check mode, run them in one command: ansible-playbook playbooks/tenants.yml "
               "playbooks/gateway.yml --check --diff." if check else ""))


def _namespaces_named(section, selected):
    names = set()
    for batch in selected:
        for obj in batch["objects"]:
            metadata = obj["metadata"]
            names.add(metadata.get("namespace") or (metadata["name"] if obj["kind"] == "Namespace" else None))
    names.discard(None)
    return sorted(names)


def live_namespaces(cluster, section, selected):
    """The live Namespaces the run needs: all of them for the whole inventory (the namespace check reads every
    planned tenant's), only those the batches name for one tenant (read by name, in parallel)."""
    if not section.get("partial"):
        return cluster.list("v1", "Namespace", cached=True)
    names = _namespaces_named(section, selected)

    def named(name):
        return cluster.list("v1", "Namespace", field_selector=["metadata.name=%s" % name], cached=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(named, names))
    return [obj for objects in found for obj in objects]


def preflight(cluster, section, check=False, pending=(), only=(), run_check_apis=True):
    """The APIs and the tenant namespaces (whole inventory only); returns the live Namespaces the batches need.
    Raises ``NotReady`` with the message to show."""
    selected = [b for b in section["apply"] if b["objects"] and (not only or b["name"] in only)]
    if not section.get("partial") and run_check_apis:
        check_apis(cluster, section)
    namespaces = live_namespaces(cluster, section, selected)
    if not section.get("partial"):
        unready = gateway.unready_tenant_namespaces(section.get("tenants"), namespaces, pending if check else [])
        if unready:
            raise NotReady(unready_message(unready, check))
    return namespaces


def secret_objects(section, value_of):
    """The DNS-01 credential Secrets of ``section["secrets"]``, their value from ``value_of(variable)`` (the
    inventory variable, vault-decrypted by the caller)."""
    return [{"apiVersion": "v1", "kind": "Secret", "type": entry["type"],
             "metadata": {"name": entry["name"], "namespace": entry["namespace"],
                          "labels": {"app.kubernetes.io/managed-by": "netstack.baremetal"}},
             "data": {entry["key"]: base64.b64encode(value_of(entry["variable"]).encode("utf-8")).decode("ascii")}}
            for entry in section.get("secrets") or []]


def _apply_secrets(cluster, secrets, field_manager, check, live_names):
    """The Secrets, never shown: no diff, and a failure names the object and the HTTP status only (a server
    message may quote the value). Check mode leaves out those whose namespace does not exist yet."""
    run = Batch(cluster, [], field_manager, dry_run=check, fetch=True)
    run.apply([obj for obj in secrets if not check or obj["metadata"]["namespace"] in live_names])
    errors = ["%s: HTTP %s %s (the server's message is not shown: it may quote the value)"
              % (exc.what, exc.status, exc.reason) for exc in run.errors]
    return run.changed, errors


def apply_to_cluster(cluster, section, field_manager, check=False, with_diff=False, pending=(), only=(),
                     prune=True, run_check_apis=True, secrets=()):
    """Preflight, the DNS-01 ``secrets`` (objects from ``secret_objects``), the batches, the prune. Returns
    ``{changed, secrets, batches: [{name, changed, unchanged, awaiting_namespace}], pruned, diff, errors}``; a
    failure ends the run (no later batch, no prune)."""
    namespaces = preflight(cluster, section, check, pending, only, run_check_apis)
    live_names = set(obj["metadata"]["name"] for obj in namespaces)
    result = {"batches": [], "pruned": [], "errors": [], "secrets": [], "diff": []}
    if secrets:
        result["secrets"], result["errors"] = _apply_secrets(cluster, secrets, field_manager, check, live_names)
        if result["errors"]:
            result["changed"] = bool(result["secrets"])
            return result
    run = Batch(cluster, namespaces, field_manager, dry_run=check, with_diff=with_diff, fetch=True)
    for batch in section["apply"]:
        if not batch["objects"] or (only and batch["name"] not in only):
            continue
        objects = batch["objects"]
        if batch.get("existing_only"):      # platform namespaces: labelled when they exist, never created
            objects = [obj for obj in objects if obj["metadata"]["name"] in live_names]
        awaiting = [obj for obj in objects if check and obj["metadata"].get("namespace")
                    and obj["metadata"]["namespace"] not in live_names]
        waiting = set(id(obj) for obj in awaiting)
        start_changed, start_unchanged = len(run.changed), len(run.unchanged)
        run.apply([obj for obj in objects if id(obj) not in waiting])
        run.announce(awaiting, AWAITING_NOTE)
        result["batches"].append({"name": batch["name"], "changed": run.changed[start_changed:],
                                  "unchanged": len(run.unchanged) - start_unchanged,
                                  "awaiting_namespace": [object_ref(obj) for obj in awaiting]})
        if run.errors:
            result["errors"] = ["batch %s: %s" % (batch["name"], exc) for exc in run.errors]
            break
    if prune and not section.get("partial") and not run.errors:
        start_changed = len(run.changed)
        run.workers = 1         # one at a time, in the plan's order: few objects, and a log that reads in order
        run.delete(stale_objects(cluster, section, only))
        if run.errors:
            result["errors"] = ["prune: %s" % exc for exc in run.errors]
        result["pruned"] = run.changed[start_changed:]
    result["changed"] = bool(run.changed or result["secrets"])
    result["diff"] = run.diff
    return result


def stale_objects(cluster, section, only=()):
    """What the plan no longer holds (``gateway.stale_objects``), listed per kind by its labels; a kind whose batch
    did not run is left alone, a kind the cluster does not serve lists nothing."""
    kinds = [k for k in section["prune"]["kinds"] if not only or k["batch"] in only]

    def listed(kind):
        try:
            return cluster.list(kind["api_version"], kind["kind"], label_selector=kind["label_selectors"], cached=True)
        except KubeError as exc:
            if exc.status == 404:
                return []
            raise
    with ThreadPoolExecutor(max_workers=max(1, len(kinds))) as pool:
        found = [obj for objects in pool.map(listed, kinds) for obj in objects]
    return gateway.stale_objects(section["prune"], found)
