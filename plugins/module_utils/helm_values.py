# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm values of the charts we install: Cilium, Kube-OVN, MetalLB.

The Cilium values are built the way the reference stacks its values files
(``cozystack-facts.md`` 1.2-1.4 and 1.8): a base, the node-OS layer (Talos or
generic), the variant layer (Kube-OVN chaining or Kilo), then our own layer
(Hubble, Gateway API, the load-balancer implementation, Multus) and last the
user's ``values`` override.  Each function takes the planner's context dict
(see ``cluster_network._context``) and returns plain data; nothing here reads
the inventory directly.

Values are for the upstream charts (the reference wraps them as subcharts, so
its keys sit under ``cilium:`` / ``kube-ovn:``; ours are at the top level).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# Upstream's agent capabilities minus SYS_MODULE: the reference deletes SYS_MODULE from its vendored chart
# (Talos forbids it; modules are loaded by the node OS), so we say the same thing in values.
CILIUM_AGENT_CAPABILITIES = ["CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE",
                             "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID", "SYSLOG"]
CILIUM_CLEAN_STATE_CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"]
# values-apparmor.yaml: containers that nsenter into the host and trip Ubuntu's containerd AppArmor profile.
APPARMOR_CONTAINERS = ["cilium-agent", "clean-cilium-state", "mount-cgroup", "apply-sysctl-overwrites"]
# values-kubeovn.yaml: Cilium attaches to Kube-OVN's devices; forceDeviceDetection adds the detected NICs.
KUBEOVN_DEVICES = "ovn0 genev_sys_6081"
CNI_CONFIGMAP = "cni-configuration"
CNI_CONFIGMAP_KEY = "cni-config"
# reference values.yaml (cozystack-facts 1.2): the cilium-envoy DaemonSet.
CILIUM_ENVOY_RESOURCES = {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
# Hubble metrics when features.hubble is on (the reference documents Hubble with Prometheus metrics, DNS and
# HTTP visibility but ships no metrics list). dns and httpV2 only see traffic that passes Cilium's L7 proxy,
# i.e. pods selected by a policy with DNS or HTTP rules (docs/cluster_network.md).
HUBBLE_METRICS = ["dns", "drop", "tcp", "flow", "port-distribution", "icmp",
                  "httpV2:labelsContext=source_namespace,source_workload,destination_namespace,destination_workload"]
HUBBLE_METRICS_PORT = 9965
# reference packages/system/metallb/values.yaml (main): every container of the frr-k8s DaemonSet gets requests
# and a memory limit, like the speaker (a pod without a memory limit is the first victim of Talos's OOM handler).
# The four cp-* init containers have no resources knob upstream.
FRR_K8S_RESOURCES = {
    "frrk8s": ("50m", "64Mi", "512Mi"),      # the controller container
    "frr": ("50m", "64Mi", "512Mi"),
    "reloader": ("10m", "16Mi", "128Mi"),
    "frrMetrics": ("10m", "32Mi", "256Mi"),
    "frrStatus": ("10m", "32Mi", "256Mi"),
}


def deep_merge(base, override):
    """Return ``base`` with ``override`` merged in: dicts recursively, anything else replaced."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def cilium_layers(ctx):
    """The Cilium values as ``[(layer name, values)]`` in merge order."""
    row = ctx["variant"]
    layers = [("base", _cilium_base(ctx))]
    if ctx["node_os"] == "talos":
        layers.append(("talos", {
            "cgroup": {"autoMount": {"enabled": False}, "hostRoot": "/sys/fs/cgroup"},
        }))
    else:
        layers.append(("generic", {
            "cgroup": {"autoMount": {"enabled": True}},
            "podAnnotations": dict(("container.apparmor.security.beta.kubernetes.io/%s" % c, "unconfined")
                                   for c in APPARMOR_CONTAINERS),
        }))
    if row["chained"]:
        layers.append(("kubeovn", {
            "cni": {"chainingMode": "generic-veth", "chainingTarget": "kube-ovn", "customConf": True,
                    "configMap": CNI_CONFIGMAP},
            "routingMode": "native",
            "autoDirectNodeRoutes": False,
            "bpf": {"masquerade": False},
            "enableIPv4Masquerade": False,
            "enableIPv6Masquerade": False,
            "enableIdentityMark": False,
            "daemon": {"enableSourceIPVerification": False},
            "sctp": {"enabled": True},
            "devices": KUBEOVN_DEVICES,
            "forceDeviceDetection": True,
        }))
    else:
        # Cilium is the CNI. The reference leaves these to chart defaults; we state them so a chart
        # upgrade cannot silently change the datapath. cni.exclusive must be off with Multus, or Cilium
        # renames Multus's conflist away on every start.
        layers.append(("cilium-cni", {
            "routingMode": "tunnel",
            "tunnelProtocol": "vxlan",
            "cni": {"exclusive": not ctx["multus"]},
        }))
    if row["kilo"]:
        layers.append(("kilo", {"hostFirewall": {"enabled": False}}))
    layers.append(("netstack", _cilium_netstack(ctx)))
    user = ctx["components"]["cilium"]["values"]
    if user:
        layers.append(("inventory", user))
    return layers


def cilium_values(ctx):
    values = {}
    for _name, layer in cilium_layers(ctx):
        values = deep_merge(values, layer)
    return values


def _cilium_base(ctx):
    api = ctx["api_access"]
    return {
        "kubeProxyReplacement": True,
        # Without kube-proxy nothing else can reach the API: always explicit (pitfalls 5, 22).
        "k8sServiceHost": api["host"],
        "k8sServicePort": api["port"],
        "hostFirewall": {"enabled": ctx["host_firewall"]},
        "hubble": {"enabled": False},
        "externalIPs": {"enabled": True},
        "nodePort": {"enabled": True},
        "loadBalancer": {"algorithm": "maglev", "serviceTopology": True},
        "ipam": {"mode": "kubernetes"},
        # the separate cilium-envoy DaemonSet (Gateway API, L7 policy), with the reference's resources
        "envoy": {"enabled": True, "resources": copy.deepcopy(CILIUM_ENVOY_RESOURCES)},
        "gatewayAPI": {"enabled": False},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "4Gi"}},
        "initResources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "256Mi"}},
        "rollOutCiliumPods": True,
        "operator": {"rollOutPods": True, "replicas": 1},
        "securityContext": {"capabilities": {"ciliumAgent": list(CILIUM_AGENT_CAPABILITIES),
                                             "cleanCiliumState": list(CILIUM_CLEAN_STATE_CAPABILITIES)}},
    }


def _cilium_netstack(ctx):
    """Our layer: what the inventory switches on (Hubble, Gateway API, Cilium's own LB)."""
    layer = {}
    if ctx["hubble"]:
        layer["hubble"] = {"enabled": True, "relay": {"enabled": True}, "ui": {"enabled": True},
                           "metrics": {"enabled": list(HUBBLE_METRICS), "port": HUBBLE_METRICS_PORT}}
    if ctx["gateway_api"]:
        layer["gatewayAPI"] = {"enabled": True, "enableAlpn": ctx["features"]["gateway_api"]["http2"]}
    lb = ctx["load_balancer"]
    if lb["implementation"] == "cilium":
        if lb["mode"] == "l2":
            layer["l2announcements"] = {"enabled": True}
        else:
            layer["bgpControlPlane"] = {"enabled": True, "secretsNamespace": {
                "create": False, "name": ctx["components"]["cilium"]["namespace"]}}
    return layer


def kube_ovn_values(ctx):
    """Values of the upstream kube-ovn chart (reference ``packages/system/kubeovn/values.yaml`` + platform)."""
    networks = ctx["networks"]
    values = {
        "namespace": ctx["components"]["kube_ovn"]["namespace"],
        # Always explicit (pitfall 21): without it the chart renders an empty master list offline.
        "MASTER_NODES": ",".join(ctx["control_plane_ips"]),
        # Talos and kubeadm both set node-role.kubernetes.io/control-plane="" (pitfall 6).
        "MASTER_NODES_LABEL": ctx["master_nodes_label"],
        "func": {"ENABLE_NP": False, "ENABLE_LB": False},
        "ipv4": {
            "POD_CIDR": networks["pod_cidr"],
            "POD_GATEWAY": networks["pod_gateway"],
            "SVC_CIDR": networks["service_cidr"],
            "JOIN_CIDR": networks["join_cidr"],
        },
        "networking": {"ENABLE_SSL": True},
        "cni_conf": {"CNI_CONFIG_PRIORITY": "10", "MOUNT_LOCAL_BIN_DIR": False},
        # /etc is read-only on Talos (pitfall 8); the same paths are used on kubeadm.
        "OPENVSWITCH_DIR": "/var/lib/openvswitch",
        "OVN_DIR": "/var/lib/ovn",
        "OVN_IPSEC_KEY_DIR": "/var/lib/ovs_ipsec_keys",
        # The node OS loads openvswitch (and geneve on kubeadm): see the nodes area.
        "DISABLE_MODULES_MANAGEMENT": True,
        "ovn-central": _resources("50m", "100Mi", "3", "4Gi"),
        # reference main: 100m / 4 CPU (flow programming for new pods is throttled below that)
        "ovs-ovn": _resources("100m", "50Mi", "4", "1000Mi"),
        "kube-ovn-controller": _resources("10m", "100Mi", "1000m", "1Gi"),
        "kube-ovn-cni": _resources("50m", "50Mi", "1000m", "2Gi"),
        "kube-ovn-pinger": _resources("10m", "50Mi", "200m", "400Mi"),
        "kube-ovn-monitor": _resources("10m", "50Mi", "200m", "200Mi"),
    }
    user = ctx["components"]["kube_ovn"]["values"]
    return deep_merge(values, user) if user else values


def _resources(cpu_request, memory_request, cpu_limit, memory_limit):
    return {"requests": {"cpu": cpu_request, "memory": memory_request},
            "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _memory_limited(cpu_request, memory_request, memory_limit):
    return {"requests": {"cpu": cpu_request, "memory": memory_request}, "limits": {"memory": memory_limit}}


def frr_k8s_values():
    """Values of MetalLB's frr-k8s subchart: the reference's resources, and its Prometheus monitors off (the
    reference pins them because a null ``prometheus`` block in the parent chart breaks the subchart's render)."""
    frrk8s = {}
    for key, (cpu, memory, limit) in FRR_K8S_RESOURCES.items():
        target = frrk8s if key == "frrk8s" else frrk8s.setdefault(key, {})
        target["resources"] = _memory_limited(cpu, memory, limit)
    return {"prometheus": {"serviceMonitor": {"enabled": False}, "podMonitor": {"enabled": False}},
            "frrk8s": frrk8s}


def metallb_values(ctx):
    """MetalLB chart values (reference ``packages/system/metallb/values.yaml``, upstream images)."""
    values = {
        "crds": {"enabled": True},
        "speaker": {"resources": _memory_limited("50m", "64Mi", "512Mi")},
        # the frr-k8s subchart (BGP for the speaker): its values sit under its chart name
        "frr-k8s": frr_k8s_values(),
    }
    user = ctx["components"]["metallb"]["values"]
    return deep_merge(values, user) if user else values
