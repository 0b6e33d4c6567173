# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every allowed variant x node OS: what gets installed, in which order, with the values that make it work."""
from __future__ import absolute_import, division, print_function

import pytest

from test_cluster_network_fixtures import (ALLOWED, CHAINED, REFUSED, WITH_CILIUM, build, objects, problems, release,
                                           release_names)

from ansible_collections.netstack.baremetal.plugins.module_utils import variants

EXPECTED_ORDER = {
    "kubeovn-cilium": ["namespaces", "gateway-api-crds", "cilium-cni-configuration", "cilium", "cilium-networkpolicy",
                       "kube-ovn", "port-security", "metallb", "metallb-config", "multus", "cozy-proxy"],
    "cilium": ["namespaces", "gateway-api-crds", "cilium", "cilium-networkpolicy", "metallb", "metallb-config",
               "multus", "cozy-proxy"],
    "cilium-kilo": ["namespaces", "gateway-api-crds", "cilium", "kilo", "metallb", "metallb-config", "multus",
                    "cozy-proxy"],
    # the example inventory asks for Multus and cozy-proxy explicitly; the load balancer is noop's default (off)
    "noop": ["namespaces", "gateway-api-crds", "multus", "cozy-proxy"],
}
EXPECTED_ORDER["kubeovn-cilium-generic"] = EXPECTED_ORDER["kubeovn-cilium"]
EXPECTED_ORDER["cilium-generic"] = EXPECTED_ORDER["cilium"]


def test_the_matrix_covers_every_allowed_combination():
    assert sorted(ALLOWED) == sorted((os_, v) for os_, names in variants.ALLOWED.items() for v in names)
    assert {v for _os, v in ALLOWED} == set(variants.VARIANTS)


@pytest.mark.parametrize("node_os,variant", ALLOWED)
def test_release_order_is_the_reference_order(node_os, variant):
    plan = build(node_os, variant)
    assert release_names(plan) == EXPECTED_ORDER[variant]
    assert [r["order"] for r in plan["cluster_network"]["releases"]] == list(range(len(EXPECTED_ORDER[variant])))


@pytest.mark.parametrize("node_os,variant", REFUSED)
def test_variant_for_the_other_node_os_is_refused_at_plan_time(node_os, variant):
    found = problems(node_os, variant)
    assert [p.path for p in found] == ["netstack_cluster.variant"]
    hint = (found[0].message + found[0].hint)
    assert ("kubeadm" in hint) or ("Talos" in hint) or ("talos" in hint)


def test_cilium_kilo_on_kubeadm_names_the_reason():
    found = problems("kubeadm", "cilium-kilo")
    assert "KubePrism" in found[0].message and "cilium-generic" in found[0].hint


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_chained_mode_kube_ovn_policy_and_lb_off_cilium_generic_veth(node_os, variant):
    plan = build(node_os, variant)
    cilium = release(plan, "cilium")["values"]
    kube_ovn = release(plan, "kube-ovn")["values"]
    assert kube_ovn["func"] == {"ENABLE_NP": False, "ENABLE_LB": False}
    assert cilium["cni"] == {"chainingMode": "generic-veth", "chainingTarget": "kube-ovn", "customConf": True,
                             "configMap": "cni-configuration"}
    assert cilium["devices"] == "ovn0 genev_sys_6081" and cilium["forceDeviceDetection"] is True
    assert cilium["routingMode"] == "native" and cilium["autoDirectNodeRoutes"] is False
    assert cilium["bpf"]["masquerade"] is False
    assert cilium["enableIPv4Masquerade"] is False and cilium["enableIPv6Masquerade"] is False
    assert cilium["kubeProxyReplacement"] is True
    # the chained conflist the ConfigMap carries: kube-ovn, portmap, cilium-cni, in that order
    (configmap,) = release(plan, "cilium-cni-configuration")["objects"]
    import json
    conflist = json.loads(configmap["data"]["cni-config"])
    assert conflist["name"] == "generic-veth" and conflist["cniVersion"] == "0.3.1"
    assert [p["type"] for p in conflist["plugins"]] == ["kube-ovn", "portmap", "cilium-cni"]
    assert conflist["plugins"][0]["ipam"] == {"type": "kube-ovn",
                                              "server_socket": "/run/openvswitch/kube-ovn-daemon.sock"}
    assert configmap["metadata"]["namespace"] == release(plan, "cilium")["namespace"]
    # Kube-OVN's own conflist must lose the sort against Cilium's 05-cilium.conflist
    assert kube_ovn["cni_conf"]["CNI_CONFIG_PRIORITY"] == "10"


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_kube_ovn_ranges_masters_and_dirs_come_from_the_plan(node_os, variant):
    plan = build(node_os, variant)
    values = release(plan, "kube-ovn")["values"]
    networks = plan["networks"]
    assert values["ipv4"] == {"POD_CIDR": networks["pod_cidr"], "POD_GATEWAY": networks["pod_gateway"],
                              "SVC_CIDR": networks["service_cidr"], "JOIN_CIDR": networks["join_cidr"]}
    masters = [n["addresses"]["nodes"] for n in plan["nodes"].values() if n["role"] == "control-plane"]
    assert values["MASTER_NODES"] == ",".join(masters) == "10.10.0.11,10.10.0.12,10.10.0.13"
    # kubeadm and Talos both label control planes with value "": the bare key matches it (pitfall 6)
    assert values["MASTER_NODES_LABEL"] == "node-role.kubernetes.io/control-plane"
    assert values["namespace"] == release(plan, "kube-ovn")["namespace"] == "cozy-kubeovn"
    for key in ("OPENVSWITCH_DIR", "OVN_DIR", "OVN_IPSEC_KEY_DIR"):
        assert values[key].startswith("/var/lib/")
    assert values["DISABLE_MODULES_MANAGEMENT"] is True
    assert values["networking"]["ENABLE_SSL"] is True


