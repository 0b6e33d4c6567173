# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-tenant policy objects: the reference set exactly, the strict set's differences,
pitfall 23, and every generated manifest against the CRD / core schemas (unknown fields rejected)."""
from __future__ import absolute_import, division, print_function

import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_policies as tp
from ansible_collections.netstack.baremetal.plugins.module_utils import tenants as core

from k8s_schema import validate_manifests
from test_tenants import example_tenants, make_site, tenant_trees

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ALL_SERVICES = {"root": {"host": "example.org", "ingress": True, "etcd": True, "monitoring": True},
                "alice": {}, "dev": {"parent": "alice", "ingress": True, "etcd": True, "monitoring": True}}


def _entry(tenants, name, **kwargs):
    return {e["name"]: e for e in core.plan_tenants(make_site(tenants, **kwargs))["tenants"]}[name]


def _policies(entry):
    return [o for o in entry["objects"] if o["apiVersion"] == tp.CILIUM_API_VERSION]


def _by_name(entry):
    return {o["metadata"]["name"]: o for o in _policies(entry)}


def _comparable(obj):
    metadata = {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace")}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata, "spec": obj["spec"]}


def test_reference_mode_is_the_chart_object_for_object():
    with open(os.path.join(FIXTURES, "tenants_reference_tenant-alice-dev.yaml")) as handle:
        expected = [doc for doc in yaml.safe_load_all(handle) if doc]
    entry = _entry(ALL_SERVICES, "dev", isolation="reference")
    assert [_comparable(o) for o in _policies(entry)] == expected


def test_reference_root_has_no_ancestor_rules():
    root = _by_name(_entry(ALL_SERVICES, "root", isolation="reference"))
    assert root["tenant-root-egress"]["spec"]["egress"] == [{"toEndpoints": [
        {"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.tenant.cozystack.io/tenant-root": ""}}]}]
    assert len(root["tenant-root-ingress"]["spec"]["ingress"]) == 3


def test_reference_ancestor_lists_are_dash_prefixes_of_the_parent():
    assert tp.reference_ancestor_namespaces("tenant-root") == ["tenant-root"]
    assert tp.reference_ancestor_namespaces("tenant-a") == ["tenant-a"]
    assert tp.reference_ancestor_namespaces("tenant-a-b") == ["tenant-a", "tenant-a-b"]


def test_strict_mode_differs_only_where_documented():
    strict = _by_name(_entry(ALL_SERVICES, "dev"))
    reference = _by_name(_entry(ALL_SERVICES, "dev", isolation="reference"))
    assert set(strict) - set(reference) == {"tenant-alice-dev-ingress-monitoring"}
    assert set(reference) <= set(strict)
    changed = sorted(name for name in reference if strict[name]["spec"] != reference[name]["spec"])
    assert changed == ["allow-external-communication", "allow-to-apiserver", "allow-to-dns", "tenant-alice-dev-egress",
                       "tenant-alice-dev-ingress", "tenant-alice-dev-ingress-ingress"]
    assert strict["allow-external-communication"]["spec"]["ingress"] == [
        {"fromEntities": ["world", "host", "remote-node"]}]
    assert strict["allow-to-apiserver"]["spec"]["egress"] == [
        {"toEntities": ["kube-apiserver"], "toPorts": [{"ports": [{"port": "6443", "protocol": "TCP"}]}]}]
    assert strict["allow-to-dns"]["spec"]["egress"][0]["toPorts"] == [
        {"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}]}]
    ancestors = strict["tenant-alice-dev-ingress"]["spec"]["ingress"][3]["fromEndpoints"]
    assert [s["matchLabels"]["k8s:io.kubernetes.pod.namespace"] for s in ancestors] == ["tenant-root", "tenant-alice"]


def test_strict_admits_cilium_envoy_only_for_gateway_users():
    tenants = {"root": {"host": "example.org"}, "gw": {"gateway": True}, "plain": {}}
    external = _by_name(_entry(tenants, "gw"))["allow-external-communication"]["spec"]["ingress"][0]
    assert external["fromEntities"] == ["world", "host", "remote-node", "ingress"]
    external = _by_name(_entry(tenants, "plain"))["allow-external-communication"]["spec"]["ingress"][0]
    assert "ingress" not in external["fromEntities"]


def test_api_port_follows_the_cluster():
    site = make_site(ALL_SERVICES)
    site["cluster"]["api"]["port"] = 7443
    entry = {e["name"]: e for e in core.plan_tenants(site)["tenants"]}["dev"]
    rule = _by_name(entry)["allow-to-apiserver"]["spec"]["egress"][0]
    assert rule["toPorts"][0]["ports"][0]["port"] == "7443"


def test_shared_services_and_system_namespaces_are_configurable():
    entry = _entry(ALL_SERVICES, "alice", shared_services=[
        {"name": "registry", "namespace": "cozy-harbor", "ports": [{"port": 443, "protocol": "TCP"}]}],
        system_namespaces=["monitoring"])
    names = _by_name(entry)
    assert "allow-to-dashboard" not in names
    assert names["allow-to-registry"]["spec"]["egress"] == [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "cozy-harbor"}}],
        "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]
    assert names["tenant-alice-ingress"]["spec"]["ingress"][-1] == {
        "fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "monitoring"}}]}


def _ccnp_peer_selectors(obj):
    for spec in [obj["spec"]] + list(obj.get("specs") or []):
        for direction, field in (("ingress", "fromEndpoints"), ("egress", "toEndpoints"),
                                 ("ingressDeny", "fromEndpoints"), ("egressDeny", "toEndpoints")):
            for rule in spec.get(direction) or []:
                yield from rule.get(field) or []


def _names_a_namespace(selector):
    keys = list((selector.get("matchLabels") or {})) + [e["key"] for e in selector.get("matchExpressions") or []]
    return any(k.endswith("io.kubernetes.pod.namespace") or "io.cilium.k8s.namespace.labels." in k for k in keys)


@pytest.mark.parametrize("isolation", ["strict", "reference"])
def test_pitfall_23_every_cluster_wide_peer_names_a_namespace(isolation):
    """In a CCNP a selector without a namespace key matches pods of every namespace."""
    section = core.plan_tenants(make_site(ALL_SERVICES, isolation=isolation))
    unscoped = sorted(obj["metadata"]["name"] for entry in section["tenants"] for obj in entry["objects"]
                      if obj["kind"] == tp.CCNP_KIND
                      for selector in _ccnp_peer_selectors(obj) if not _names_a_namespace(selector))
    if isolation == "strict":
        assert unscoped == []
    else:  # the reference's <ns>-ingress-ingress admits every pod of the cluster
        assert unscoped == ["tenant-alice-dev-ingress-ingress", "tenant-root-ingress-ingress"]


def test_cluster_policy_names_cover_every_generated_ccnp():
    for isolation in ("strict", "reference"):
        for entry in core.plan_tenants(make_site(ALL_SERVICES, isolation=isolation))["tenants"]:
            generated = {o["metadata"]["name"] for o in entry["objects"] if o["kind"] == tp.CCNP_KIND}
            assert generated <= set(tp.cluster_policy_names(entry["namespace"]))


def test_every_object_is_labelled_with_its_tenant():
    for entry in core.plan_tenants(make_site(ALL_SERVICES))["tenants"]:
        for obj in entry["objects"][1:]:
            assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "netstack.baremetal",
                                                 "netstack.baremetal/tenant": entry["namespace"]}


# --- manifests against the schemas ------------------------------------------

def _all_objects(section):
    return [obj for entry in section["tenants"] for obj in entry["objects"]]


@pytest.mark.parametrize("isolation,variant", [("strict", "kubeovn-cilium"), ("reference", "kubeovn-cilium"),
                                               ("strict", "cilium-kilo"), ("strict", "noop")])
def test_generated_manifests_are_valid(isolation, variant):
    tenants = example_tenants()
    tenants.update(ALL_SERVICES)
    if variant.startswith("kubeovn"):
        tenants["bob"]["subnet"] = {}
        tenants["staging"]["subnet"] = {"cidr": "10.200.255.0/24"}
    section = core.plan_tenants(make_site(tenants, isolation=isolation, variant=variant))
    objects = _all_objects(section)
    kinds = {o["kind"] for o in objects}
    expected = {"Namespace"} if variant == "noop" else {"Namespace", tp.CNP_KIND, tp.CCNP_KIND}
    if variant.startswith("kubeovn"):
        expected.add("Subnet")
    assert kinds == expected
    assert validate_manifests(objects) == []


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tenant_trees(max_tenants=4))
def test_manifests_of_random_trees_are_valid(tenants):
    for isolation in ("strict", "reference"):
        assert validate_manifests(_all_objects(core.plan_tenants(make_site(tenants, isolation=isolation)))) == []


# --- the manifest validator itself ------------------------------------------

def _cnp(spec, **metadata):
    meta = {"name": "p", "namespace": "tenant-a"}
    meta.update(metadata)
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": meta, "spec": spec}


def test_validator_rejects_unknown_fields_the_crd_schema_lets_through():
    from k8s_schema import validate_manifest
    rule = {"fromEntitie": ["world"], "toPorts": [{"ports": [{"port": "80"}]}]}
    errors = validate_manifest(_cnp({"endpointSelector": {}, "egres": [], "ingress": [rule]}))
    assert errors == [".spec.egres: unknown field 'egres'", ".spec.ingress[0].fromEntitie: unknown field 'fromEntitie'"]


def test_validator_checks_types_enums_metadata_and_cel_rules():
    from k8s_schema import validate_manifest
    errors = validate_manifest(_cnp({"endpointSelector": {}, "ingress": [{"fromEntities": ["galaxy"]}]},
                                    labels={"bad key!": "x", "ok": "not valid value!"}))
    assert any("'galaxy' is not one of" in e for e in errors)
    assert any("label key 'bad key!'" in e for e in errors)
    assert any("value 'not valid value!' is not a valid label value" in e for e in errors)
    no_spec = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "p", "namespace": "a"}}
    assert validate_manifest(no_spec) == [".: spec or specs must be provided"]


def test_validator_checks_core_kinds_strictly():
    from k8s_schema import validate_manifest
    assert validate_manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-a"}}) == []
    errors = validate_manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Tenant_A"},
                                "spec": {"finalizer": []}})
    assert errors[0].startswith(".metadata.name: 'Tenant_A' is not a valid name (DNS label")
    assert any("'finalizer' was unexpected" in e for e in errors)
    assert validate_manifest({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}) == [
        "no schema for example.com/v1/Widget (neither a known CRD nor a core kind of Kubernetes 1.33.0)"]
