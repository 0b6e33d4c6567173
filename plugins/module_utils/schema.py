# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory schema: the single source for validation, defaults and docs.

``INVENTORY_SCHEMA`` covers the group variables (``netstack_*``);
``NODE_SCHEMA`` and ``SWITCH_SCHEMA`` cover the per-host variables.  The
``docs/inventory.md`` reference is generated from these dicts
(``tests/unit/test_docs.py`` fails when it is stale), so every property has a
``description``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
VARIANTS = ["kubeovn-cilium", "kubeovn-cilium-generic", "cilium", "cilium-generic", "cilium-kilo", "noop"]
NODE_OS = ["talos", "kubeadm"]
PLATFORMS = ["eos", "nxos", "junos", "sonic", "frr"]
VLAN_ROLES = ["node", "storage", "external", "management", "other"]
ASN_MAX = 4294967295


def _str(description, **extra):
    extra.update({"type": "string", "description": description})
    return extra


def _int(description, **extra):
    extra.update({"type": "integer", "description": description})
    return extra


def _bool(description, default):
    return {"type": "boolean", "default": default, "description": description}


def _obj(description, properties, required=(), **extra):
    schema = {"type": "object", "description": description, "additionalProperties": False,
              "properties": properties}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _asn(description, **extra):
    return _int(description, minimum=1, maximum=ASN_MAX, **extra)


NETWORKS_SCHEMA = _obj("Cluster-internal address ranges. They must not overlap each other, any VLAN or any "
                       "load-balancer pool.", {
                           "pod_cidr": _str("Kube-OVN's shared pod pool (`POD_CIDR`).", format="ipv4-cidr",
                                            default="10.244.0.0/16"),
                           "pod_gateway": _str("Kube-OVN pod gateway (`POD_GATEWAY`); default: the first address "
                                               "of `pod_cidr`.", format="ipv4"),
                           "service_cidr": _str("Kubernetes service CIDR.", format="ipv4-cidr",
                                                default="10.96.0.0/16"),
                           "join_cidr": _str("Kube-OVN join (node-to-pod) CIDR.", format="ipv4-cidr",
                                             default="100.64.0.0/16"),
                           "cluster_cidr": _str("Kubernetes cluster CIDR for per-node `podCIDR` allocation "
                                                "(kube-controller-manager). Cilium carves router and health "
                                                "addresses from it, so it must be disjoint from `pod_cidr` "
                                                "(reference pitfall 3).", format="ipv4-cidr",
                                                default="100.65.0.0/16"),
                           "node_cidr_mask_size": _int("Prefix length of each node's `podCIDR` slice of "
                                                       "`cluster_cidr`.", minimum=16, maximum=28, default=24),
                           "kilo_transit_cidr": _str("Kilo's WireGuard transit range (`cilium-kilo` only).",
                                                     format="ipv4-cidr", default="100.66.0.0/16"),
                       }, default={})

API_SCHEMA = _obj("The Kubernetes API endpoint.", {
    "vip": _str("Virtual IP of the API server, on the node VLAN (Talos Layer2 VIP or kube-vip).",
                format="ipv4"),
    "port": _int("API server port.", minimum=1, maximum=65535, default=6443),
    "vlan": _str("Name of the VLAN the VIP lives on; default: the VLAN with role `node`.", pattern=NAME_PATTERN),
}, required=["vip"])

GATEWAY_API_SCHEMA = _obj("Cilium Gateway API with per-tenant Gateways (two-step opt-in: this, then "
                          "`gateway: true` on a tenant).", {
                              "enabled": _bool("Install the Gateway API CRDs and let tenants opt in.", False),
                              "http2": _bool("Advertise HTTP/2 with ALPN on HTTPS listeners (Cilium "
                                             "`gatewayAPI.enableAlpn`).", True),
                              "attached_namespaces": {
                                  "type": "array", "items": {"type": "string", "pattern": NAME_PATTERN},
                                  "description": "Platform namespaces whose routes may attach to every tenant "
                                                 "Gateway. Must never contain a tenant namespace.",
                                  "default": ["cozy-cert-manager", "cozy-dashboard", "cozy-keycloak", "cozy-system",
                                              "cozy-harbor", "cozy-bucket", "cozy-kubevirt", "cozy-kubevirt-cdi",
                                              "cozy-monitoring", "cozy-linstor-gui", "default"]},
                          }, default={})

