# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-neutral structured configuration of every top-of-rack switch.

``switch_config(plan, host, node_ports, cabled)`` turns the plan (VLANs with the
switch's SVI address and the shared gateway, the node uplinks, the BGP
switch view and routing policy) into one dict per switch.  The platform
renderers (``eos``, ``nxos``, ``junos``, ``sonic``, ``frr``) only translate
this dict into vendor syntax; they never look at the plan again, so every
rule about *what* a switch carries lives here, once.

Layout of a switch's structured config::

    {"name", "platform", "rack", "router_id",
     "vlans":  [{"id", "name", "mtu"}],
     "ports":  [{"name", "description", "mtu", "lag" (id or None), "l2" (or None), "edge",
                 "shutdown" (only on the ports of a removed node: true)}],
     "lags":   [{"id", "description", "mtu", "members", "mode", "mlag" (id or None), "fallback", "l2"}],
     "svis":   [{"vlan", "name", "address", "prefix_length", "gateway", "mtu"}],
     "bgp":    {"asn", "router_id", "max_paths", "multipath_relax", "neighbors": [...],
                "peer_group", "listen_ranges": [...]},
     "prefix_lists": [{"name", "entries": [{"sequence", "action", "prefix", "ge", "le"}]}],
     "route_maps":   [{"name", "entries": [{"sequence", "action", "match_prefix_list"}]}],
     "mlag":   None (no mlag block: the domain is the operator's) or
               {"domain_id", "position" (0: the pair's first switch), "peer", "priority",
                "peer_link": {"id", "members", "description", "mtu", "vlans"},
                "peer_vlan", "local_address", "peer_address", "prefix_length",
                "keepalive": {"local", "peer", "prefix_length", "vrf"},
                "system_mac", "keepalive_interval", "session_timeout", "lags": [ids of the pair's bonds]}}

``l2`` is ``{"mode": "access"|"trunk", "native_vlan", "vlans"}`` where
``vlans`` lists every VLAN the port carries (the native one included).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

PEER_GROUP = "NETSTACK-NODES"
DEFAULT_ROUTE_LIST = "NETSTACK-DEFAULT-ROUTE"
DENY_SEQUENCE = 1000
PASSWORD_PLACEHOLDER = "<vault:%s>"


def placeholder(password_ref):
    """The text the bundle carries instead of a secret: it names the variable, never its value."""
    return PASSWORD_PLACEHOLDER % password_ref


def node_ports(plan):
    """The node-facing view: which VLANs every node's uplinks carry and how they are bonded.

    Convention shared with the node configuration: the node VLAN (role ``node``)
    is untagged (native, so PXE and Talos maintenance mode work before the bond
    and VLANs exist), every other VLAN the node has an address on is tagged, and
    in L2 load-balancer mode the VLANs of the pools are tagged too (the nodes
    answer ARP there).  Two or more uplinks with ``bond_mode: 802.3ad`` form an
    LACP bond whose port-channel id on the switches is the node index (stable,
    and the same on both switches of an MLAG pair).
    """
    vlans = {v["name"]: v for v in plan["vlans"]}
    node_vlan = next((v for v in plan["vlans"] if v["role"] == "node"), None)
    l2_pool_vlans = set()
    if plan["load_balancer"]["mode"] == "l2":
        l2_pool_vlans = {p["vlan"] for p in plan["pools"] if p.get("vlan")}
    view = {}
    for host, node in plan["nodes"].items():
        carried = set(node["addresses"]) | l2_pool_vlans
        native = node_vlan["id"] if node_vlan is not None and node_vlan["name"] in carried else None
        tagged = sorted(vlans[name]["id"] for name in carried if name in vlans and vlans[name]["id"] != native)
        uplinks = node["uplinks"]
        lag = node["bond_mode"] == "802.3ad" and len(uplinks) >= 2
        switches = sorted({u["switch"] for u in uplinks})
        view[host] = {
            "native_vlan": native,
            "tagged_vlans": tagged,
            "mtu": max([vlans[name]["mtu"] for name in carried if name in vlans] or [1500]),
            "bond": {"mode": node["bond_mode"], "nics": [u["nic"] for u in uplinks]} if len(uplinks) >= 2 else None,
            "lag": node["index"] if lag else None,
            "mlag": lag and len(switches) > 1,
            "uplinks": [dict(u) for u in uplinks],
        }
    return view


def _l2(port_view):
    native = port_view["native_vlan"]
    vlans = sorted(([native] if native is not None else []) + list(port_view["tagged_vlans"]))
    if not vlans:
        return None
    if not port_view["tagged_vlans"]:
        return {"mode": "access", "native_vlan": native, "vlans": vlans}
    return {"mode": "trunk", "native_vlan": native, "vlans": vlans}


def nodes_by_switch(plan, ports_view):
    """``{switch: [node, ...]}``: the active nodes cabled to each switch, in the plan's node order.

    One pass over the nodes, so planning every switch stays linear in the site's size (scanning every node for
    each switch took a 1,000-node, 80-switch site 80,000 steps).
    """
    cabled = {}
    for node_host in plan["nodes"]:
        for switch in sorted({u["switch"] for u in ports_view[node_host]["uplinks"]}):
            cabled.setdefault(switch, []).append(node_host)
    return cabled


def _ports(plan, host, ports_view, cabled):
    """``cabled``: the active nodes with an uplink to ``host`` (``nodes_by_switch``)."""
    ports = []
    lags = []
    for node_host in cabled:
        view = ports_view[node_host]
        mine = [u for u in view["uplinks"] if u["switch"] == host]
        l2 = _l2(view)
        for uplink in mine:
            ports.append({
                "name": uplink["port"],
                "description": "%s %s" % (node_host, uplink["nic"]),
                "mtu": view["mtu"],
                "lag": view["lag"],
                "l2": None if view["lag"] else l2,
                "edge": True,
            })
        if view["lag"]:
            lags.append({
                "id": view["lag"],
                "description": "%s bond" % node_host,
                "mtu": view["mtu"],
                "members": [u["port"] for u in mine],
                "mode": "active",
                "mlag": view["lag"] if view["mlag"] else None,
                # a node that PXE-boots talks over one member before its bond exists
                "fallback": True,
                "l2": l2,
            })
    # Retired nodes (state: removed, remove_node.yml): their ports stay shut with the description kept, so the
    # port is known as the old node's until something else is cabled there (an active node's uplink wins).
    used = set(p["name"] for p in ports)
    for node_host, node in sorted((plan.get("removed_nodes") or {}).items()):
        for uplink in node["uplinks"]:
            if uplink["switch"] != host or uplink["port"] in used:
                continue
            used.add(uplink["port"])
            ports.append({"name": uplink["port"], "description": "%s %s" % (node_host, uplink["nic"]),
                          "mtu": 1500, "lag": None, "l2": None, "edge": True, "shutdown": True})
    return ports, lags


def _svis(plan, host):
    svis = []
    for vlan in plan["vlans"]:
        address = vlan["switches"].get(host)
        if not vlan["routed"] or address is None:
            continue
        svis.append({"vlan": vlan["id"], "name": vlan["name"], "address": address,
                     "prefix_length": vlan["prefix_length"], "gateway": vlan["gateway"], "mtu": vlan["mtu"]})
    return svis


def _policy(policy):
    pools = []
    for position, entry in enumerate(policy["accept_from_nodes"]):
        net = ipaddress.ip_network(entry["prefix"])
        item = {"sequence": 10 * (position + 1), "action": "permit", "prefix": entry["prefix"],
                "ge": entry["ge"], "le": entry["le"]}
        if net.prefixlen >= entry["ge"]:
            # a /32 pool entry: ge/le would be invalid, the prefix itself is the only match
            item["ge"] = item["le"] = None
        pools.append(item)
    prefix_lists = [{"name": policy["prefix_list"], "entries": pools}]
    to_nodes = []
    if policy["send_to_nodes"] == "default_route":
        prefix_lists.append({"name": DEFAULT_ROUTE_LIST, "entries": [
            {"sequence": 10, "action": "permit", "prefix": "0.0.0.0/0", "ge": None, "le": None}]})
        to_nodes.append({"sequence": 10, "action": "permit", "match_prefix_list": DEFAULT_ROUTE_LIST})
    to_nodes.append({"sequence": DENY_SEQUENCE, "action": "deny", "match_prefix_list": None})
    route_maps = [
        {"name": policy["route_map_in"], "entries": [
            {"sequence": 10, "action": "permit", "match_prefix_list": policy["prefix_list"]},
            {"sequence": DENY_SEQUENCE, "action": "deny", "match_prefix_list": None}]},
        {"name": policy["route_map_out"], "entries": to_nodes},
    ]
    return prefix_lists, route_maps


def _bgp(plan, host, use_listen_ranges):
    bgp = plan["bgp"]
    view = bgp["switches"].get(host)
    if not bgp["enabled"] or view is None:
        return None
    policy = bgp["policy"]
    default_originate = policy["send_to_nodes"] == "default_route"
    neighbors = []
    for n in view["neighbors"]:
        neighbors.append({
            "session": n["session"], "address": n["peer_address"], "remote_asn": n["remote_asn"],
            "local_address": n["local_address"], "description": n["peer"],
            "password_ref": n["password_ref"], "keepalive": n["keepalive"], "hold_time": n["hold_time"],
            "bfd": n["bfd"], "route_map_in": policy["route_map_in"], "route_map_out": policy["route_map_out"],
            "default_originate": default_originate,
        })
    listen_ranges = []
    peer_group = None
    if view["listen_ranges"] and use_listen_ranges:
        # One peer group carries every shared setting; the listen ranges bind addresses to it.
        sample = neighbors[0] if neighbors else {}
        peer_group = {
            "name": PEER_GROUP, "remote_asn": view["listen_ranges"][0]["remote_asn"],
            "password_ref": sample.get("password_ref"), "keepalive": sample.get("keepalive"),
            "hold_time": sample.get("hold_time"), "bfd": sample.get("bfd", False),
            "route_map_in": policy["route_map_in"], "route_map_out": policy["route_map_out"],
            "default_originate": default_originate, "limit": max(16, 2 * len(neighbors)),
        }
        listen_ranges = [{"range": r["range"], "remote_asn": r["remote_asn"], "peer_group": PEER_GROUP}
                         for r in view["listen_ranges"]]
    return {
        "asn": view["asn"], "router_id": view["router_id"], "max_paths": view["max_paths"],
        "multipath_relax": True, "log_neighbor_changes": True,
        "neighbors": [] if listen_ranges else neighbors,
        # what the switch must end up with, whatever the form (explicit neighbors or listen ranges)
        "sessions": [dict(n) for n in neighbors],
        "peer_group": peer_group, "listen_ranges": listen_ranges,
    }


def _mlag(plan, host, lags):
    """This switch's side of its rack's MLAG pair (``plan["mlag"]``), or None."""
    switch = plan["switches"][host]
    domain = plan.get("mlag", {}).get(switch["rack"])
    if not domain:
        return None
    position = [s["name"] for s in domain["switches"]].index(host)
    me, peer = domain["switches"][position], domain["switches"][1 - position]
    subnet = ipaddress.ip_network(domain["peer_subnet"])
    return {
        "domain_id": domain["domain_id"], "position": position, "peer": peer["name"], "priority": me["priority"],
        "peer_link": {
            "id": domain["peer_link_id"], "members": list(me["peer_link_ports"]),
            "description": "MLAG peer link to %s" % peer["name"],
            # the peer link carries every VLAN: as large a frame as any of them
            "mtu": max([v["mtu"] for v in plan["vlans"]] or [1500]),
            "vlans": sorted([v["id"] for v in plan["vlans"]] + [domain["peer_vlan"]]),
        },
        "peer_vlan": domain["peer_vlan"], "local_address": me["peer_address"], "peer_address": peer["peer_address"],
        "prefix_length": subnet.prefixlen,
        "keepalive": {"local": me["keepalive_address"], "peer": peer["keepalive_address"],
                      "prefix_length": domain["keepalive_prefix_length"], "vrf": domain["keepalive_vrf"]},
        "system_mac": domain["system_mac"], "keepalive_interval": domain["keepalive_interval"],
        "session_timeout": domain["session_timeout"],
        "lags": [lag["id"] for lag in lags if lag["mlag"]],
    }


def switch_config(plan, host, ports_view, cabled, listen_ranges=True):
    """The structured configuration of switch ``host`` (see the module docstring).

    ``cabled``: ``nodes_by_switch(plan, ports_view)``, computed once by the
    caller for every switch it plans. ``listen_ranges``: whether the platform
    can use BGP listen ranges; without them a switch gets one neighbor per node
    even when the inventory asks for dynamic neighbors.
    """
    switch = plan["switches"][host]
    ports, lags = _ports(plan, host, ports_view, cabled.get(host, []))
    bgp = _bgp(plan, host, listen_ranges)
    prefix_lists, route_maps = _policy(plan["bgp"]["policy"]) if bgp else ([], [])
    return {
        "name": host,
        "platform": switch["platform"],
        "rack": switch["rack"],
        "router_id": switch["router_id"],
        "vlans": [{"id": v["id"], "name": v["name"], "mtu": v["mtu"]} for v in plan["vlans"]],
        "ports": ports,
        "lags": lags,
        "svis": _svis(plan, host),
        "bgp": bgp,
        "prefix_lists": prefix_lists,
        "route_maps": route_maps,
        "mlag": _mlag(plan, host, lags),
    }


def secret_refs(config):
    """Names of the variables holding secrets this switch's configuration needs."""
    bgp = config.get("bgp") or {}
    refs = {n["password_ref"] for n in bgp.get("sessions", []) if n.get("password_ref")}
    if bgp.get("peer_group") and bgp["peer_group"].get("password_ref"):
        refs.add(bgp["peer_group"]["password_ref"])
    return sorted(refs)


def switch_sessions(config):
    """The BGP sessions as this switch's configuration will really set them up.

    Read back from the structured config (explicit neighbors, or listen ranges
    plus peer group), in the shape of ``bgp.switch_side`` so that
    ``bgp.check_consistency`` can compare it with the node side.
    """
    bgp = config.get("bgp")
    if not bgp:
        return []
    result = []
    svis = [(ipaddress.ip_interface("%s/%d" % (s["address"], s["prefix_length"])).network, s["address"])
            for s in config.get("svis", [])]
    group = bgp.get("peer_group")
    ranges = [(ipaddress.ip_network(r["range"]), r) for r in bgp.get("listen_ranges", [])]
    explicit = {n["address"]: n for n in bgp.get("neighbors", [])}
    for intended in bgp["sessions"]:
        if explicit:
            n = explicit.get(intended["address"])
            if n is None:
                continue
            remote_asn, password_ref, keepalive, hold_time, bfd = (
                n["remote_asn"], n["password_ref"], n["keepalive"], n["hold_time"], n["bfd"])
        else:
            match = [r for net, r in ranges if ipaddress.ip_address(intended["address"]) in net
                     and r["remote_asn"] == intended["remote_asn"]]
            if not match or group is None:
                continue
            remote_asn, password_ref, keepalive, hold_time, bfd = (
                match[0]["remote_asn"], group["password_ref"], group["keepalive"], group["hold_time"],
                group["bfd"])
        peer = ipaddress.ip_address(intended["address"])
        local = next((address for net, address in svis if peer in net), None)
        result.append({"session": intended["session"], "peer": intended["description"],
                       "peer_address": intended["address"], "remote_asn": remote_asn,
                       "local_address": local, "local_asn": bgp["asn"],
                       "password_ref": password_ref, "keepalive": keepalive, "hold_time": hold_time, "bfd": bfd})
    return result
