# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster network bundle, chart sources and overrides, and the invariants overrides may not break."""
from __future__ import absolute_import, division, print_function

import re

import pytest
import yaml

from test_cluster_network_fixtures import ALLOWED, BOTH_LB, REPO, build, problems, release, render

from ansible_collections.netstack.baremetal.plugins.module_utils import charts, schema


@pytest.mark.parametrize("node_os,variant", ALLOWED)
def test_bundle_files_mirror_the_plan(node_os, variant):
    plan = build(node_os, variant)
    files = render(plan)
    assert all(path.startswith("cluster_network/") for path in files)
    document = yaml.safe_load(files["cluster_network/releases.yaml"])
    assert [r["name"] for r in document["releases"]] == [r["name"] for r in plan["cluster_network"]["releases"]]
    expected = {"cluster_network/releases.yaml"}
    for rel in plan["cluster_network"]["releases"]:
        if rel["kind"] == "helm":
            text = files["cluster_network/" + rel["values_file"]]
            assert text.startswith("# Helm values of release %s/%s" % (rel["namespace"], rel["release"]))
            assert yaml.safe_load(text) == rel["values"]
            expected.add("cluster_network/" + rel["values_file"])
        elif rel["kind"] == "manifests":
            assert re.match(r"^manifests/\d\d-%s\.yaml$" % re.escape(rel["name"]), rel["manifest_file"])
            docs = list(yaml.safe_load_all(files["cluster_network/" + rel["manifest_file"]]))
            assert docs == rel["objects"]
            expected.add("cluster_network/" + rel["manifest_file"])
    assert set(files) == expected


@pytest.mark.parametrize("implementation,mode", BOTH_LB)
def test_bundle_is_deterministic(implementation, mode):
    first = render(build("talos", "kubeovn-cilium", implementation=implementation, mode=mode))

    def same(inventory_vars, nodes, switches):
        pass
    second = render(build("talos", "kubeovn-cilium", implementation=implementation, mode=mode, edit=same))
    assert first == second


@pytest.mark.parametrize("implementation,mode", BOTH_LB)
def test_no_secret_value_in_the_bundle_or_the_plan(implementation, mode):
    plan = build("talos", "kubeovn-cilium", implementation=implementation, mode=mode)
    secret = "example-only-not-secret"  # inventories/example/group_vars/all/secrets.yml
    assert secret not in yaml.safe_dump(plan)
    assert not any(secret in text for text in render(plan).values())


def test_releases_yaml_names_where_secrets_come_from():
    document = yaml.safe_load(render(build())["cluster_network/releases.yaml"])
    (config,) = [r for r in document["releases"] if r["name"] == "metallb-config"]
    assert config["secrets_from_inventory"] == [{"namespace": "cozy-metallb", "name": "netstack-bgp-password",
                                                 "key": "password", "variable": "vault_netstack_bgp_password"}]


def test_default_chart_references_are_the_pins():
    plan = build()
    cilium = release(plan, "cilium")
    assert cilium["chart"] == {"type": "repo", "name": "cilium", "version": "1.19.5", "chart_ref": "cilium",
                               "chart_repo_url": "https://helm.cilium.io/"}
    assert (cilium["namespace"], cilium["release"]) == ("cozy-cilium", "cilium")
    kube_ovn = release(plan, "kube-ovn")
    assert (kube_ovn["chart"]["version"], kube_ovn["namespace"], kube_ovn["release"]) == (
        "v1.15.10", "cozy-kubeovn", "kubeovn")
    metallb = release(plan, "metallb")
    assert (metallb["chart"]["version"], metallb["namespace"]) == ("0.16.1", "cozy-metallb")


