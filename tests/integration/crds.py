# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CustomResourceDefinitions for the real-API tests, rebuilt from the upstream CRD schemas in ``../shared/schemas``.

The test API server has no operators: nothing installs Cilium's CRDs (cilium-operator does that on a real
cluster), and the stand-in chart is not MetalLB's (whose chart ships ``metallb.io``). ``crd_documents(group)``
turns ``shared/schemas/crds/<group>/<kind>_<version>.json`` (whole-manifest JSON Schemas converted from the
upstream CRDs, see that folder's README and ``sources.json`` for provenance) back into CRDs, so the objects
the playbooks apply are validated by the real server against the real schemas (types, enums, unknown fields
under strict field validation, CEL rules). Without ``../shared/schemas`` (a user's machine) the CRDs keep
``x-kubernetes-preserve-unknown-fields`` and only check kinds and names: ``REAL_SCHEMAS`` says which.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import glob
import json
import os

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMAS_DIR = os.environ.get("NETSTACK_SCHEMAS_DIR") or os.path.join(os.path.dirname(REPO_ROOT), "shared",
                                                                     "schemas")
REAL_SCHEMAS = os.path.isfile(os.path.join(SCHEMAS_DIR, "sources.json"))

# Scope is not in the schema files; every kind we build that is cluster-scoped upstream.
CLUSTER_SCOPED = {
    "GatewayClass", "CiliumClusterwideNetworkPolicy", "CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy",
    "CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfig",
    "CiliumBGPNodeConfigOverride", "CiliumCIDRGroup", "CiliumNode", "CiliumIdentity", "CiliumPodIPPool",
    "CiliumClusterwideEnvoyConfig", "CiliumEgressGatewayPolicy", "CiliumDatapathPlugin", "CiliumGatewayClassConfig",
    # Kube-OVN (the tenants area's per-tenant Subnet) and cert-manager
    "Subnet", "Vpc", "IP", "Vlan", "ProviderNetwork", "ClusterIssuer",
}
# Without the schemas: the kinds the cluster network applies, with their plurals and versions.
FALLBACK = {
    "metallb.io": [("IPAddressPool", "ipaddresspools", ["v1beta1"]),
                   ("L2Advertisement", "l2advertisements", ["v1beta1"]),
                   ("BGPAdvertisement", "bgpadvertisements", ["v1beta1"]), ("BFDProfile", "bfdprofiles", ["v1beta1"]),
                   ("BGPPeer", "bgppeers", ["v1beta2"])],
    "cilium.io": [("CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", ["v2"]),
                  ("CiliumLoadBalancerIPPool", "ciliumloadbalancerippools", ["v2"]),
                  ("CiliumL2AnnouncementPolicy", "ciliuml2announcementpolicies", ["v2alpha1"]),
                  ("CiliumBGPClusterConfig", "ciliumbgpclusterconfigs", ["v2"]),
                  ("CiliumBGPPeerConfig", "ciliumbgppeerconfigs", ["v2"]),
                  ("CiliumBGPAdvertisement", "ciliumbgpadvertisements", ["v2"])],
    "gateway.networking.k8s.io": [("Gateway", "gateways", ["v1"]), ("GatewayClass", "gatewayclasses", ["v1"]),
                                  ("HTTPRoute", "httproutes", ["v1"]), ("TLSRoute", "tlsroutes", ["v1"]),
                                  ("ReferenceGrant", "referencegrants", ["v1"])],
}
_STRIP = ("$schema", "title", "x-kubernetes-group-version-kind", "x-source", "x-kubernetes-deprecated",
          "x-kubernetes-deprecation-warning")


_CRD_EXTENSIONS = {"x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource",
                   "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
                   "x-kubernetes-validations"}


def _props(node):
    """A schema node back in CRD form: the upstream (Go) pattern restored, converter-only keys dropped."""
    if isinstance(node, list):
        return [_props(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            result[key] = {name: _props(sub) for name, sub in value.items()}
        elif key.startswith("x-") and key not in _CRD_EXTENSIONS:
            continue
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            result[key] = _props(value)
        else:
            result[key] = copy.deepcopy(value)
    if "x-kubernetes-original-pattern" in node:
        result["pattern"] = node["x-kubernetes-original-pattern"]
    return result


def _schema_version(schema):
    """The whole-manifest JSON Schema as a CRD ``openAPIV3Schema`` (apiVersion/kind/metadata left to the server)."""
    result = _props({k: v for k, v in schema.items() if k not in _STRIP})
    properties = result.setdefault("properties", {})
    for key in ("apiVersion", "kind"):
        properties[key] = {"type": "string"}
    properties["metadata"] = {"type": "object"}
    result["type"] = "object"
    return result


def _files(group, channel):
    folder = os.path.join(SCHEMAS_DIR, "crds", group)
    if group.startswith("gateway.networking") and channel == "experimental":
        folder = os.path.join(folder, "experimental")
    return sorted(glob.glob(os.path.join(folder, "*.json")))


def crd_documents(group, channel="experimental"):
    """The CRDs of an API group as a list of dicts (Gateway API: the given channel)."""
    if not REAL_SCHEMAS:
        return [_fallback(group, kind, plural, versions) for kind, plural, versions in FALLBACK[group]]
    with open(os.path.join(SCHEMAS_DIR, "sources.json")) as handle:
        sources = {entry["file"]: entry for entry in json.load(handle)["crds"]}
    kinds = {}
    for path in _files(group, channel):
        with open(path) as handle:
            schema = json.load(handle)
        gvk = schema["x-kubernetes-group-version-kind"][0]
        entry = sources.get(os.path.relpath(path, SCHEMAS_DIR), {})
        upstream = os.path.basename(entry.get("source", {}).get("path", ""))
        plural = upstream[:-len(".yaml")].split("_")[-1] if upstream else gvk["kind"].lower() + "s"
        crd = kinds.setdefault(gvk["kind"], {"plural": plural, "versions": []})
        crd["versions"].append({"name": gvk["version"], "served": entry.get("served", True),
                                "storage": entry.get("storage", False),
                                "deprecated": entry.get("deprecated", False),
                                "schema": {"openAPIV3Schema": _schema_version(schema)}})
    documents = []
    for kind, crd in sorted(kinds.items()):
        versions = crd["versions"]
        if not any(v["storage"] for v in versions):
            versions[0]["storage"] = True
        for version in versions:
            if not version["deprecated"]:
                del version["deprecated"]
        documents.append(_crd(group, kind, crd["plural"], versions))
    return documents


def _fallback(group, kind, plural, versions):
    return _crd(group, kind, plural, [
        {"name": name, "served": True, "storage": index == 0,
         "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
        for index, name in enumerate(versions)])


def _crd(group, kind, plural, versions):
    annotations = {"netstack.io/test-crd": "rebuilt from shared/schemas" if REAL_SCHEMAS else "stand-in, no schema"}
    if group.endswith(".k8s.io"):  # a protected group: upstream carries the approval annotation too
        annotations["api-approved.kubernetes.io"] = "https://github.com/kubernetes-sigs/gateway-api/pull/3328"
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (plural, group), "annotations": annotations},
        "spec": {"group": group, "names": {"kind": kind, "plural": plural, "singular": kind.lower(),
                                           "listKind": kind + "List"},
                 "scope": "Cluster" if kind in CLUSTER_SCOPED else "Namespaced",
                 "versions": versions},
    }
