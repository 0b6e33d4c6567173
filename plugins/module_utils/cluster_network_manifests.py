# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects of the cluster network that we generate ourselves.

Namespaces, Cilium's chained CNI configuration, the host firewall policy,
Multus (thick plugin), cozy-proxy and Kilo.  Each function takes the planner's
context (``cluster_network._context``) and returns a list of plain objects;
they reproduce the reference's templates (``cozystack-facts.md`` sections 1.4,
1.7-1.9 and 7) with our namespaces and images.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.netstack.baremetal.plugins.module_utils.helm_values import (
    CNI_CONFIGMAP, CNI_CONFIGMAP_KEY, HUBBLE_METRICS_PORT)
# port_security imports nothing of ours (report imports it), so the shared metadata helper lives there
from ansible_collections.netstack.baremetal.plugins.module_utils.port_security import meta
from ansible_collections.netstack.baremetal.plugins.module_utils.variants import KUBEPRISM

PRIVILEGED = {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/audit": "privileged",
    "pod-security.kubernetes.io/warn": "privileged",
}
# Tenant policies admit traffic from namespaces carrying this label (tenants area).
SYSTEM_LABEL = {"cozystack.io/system": "true"}
KUBE_OVN_SOCKET = "/run/openvswitch/kube-ovn-daemon.sock"
TOLERATE_ALL = [{"operator": "Exists", "effect": "NoSchedule"}, {"operator": "Exists", "effect": "NoExecute"}]

# reference 1.9: world may reach the nodes, except these ports (etcd, linstor, MetalLB memberlist, cozy assets,
# MetalLB/FRR metrics, webhooks, kubelet, controller-manager, scheduler, ...). 6443, Talos 50000/50001 and
# 80/443 stay open. As in the reference, only 7946 names a protocol (ANY: memberlist speaks TCP and UDP); the
# others leave it out, which Cilium reads as every protocol. Hubble's metrics port (helm_values) is denied from
# world too when Hubble is on (not in the reference, which ships Hubble off).
HOST_FIREWALL_DENIED = [("2379", None), ("2380", None), ("3367", None), ("7946", "ANY"), ("8123", None),
                        ("9120", None), ("9121", None), ("9140", None), ("9141", None), ("9443", None),
                        ("10250", None), ("10257", None), ("10259", None), ("19443", None)]


def namespaces(names):
    """The component namespaces: privileged Pod Security (every component is a node agent) and system label."""
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": meta(name, labels=dict(PRIVILEGED, **SYSTEM_LABEL))} for name in names]


def cni_configuration(ctx):
    """ConfigMap ``cni-configuration``: the generic-veth chain Cilium writes as 05-cilium.conflist."""
    conflist = {
        "cniVersion": "0.3.1",
        "name": "generic-veth",
        "plugins": [
            {"type": "kube-ovn", "server_socket": KUBE_OVN_SOCKET,
             "ipam": {"type": "kube-ovn", "server_socket": KUBE_OVN_SOCKET}},
            {"type": "portmap", "snat": True, "capabilities": {"portMappings": True}},
            {"type": "cilium-cni"},
        ],
    }
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": meta(CNI_CONFIGMAP, ctx["components"]["cilium"]["namespace"]),
             "data": {CNI_CONFIGMAP_KEY: json.dumps(conflist, indent=2) + "\n"}}]


def _port(port, protocol):
    return {"port": port, "protocol": protocol} if protocol else {"port": port}


def host_firewall_policy(hubble=False):
    """CCNP ``restrict-system-components``: a host policy on every node (reference 1.9); with ``hubble`` the
    Hubble metrics port is denied from world as well."""
    denied = list(HOST_FIREWALL_DENIED) + ([(str(HUBBLE_METRICS_PORT), None)] if hubble else [])
    return [{
        "apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": meta("restrict-system-components"),
        "spec": {
            "description": "Deny access from outside the cluster to etcd, kubelet and other system ports "
                           "on every node.",
            "nodeSelector": {"matchLabels": {}},
            "ingress": [{"fromEntities": ["world", "host", "cluster"]}],
            "ingressDeny": [{"fromEntities": ["world"],
                             "toPorts": [{"ports": [_port(port, protocol) for port, protocol in denied]}]}],
        },
    }]