FEATURES_SCHEMA = _obj("Optional parts of the stack.", {
    "hubble": _bool("Hubble flow observability (relay and UI). Off by default, as in the reference.", False),
    "multus": _bool("Multus thick plugin for secondary interfaces.", True),
    "cozy_proxy": _bool("cozy-proxy, 1:1 NAT of external IPs into VMs.", True),
    "host_firewall": _bool("Cilium host firewall blocking outside access to etcd, kubelet and similar ports on "
                           "every node (reference section 1.9). Ignored (off) for `cilium-kilo`.", True),
    "gateway_api": GATEWAY_API_SCHEMA,
}, default={})

CLUSTER_SCHEMA = _obj("The cluster: identity, node OS, networking variant, API endpoint and ranges.", {
    "name": _str("Cluster name; also names the bundle directory.", pattern=NAME_PATTERN),
    "node_os": {"type": "string", "enum": NODE_OS, "default": "talos", "description": "Node operating system."},
    "variant": {"type": "string", "enum": VARIANTS,
                "description": "Networking variant; default `kubeovn-cilium` on Talos, `kubeovn-cilium-generic` on "
                               "kubeadm. `cilium-kilo` needs Talos; the `-generic` variants are the kubeadm ones."},
    "kubernetes_version": _str("Kubernetes version (x.y.z).", pattern=r"^1\.[0-9]+\.[0-9]+$", default="1.33.5"),
    "dns_domain": _str("Cluster DNS domain, set at bootstrap.", format="hostname", default="cozy.local"),
    "api": API_SCHEMA,
    "networks": NETWORKS_SCHEMA,
    "features": FEATURES_SCHEMA,
}, required=["name", "api"])

VLAN_SCHEMA = _obj("A VLAN of the fabric.", {
    "id": _int("802.1Q VLAN id.", minimum=1, maximum=4094),
    "name": _str("Name used to refer to the VLAN elsewhere in the inventory.", pattern=NAME_PATTERN),
    "cidr": _str("The VLAN's IPv4 subnet.", format="ipv4-cidr"),
    "role": {"type": "string", "enum": VLAN_ROLES, "description": "What the VLAN carries. Exactly one VLAN has "
             "role `node` (Kubernetes node addresses and BGP peering)."},
    "gateway": _str("Gateway address (the switches' shared SVI address); default: the first address.",
                    format="ipv4"),
    "mtu": _int("MTU on the VLAN.", minimum=1280, maximum=9216, default=1500),
    "routed": {"type": "boolean", "description": "Whether the switches route the VLAN (SVI per switch plus the "
               "shared gateway). Default: true for roles node and external, false otherwise."},
    "node_addresses": {"type": "boolean", "description": "Whether every node gets an address on the VLAN. "
                       "Default: true for roles node and storage, false otherwise."},
    "node_offset": _int("A node's address is the network address + node_offset + the node's index.",
                        minimum=1, default=10),
}, required=["id", "name", "cidr", "role"])

RACK_SCHEMA = _obj("A rack (a failure domain with its own top-of-rack switches).", {
    "name": _str("Rack name, referred to by nodes and switches.", pattern=NAME_PATTERN),
    "index": _int("Stable rack number; derives switch ASNs and SVI addresses. Never reuse one.",
                  minimum=1, maximum=250),
}, required=["name", "index"])