def test_master_nodes_label_follows_an_explicit_inventory_label():
    def label(inventory_vars, nodes, switches):
        for node in nodes.values():
            if node["role"] == "control-plane":
                node["netstack_node"]["labels"] = {"node-role.kubernetes.io/control-plane": "true"}
    plan = build("kubeadm", "kubeovn-cilium-generic", edit=label)
    assert release(plan, "kube-ovn")["values"]["MASTER_NODES_LABEL"] == "node-role.kubernetes.io/control-plane=true"


@pytest.mark.parametrize("variant", ["kubeovn-cilium-generic", "cilium-generic"])
def test_kubeadm_points_cilium_at_the_api_vip(variant):
    plan = build("kubeadm", variant)
    values = release(plan, "cilium")["values"]
    assert values["k8sServiceHost"] == plan["api"]["vip"] == "10.10.0.5"
    assert values["k8sServicePort"] == plan["api"]["port"] == 6443
    assert values["cgroup"]["autoMount"]["enabled"] is True
    annotations = values["podAnnotations"]
    assert annotations["container.apparmor.security.beta.kubernetes.io/cilium-agent"] == "unconfined"
    assert len(annotations) == 4
    assert plan["cluster_network"]["api_access"]["via"] == "api-vip"


def test_kubeadm_api_port_is_the_inventory_port():
    def port(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["api"]["port"] = 16443
    values = release(build("kubeadm", "cilium-generic", edit=port), "cilium")["values"]
    assert (values["k8sServiceHost"], values["k8sServicePort"]) == ("10.10.0.5", 16443)


@pytest.mark.parametrize("variant", ["kubeovn-cilium", "cilium", "cilium-kilo"])
def test_talos_points_cilium_at_kubeprism(variant):
    values = release(build("talos", variant), "cilium")["values"]
    assert (values["k8sServiceHost"], values["k8sServicePort"]) == ("localhost", 7445)
    assert values["cgroup"] == {"autoMount": {"enabled": False}, "hostRoot": "/sys/fs/cgroup"}
    assert "podAnnotations" not in values
    # Talos forbids SYS_MODULE; the reference strips it from the chart
    assert "SYS_MODULE" not in values["securityContext"]["capabilities"]["ciliumAgent"]
    assert "SYS_MODULE" not in values["securityContext"]["capabilities"]["cleanCiliumState"]


def test_cilium_kilo_has_no_host_firewall_and_no_policy_release():
    plan = build("talos", "cilium-kilo")
    assert release(plan, "cilium")["values"]["hostFirewall"] == {"enabled": False}
    assert release(plan, "cilium-networkpolicy") is None
    assert plan["cluster_network"]["features"]["host_firewall"] is False
    assert any("cilium-kilo" in note for note in plan["cluster_network"]["notes"])
    (daemonset,) = [o for o in release(plan, "kilo")["objects"] if o["kind"] == "DaemonSet"]
    args = daemonset["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--subnet=%s" % plan["networks"]["kilo_transit_cidr"] in args
    assert {"--cni=false", "--compatibility=cilium", "--encapsulate=crosssubnet",
            "--mesh-granularity=location", "--internal-cidr=$(NODE_IP)/32"} <= set(args)
    (kubeconfig,) = [o for o in release(plan, "kilo")["objects"] if o["kind"] == "ConfigMap"]
    assert "server: https://127.0.0.1:7445" in kubeconfig["data"]["kubeconfig"]


@pytest.mark.parametrize("node_os,variant", [c for c in WITH_CILIUM if c[1] != "cilium-kilo"])
def test_host_firewall_is_on_by_default_where_the_reference_has_it(node_os, variant):
    plan = build(node_os, variant)
    assert release(plan, "cilium")["values"]["hostFirewall"] == {"enabled": True}
    (policy,) = release(plan, "cilium-networkpolicy")["objects"]
    assert policy["kind"] == "CiliumClusterwideNetworkPolicy"
    assert policy["metadata"]["name"] == "restrict-system-components"
    assert policy["spec"]["nodeSelector"] == {"matchLabels": {}}
    assert policy["spec"]["ingress"] == [{"fromEntities": ["world", "host", "cluster"]}]
    (deny,) = policy["spec"]["ingressDeny"]
    assert deny["fromEntities"] == ["world"]
    ports = {p["port"]: p.get("protocol") for p in deny["toPorts"][0]["ports"]}
    assert {"2379", "2380", "10250", "10257", "10259"} <= set(ports) and ports["7946"] == "ANY"
    assert not {"6443", "50000", "50001", "80", "443"} & set(ports)
    # as the reference: no port is pinned to TCP, only 7946 names a protocol (ANY); omitted means all
    assert {port: proto for port, proto in ports.items() if proto is not None} == {"7946": "ANY"}
    assert "9965" not in ports   # Hubble's metrics port, only with Hubble on


def test_host_firewall_can_be_turned_off():
    def off(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["host_firewall"] = False
    plan = build("talos", "kubeovn-cilium", edit=off)
    assert release(plan, "cilium-networkpolicy") is None
    assert release(plan, "cilium")["values"]["hostFirewall"] == {"enabled": False}


@pytest.mark.parametrize("node_os,variant", WITH_CILIUM)
def test_hubble_is_off_by_default(node_os, variant):
    plan = build(node_os, variant)
    assert release(plan, "cilium")["values"]["hubble"] == {"enabled": False}


@pytest.mark.parametrize("node_os,variant", WITH_CILIUM)
def test_hubble_on_brings_relay_and_ui(node_os, variant):
    def on(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["hubble"] = True
    plan = build(node_os, variant, edit=on)
    hubble = release(plan, "cilium")["values"]["hubble"]
    assert {key: hubble[key] for key in ("enabled", "relay", "ui")} == {
        "enabled": True, "relay": {"enabled": True}, "ui": {"enabled": True}}
    assert hubble["metrics"]["enabled"]   # Prometheus metrics too (test_cluster_network_reference_values.py)
    if variant.startswith("kubeovn"):
        # the relay and UI need the pod network, so they are waited for after Kube-OVN, not with Cilium
        assert release(plan, "cilium")["helm_wait"] is False
        waited = [w["name"] for w in release(plan, "kube-ovn")["wait_for"]]
        assert waited == ["hubble-relay", "hubble-ui"]
    else:
        assert release(plan, "cilium")["helm_wait"] is True


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_chained_cilium_waits_for_agent_and_operator_only(node_os, variant):
    rel = release(build(node_os, variant), "cilium")
    assert rel["helm_wait"] is False
    waited = [(w["kind"], w["name"]) for w in rel["wait_for"]]
    assert waited == [("DaemonSet", "cilium"), ("Deployment", "cilium-operator")]


def test_gateway_api_follows_the_feature():
    on = build("talos", "kubeovn-cilium")
    crds = release(on, "gateway-api-crds")
    assert crds["url"].endswith("/v1.5.1/experimental-install.yaml") and crds["channel"] == "experimental"
    assert release(on, "cilium")["values"]["gatewayAPI"] == {"enabled": True, "enableAlpn": True}
    assert release_names(on).index("gateway-api-crds") < release_names(on).index("cilium")

    def off(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["gateway_api"]["enabled"] = False
        for tenant in inventory_vars.get("netstack_tenants", {}).values():
            tenant.pop("gateway", None)
    plan = build("talos", "kubeovn-cilium", edit=off)
    assert release(plan, "gateway-api-crds") is None
    assert release(plan, "cilium")["values"]["gatewayAPI"] == {"enabled": False}


def test_http2_off_turns_alpn_off():
    def no_h2(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["gateway_api"]["http2"] = False
    values = release(build("talos", "cilium", edit=no_h2), "cilium")["values"]
    assert values["gatewayAPI"] == {"enabled": True, "enableAlpn": False}


@pytest.mark.parametrize("node_os,variant", ALLOWED)
def test_multus_master_cni_per_variant(node_os, variant):
    plan = build(node_os, variant)
    (config,) = [o for o in release(plan, "multus")["objects"] if o["kind"] == "ConfigMap"]
    import json
    daemon = json.loads(config["data"]["daemon-config.json"])
    assert daemon["multusConfigFile"] == "auto"
    if variant == "noop":
        assert "multusMasterCNI" not in daemon  # auto-detected: the CNI is not ours
    else:
        assert daemon["multusMasterCNI"] == "05-cilium.conflist"


@pytest.mark.parametrize("node_os,variant", [("talos", "cilium"), ("talos", "cilium-kilo"),
                                             ("kubeadm", "cilium-generic")])
def test_cilium_as_cni_leaves_multus_config_alone(node_os, variant):
    assert release(build(node_os, variant), "cilium")["values"]["cni"]["exclusive"] is False

    def no_multus(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["multus"] = False
    plan = build(node_os, variant, edit=no_multus)
    assert release(plan, "cilium")["values"]["cni"]["exclusive"] is True
    assert release(plan, "multus") is None


@pytest.mark.parametrize("node_os,variant", [("talos", "cilium"), ("kubeadm", "cilium-generic")])
def test_cilium_only_pins_the_datapath_defaults(node_os, variant):
    values = release(build(node_os, variant), "cilium")["values"]
    assert (values["routingMode"], values["tunnelProtocol"]) == ("tunnel", "vxlan")
    assert "chainingMode" not in values["cni"] and "devices" not in values


@pytest.mark.parametrize("node_os", ["talos", "kubeadm"])
def test_noop_installs_no_cni_and_says_so(node_os):
    plan = build(node_os, "noop")
    names = release_names(plan)
    assert not {"cilium", "kube-ovn", "kilo", "cilium-networkpolicy", "cilium-cni-configuration"} & set(names)
    assert plan["cluster_network"]["cni"] is None
    notes = plan["cluster_network"]["notes"]
    assert any("noop installs no CNI" in note for note in notes)
    assert any("features.host_firewall is ignored" in note for note in notes)
    # the CRDs need no CNI: the tenants' Gateways still get their API, the controller is the user's
    assert "gateway-api-crds" in names
    assert any("controller (GatewayClass 'cilium') must come with your own CNI" in note for note in notes)


def test_noop_without_gateway_api_installs_no_crds():
    def off(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["gateway_api"]["enabled"] = False
        for tenant in inventory_vars.get("netstack_tenants", {}).values():
            tenant.pop("gateway", None)
    plan = build("talos", "noop", edit=off)
    assert release(plan, "gateway-api-crds") is None


def test_noop_refuses_cilium_as_load_balancer_when_asked_to_install_it():
    # noop installs no load balancer unless asked, so the implementation alone is no problem
    assert problems("talos", "noop", implementation="cilium", mode="l2") == []

    def ask(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["features"]["load_balancer"] = True
    found = problems("talos", "noop", implementation="cilium", mode="l2", edit=ask)
    assert [p.path for p in found] == ["netstack_load_balancer.implementation"]


@pytest.mark.parametrize("node_os,variant", ALLOWED)
def test_namespaces_are_privileged_system_namespaces_applied_first(node_os, variant):
    plan = build(node_os, variant)
    first = plan["cluster_network"]["releases"][0]
    assert first["name"] == "namespaces"
    created = {o["metadata"]["name"]: o["metadata"]["labels"] for o in first["objects"]}
    used = {r["namespace"] for r in plan["cluster_network"]["releases"] if r["kind"] == "helm"}
    used |= {o["metadata"]["namespace"] for o in objects(plan) if o["metadata"].get("namespace")}
    assert used == set(created)
    for labels in created.values():
        assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
        assert labels["cozystack.io/system"] == "true"


@pytest.mark.parametrize("node_os,variant", CHAINED)
def test_cluster_cidr_overlapping_the_kube_ovn_pool_is_refused(node_os, variant):
    def same(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["networks"]["cluster_cidr"] = "10.244.0.0/16"
    assert "netstack_cluster.networks.cluster_cidr" in [p.path for p in problems(node_os, variant, edit=same)]

    def inside(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["networks"]["cluster_cidr"] = "10.244.128.0/17"
    assert any("overlaps" in p.message for p in problems(node_os, variant, edit=inside))


def test_cilium_only_variants_do_not_care_about_the_unused_kube_ovn_pool():
    def same(inventory_vars, nodes, switches):
        inventory_vars["netstack_cluster"]["networks"]["cluster_cidr"] = "10.244.0.0/16"
    assert problems("talos", "cilium", edit=same) == []
