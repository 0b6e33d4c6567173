# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model: from raw inventory variables to a validated ``site``.

``site`` is a plain dict every other part of the core reads::

    {"mode", "bundle_dir", "secrets_dir", "kubeconfig",
     "cluster", "fabric", "load_balancer", "tenants",   # group vars, defaults filled
     "nodes":    {host: {"name", "role", <netstack_node keys>}},
     "switches": {host: {"name", <netstack_switch keys>, "platform"}},
     "racks":    {rack name: rack}, "vlans": {vlan name: vlan}}

Only schema and reference checks live here; address and BGP rules live with
the code that computes them (``addressing``, ``bgp``), host name, cabling and
version rules in ``physical``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.netstack.baremetal.plugins.module_utils import mlag, physical
from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import (
    Problem, did_you_mean, free_name, known_or_close, next_free)
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
        "secrets_dir": checked.get("netstack_secrets_dir"),
        "kubeconfig": checked.get("netstack_kubeconfig"),
        "cluster": _mapping(checked.get("netstack_cluster")),
        "fabric": _mapping(checked.get("netstack_fabric")),
        "load_balancer": _mapping(checked.get("netstack_load_balancer")),
        "tenants": _mapping(checked.get("netstack_tenants")),
        "nodes": {},
        "removed_nodes": {},
        "switches": {},
    }
    for host in sorted(nodes):
        entry = nodes[host]
        role = entry.get("role")
        if role not in ROLES:
            problems.append(Problem("hosts.%s" % host, "is in both node groups or in none (%s)" % role,
                                    "put it in exactly one of netstack_control_plane, netstack_workers"))
        if "netstack_node" not in entry:
            problems.append(Problem(host_path(host, "netstack_node"), "is required for a node",
                                    _missing_node_hint(inventory_vars, nodes)))
            continue
        node = validate(schema_mod.NODE_SCHEMA, entry["netstack_node"], host_path(host, "netstack_node"),
                        problems, copy_input=False)[0]
        if isinstance(node, dict):
            node.update(name=host, role=role)
            if node.get("state") == "removed":
                # retired (remove_node.yml): its index and ports stay reserved, nothing else is planned for it
                site["removed_nodes"][host] = node
            else:
                site["nodes"][host] = node
    for host in sorted(switches):
        entry = switches[host]
        if host in nodes:
            continue    # a node in netstack_switches: physical.check_host_names reports it, once
        if "netstack_switch" not in entry:
            problems.append(Problem(host_path(host, "netstack_switch"), "is required for a switch",
                                    _missing_switch_hint(inventory_vars, switches)))
            continue
        switch = validate(schema_mod.SWITCH_SCHEMA, entry["netstack_switch"],
                          host_path(host, "netstack_switch"), problems, copy_input=False)[0]
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
    site["stages"] = _sound_stages(site, problems, dict((host, nodes[host].get("role")) for host in nodes))
    # names and versions: nothing later reads them differently, so these never stop a stage
    physical.check_host_names(nodes, switches, site["cluster"].get("node_os"), problems)
    physical.check_versions(site["cluster"], problems)
    if site["cluster"].get("node_os") in schema_mod.NODE_OS:
        site["cluster"].setdefault("variant", "kubeovn-cilium" if site["cluster"]["node_os"] == "talos"
                                   else "kubeovn-cilium-generic")
    if site["stages"]["core"]:
        found = len(problems)
        _index_named_lists(site, problems)
        _check_references(site, problems)
        # addresses and BGP follow the references (a node's rack, an uplink's switch): broken ones stop them
        site["stages"]["addresses"] = len(problems) == found
    else:
        site["stages"]["addresses"] = False
    return site, problems


def _mapping(value):
    return value if isinstance(value, dict) else {}


# What each later stage reads. A blocking schema problem at, under or above one of these paths skips the
# stage (its checks would be meaningless and noisy); every other stage still runs, so one run reports
# every mistake that can be found. A node with a blocking problem is left out of the site (the others are
# still checked); a switch is not (nodes are cabled to it): the core stage waits for it.
CORE_INPUTS = ("netstack_fabric", "netstack_load_balancer", "netstack_cluster.api", "netstack_cluster.networks",
               "netstack_cluster.node_os", "netstack_cluster.variant")
TENANT_INPUTS = ("netstack_tenants", "netstack_cluster.tenancy", "netstack_cluster.networks",
                 "netstack_cluster.variant", "netstack_cluster.features", "netstack_cluster.api")


