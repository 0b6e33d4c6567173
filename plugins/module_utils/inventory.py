# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model: from raw inventory variables to a validated ``site``.

``site`` is a plain dict every other part of the core reads::

    {"mode", "bundle_dir", "kubeconfig",
     "cluster", "fabric", "load_balancer", "tenants",   # group vars, defaults filled
     "nodes":    {host: {"name", "role", <netstack_node keys>}},
     "switches": {host: {"name", <netstack_switch keys>, "platform"}},
     "racks":    {rack name: rack}, "vlans": {vlan name: vlan}}

Only schema and reference checks live here; address and BGP rules live with
the code that computes them (``addressing``, ``bgp``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, did_you_mean
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy, validate

ROLES = ("control-plane", "worker")
TALOS_TO_GENERIC = {"kubeovn-cilium": "kubeovn-cilium-generic", "cilium": "cilium-generic"}


def host_path(host, var, *rest):
    """Inventory path of a host variable: ``hosts.r1-n1.netstack_node.rack``."""
    return ".".join(["hosts", host, var] + [str(r) for r in rest])


def build_site(inventory_vars, nodes, switches):
    """Validate the raw inventory and return ``(site, problems)``.

    ``inventory_vars``: the ``netstack_*`` group variables.
    ``nodes``: ``{host: {"role": "control-plane"|"worker", "netstack_node": {...}}}``.
    ``switches``: ``{host: {"network_os": str|None, "netstack_switch": {...}}}``.
    """
    problems = []
    nodes = plain_copy(nodes)
    switches = plain_copy(switches)
    wanted = {k: v for k, v in inventory_vars.items() if k.startswith("netstack_")}
    checked = validate(schema_mod.INVENTORY_SCHEMA, wanted, "", problems)[0]
    site = {
        "mode": checked.get("netstack_mode", "render"),
        "bundle_dir": checked.get("netstack_bundle_dir"),
        "kubeconfig": checked.get("netstack_kubeconfig"),
        "cluster": checked.get("netstack_cluster") or {},
        "fabric": checked.get("netstack_fabric") or {},
        "load_balancer": checked.get("netstack_load_balancer") or {},
        "tenants": checked.get("netstack_tenants") or {},
        "nodes": {},
        "switches": {},
    }
    for host in sorted(nodes):
        entry = nodes[host]
        role = entry.get("role")
        if role not in ROLES:
            problems.append(Problem("hosts.%s" % host, "is in both node groups or in none (%s)" % role,
                                    "put it in exactly one of netstack_control_plane, netstack_workers"))
        if "netstack_node" not in entry:
            problems.append(Problem(host_path(host, "netstack_node"), "is required for a node"))
            continue
        node = validate(schema_mod.NODE_SCHEMA, entry["netstack_node"], host_path(host, "netstack_node"),
                        problems)[0]
        if isinstance(node, dict):
            node.update(name=host, role=role)
            site["nodes"][host] = node
    for host in sorted(switches):
        entry = switches[host]
        if "netstack_switch" not in entry:
            problems.append(Problem(host_path(host, "netstack_switch"), "is required for a switch"))
            continue
        switch = validate(schema_mod.SWITCH_SCHEMA, entry["netstack_switch"],
                          host_path(host, "netstack_switch"), problems)[0]
        if isinstance(switch, dict):
            switch["name"] = host
            if "platform" not in switch:
                platform = schema_mod.NETWORK_OS_PLATFORMS.get(entry.get("network_os") or "")
                if platform is None:
                    problems.append(Problem(host_path(host, "netstack_switch", "platform"),
                                            "cannot be derived from ansible_network_os %r"
                                            % entry.get("network_os"),
                                            "set it to one of %s" % ", ".join(schema_mod.PLATFORMS)))
                switch["platform"] = platform
            site["switches"][host] = switch
    if problems:
        # Type errors make cross-field checks meaningless (and noisy): stop here.
        return site, problems
    _index_named_lists(site, problems)
    _check_references(site, problems)
    return site, problems


def _index_named_lists(site, problems):
    """Build name -> item maps for VLANs and racks, reporting duplicates."""
    site["vlans"] = {}
    seen_ids = {}
    for position, vlan in enumerate(site["fabric"]["vlans"]):
        path = "netstack_fabric.vlans[%d]" % position
        if vlan["name"] in site["vlans"]:
            problems.append(Problem(path + ".name", "duplicate VLAN name '%s'" % vlan["name"]))
        if vlan["id"] in seen_ids:
            problems.append(Problem(path + ".id", "duplicate VLAN id %d (also %s)"
                                    % (vlan["id"], seen_ids[vlan["id"]])))
        seen_ids.setdefault(vlan["id"], "netstack_fabric.vlans[%d]" % position)
        vlan["path"] = path
        if vlan.get("routed") is None:
            vlan["routed"] = vlan["role"] in ("node", "external")
        if vlan.get("node_addresses") is None:
            vlan["node_addresses"] = vlan["role"] in ("node", "storage")
        site["vlans"].setdefault(vlan["name"], vlan)
    node_vlans = [v for v in site["fabric"]["vlans"] if v["role"] == "node"]
    if len(node_vlans) != 1:
        problems.append(Problem("netstack_fabric.vlans", "needs exactly one VLAN with role 'node', has %d"
                                % len(node_vlans)))
    site["node_vlan"] = node_vlans[0]["name"] if node_vlans else None

    site["racks"] = {}
    seen_index = {}
    for position, rack in enumerate(site["fabric"]["racks"]):
        path = "netstack_fabric.racks[%d]" % position
        if rack["name"] in site["racks"]:
            problems.append(Problem(path + ".name", "duplicate rack name '%s'" % rack["name"]))
        if rack["index"] in seen_index:
            problems.append(Problem(path + ".index", "rack index %d is already used by rack '%s'"
                                    % (rack["index"], seen_index[rack["index"]])))
        seen_index.setdefault(rack["index"], rack["name"])
        site["racks"].setdefault(rack["name"], rack)


def _vlan_ref(site, name, path, problems):
    if name not in site["vlans"]:
        problems.append(Problem(path, "VLAN '%s' does not exist" % name, did_you_mean(name, site["vlans"])))
        return False
    return True


def _check_references(site, problems):
    cluster = site["cluster"]
    fabric = site["fabric"]
    talos = cluster["node_os"] == "talos"
    cluster.setdefault("variant", "kubeovn-cilium" if talos else "kubeovn-cilium-generic")
    variant = cluster["variant"]
    if variant == "cilium-kilo" and not talos:
        problems.append(Problem("netstack_cluster.variant", "'cilium-kilo' needs node_os 'talos' (Kilo reaches "
                                "the API through Talos KubePrism on 127.0.0.1:7445), got '%s'"
                                % cluster["node_os"], "use 'cilium-generic' on kubeadm"))
    elif variant in TALOS_TO_GENERIC and not talos:
        problems.append(Problem("netstack_cluster.variant", "'%s' is the Talos flavour (Cilium reaches the API "
                                "through KubePrism); on kubeadm use '%s'" % (variant, TALOS_TO_GENERIC[variant])))
    elif variant.endswith("-generic") and talos:
        problems.append(Problem("netstack_cluster.variant", "'%s' is the kubeadm flavour; on Talos use '%s'"
                                % (variant, variant[:-len("-generic")])))
    api_vlan = cluster["api"].get("vlan") or site["node_vlan"]
    if api_vlan and _vlan_ref(site, api_vlan, "netstack_cluster.api.vlan", problems):
        cluster["api"]["vlan"] = api_vlan
    bgp = fabric["bgp"]
    peering = bgp.get("peering_vlan") or site["node_vlan"]
    if peering and _vlan_ref(site, peering, "netstack_fabric.bgp.peering_vlan", problems):
        bgp["peering_vlan"] = peering
    if bgp["hold_time"] < 3 * bgp["keepalive"]:
        problems.append(Problem("netstack_fabric.bgp.hold_time", "hold time %d is less than 3 x keepalive (%d)"
                                % (bgp["hold_time"], bgp["keepalive"])))
    if bgp["dynamic_neighbors"] and fabric["asn"]["nodes"]["scheme"] == "per_node":
        problems.append(Problem("netstack_fabric.bgp.dynamic_neighbors", "listen ranges need one remote ASN per "
                                "range, but netstack_fabric.asn.nodes.scheme is 'per_node'",
                                "use scheme 'per_rack' or 'shared'"))
    lb = site["load_balancer"]
    seen_pools = set()
    for position, pool in enumerate(lb["pools"]):
        path = "netstack_load_balancer.pools[%d]" % position
        if pool["name"] in seen_pools:
            problems.append(Problem(path + ".name", "duplicate pool name '%s'" % pool["name"]))
        seen_pools.add(pool["name"])
        if pool.get("vlan"):
            if _vlan_ref(site, pool["vlan"], path + ".vlan", problems) and lb["mode"] == "l2" \
                    and not site["vlans"][pool["vlan"]]["node_addresses"]:
                problems.append(Problem(path + ".vlan", "L2 mode answers ARP from the nodes, but VLAN '%s' has no "
                                        "node addresses" % pool["vlan"], "set node_addresses: true on the VLAN"))
        elif lb["mode"] == "l2":
            problems.append(Problem(path + ".vlan", "is required in L2 mode (the VLAN where nodes answer ARP)"))
    _check_hosts(site, problems)


def _check_hosts(site, problems):
    racks = site["racks"]
    switches = site["switches"]
    by_index = {}
    for host, node in site["nodes"].items():
        if node["rack"] not in racks:
            problems.append(Problem(host_path(host, "netstack_node", "rack"), "rack '%s' does not exist"
                                    % node["rack"], did_you_mean(node["rack"], racks)))
        if node["index"] in by_index:
            problems.append(Problem(host_path(host, "netstack_node", "index"), "index %d is already used by "
                                    "node '%s'" % (node["index"], by_index[node["index"]])))
        else:
            by_index[node["index"]] = host
        ports = set()
        for position, uplink in enumerate(node["uplinks"]):
            path = host_path(host, "netstack_node", "uplinks[%d]" % position, "switch")
            switch = switches.get(uplink["switch"])
            if switch is None:
                problems.append(Problem(path, "switch '%s' does not exist" % uplink["switch"],
                                        did_you_mean(uplink["switch"], switches)))
            elif switch["rack"] != node["rack"]:
                problems.append(Problem(path, "switch '%s' is in rack '%s', the node in rack '%s'"
                                        % (uplink["switch"], switch["rack"], node["rack"])))
            if uplink["nic"] in ports:
                problems.append(Problem(host_path(host, "netstack_node", "uplinks[%d]" % position, "nic"),
                                        "NIC '%s' is cabled twice" % uplink["nic"]))
            ports.add(uplink["nic"])
    if not any(n["role"] == "control-plane" for n in site["nodes"].values()):
        problems.append(Problem("hosts", "no control-plane node (group netstack_control_plane is empty)"))
    _check_switch_ports(site, problems)
    seen = {}
    router_ids = {}
    for host, switch in switches.items():
        if switch["rack"] not in racks:
            problems.append(Problem(host_path(host, "netstack_switch", "rack"), "rack '%s' does not exist"
                                    % switch["rack"], did_you_mean(switch["rack"], racks)))
        key = (switch["rack"], switch["index"])
        if key in seen:
            problems.append(Problem(host_path(host, "netstack_switch", "index"), "rack '%s' already has switch "
                                    "index %d ('%s')" % (key[0], key[1], seen[key])))
        seen.setdefault(key, host)
        if switch["router_id"] in router_ids:
            problems.append(Problem(host_path(host, "netstack_switch", "router_id"), "router id %s is already "
                                    "used by '%s'" % (switch["router_id"], router_ids[switch["router_id"]])))
        router_ids.setdefault(switch["router_id"], host)


def _check_switch_ports(site, problems):
    owner = {}
    for host, node in site["nodes"].items():
        for position, uplink in enumerate(node["uplinks"]):
            key = (uplink["switch"], uplink["port"])
            if key in owner:
                problems.append(Problem(host_path(host, "netstack_node", "uplinks[%d]" % position, "port"),
                                        "port %s on '%s' is already cabled to '%s'"
                                        % (uplink["port"], uplink["switch"], owner[key])))
            owner.setdefault(key, host)


# Variables with the netstack_ prefix that are not inventory: the plan fact the plan action sets.
RUNTIME_VARS = frozenset(("netstack_plan", "netstack_tenant", "netstack_tenant_removal"))
# Role and playbook variables are named <inventory variable>_<something> (netstack_tenants_batch,
# netstack_node_batch): they are not part of the site and are not validated here (each role's
# argument_specs does that). Any other netstack_* name is an inventory key and must be known.
_VAR_OWNERS = tuple(sorted(schema_mod.INVENTORY_SCHEMA["properties"])) + ("netstack_node", "netstack_switch",
                                                                          "netstack_plan")


def _is_task_result(value):
    """A registered task result (it always carries changed/failed) is never an inventory key."""
    return isinstance(value, dict) and ("changed" in value or "failed" in value)


def is_inventory_var(key):
    """True for the netstack_* names the plan reads (known or misspelled inventory keys)."""
    if not key.startswith("netstack_") or key in RUNTIME_VARS or key in ("netstack_node", "netstack_switch"):
        return False
    if key in schema_mod.INVENTORY_SCHEMA["properties"]:
        return True
    return not any(key.startswith(owner + "_") for owner in _VAR_OWNERS)


CONTROL_PLANE_GROUP = "netstack_control_plane"
WORKERS_GROUP = "netstack_workers"
SWITCHES_GROUP = "netstack_switches"


def collect_inventory(groups, host_vars, site_vars=None):
    """Gather ``build_site``'s three arguments from Ansible's view of the inventory.

    ``groups``: Ansible's ``groups`` mapping; ``host_vars(host)``: a callable
    returning that host's variables (Ansible's ``hostvars[host]``);
    ``site_vars``: variables that hold the ``netstack_*`` group variables
    (default: the first node's or switch's).  Only the keys the core reads are
    taken from each host, which keeps large inventories cheap.
    """
    control = set(groups.get(CONTROL_PLANE_GROUP, ()))
    workers = set(groups.get(WORKERS_GROUP, ()))
    nodes = {}
    for host in sorted(control | workers):
        hv = host_vars(host)
        role = "control-plane" if host in control and host not in workers else (
            "worker" if host in workers and host not in control else "both")
        entry = {"role": role}
        if "netstack_node" in hv:
            entry["netstack_node"] = hv["netstack_node"]
        nodes[host] = entry
    switches = {}
    for host in sorted(groups.get(SWITCHES_GROUP, ())):
        hv = host_vars(host)
        entry = {"network_os": hv.get("ansible_network_os")}
        if "netstack_switch" in hv:
            entry["netstack_switch"] = hv["netstack_switch"]
        switches[host] = entry
    if site_vars is None:
        first = sorted(control | workers) or sorted(groups.get(SWITCHES_GROUP, ()))
        site_vars = host_vars(first[0]) if first else {}
    inventory_vars = {}
    for key in site_vars:
        if is_inventory_var(key) and not _is_task_result(site_vars[key]):
            inventory_vars[key] = site_vars[key]
    return inventory_vars, nodes, switches