def multus(ctx):
    """Multus thick plugin (reference 1.7): CRD, RBAC, daemon config and the DaemonSet."""
    component = ctx["components"]["multus"]
    namespace = component["namespace"]
    config = {
        "chrootDir": "/hostroot",
        "cniVersion": "0.3.1",
        "logLevel": "verbose",
        "logToStderr": True,
        "cniConfigDir": "/host/etc/cni/net.d",
        "multusAutoconfigDir": "/host/etc/cni/net.d",
        "multusConfigFile": "auto",
        "socketDir": "/host/run/multus/",
    }
    if ctx["multus_master"]:
        config["multusMasterCNI"] = ctx["multus_master"]
    labels = {"tier": "node", "app": "multus"}
    host_paths = [
        ("cni", "/etc/cni/net.d", "/host/etc/cni/net.d", None),
        ("cnibin", "/opt/cni/bin", "/opt/cni/bin", None),
        ("host-run", "/run", "/host/run", None),
        ("host-var-lib-cni-multus", "/var/lib/cni/multus", "/var/lib/cni/multus", None),
        ("host-var-lib-kubelet", "/var/lib/kubelet", "/var/lib/kubelet", "HostToContainer"),
        ("host-run-k8s-cni-cncf-io", "/run/k8s.cni.cncf.io", "/run/k8s.cni.cncf.io", None),
        ("host-run-netns", "/run/netns/", "/run/netns", "HostToContainer"),
        ("hostroot", "/", "/hostroot", "HostToContainer"),
        ("multus-conf-dir", "/etc/cni/multus/net.d", "/etc/cni/multus/net.d", None),
    ]
    mounts = []
    for name, _path, mount, propagation in host_paths:
        entry = {"name": name, "mountPath": mount}
        if propagation:
            entry["mountPropagation"] = propagation
        mounts.append(entry)
    mounts.append({"name": "multus-daemon-config", "mountPath": "/etc/cni/net.d/multus.d", "readOnly": True})
    volumes = [{"name": name, "hostPath": {"path": path}} for name, path, _mount, _prop in host_paths]
    volumes.append({"name": "multus-daemon-config", "configMap": {
        "name": "multus-daemon-config", "items": [{"key": "daemon-config.json", "path": "daemon-config.json"}]}})
    return [
        _nad_crd(),
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta("multus"),
         "rules": [
             {"apiGroups": ["k8s.cni.cncf.io"], "resources": ["*"], "verbs": ["*"]},
             {"apiGroups": [""], "resources": ["pods", "pods/status"], "verbs": ["get", "list", "update", "watch"]},
             {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]},
        ]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta("multus"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "multus"},
         "subjects": [{"kind": "ServiceAccount", "name": "multus", "namespace": namespace}]},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("multus", namespace)},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("multus-daemon-config", namespace, labels),
         "data": {"daemon-config.json": json.dumps(config, indent=4) + "\n"}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": meta("cozy-multus", namespace, dict(labels, name="multus")),
         "spec": {
             "selector": {"matchLabels": {"name": "multus"}},
             "updateStrategy": {"type": "RollingUpdate"},
             "template": {
                 "metadata": {"labels": dict(labels, name="multus")},
                 "spec": {
                     "hostNetwork": True,
                     "hostPID": True,
                     "tolerations": TOLERATE_ALL,
                     "serviceAccountName": "multus",
                     "containers": [{
                         "name": "kube-multus",
                         "image": component["image"],
                         "command": ["/usr/src/multus-cni/bin/multus-daemon"],
                         # Every sandbox on the node waits on this container: no CPU limit (reference values).
                         "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}, "limits": {"memory": "4Gi"}},
                         "securityContext": {"privileged": True},
                         "terminationMessagePolicy": "FallbackToLogsOnError",
                         "volumeMounts": mounts,
                         "env": [{"name": "MULTUS_NODE_NAME",
                                  "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                     }],
                     "initContainers": [{
                         "name": "install-multus-binary",
                         "image": component["image"],
                         "command": ["cp", "/usr/src/multus-cni/bin/multus-shim", "/host/opt/cni/bin/multus-shim"],
                         "resources": {"requests": {"cpu": "10m", "memory": "15Mi"}},
                         "securityContext": {"privileged": True},
                         "terminationMessagePolicy": "FallbackToLogsOnError",
                         "volumeMounts": [{"name": "cnibin", "mountPath": "/host/opt/cni/bin",
                                           "mountPropagation": "Bidirectional"}],
                     }],
                     "terminationGracePeriodSeconds": 10,
                     "volumes": volumes,
                 },
             },
         }},
    ]


def _nad_crd():
    """NetworkAttachmentDefinition CRD (multus-cni v4.3.0 deployments/multus-daemonset.yml)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": meta("network-attachment-definitions.k8s.cni.cncf.io"),
        "spec": {
            "group": "k8s.cni.cncf.io",
            "scope": "Namespaced",
            "names": {"plural": "network-attachment-definitions", "singular": "network-attachment-definition",
                      "kind": "NetworkAttachmentDefinition", "shortNames": ["net-attach-def"]},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {
                    "description": "NetworkAttachmentDefinition is a CRD schema specified by the Network Plumbing "
                                   "Working Group to express the intent for attaching pods to one or more logical "
                                   "or physical networks.",
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {"type": "object", "description": "The desired state of a network attachment.",
                                 "properties": {"config": {"type": "string",
                                                           "description": "A JSON-formatted CNI configuration."}}},
                    },
                }},
            }],
        },
    }


def cozy_proxy(ctx):
    """cozy-proxy (reference 7): 1:1 NAT for LoadBalancer Services labelled for it, as a DaemonSet."""
    component = ctx["components"]["cozy_proxy"]
    namespace = component["namespace"]
    labels = {"app": "cozy-proxy"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("cozy-proxy", namespace)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta("cozy-proxy"),
         "rules": [{"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta("cozy-proxy"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cozy-proxy"},
         "subjects": [{"kind": "ServiceAccount", "name": "cozy-proxy", "namespace": namespace}]},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("cozy-proxy", namespace, labels),
         "spec": {
             "selector": {"matchLabels": labels},
             "template": {
                 "metadata": {"labels": dict(labels)},
                 "spec": {
                     "serviceAccountName": "cozy-proxy",
                     "hostNetwork": True,
                     "containers": [{
                         "name": "cozy-proxy",
                         "image": component["image"],
                         "imagePullPolicy": "IfNotPresent",
                         # the node identity scopes the ingress rules to the node hosting the backend
                         "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                         "securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
                     }],
                     "tolerations": [{"operator": "Exists"}],
                 },
             },
        }},
    ]


KILO_KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://127.0.0.1:%d
  name: local
contexts:
- context:
    cluster: local
    user: service-account
  name: local
current-context: local
kind: Config
users:
- name: service-account
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
""" % KUBEPRISM["port"]


def kilo(ctx):
    """Kilo as Cilium's WireGuard mesh between locations (reference 1.8): CRD, RBAC, kubeconfig, DaemonSet."""
    component = ctx["components"]["kilo"]
    namespace = component["namespace"]
    labels = {"app.kubernetes.io/name": "kilo", "app.kubernetes.io/part-of": "kilo"}
    args = [
        "--kubeconfig=/etc/kubernetes/kubeconfig",
        "--hostname=$(NODE_NAME)",
        "--cni=false",
        "--compatibility=cilium",
        "--encapsulate=crosssubnet",
        "--local=false",
        "--mesh-granularity=location",
        "--subnet=%s" % ctx["networks"]["kilo_transit_cidr"],
        "--mtu=auto",
        "--internal-cidr=$(NODE_IP)/32",
        "--clean-up-interface=false",
    ]
    return [
        _kilo_peer_crd(),
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("kilo", namespace)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta("kilo"),
         "rules": [
             {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "patch", "watch"]},
             {"apiGroups": ["kilo.squat.ai"], "resources": ["peers"], "verbs": ["list", "watch"]},
             {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["get"]},
        ]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta("kilo"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kilo"},
         "subjects": [{"kind": "ServiceAccount", "name": "kilo", "namespace": namespace}]},
        # Kilo talks to the API through KubePrism on every node: Talos only (reference pitfall 15).
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("kubeconfig-in-cluster", namespace),
         "data": {"kubeconfig": KILO_KUBECONFIG}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("kilo", namespace, labels),
         "spec": {
             "selector": {"matchLabels": dict(labels)},
             "template": {
                 "metadata": {"labels": dict(labels)},
                 "spec": {
                     "serviceAccountName": "kilo",
                     "hostNetwork": True,
                     "containers": [{
                         "name": "kilo",
                         "image": component["image"],
                         "args": args,
                         "env": [
                             {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                             {"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                         ],
                         "ports": [{"containerPort": 1107, "name": "metrics"}],
                         "securityContext": {"privileged": True},
                         "volumeMounts": [
                             {"name": "kilo-dir", "mountPath": "/var/lib/kilo"},
                             {"name": "kubeconfig", "mountPath": "/etc/kubernetes", "readOnly": True},
                             {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
                             {"name": "xtables-lock", "mountPath": "/run/xtables.lock", "readOnly": False},
                         ],
                     }],
                     "tolerations": TOLERATE_ALL,
                     "volumes": [
                         {"name": "kilo-dir", "hostPath": {"path": "/var/lib/kilo"}},
                         {"name": "kubeconfig", "configMap": {"name": "kubeconfig-in-cluster"}},
                         {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                         {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                     ],
                 },
             },
        }},
    ]


def _kilo_peer_crd():
    """The ``peers.kilo.squat.ai`` CRD (squat/kilo manifests/crds.yaml)."""
    string = {"type": "string"}
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": meta("peers.kilo.squat.ai"),
        "spec": {
            "group": "kilo.squat.ai",
            "names": {"kind": "Peer", "listKind": "PeerList", "plural": "peers", "singular": "peer"},
            "scope": "Cluster",
            "versions": [{
                "name": "v1alpha1", "served": True, "storage": True,
                "schema": {"openAPIV3Schema": {
                    "description": "Peer is a WireGuard peer that should have access to the VPN.",
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "apiVersion": string, "kind": string, "metadata": {"type": "object"},
                        "spec": {
                            "type": "object",
                            "required": ["allowedIPs", "publicKey"],
                            "properties": {
                                "allowedIPs": {"type": "array", "items": string},
                                "endpoint": {
                                    "type": "object",
                                    "required": ["dnsOrIP", "port"],
                                    "properties": {
                                        "dnsOrIP": {"type": "object",
                                                    "properties": {"dns": string, "ip": string}},
                                        "port": {"type": "integer", "format": "int32"},
                                    },
                                },
                                "persistentKeepalive": {"type": "integer"},
                                "presharedKey": string,
                                "publicKey": string,
                            },
                        },
                    },
                }},
            }],
        },
    }
