# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 16, "values that differ without a word": each value read back from the rendered bundle.

Every test reads the files ``plan.render_bundle`` writes (Helm values files, manifests, node patches,
``releases.yaml``, ``report.md``), not the plan's dicts, and compares them with the reference
(``../shared/reference/cozystack-facts.md``; MetalLB's frr-k8s resources from the reference's main
``packages/system/metallb/values.yaml``). Values are validated against the upstream chart schemas where
one exists (Cilium); resource blocks also as a container's ``resources`` of a Pod (kubernetes-validate:
unknown keys fail) with every quantity in Kubernetes' quantity syntax (which that schema does not check).
"""
from __future__ import absolute_import, division, print_function

import re

import jsonschema
import pytest
import yaml

import k8s_schema
from test_cluster_network_fixtures import ALLOWED, CHAINED, WITH_CILIUM, build, helm_schema, problems, render

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod

CILIUM_ONLY = [c for c in WITH_CILIUM if c not in CHAINED]
ENVOY = {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
OVS_OVN = {"requests": {"cpu": "100m", "memory": "50Mi"}, "limits": {"cpu": "4", "memory": "1000Mi"}}
# reference main packages/system/metallb/values.yaml: the speaker plus the five frr-k8s containers
METALLB_RESOURCES = {
    ("speaker",): ("50m", "64Mi", "512Mi"),
    ("frr-k8s", "frrk8s"): ("50m", "64Mi", "512Mi"),
    ("frr-k8s", "frrk8s", "frr"): ("50m", "64Mi", "512Mi"),
    ("frr-k8s", "frrk8s", "reloader"): ("10m", "16Mi", "128Mi"),
    ("frr-k8s", "frrk8s", "frrMetrics"): ("10m", "32Mi", "256Mi"),
    ("frr-k8s", "frrk8s", "frrStatus"): ("10m", "32Mi", "256Mi"),
}
# Keys of the frr-k8s subchart (metallb/frr-k8s charts/frr-k8s/values.yaml) we set; MetalLB's schema does not
# describe its subchart, so the names are pinned here.
FRR_K8S_KEYS = {("prometheus", "serviceMonitor", "enabled"), ("prometheus", "podMonitor", "enabled")} | {
    path[1:] + ("resources",) for path in METALLB_RESOURCES if path[0] == "frr-k8s"}


def _values(files, release):
    return yaml.safe_load(files["cluster_network/values/%s.yaml" % release])


def _manifest(files, release):
    (path,) = [p for p in files if p.startswith("cluster_network/manifests/") and p.endswith("-%s.yaml" % release)]
    return list(yaml.safe_load_all(files[path]))


def _releases(files):
    return yaml.safe_load(files["cluster_network/releases.yaml"])


def _dig(values, path):
    for key in path:
        values = values[key]
    return values


def _leaf_paths(values, prefix=()):
    for key, value in values.items():
        if isinstance(value, dict) and value:
            yield from _leaf_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


# resource.Quantity's serialised form (k8s.io/apimachinery/pkg/api/resource)
QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]+)?$")


def _resource_errors(resources):
    """kubernetes-validate's verdict on ``resources`` as a container's (keys), plus the quantities' syntax."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
           "spec": {"containers": [{"name": "probe", "image": "probe", "resources": resources}]}}
    errors = k8s_schema.validate_manifest(pod)
    for kind in ("requests", "limits"):
        for name, quantity in (resources.get(kind) or {}).items():
            if not QUANTITY.match(str(quantity)):
                errors.append("%s.%s: %r is not a quantity" % (kind, name, quantity))
    return errors


def _cilium_schema_errors(values):
    return [e.message for e in jsonschema.Draft7Validator(helm_schema("cilium")).iter_errors(values)]


def _features(**switches):
    def edit(inventory_vars, nodes, switches_):
        features = inventory_vars["netstack_cluster"]["features"]
        for key in ("multus", "cozy_proxy"):   # the example asks for them explicitly: back to the default
            features.pop(key, None)
        features.update(switches)
    return edit


def test_the_resource_check_is_not_vacuous():
    assert _resource_errors(ENVOY) == []
    assert _resource_errors({"requests": {"cpu": "100 m"}})
    assert _resource_errors({"request": {"cpu": "100m"}})
    assert _resource_errors({"limits": {"memory": "1GB"}})


# --- cilium-envoy ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", WITH_CILIUM)
def test_cilium_envoy_has_the_reference_resources(node_os, variant):
    values = _values(render(build(node_os, variant)), "cilium")
    assert values["envoy"] == {"enabled": True, "resources": ENVOY}
    assert _cilium_schema_errors(values) == []
    assert _resource_errors(values["envoy"]["resources"]) == []