ASN_SCHEME_SCHEMA = _obj("How ASNs are derived.", {
    "switches": _obj("Switch ASNs.", {
        "base": _asn("First switch ASN.", default=65100),
        "scheme": {"type": "string", "enum": ["per_rack", "per_switch", "shared"], "default": "per_rack",
                   "description": "`per_rack`: base + rack index (both ToRs of a rack share it); `per_switch`: "
                                  "base + 4 * (rack index - 1) + switch index; `shared`: base everywhere."},
    }, default={}),
    "nodes": _obj("Node (BGP speaker) ASNs.", {
        "base": _asn("First node ASN.", default=65000),
        "scheme": {"type": "string", "enum": ["shared", "per_rack", "per_node"], "default": "per_rack",
                   "description": "`shared`: base on every node; `per_rack`: base + rack index; `per_node`: "
                                  "base + node index."},
    }, default={}),
}, default={})

BGP_SCHEMA = _obj("BGP between nodes and their top-of-rack switches.", {
    "peering_vlan": _str("VLAN the sessions run on; default: the VLAN with role `node`.", pattern=NAME_PATTERN),
    "keepalive": _int("Keepalive timer in seconds.", minimum=1, maximum=21845, default=3),
    "hold_time": _int("Hold timer in seconds (at least 3 x keepalive).", minimum=3, maximum=65535, default=9),
    "bfd": _bool("Enable BFD on every session.", False),
    "password_var": {"type": ["string", "null"], "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$", "default": None,
                     "description": "Name of the (vaulted) Ansible variable holding the session password. "
                                    "The plan and the bundle only carry this name, never the secret."},
    "send_to_nodes": {"type": "string", "enum": ["nothing", "default_route"], "default": "nothing",
                      "description": "What the switches announce to the nodes."},
    "dynamic_neighbors": _bool("Use listen ranges on the switches instead of one neighbor per node "
                               "(large racks). Needs a node ASN scheme of `shared` or `per_rack`.", False),
    "max_paths": {"type": ["integer", "null"], "minimum": 1, "maximum": 512, "default": None,
                  "description": "ECMP paths on the switches; default: the largest number of nodes in a rack."},
}, default={})

FABRIC_SCHEMA = _obj("The physical network: VLANs, racks, ASNs, BGP options.", {
    "vlans": {"type": "array", "minItems": 1, "items": VLAN_SCHEMA, "description": "Every VLAN of the fabric."},
    "racks": {"type": "array", "minItems": 1, "items": RACK_SCHEMA, "description": "Every rack."},
    "asn": ASN_SCHEME_SCHEMA,
    "bgp": BGP_SCHEMA,
}, required=["vlans", "racks"])

POOL_SCHEMA = _obj("A load-balancer address pool.", {
    "name": _str("Pool name (the MetalLB IPAddressPool / Cilium pool name).", pattern=NAME_PATTERN),
    "addresses": {"type": "array", "minItems": 1, "description": "CIDRs or `first-last` ranges.",
                  "items": {"type": "string", "format": "ipv4-range"}},
    "vlan": _str("VLAN the pool lives on. Required in L2 mode (the nodes answer ARP there); in BGP mode the pool "
                 "may be a routed range outside every VLAN.", pattern=NAME_PATTERN),
    "auto_assign": _bool("Assign from this pool to Services that name no pool.", True),
}, required=["name", "addresses"])

LOAD_BALANCER_SCHEMA = _obj("How LoadBalancer Services get and announce their addresses.", {
    "mode": {"type": "string", "enum": ["l2", "bgp"], "default": "l2",
             "description": "`l2`: ARP from one node per address; `bgp`: every node announces /32s to its ToRs."},
    "implementation": {"type": "string", "enum": ["metallb", "cilium"], "default": "metallb",
                       "description": "MetalLB (reference) or Cilium's LB-IPAM with L2 announcements / BGP "
                                      "control plane."},
    "pools": {"type": "array", "minItems": 1, "items": POOL_SCHEMA, "description": "Address pools."},
}, required=["pools"])