def _related(path, inputs):
    """True when ``path`` is one of ``inputs``, inside one, or holds one."""
    for prefix in inputs:
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[") \
                or prefix.startswith(path + "."):
            return True
    return False


def _named_in(path, prefix, names):
    """The entry of ``names`` that ``path`` (under ``prefix``) belongs to, or None: names may hold dots."""
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix):]
    for end in [i for i, char in enumerate(rest) if char in ".["] + [len(rest)]:
        if rest[:end] in names:
            return rest[:end]
    return None


def _sound_stages(site, problems, node_roles):
    """Decide which later stages can run on what schema validation left sound; drop broken nodes and tenants.

    Returns ``{"core": bool, "tenants": bool}`` (``build_site`` adds ``addresses``); fills
    ``site["dropped_nodes"]`` (host -> role) and ``site["dropped_tenants"]`` (names whose entries are
    broken; references to them are not reported).
    """
    stages = {"core": True, "tenants": True}
    dropped_nodes = {}
    dropped_tenants = set()
    for problem in problems:
        if not problem.blocking:
            continue
        path = problem.path
        if path.startswith("hosts."):
            host = _named_in(path, "hosts.", node_roles)
            if host is not None:
                dropped_nodes[host] = node_roles[host]
            else:
                stages["core"] = False   # a switch (or a host with no valid netstack_node at all)
            continue
        tenant = _named_in(path, "netstack_tenants.", site["tenants"])
        if tenant is not None:
            dropped_tenants.add(tenant)
            continue
        if _related(path, CORE_INPUTS):
            stages["core"] = False
        if _related(path, TENANT_INPUTS):
            stages["tenants"] = False
    for host in dropped_nodes:
        site["nodes"].pop(host, None)
    for name in dropped_tenants:
        del site["tenants"][name]
    site["dropped_nodes"] = dropped_nodes
    site["dropped_tenants"] = dropped_tenants
    return stages


def _index_named_lists(site, problems):
    """Build name -> item maps for VLANs and racks, reporting duplicates."""
    site["vlans"] = {}
    seen_ids = {}
    names = set(v["name"] for v in site["fabric"]["vlans"])
    ids = set(v["id"] for v in site["fabric"]["vlans"])
    for position, vlan in enumerate(site["fabric"]["vlans"]):
        path = "netstack_fabric.vlans[%d]" % position
        if vlan["name"] in site["vlans"]:
            problems.append(Problem(path + ".name", "duplicate VLAN name '%s'" % vlan["name"],
                                    "rename it, e.g. '%s'" % free_name(vlan["name"], names)))
        if vlan["id"] in seen_ids:
            free = next_free(ids, vlan["id"], 4094) or next_free(ids)
            problems.append(Problem(path + ".id", "duplicate VLAN id %d (also %s)"
                                    % (vlan["id"], seen_ids[vlan["id"]]), "use a free id, e.g. %d" % free))
        seen_ids.setdefault(vlan["id"], "netstack_fabric.vlans[%d]" % position)
        vlan["path"] = path
        if vlan.get("routed") is None:
            vlan["routed"] = vlan["role"] in ("node", "external")
        if vlan.get("node_addresses") is None:
            vlan["node_addresses"] = vlan["role"] in ("node", "storage")
        site["vlans"].setdefault(vlan["name"], vlan)
    node_vlans = [v for v in site["fabric"]["vlans"] if v["role"] == "node"]
    if not node_vlans:
        problems.append(Problem("netstack_fabric.vlans", "needs exactly one VLAN with role 'node', has 0",
                                "set role: node on the VLAN of the nodes' addresses, e.g. "
                                "netstack_fabric.vlans[0].role: node"))
    used_roles = set(v["role"] for v in site["fabric"]["vlans"])
    for extra in node_vlans[1:]:
        # one problem per extra VLAN, at the role to change (the first one keeps role node)
        problems.append(Problem(extra["path"] + ".role", "needs exactly one VLAN with role 'node', has %d "
                                "(also VLAN '%s', %s)" % (len(node_vlans), node_vlans[0]["name"],
                                                          node_vlans[0]["path"]),
                                "give VLAN '%s' another role, e.g. role: %s" % (extra["name"], next(
                                    (r for r in schema_mod.VLAN_ROLES if r != "node" and r not in used_roles),
                                    "other"))))
    site["node_vlan"] = node_vlans[0]["name"] if node_vlans else None

    site["racks"] = {}
    seen_index = {}
    rack_names = set(r["name"] for r in site["fabric"]["racks"])
    rack_indexes = set(r["index"] for r in site["fabric"]["racks"])
    for position, rack in enumerate(site["fabric"]["racks"]):
        path = "netstack_fabric.racks[%d]" % position
        if rack["name"] in site["racks"]:
            problems.append(Problem(path + ".name", "duplicate rack name '%s'" % rack["name"],
                                    "rename it, e.g. '%s'" % free_name(rack["name"], rack_names)))
        if rack["index"] in seen_index:
            problems.append(Problem(path + ".index", "rack index %d is already used by rack '%s'"
                                    % (rack["index"], seen_index[rack["index"]]),
                                    "use a free index, e.g. %s" % (next_free(rack_indexes, rack["index"], 250)
                                                                   or next_free(rack_indexes))))
        seen_index.setdefault(rack["index"], rack["name"])
        site["racks"].setdefault(rack["name"], rack)