# --- Kube-OVN ovs-ovn --------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_ovs_ovn_has_the_reference_cpu(node_os, variant):
    values = _values(render(build(node_os, variant)), "kube-ovn")
    assert values["ovs-ovn"] == OVS_OVN
    for component in ("ovn-central", "ovs-ovn", "kube-ovn-controller", "kube-ovn-cni", "kube-ovn-pinger",
                      "kube-ovn-monitor"):
        assert _resource_errors(values[component]) == [], component


# --- MetalLB frr-k8s ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", [c for c in ALLOWED if c[1] != "noop"])
@pytest.mark.parametrize("mode", ["bgp", "l2"])
def test_metallb_speaker_and_every_frr_k8s_container_have_the_reference_resources(node_os, variant, mode):
    values = _values(render(build(node_os, variant, mode=mode)), "metallb")
    for path, (cpu, memory, limit) in METALLB_RESOURCES.items():
        resources = _dig(values, path)["resources"]
        assert resources == {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": limit}}, path
        assert _resource_errors(resources) == [], path
    assert sum(1 for p in _leaf_paths(values) if "resources" in p and p[-1] == "memory" and "limits" in p) == 6
    # the subchart's keys are the chart's own names (MetalLB's schema does not describe the subchart)
    frr_k8s = values["frr-k8s"]
    assert {p[:p.index("resources") + 1] if "resources" in p else p for p in _leaf_paths(frr_k8s)} == FRR_K8S_KEYS
    assert frr_k8s["prometheus"] == {"serviceMonitor": {"enabled": False}, "podMonitor": {"enabled": False}}


# --- host firewall -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", [c for c in WITH_CILIUM if c[1] != "cilium-kilo"])
def test_host_firewall_leaves_the_protocol_out_like_the_reference(node_os, variant):
    files = render(build(node_os, variant))
    (policy,) = _manifest(files, "cilium-networkpolicy")
    assert k8s_schema.validate_manifest(policy) == []
    (deny,) = policy["spec"]["ingressDeny"]
    ports = deny["toPorts"][0]["ports"]
    assert [p["port"] for p in ports] == ["2379", "2380", "3367", "7946", "8123", "9120", "9121", "9140", "9141",
                                          "9443", "10250", "10257", "10259", "19443"]
    assert [p for p in ports if "protocol" in p] == [{"port": "7946", "protocol": "ANY"}]
    assert "TCP" not in files[[p for p in files if p.endswith("-cilium-networkpolicy.yaml")][0]]


# --- Hubble ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("node_os,variant", WITH_CILIUM)
def test_hubble_on_brings_metrics_with_dns_and_http(node_os, variant):
    files = render(build(node_os, variant, edit=_features(hubble=True)))
    values = _values(files, "cilium")
    hubble = values["hubble"]
    assert hubble["enabled"] is True and hubble["relay"] == {"enabled": True} and hubble["ui"] == {"enabled": True}
    metrics = hubble["metrics"]["enabled"]
    assert {m.split(":")[0] for m in metrics} == {"dns", "drop", "tcp", "flow", "port-distribution", "icmp",
                                                  "httpV2"}
    assert hubble["metrics"]["port"] == 9965
    assert _cilium_schema_errors(values) == []
    if variant != "cilium-kilo":
        (policy,) = _manifest(files, "cilium-networkpolicy")
        assert {"port": "9965"} in policy["spec"]["ingressDeny"][0]["toPorts"][0]["ports"]
        assert k8s_schema.validate_manifest(policy) == []


def test_hubble_off_renders_no_metrics():
    values = _values(render(build("talos", "kubeovn-cilium")), "cilium")
    assert values["hubble"] == {"enabled": False}


# --- pod addresses in the report ---------------------------------------------------------------------------

def _report(plan):
    return plan_mod.render_bundle(plan, ["plan"])["report.md"]


@pytest.mark.parametrize("node_os,variant", CILIUM_ONLY)
def test_report_shows_the_cilium_pod_range_for_cilium_only_variants(node_os, variant):
    plan = build(node_os, variant)
    report = _report(plan)
    networks = plan["networks"]
    assert "| pod CIDR (Cilium: the node podCIDRs of cluster_cidr) | %s (a /%d per node) |" % (
        networks["cluster_cidr"], networks["node_cidr_mask_size"]) in report
    assert networks["pod_cidr"] not in report and "join CIDR" not in report and "pod gateway" not in report
    # the same range is what the nodes hand out as podCIDRs (the bundle's node patches)
    nodes = plan_mod.render_bundle(plan, ["nodes"])
    text = nodes["nodes/cp1/talos-patch.yaml"] if node_os == "talos" else nodes["nodes/cp1/kubeadm.yaml"]
    assert networks["cluster_cidr"] in text and networks["pod_cidr"] not in text


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_report_shows_the_kube_ovn_pool_for_chained_variants(node_os, variant):
    plan = build(node_os, variant)
    report = _report(plan)
    assert "| pod CIDR (Kube-OVN) | %s |" % plan["networks"]["pod_cidr"] in report
    assert "| cluster CIDR (node podCIDRs: Cilium router and health addresses) | %s |" % (
        plan["networks"]["cluster_cidr"]) in report
    assert _values(render(plan), "kube-ovn")["ipv4"]["POD_CIDR"] == plan["networks"]["pod_cidr"]
    assert "| kube-proxy | off: Cilium replaces it |" in report
    assert "What variant" not in report


# --- noop: bring your own CNI ------------------------------------------------------------------------------

def _node_files(plan, node_os):
    files = plan_mod.render_bundle(plan, ["nodes"])
    if node_os == "talos":
        return yaml.safe_load_all(files["nodes/cp1/talos-patch.yaml"])
    return yaml.safe_load_all(files["nodes/cp1/kubeadm.yaml"])


def _kube_proxy_runs(plan, node_os):
    docs = list(_node_files(plan, node_os))
    if node_os == "talos":
        return docs[0]["cluster"]["proxy"]["disabled"] is False
    (init,) = [d for d in docs if d["kind"] == "InitConfiguration"]
    return "addon/kube-proxy" not in init.get("skipPhases", [])


@pytest.mark.parametrize("node_os", ["talos", "kubeadm"])
def test_noop_keeps_kube_proxy_and_installs_nothing_unasked(node_os):
    plan = build(node_os, "noop", edit=_features())
    assert _kube_proxy_runs(plan, node_os)
    files = render(plan)
    document = _releases(files)
    assert [r["name"] for r in document["releases"]] == ["namespaces", "gateway-api-crds"]
    assert not [p for p in files if "/values/" in p]
    assert document["features"]["kube_proxy"] is True
    assert document["features"]["multus"] is False and document["features"]["cozy_proxy"] is False
    assert document["load_balancer"]["installed"] is False
    notes = " ".join(document["notes"])
    assert "kube-proxy runs" in notes and "not installed: MetalLB, Multus, cozy-proxy" in notes
    report = _report(plan)
    assert "| kube-proxy | runs (Services) |" in report
    assert "| pod CIDR | your CNI's choice (node podCIDRs: 100.65.0.0/16) |" in report
    assert "### What variant noop leaves to you" in report
    assert "- not installed: MetalLB, Multus, cozy-proxy; set features.load_balancer: true" in report
    assert "10.244.0.0/16" not in report   # Kube-OVN's pool means nothing here


@pytest.mark.parametrize("node_os", ["talos", "kubeadm"])
def test_noop_installs_what_is_asked_for_and_drops_kube_proxy_when_told(node_os):
    plan = build(node_os, "noop",
                 edit=_features(kube_proxy=False, load_balancer=True, multus=True, cozy_proxy=True))
    assert not _kube_proxy_runs(plan, node_os)
    files = render(plan)
    document = _releases(files)
    assert [r["name"] for r in document["releases"]] == ["namespaces", "gateway-api-crds", "metallb",
                                                         "metallb-config", "multus", "cozy-proxy"]
    assert any("installed because asked for" in note for note in document["notes"])
    assert any("kube-proxy is off" in note for note in document["notes"])
    assert "| kube-proxy | off: your CNI must replace it |" in _report(plan)


@pytest.mark.parametrize("node_os,variant", WITH_CILIUM)
def test_cilium_variants_turn_kube_proxy_off_and_refuse_it_on(node_os, variant):
    assert not _kube_proxy_runs(build(node_os, variant), node_os)
    found = problems(node_os, variant, edit=_features(kube_proxy=True))
    assert [p.path for p in found] == ["netstack_cluster.features.kube_proxy"]
    assert "kubeProxyReplacement" in found[0].message


def test_load_balancer_can_be_left_out_with_a_cilium_variant_too():
    plan = build("talos", "kubeovn-cilium", edit=_features(load_balancer=False))
    document = _releases(render(plan))
    names = [r["name"] for r in document["releases"]]
    assert "metallb" not in names and "metallb-config" not in names
    assert "multus" in names and "cozy-proxy" in names   # default on outside noop
    assert any("features.load_balancer is off" in note for note in document["notes"])
    assert "cozy-metallb" not in [o["metadata"]["name"] for o in _manifest(render(plan), "namespaces")]
