# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every node needs whatever its OS: links, addresses, kernel modules, sysctls.

``node_network(plan, host)`` turns a node's uplinks, bond mode and per-VLAN
addresses into one OS-neutral description that the Talos and the kubeadm
renderers both translate::

    {"parent": "bond0" | <nic> | None, "mtu": int,
     "bond": {"name", "members", "mode"} | None,
     "vlans": [{"vlan", "id", "role", "link", "tagged", "mtu", "address", "cidr", "gateway"}],
     "node_ip", "node_cidr", "node_link", "vip_link"}

The tagging contract, the same on both ends of every node link (the fabric's
``model.node_ports`` is the switch side): the node VLAN (role ``node``) is
**untagged**, its address sits on the parent itself (the bond, or the single
NIC), so PXE, DHCP and Talos maintenance mode work on a bare NIC before any
bond or VLAN exists; every other VLAN the node has an address on is an 802.1Q
sub-interface of the parent (``tagged``).  The default route goes through the
node VLAN's gateway.  A node without uplinks gets no link configuration.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

BOND_NAME = "bond0"
IFNAMSIZ = 15
KUBEOVN_VARIANTS = ("kubeovn-cilium", "kubeovn-cilium-generic")

# Neighbour-table and backlog tunables of the reference's Talos preset (talm `cozystack` chart): big flat
# L2 segments with many pods need a larger ARP table than the kernel default.
NETWORK_SYSCTLS = (
    ("net.ipv4.neigh.default.gc_thresh1", "4096"),
    ("net.ipv4.neigh.default.gc_thresh2", "8192"),
    ("net.ipv4.neigh.default.gc_thresh3", "16384"),
    ("net.ipv4.tcp_orphan_retries", "3"),
    ("net.ipv4.tcp_fin_timeout", "30"),
    ("net.core.netdev_max_backlog", "5000"),
    ("net.core.netdev_budget", "600"),
    ("net.core.netdev_budget_usecs", "8000"),
)

# Generic Linux requirements of the reference (website install/kubernetes/generic.md, ansible-cozystack).
GENERIC_SYSCTLS = (
    ("fs.inotify.max_user_watches", "524288"),
    ("fs.inotify.max_user_instances", "8192"),
    ("fs.inotify.max_queued_events", "65536"),
    ("fs.file-max", "2097152"),
    ("fs.aio-max-nr", "1048576"),
    ("net.ipv4.ip_forward", "1"),
    ("net.ipv4.conf.all.forwarding", "1"),
    ("net.ipv6.conf.all.forwarding", "1"),
    ("net.bridge.bridge-nf-call-iptables", "1"),
    ("net.bridge.bridge-nf-call-ip6tables", "1"),
    ("vm.swappiness", "1"),
)


def talos_minor(version):
    """``"v1.13.6"`` -> ``(1, 13)``."""
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


def kubernetes_minor(version):
    """``"1.33.5"`` -> ``"1.33"``."""
    return ".".join(version.split(".")[:2])


def vlan_link_name(parent, vlan_id):
    """``bond0.10``, or ``vlan10`` when ``<parent>.<id>`` would pass the kernel's 15-character limit."""
    name = "%s.%d" % (parent, vlan_id)
    return name if len(name) <= IFNAMSIZ else "vlan%d" % vlan_id


def node_vlan(plan):
    """The plan's VLAN with role ``node``."""
    for vlan in plan["vlans"]:
        if vlan["role"] == "node":
            return vlan
    raise ValueError("the plan has no VLAN with role 'node'")


def node_network(plan, host):
    """The OS-neutral link description of one node (see the module docstring)."""
    node = plan["nodes"][host]
    home = node_vlan(plan)
    api_vlan = plan["api"].get("vlan") or home["name"]
    nics = [u["nic"] for u in node["uplinks"]]
    if len(nics) > 1:
        parent = BOND_NAME
        bond = {"name": BOND_NAME, "members": nics, "mode": node["bond_mode"]}
    else:
        parent = nics[0] if nics else None
        bond = None
    vlans = []
    for vlan in plan["vlans"]:
        address = node["addresses"].get(vlan["name"])
        if address is None:
            continue
        native = vlan["name"] == home["name"]
        link = None
        if parent:
            link = parent if native else vlan_link_name(parent, vlan["id"])
        vlans.append({
            "vlan": vlan["name"], "id": vlan["id"], "role": vlan["role"], "mtu": vlan["mtu"],
            "link": link, "tagged": not native,
            "address": "%s/%d" % (address, vlan["prefix_length"]), "cidr": vlan["cidr"],
            # the default route: only on the node VLAN, through the switches' shared gateway
            "gateway": vlan["gateway"] if vlan["name"] == home["name"] and vlan["routed"] else None,
        })
    by_name = {v["vlan"]: v for v in vlans}
    node_ip = node["addresses"].get(home["name"])
    return {
        "parent": parent, "bond": bond,
        "mtu": max([v["mtu"] for v in vlans] or [1500]),
        "vlans": vlans,
        "node_ip": node_ip, "node_cidr": home["cidr"],
        "node_link": by_name[home["name"]]["link"] if home["name"] in by_name else None,
        "vip_link": by_name[api_vlan]["link"] if api_vlan in by_name else None,
    }


def kernel_modules(variant, node_os, extra):
    """Kernel modules the variant needs on this OS, then the inventory's extra ones (no duplicates).

    Returns ``[{"name", "parameters"}]``.  Kube-OVN runs with ``DISABLE_MODULES_MANAGEMENT`` (reference
    pitfall 7): the host loads ``openvswitch``, and ``geneve`` on generic Linux (Talos' kernel provides it).
    """
    if node_os == "talos":
        names = []
    else:
        # containerd's overlay snapshotter, bridged traffic through netfilter (kubeadm preflight),
        # iptables NAT for hostPort/portmap
        names = ["overlay", "br_netfilter", "ip_tables", "iptable_nat"]
    if variant in KUBEOVN_VARIANTS:
        names.append("openvswitch")
        if node_os != "talos":
            names.append("geneve")
    modules = [{"name": name, "parameters": []} for name in names]
    seen = set(names)
    for module in extra:
        if module["name"] in seen:
            for existing in modules:
                if existing["name"] == module["name"]:
                    existing["parameters"] = list(module.get("parameters") or [])
            continue
        seen.add(module["name"])
        modules.append({"name": module["name"], "parameters": list(module.get("parameters") or [])})
    return modules


def sysctls(node_os, extra):
    """Ordered ``{key: value}``: the reference's tunables for this OS, overridden by the inventory's."""
    values = dict(NETWORK_SYSCTLS)
    if node_os != "talos":
        values.update(GENERIC_SYSCTLS)
    for key in sorted(extra):
        values[key] = str(extra[key])
    return values


def cidr_disjoint(first, second):
    return not ipaddress.IPv4Network(first).overlaps(ipaddress.IPv4Network(second))