# The tenant tree fragment is refined by the tenants core; the placeholder keeps the model usable alone.
TENANTS_SCHEMA = {
    "type": "object", "description": "The tenant tree: tenant name -> options. `root` is required.",
    "additionalProperties": False, "required": ["root"],
    "patternProperties": {r"^[a-z0-9]+$": {"type": "object", "description": "A tenant.",
                                             "properties": {
                                                 "parent": {"type": ["string", "null"], "description": "Parent."},
                                                 "host": {"type": ["string", "null"], "format": "hostname",
                                                          "description": "Host apex."}}}},
}

INVENTORY_SCHEMA = _obj("Group variables of a netstack inventory.", {
    "netstack_mode": {"type": "string", "enum": ["render", "apply"], "default": "render",
                      "description": "`render` writes what would be applied into the bundle and touches nothing; "
                                     "`apply` configures switches, nodes and the cluster."},
    "netstack_bundle_dir": _str("Where the bundle is written; default `build/<cluster name>` under the playbook "
                                "directory's parent."),
    "netstack_kubeconfig": _str("Kubeconfig used in apply mode (K8S_AUTH_* environment variables also work)."),
    "netstack_cluster": CLUSTER_SCHEMA,
    "netstack_fabric": FABRIC_SCHEMA,
    "netstack_load_balancer": LOAD_BALANCER_SCHEMA,
    "netstack_tenants": TENANTS_SCHEMA,
}, required=["netstack_cluster", "netstack_fabric", "netstack_load_balancer"])

UPLINK_SCHEMA = _obj("One cable from the node to a switch port.", {
    "switch": _str("Inventory name of the switch.", minLength=1),
    "port": _str("Switch port (e.g. Ethernet1, Ethernet1/1, xe-0/0/1, swp1).", minLength=1),
    "nic": _str("Node interface name (e.g. enp1s0f0).", minLength=1),
}, required=["switch", "port", "nic"])

NODE_SCHEMA = _obj("Per-node host variable `netstack_node`.", {
    "rack": _str("Rack the node stands in.", pattern=NAME_PATTERN),
    "index": _int("Stable node number, unique in the cluster; derives the node's addresses. Never reuse one.",
                  minimum=1, maximum=4000),
    "uplinks": {"type": "array", "items": UPLINK_SCHEMA, "default": [],
                "description": "Cables to the rack's switches. Two or more form a bond."},
    "bond_mode": {"type": "string", "enum": ["802.3ad", "active-backup", "balance-xor"], "default": "802.3ad",
                  "description": "Bond mode when the node has several uplinks (802.3ad = LACP, an MLAG port "
                                 "channel on the switches)."},
    "install_disk": _str("Disk Talos installs to / the OS lives on.", default="/dev/sda"),
    "labels": {"type": "object", "default": {}, "additionalProperties": {"type": "string"},
               "description": "Extra Kubernetes node labels."},
}, required=["rack", "index"])

SWITCH_SCHEMA = _obj("Per-switch host variable `netstack_switch`.", {
    "rack": _str("Rack the switch serves.", pattern=NAME_PATTERN),
    "index": _int("Switch number within the rack (1-4).", minimum=1, maximum=4),
    "platform": {"type": "string", "enum": PLATFORMS,
                 "description": "Switch platform; default: derived from `ansible_network_os`."},
    "router_id": _str("BGP router id (usually the loopback).", format="ipv4"),
    "asn": _asn("ASN, when not derived from `netstack_fabric.asn`."),
}, required=["rack", "index", "router_id"])

NETWORK_OS_PLATFORMS = {
    "arista.eos.eos": "eos", "eos": "eos",
    "cisco.nxos.nxos": "nxos", "nxos": "nxos",
    "junipernetworks.junos.junos": "junos", "junos": "junos",
    "dellemc.enterprise_sonic.sonic": "sonic", "sonic": "sonic",
    "frr": "frr", "linux": "frr",
}
