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


# Switches of ``netstack_cluster.features`` whose default (null, "auto") depends on the variant. ``noop`` means
# "bring your own CNI": it keeps kube-proxy (nothing replaces it) and installs nothing the user did not ask for.
ADD_ONS = ("load_balancer", "multus", "cozy_proxy")
AUTO_FEATURES = ("kube_proxy",) + ADD_ONS


def kube_proxy(name, setting=None):
    """Whether kube-proxy runs: the inventory's ``features.kube_proxy``, else off where Cilium replaces it
    (``kubeProxyReplacement``, every variant but ``noop``) and on with ``noop``."""
    if setting is None:
        return not VARIANTS[name]["cilium"]
    return bool(setting)


def installs_add_on(name, setting=None):
    """Whether an optional add-on (the load balancer, Multus, cozy-proxy) is installed: the inventory's switch,
    else on with every variant that installs a CNI and off with ``noop``."""
    if setting is None:
        return VARIANTS[name]["cni"] is not None
    return bool(setting)


def port_security(name, setting=None):
    """Whether Kube-OVN port security is set on the pods outside the system namespaces: only with a variant that
    installs Kube-OVN (the Cilium-only variants keep Cilium's own source address check, ``noop`` has neither);
    there the inventory's ``features.port_security``, on by default."""
    if not VARIANTS[name]["kube_ovn"]:
        return False
    return True if setting is None else bool(setting)


def effective_features(name, features):
    """``{feature: bool}`` of the switches in AUTO_FEATURES, nulls resolved for variant ``name``."""
    features = features or {}
    result = {"kube_proxy": kube_proxy(name, features.get("kube_proxy"))}
    for key in ADD_ONS:
        result[key] = installs_add_on(name, features.get(key))
    result["port_security"] = port_security(name, features.get("port_security"))
    return result


def left_to_user(name, features, lb_implementation):
    """What a variant without a CNI of ours (``noop``) leaves to the user, as sentences for the install plan's
    notes and the report; empty for the other variants."""
    if VARIANTS[name]["cni"] is not None:
        return []
    effective = effective_features(name, features)
    lines = ["variant noop installs no CNI: bring your own before the cluster network play runs; the pod network "
             "and pod addresses, network policy (no host firewall, no tenant policies), Hubble and the Gateway "
             "controller are yours"]
    if effective["kube_proxy"]:
        lines.append("kube-proxy runs (Talos cluster.proxy enabled, kubeadm's addon/kube-proxy phase kept) and "
                     "implements Services; set features.kube_proxy: false only if your CNI replaces it")
    else:
        lines.append("kube-proxy is off (features.kube_proxy: false): your CNI must replace it, or Services do "
                     "not work")
    labels = {"load_balancer": "MetalLB" if lb_implementation == "metallb" else "Cilium's LB objects",
              "multus": "Multus", "cozy_proxy": "cozy-proxy"}
    skipped = [key for key in ADD_ONS if not effective[key]]
    installed = [key for key in ADD_ONS if effective[key]]
    if skipped:
        lines.append("not installed: %s; set %s to install %s"
                     % (", ".join(labels[k] for k in skipped), ", ".join("features.%s: true" % k for k in skipped),
                        "it" if len(skipped) == 1 else "them"))
    if installed:
        lines.append("installed because asked for (%s): %s; they wait for pods to start, so your CNI must be up "
                     "first%s" % (", ".join("features.%s" % k for k in installed),
                                  ", ".join(labels[k] for k in installed),
                                  " (Multus auto-detects the master CNI)" if effective["multus"] else ""))
    return lines