def _vlan_ref(site, name, path, problems):
    if name not in site["vlans"]:
        problems.append(Problem(path, "VLAN '%s' does not exist" % name, known_or_close(name, site["vlans"])))
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
                                % cluster["node_os"], "set netstack_cluster.variant: cilium-generic on kubeadm, or "
                                "node_os: talos"))
    elif variant in TALOS_TO_GENERIC and not talos:
        problems.append(Problem("netstack_cluster.variant", "'%s' is the Talos flavour (Cilium reaches the API "
                                "through KubePrism); on kubeadm use '%s'" % (variant, TALOS_TO_GENERIC[variant]),
                                "set netstack_cluster.variant: %s" % TALOS_TO_GENERIC[variant]))
    elif variant.endswith("-generic") and talos:
        problems.append(Problem("netstack_cluster.variant", "'%s' is the kubeadm flavour; on Talos use '%s'"
                                % (variant, variant[:-len("-generic")]),
                                "set netstack_cluster.variant: %s" % variant[:-len("-generic")]))
    api_vlan = cluster["api"].get("vlan") or site["node_vlan"]
    if api_vlan and _vlan_ref(site, api_vlan, "netstack_cluster.api.vlan", problems):
        cluster["api"]["vlan"] = api_vlan
    bgp = fabric["bgp"]
    peering = bgp.get("peering_vlan") or site["node_vlan"]
    if peering and _vlan_ref(site, peering, "netstack_fabric.bgp.peering_vlan", problems):
        bgp["peering_vlan"] = peering
    if bgp["hold_time"] < 3 * bgp["keepalive"]:
        problems.append(Problem("netstack_fabric.bgp.hold_time", "hold time %d is less than 3 x keepalive (%d)"
                                % (bgp["hold_time"], bgp["keepalive"]),
                                "set hold_time: %d or more, or keepalive: %d or less"
                                % (3 * bgp["keepalive"], max(1, bgp["hold_time"] // 3))))
    if bgp["dynamic_neighbors"] and fabric["asn"]["nodes"]["scheme"] == "per_node":
        problems.append(Problem("netstack_fabric.bgp.dynamic_neighbors", "listen ranges need one remote ASN per "
                                "range, but netstack_fabric.asn.nodes.scheme is 'per_node'",
                                "set netstack_fabric.asn.nodes.scheme: per_rack (or shared), or dynamic_neighbors: "
                                "false"))
    lb = site["load_balancer"]
    seen_pools = set()
    pool_names = set(p["name"] for p in lb["pools"])
    no_arp = {}
    for position, pool in enumerate(lb["pools"]):
        path = "netstack_load_balancer.pools[%d]" % position
        if pool["name"] in seen_pools:
            problems.append(Problem(path + ".name", "duplicate pool name '%s'" % pool["name"],
                                    "rename it, e.g. '%s'" % free_name(pool["name"], pool_names)))
        seen_pools.add(pool["name"])
        if pool.get("vlan"):
            if _vlan_ref(site, pool["vlan"], path + ".vlan", problems) and lb["mode"] == "l2" \
                    and not site["vlans"][pool["vlan"]]["node_addresses"]:
                no_arp.setdefault(pool["vlan"], []).append(pool["name"])
        elif lb["mode"] == "l2":
            problems.append(Problem(path + ".vlan", "is required in L2 mode (the VLAN where nodes answer ARP)",
                                    "set vlan: %s" % (_arp_vlans(site) or ["<a VLAN with node addresses>"])[0]))
    for name, pools in sorted(no_arp.items()):
        # one problem per VLAN, however many pools use it: the VLAN is what lacks the node addresses
        vlan = site["vlans"][name]
        problems.append(Problem(vlan["path"] + ".node_addresses", "L2 mode answers ARP from the nodes, but VLAN "
                                "'%s' has no node addresses (used by pool%s %s)"
                                % (name, "s" if len(pools) > 1 else "", ", ".join("'%s'" % p for p in pools)),
                                "set %s.node_addresses: true%s" % (vlan["path"], "".join(
                                    ", or move the pools to VLAN '%s'" % v for v in _arp_vlans(site)[:1]))))
    _check_hosts(site, problems)


def _arp_vlans(site):
    """Names of the VLANs the nodes have addresses on (where L2 mode can answer ARP), node VLAN first."""
    names = [v["name"] for v in site["fabric"]["vlans"] if v["node_addresses"]]
    return sorted(names, key=lambda n: n != site.get("node_vlan"))


def _raw(mapping, *keys):
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping


def _first_rack(inventory_vars):
    """The first rack name of the raw inventory (for a hint's example), else r1."""
    racks = _raw(inventory_vars, "netstack_fabric", "racks") or []
    return next((r["name"] for r in racks if isinstance(r, dict) and isinstance(r.get("name"), str)), "r1")


def _missing_node_hint(inventory_vars, nodes):
    rack = _first_rack(inventory_vars)
    used = set(i for i in (_raw(entry, "netstack_node", "index") for entry in nodes.values()) if isinstance(i, int))
    return ("set the host's netstack_node, e.g. {rack: %s, index: %d, uplinks: [{switch: <switch>, port: "
            "<port>, nic: <nic>}]}" % (rack, next_free(used)))


def _missing_switch_hint(inventory_vars, switches):
    rack = _first_rack(inventory_vars)
    router_ids = set(str(_raw(entry, "netstack_switch", "router_id")) for entry in switches.values())
    router_id = next(("10.255.0.%d" % n for n in range(1, 255) if "10.255.0.%d" % n not in router_ids),
                     "10.255.0.1")
    return "set the host's netstack_switch, e.g. {rack: %s, index: 1, router_id: %s}" % (rack, router_id)


def _check_hosts(site, problems):
    racks = site["racks"]
    switches = site["switches"]
    by_index = {}
    node_indexes = set(node["index"] for node in site["nodes"].values())
    node_indexes |= set(node["index"] for node in site.get("removed_nodes", {}).values())
    for host, node in sorted(site.get("removed_nodes", {}).items()):
        by_index.setdefault(node["index"], host)
    for host, node in site["nodes"].items():
        # every uplink to switches of one other rack: the node's rack is the mistake, reported once
        cabled_rack = _cabled_rack(node, switches)
        if node["rack"] not in racks:
            problems.append(Problem(host_path(host, "netstack_node", "rack"), "rack '%s' does not exist"
                                    % node["rack"], ("set rack: %s (its uplinks' switches are there)" % cabled_rack)
                                    if cabled_rack else did_you_mean(node["rack"], racks)))
        elif cabled_rack is not None and cabled_rack != node["rack"]:
            problems.append(Problem(host_path(host, "netstack_node", "rack"), "is '%s', but every uplink goes to "
                                    "a switch of rack '%s' (%s)" % (node["rack"], cabled_rack, ", ".join(
                                        sorted(set(u["switch"] for u in node["uplinks"])))),
                                    "set rack: %s, or cable the node to the switches of rack '%s'"
                                    % (cabled_rack, node["rack"])))
        if node["index"] in by_index:
            problems.append(Problem(host_path(host, "netstack_node", "index"), "index %d is already used by "
                                    "node '%s'%s" % (node["index"], by_index[node["index"]],
                                                     " (removed: its index stays reserved, never reuse one)"
                                                     if by_index[node["index"]] in site.get("removed_nodes", {})
                                                     else ""),
                                    "use a free index, e.g. index: %d (the index places the node's addresses)"
                                    % next_free(node_indexes, node["index"])))
        else:
            by_index[node["index"]] = host
        ports = {}
        for position, uplink in enumerate(node["uplinks"]):
            path = host_path(host, "netstack_node", "uplinks[%d]" % position, "switch")
            switch = switches.get(uplink["switch"])
            if switch is None:
                problems.append(Problem(path, "switch '%s' does not exist" % uplink["switch"],
                                        did_you_mean(uplink["switch"], switches)))
            elif switch["rack"] != node["rack"] and cabled_rack is None:
                local = sorted(name for name, other in switches.items() if other["rack"] == node["rack"])
                problems.append(Problem(path, "switch '%s' is in rack '%s', the node in rack '%s'"
                                        % (uplink["switch"], switch["rack"], node["rack"]),
                                        ("cable it to a switch of rack '%s': %s" % (node["rack"], ", ".join(local)))
                                        if local else "set the node's rack, or cable it in its own rack"))
            nic = physical.nic_key(uplink["nic"])
            if nic in ports:
                first = node["uplinks"][ports[nic]]["nic"]
                problems.append(Problem(host_path(host, "netstack_node", "uplinks[%d]" % position, "nic"),
                                        "NIC '%s' is cabled twice (also uplinks[%d]%s)"
                                        % (uplink["nic"], ports[nic], "" if first == uplink["nic"]
                                           else " as '%s': case does not tell NICs apart" % first),
                                        "give each uplink its own NIC, or remove the duplicate uplink"))
            ports.setdefault(nic, position)
    if not any(n["role"] == "control-plane" for n in site["nodes"].values()) and not site.get("dropped_nodes"):
        problems.append(Problem("hosts", "no control-plane node (group netstack_control_plane is empty)",
                                "put one node (three for an etcd quorum) in group netstack_control_plane"))
    _check_switch_ports(site, problems)
    physical.check_uplinks(site, problems)
    mlag.check_mlag(site, problems)
    seen = {}
    router_ids = {}
    for host, switch in switches.items():
        if switch["rack"] not in racks:
            problems.append(Problem(host_path(host, "netstack_switch", "rack"), "rack '%s' does not exist"
                                    % switch["rack"], known_or_close(switch["rack"], racks)))
        key = (switch["rack"], switch["index"])
        if key in seen:
            free = next_free(set(other["index"] for other in switches.values() if other["rack"] == switch["rack"]),
                             1, 4)
            problems.append(Problem(host_path(host, "netstack_switch", "index"), "rack '%s' already has switch "
                                    "index %d ('%s')" % (key[0], key[1], seen[key]),
                                    ("use a free index, e.g. index: %d" % free) if free
                                    else "a rack has at most 4 switches: move this one to another rack"))
        seen.setdefault(key, host)
        if switch["router_id"] in router_ids:
            problems.append(Problem(host_path(host, "netstack_switch", "router_id"), "router id %s is already "
                                    "used by '%s'" % (switch["router_id"], router_ids[switch["router_id"]]),
                                    "use an unused address, e.g. router_id: %s"
                                    % _free_router_id(switch["router_id"], switches)))
        router_ids.setdefault(switch["router_id"], host)


def _free_router_id(taken_id, switches):
    used = set(switch["router_id"] for switch in switches.values())
    candidate = ipaddress.IPv4Address(taken_id)
    while str(candidate) in used:
        candidate += 1
    return str(candidate)


def _check_switch_ports(site, problems):
    """One cable per switch port, whatever the spelling (``physical.port_key``: Ethernet1 = Et1 on EOS)."""
    owner = {}
    for host, node in site["nodes"].items():
        for position, uplink in enumerate(node["uplinks"]):
            platform = (site["switches"].get(uplink["switch"]) or {}).get("platform")
            key = (uplink["switch"], physical.port_key(platform, uplink["port"]))
            if key in owner:
                other, port = owner[key]
                problems.append(Problem(host_path(host, "netstack_node", "uplinks[%d]" % position, "port"),
                                        "port %s on '%s' is already cabled to '%s'%s"
                                        % (uplink["port"], uplink["switch"], other, "" if port == uplink["port"]
                                           else " (as %s: one port on %s)"
                                           % (port, physical.PLATFORM_NAMES.get(platform, platform))),
                                        "one cable per port: correct the port of this uplink or of '%s'" % other))
            owner.setdefault(key, (host, uplink["port"]))


def _cabled_rack(node, switches):
    """The one rack all of the node's uplinks go to, or None (no uplinks, an unknown switch, several racks)."""
    racks = set()
    for uplink in node["uplinks"]:
        switch = switches.get(uplink["switch"])
        if switch is None:
            return None
        racks.add(switch["rack"])
    return racks.pop() if len(racks) == 1 else None


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