def _components(value):
    def edit(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["components"] = value
    return edit


def test_air_gapped_chart_sources():
    plan = build(edit=_components({
        "cilium": {"repo": "https://charts.mirror.example/cilium", "version": "1.19.6"},
        "kube_ovn": {"repo": "oci://registry.example/charts"},
        "metallb": {"path": "/srv/charts/metallb-0.16.1.tgz", "repo": "https://ignored.example"},
        "gateway_api_crds": {"url": "https://files.example/gateway-api/{version}/{channel}.yaml"},
        "multus": {"image": "registry.example/multus-cni:v4.3.0-thick"},
    }))
    assert release(plan, "cilium")["chart"] == {
        "type": "repo", "name": "cilium", "version": "1.19.6", "chart_ref": "cilium",
        "chart_repo_url": "https://charts.mirror.example/cilium"}
    assert release(plan, "kube-ovn")["chart"] == {
        "type": "oci", "name": "kube-ovn", "version": "v1.15.10", "chart_ref": "oci://registry.example/charts/kube-ovn",
        "chart_repo_url": None}
    assert release(plan, "metallb")["chart"] == {
        "type": "path", "name": "metallb", "version": None, "chart_ref": "/srv/charts/metallb-0.16.1.tgz",
        "chart_repo_url": None}
    assert release(plan, "gateway-api-crds")["url"] == "https://files.example/gateway-api/v1.5.1/experimental.yaml"
    (daemonset,) = [o for o in release(plan, "multus")["objects"] if o["kind"] == "DaemonSet"]
    spec = daemonset["spec"]["template"]["spec"]
    assert {c["image"] for c in spec["containers"] + spec["initContainers"]} == {
        "registry.example/multus-cni:v4.3.0-thick"}


def test_gateway_api_crds_from_a_local_file():
    plan = build(edit=_components({"gateway_api_crds": {"path": "/srv/gateway-api/experimental-install.yaml",
                                                        "checksum": "sha256:" + "a" * 64}}))
    crds = release(plan, "gateway-api-crds")
    assert crds["path"] == "/srv/gateway-api/experimental-install.yaml"
    assert crds["checksum"] == "sha256:" + "a" * 64


def test_namespaces_and_release_names_can_be_moved():
    plan = build(edit=_components({"cilium": {"namespace": "kube-system"},
                                   "metallb": {"namespace": "metallb-system", "release": "lb"}}))
    assert release(plan, "cilium")["namespace"] == "kube-system"
    (configmap,) = release(plan, "cilium-cni-configuration")["objects"]
    assert configmap["metadata"]["namespace"] == "kube-system"
    assert (release(plan, "metallb")["namespace"], release(plan, "metallb")["release"]) == ("metallb-system", "lb")
    assert {o["metadata"]["namespace"] for o in release(plan, "metallb-config")["objects"]} == {"metallb-system"}
    assert release(plan, "metallb-config")["secrets"][0]["namespace"] == "metallb-system"
    names = [o["metadata"]["name"] for o in release(plan, "namespaces")["objects"]]
    assert "kube-system" in names and "metallb-system" in names and "cozy-cilium" not in names


def test_extra_values_are_deep_merged_last():
    plan = build(edit=_components({"cilium": {"values": {"operator": {"replicas": 2},
                                                         "image": {"repository": "registry.example/cilium"}}},
                                   "kube_ovn": {"values": {"networking": {"NET_STACK": "ipv4"}}}}))
    values = release(plan, "cilium")["values"]
    assert values["operator"] == {"rollOutPods": True, "replicas": 2}
    assert values["image"] == {"repository": "registry.example/cilium"}
    assert release(plan, "cilium")["layers"][-1] == "inventory"
    assert release(plan, "kube-ovn")["values"]["networking"] == {"ENABLE_SSL": True, "NET_STACK": "ipv4"}


@pytest.mark.parametrize("component,values,path", [
    ("cilium", {"cni": {"chainingMode": "none"}}, "netstack_cluster.components.cilium.values.cni.chainingMode"),
    ("cilium", {"k8sServiceHost": ""}, "netstack_cluster.components.cilium.values.k8sServiceHost"),
    ("cilium", {"enableIPv4Masquerade": True}, "netstack_cluster.components.cilium.values.enableIPv4Masquerade"),
    ("cilium", {"hubble": {"enabled": True}}, "netstack_cluster.components.cilium.values.hubble.enabled"),
    ("kube_ovn", {"func": {"ENABLE_NP": True}}, "netstack_cluster.components.kube_ovn.values.func.ENABLE_NP"),
    ("kube_ovn", {"MASTER_NODES": ""}, "netstack_cluster.components.kube_ovn.values.MASTER_NODES"),
])
def test_values_that_break_the_variant_are_refused(component, values, path):
    found = problems(edit=_components({component: {"values": values}}))
    assert [p.path for p in found] == [path]


def test_kubeadm_values_cannot_drop_the_api_endpoint():
    found = problems("kubeadm", "kubeovn-cilium-generic",
                     edit=_components({"cilium": {"values": {"k8sServicePort": 443}}}))
    assert [p.path for p in found] == ["netstack_cluster.components.cilium.values.k8sServicePort"]


@pytest.mark.parametrize("value,path", [
    ({"cilium": {"repo": "ftp://x"}}, "netstack_cluster.components.cilium.repo"),
    ({"cilium": {"bogus": 1}}, "netstack_cluster.components.cilium.bogus"),
    ({"kubeovn": {}}, "netstack_cluster.components.kubeovn"),
    ({"multus": {"timeout": 5}}, "netstack_cluster.components.multus.timeout"),
    ({"gateway_api_crds": {"version": "1.5"}}, "netstack_cluster.components.gateway_api_crds.version"),
])
def test_component_overrides_are_validated(value, path):
    assert path in [p.path for p in problems(edit=_components(value))]


def test_bgp_speakers_scope_is_validated():
    def bad(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["bgp_speakers"] = {"scope": "switch"}
    assert [p.path for p in problems(edit=bad)] == ["netstack_cluster.bgp_speakers.scope"]


def test_every_pin_is_documented():
    text = (REPO / "docs" / "cluster_network.md").read_text()
    for name, pin in charts.HELM_CHARTS.items():
        assert "`%s`" % pin["version"] in text and pin["repo"] in text, name
    for name, pin in charts.MANIFEST_COMPONENTS.items():
        assert pin["image"] in text, name
    assert charts.GATEWAY_API_CRDS["version"] in text


def test_schema_fragment_names_every_component():
    props = schema.CLUSTER_SCHEMA["properties"]["components"]["properties"]
    assert set(props) == set(charts.COMPONENT_NAMES)


def test_the_example_plan_renders_through_the_engine():
    plan = build()
    files = render(plan)
    assert len(files) == 1 + 3 + 7  # releases.yaml, 3 values files, 7 manifest files (port-security among them)
    assert plan["cluster_network"]["variant"] == "kubeovn-cilium"
