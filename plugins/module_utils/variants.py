# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The six networking variants of the reference platform, as data.

One table says, per variant, which node OS it is for, what the CNI is, which
components it installs and which layers of Cilium values it stacks (the
reference's ``valuesFiles`` order, ``cozystack-facts.md`` section 1), so the
planner never branches on a variant name.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# cni: what writes the pod network ("kube-ovn" chained with Cilium, "cilium", or None for bring-your-own).
# node_os: the only node OS the variant is for (None: any).
# cilium_layers: the reference's Cilium values files, in merge order (documentation and traceability).
VARIANTS = {
    "kubeovn-cilium": {
        "node_os": "talos", "cni": "kube-ovn", "cilium": True, "chained": True, "kube_ovn": True, "kilo": False,
        "host_firewall": True,
        "cilium_layers": ["values.yaml", "values-talos.yaml", "values-kubeovn.yaml"],
    },
    "kubeovn-cilium-generic": {
        "node_os": "kubeadm", "cni": "kube-ovn", "cilium": True, "chained": True, "kube_ovn": True, "kilo": False,
        "host_firewall": True,
        "cilium_layers": ["values.yaml", "values-apparmor.yaml", "values-kubeovn.yaml"],
    },
    "cilium": {
        "node_os": "talos", "cni": "cilium", "cilium": True, "chained": False, "kube_ovn": False, "kilo": False,
        "host_firewall": True,
        "cilium_layers": ["values.yaml", "values-talos.yaml"],
    },
    "cilium-generic": {
        "node_os": "kubeadm", "cni": "cilium", "cilium": True, "chained": False, "kube_ovn": False, "kilo": False,
        "host_firewall": True,
        "cilium_layers": ["values.yaml", "values-apparmor.yaml"],
    },
    "cilium-kilo": {
        # Kilo's kubeconfig points at KubePrism (127.0.0.1:7445): Talos only. The reference turns the host
        # firewall off here and ships no cilium-networkpolicy component.
        "node_os": "talos", "cni": "cilium", "cilium": True, "chained": False, "kube_ovn": False, "kilo": True,
        "host_firewall": False,
        "cilium_layers": ["values.yaml", "values-talos.yaml", "values-kilo.yaml"],
    },
    "noop": {
        "node_os": None, "cni": None, "cilium": False, "chained": False, "kube_ovn": False, "kilo": False,
        "host_firewall": False,
        "cilium_layers": [],
    },
}

# Every variant allowed on each node OS (the inventory check in inventory.py refuses the others).
ALLOWED = {
    "talos": ["kubeovn-cilium", "cilium", "cilium-kilo", "noop"],
    "kubeadm": ["kubeovn-cilium-generic", "cilium-generic", "noop"],
}

# KubePrism: Talos's node-local API load balancer, on by default since Talos 1.6.
KUBEPRISM = {"host": "localhost", "port": 7445}

# The conflist Cilium writes (in chained mode from the cni-configuration ConfigMap); Kube-OVN writes
# 10-kube-ovn.conflist (CNI_CONFIG_PRIORITY "10"), so Cilium's file sorts first and wins.
CILIUM_CONFLIST = "05-cilium.conflist"


def variant(name):
    """The variant's row; KeyError for an unknown name (the schema's enum prevents that)."""
    return VARIANTS[name]


def allowed(node_os, name):
    return name in ALLOWED.get(node_os, ())


def api_access(node_os, api):
    """How in-cluster components without kube-proxy reach the API server.

    Talos: KubePrism on every node.  kubeadm: the real API endpoint (the VIP and
    port from the plan), never empty (reference pitfalls 5 and 22).
    """
    if node_os == "talos":
        return {"host": KUBEPRISM["host"], "port": KUBEPRISM["port"], "via": "talos-kubeprism"}
    return {"host": api["vip"], "port": api["port"], "via": "api-vip"}


def multus_master(name):
    """The conflist Multus delegates the primary network to, or None (auto-detect) without a CNI of ours."""
    return CILIUM_CONFLIST if VARIANTS[name]["cilium"] else None
