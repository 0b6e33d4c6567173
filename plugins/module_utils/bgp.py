# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""BGP between node speakers and top-of-rack switches: one session list, two ends.

Every node peers with each switch it is cabled to (its uplinks) on the peering VLAN.  The
session list is the single source: ``switch_side`` (for the switch renderers)
and ``node_side`` (for MetalLB / Cilium BGP objects) are both views of it, and
``check_consistency`` proves a pair of views describes the same sessions.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import host_path
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem
from ansible_collections.netstack.baremetal.plugins.module_utils.schema import ASN_MAX, ASN_SCHEME_SCHEMA

PREFIX_LIST_NAME = "NETSTACK-LB-POOLS"
ROUTE_MAP_IN = "NETSTACK-FROM-NODES"
ROUTE_MAP_OUT = "NETSTACK-TO-NODES"
# AS_TRANS and the documentation/reserved ASNs cannot be used on real sessions.
RESERVED_ASNS = {23456, 65535, 4294967295}


def switch_asn(site, switch):
    if switch.get("asn"):
        return switch["asn"]
    scheme = site["fabric"]["asn"]["switches"]
    rack = site["racks"][switch["rack"]]
    if scheme["scheme"] == "per_rack":
        return scheme["base"] + rack["index"]
    if scheme["scheme"] == "per_switch":
        return scheme["base"] + 4 * (rack["index"] - 1) + switch["index"]
    return scheme["base"]


def node_asn(site, node):
    scheme = site["fabric"]["asn"]["nodes"]
    if scheme["scheme"] == "per_rack":
        return scheme["base"] + site["racks"][node["rack"]]["index"]
    if scheme["scheme"] == "per_node":
        return scheme["base"] + node["index"]
    return scheme["base"]


def _check_asn(asn, path, what, problems, site=None):
    """False (and one problem per ``path``) when ``asn`` cannot be used; a derived ASN is reported at its base."""
    if 1 <= asn <= ASN_MAX and asn not in RESERVED_ASNS:
        return True
    if any(p.path == path for p in problems):
        return False      # an ASN base gives many ASNs: its problem is reported once
    why = "is out of range 1-%d" % ASN_MAX if not 1 <= asn <= ASN_MAX else "is reserved"
    problems.append(Problem(path, "%s ASN %d %s" % (what, asn, why), _asn_hint(site, path)))
    return False


def _switch_asn_path(host, switch):
    return host_path(host, "netstack_switch", "asn") if switch.get("asn") else "netstack_fabric.asn.switches.base"


_BASE_CANDIDATES = (4200000000, 64512, 4210000000, 65000, 65100)


def _usable(asn, avoid):
    return 1 <= asn <= ASN_MAX and asn not in RESERVED_ASNS and asn not in avoid


def _suggest_base(offsets, avoid, first=None):
    """A base that makes every ``base + offset`` a usable ASN outside ``avoid``."""
    for base in ((first,) if first else ()) + _BASE_CANDIDATES:
        if all(_usable(base + offset, avoid) for offset in offsets):
            return base
    return None


def _asn_defaults():
    props = ASN_SCHEME_SCHEMA["properties"]
    return (props["nodes"]["properties"]["base"]["default"], props["switches"]["properties"]["base"]["default"])


def _asns(site):
    """(node ASN offsets from their base, node ASNs, derived switch offsets, every switch ASN)."""
    scheme = site["fabric"]["asn"]
    node_asns = set(node_asn(site, n) for n in site["nodes"].values() if n["rack"] in site["racks"])
    switches = [s for s in site["switches"].values() if s["rack"] in site["racks"] or s.get("asn")]
    derived = set(switch_asn(site, s) - scheme["switches"]["base"] for s in switches if not s.get("asn"))
    return (set(a - scheme["nodes"]["base"] for a in node_asns), node_asns, derived,
            set(switch_asn(site, s) for s in switches))


def _asn_hint(site, path):
    if site is None:
        return "use an ASN from 64512-65534 or 4200000000-4294967294 (private)"
    node_offsets, node_asns, switch_offsets, switch_asns = _asns(site)
    nodes_default, switches_default = _asn_defaults()
    if path == "netstack_fabric.asn.nodes.base":
        base = _suggest_base(node_offsets, switch_asns, nodes_default)
    elif path == "netstack_fabric.asn.switches.base":
        base = _suggest_base(switch_offsets, node_asns, switches_default)
    else:
        base = _suggest_base({0}, node_asns)
    if base is None:
        return "use an ASN from 64512-65534 or 4200000000-4294967294 (private), apart from the other side's"
    if path.startswith("hosts."):
        return "set netstack_switch.asn: %d on %s, or remove it to derive it from netstack_fabric.asn" % (
            base, path.split(".")[1])
    return "set %s: %d" % (path, base)


def _report_asn_clashes(site, clashes, switch_asns, problems):
    """One problem per ASN setting to change, however many sessions a node/switch ASN clash breaks.

    The setting to change is the one the user wrote: a switch's own ``asn``, else the ASN base that is not
    at its default (``netstack_fabric.asn.switches.base`` or ``.nodes.base``); the node base otherwise.
    """
    scheme = site["fabric"]["asn"]
    nodes_default, switches_default = _asn_defaults()
    nodes_set = scheme["nodes"]["base"] != nodes_default
    by_key = {}
    for switch, host, asn in clashes:
        own = site["switches"][switch].get("asn")
        if own and not nodes_set:
            key = _switch_asn_path(switch, site["switches"][switch])
        elif not own and scheme["switches"]["base"] != switches_default and not nodes_set:
            key = "netstack_fabric.asn.switches.base"
        else:
            key = "netstack_fabric.asn.nodes.base"
        by_key.setdefault(key, []).append((switch, host, asn))
    node_source = "netstack_fabric.asn.nodes: base %d, scheme %s" % (
        scheme["nodes"]["base"], scheme["nodes"]["scheme"])
    for key, found in sorted(by_key.items()):
        switch, host, asn = found[0]
        if site["switches"][switch].get("asn"):
            switch_source = "its own netstack_switch.asn"
        else:
            switch_source = "netstack_fabric.asn.switches: base %d, scheme %s" % (
                scheme["switches"]["base"], scheme["switches"]["scheme"])
        if key == "netstack_fabric.asn.nodes.base":
            message = "node ASN %d (%s) equals the ASN of switch '%s' (%s)" % (
                asn, node_source, switch, switch_source)
        else:
            message = "switch ASN %d (%s) equals the ASN of node '%s' (%s)" % (
                asn, switch_source, host, node_source)
        message += ": the node sessions must be eBGP (%d session%s)" % (len(found), "s" if len(found) > 1 else "")
        problems.append(Problem(key, message, _asn_hint(site, key)))


def plan_bgp(site, addresses, problems):
    """Return the BGP part of the plan: sessions, per-switch and per-node views, policy."""
    fabric = site["fabric"]
    bgp = fabric["bgp"]
    lb = site["load_balancer"]
    enabled = lb["mode"] == "bgp"
    policy = {
        "prefix_list": PREFIX_LIST_NAME,
        "route_map_in": ROUTE_MAP_IN,
        "route_map_out": ROUTE_MAP_OUT,
        # Nodes may announce only single addresses out of the pools.
        "accept_from_nodes": [{"prefix": cidr, "ge": 32, "le": 32}
                              for pool in addresses["pools"] for cidr in pool["cidrs"]],
        "send_to_nodes": bgp["send_to_nodes"],
    }
    result = {"enabled": enabled, "peering_vlan": bgp.get("peering_vlan"), "policy": policy,
              "sessions": [], "switches": {}, "nodes": {}}
    if not enabled:
        return result
    vlan = site["vlans"].get(bgp.get("peering_vlan"))
    if vlan is None:
        return result
    if not (vlan["routed"] and vlan["node_addresses"]):
        problems.append(Problem("netstack_fabric.bgp.peering_vlan", "VLAN '%s' must be routed and carry node "
                                "addresses to peer on it" % vlan["name"],
                                "set peering_vlan: %s (the node VLAN), or routed: true and node_addresses: true "
                                "on VLAN '%s'" % (site.get("node_vlan"), vlan["name"])))
        return result

    switch_asns = {}
    for host, switch in sorted(site["switches"].items()):
        asn = switch_asn(site, switch)
        if _check_asn(asn, _switch_asn_path(host, switch), "switch", problems, site):
            switch_asns[host] = asn
    by_rack = {}
    rank = {}     # peers in switch index order, as the rack lists them
    for host, switch in sorted(site["switches"].items(), key=lambda kv: kv[1]["index"]):
        by_rack.setdefault(switch["rack"], []).append(host)
        rank[host] = len(rank)

    vlan_name = vlan["name"]
    nodes_view = addresses["nodes"]
    switches_view = addresses["switches"]
    sessions = []
    clashes = []      # (switch, node, ASN) of sessions that would be iBGP: one problem per ASN setting
    for host, node in sorted(site["nodes"].items(), key=lambda kv: kv[1]["index"]):
        asn = node_asn(site, node)
        if not _check_asn(asn, "netstack_fabric.asn.nodes.base", "node", problems, site):
            continue
        # the switches the node is cabled to, not every switch of its rack: a session needs a path (the
        # inventory refuses a node without uplinks and an uplink to an unknown switch or another rack)
        peers = sorted(set(u["switch"] for u in node["uplinks"] if u["switch"] in rank), key=rank.get)
        node_address = nodes_view[host]["addresses"].get(vlan_name)
        for switch in peers:
            if switch not in switch_asns or node_address is None:
                continue
            if switch_asns[switch] == asn:
                clashes.append((switch, host, asn))
                continue
            sessions.append({
                "id": "%s~%s" % (switch, host),
                "switch": switch, "node": host, "rack": node["rack"], "vlan": vlan_name,
                "switch_address": switches_view[switch]["addresses"][vlan_name],
                "node_address": node_address,
                "switch_asn": switch_asns[switch], "node_asn": asn,
                "password_ref": bgp["password_var"],
                "keepalive": bgp["keepalive"], "hold_time": bgp["hold_time"], "bfd": bgp["bfd"],
            })
    if clashes:
        _report_asn_clashes(site, clashes, switch_asns, problems)
    result["sessions"] = sessions
    result["switches"] = _switch_views(site, sessions, switch_asns, by_rack, vlan)
    result["nodes"] = node_side(sessions)
    return result


def _switch_views(site, sessions, switch_asns, by_rack, vlan):
    bgp = site["fabric"]["bgp"]
    per_switch = switch_side(sessions)
    views = {}
    for host in sorted(switch_asns):
        neighbors = per_switch.get(host, [])
        rack_nodes = sorted({s["node_asn"] for s in sessions if s["switch"] == host})
        view = {
            "asn": switch_asns[host],
            "router_id": site["switches"][host]["router_id"],
            "platform": site["switches"][host]["platform"],
            "rack": site["switches"][host]["rack"],
            "max_paths": bgp["max_paths"] or max(1, len(neighbors)),
            "neighbors": neighbors,
            "listen_ranges": [],
        }
        if bgp["dynamic_neighbors"] and rack_nodes:
            view["listen_ranges"] = [{"range": vlan["cidr"], "remote_asn": asn} for asn in rack_nodes]
        views[host] = view
    return views


def switch_side(sessions):
    """The sessions as each switch configures them: {switch: [neighbor, ...]}."""
    view = {}
    for s in sessions:
        view.setdefault(s["switch"], []).append({
            "session": s["id"], "peer": s["node"], "peer_address": s["node_address"], "remote_asn": s["node_asn"],
            "local_address": s["switch_address"], "local_asn": s["switch_asn"], "password_ref": s["password_ref"],
            "keepalive": s["keepalive"], "hold_time": s["hold_time"], "bfd": s["bfd"]})
    return view


def node_side(sessions):
    """The sessions as each node speaker configures them: {node: [peer, ...]}."""
    view = {}
    for s in sessions:
        view.setdefault(s["node"], []).append({
            "session": s["id"], "peer": s["switch"], "peer_address": s["switch_address"], "remote_asn": s["switch_asn"],
            "local_address": s["node_address"], "local_asn": s["node_asn"], "password_ref": s["password_ref"],
            "keepalive": s["keepalive"], "hold_time": s["hold_time"], "bfd": s["bfd"]})
    return view


_BUG_HINT = "both ends are rendered from one session list, so this is a bug: please report it"

_MIRRORED = (("peer_address", "local_address"), ("local_address", "peer_address"),
             ("remote_asn", "local_asn"), ("local_asn", "remote_asn"),
             ("password_ref", "password_ref"), ("keepalive", "keepalive"), ("hold_time", "hold_time"),
             ("bfd", "bfd"))


def check_consistency(switch_view, node_view):
    """Compare both ends of every session; return a list of Problems.

    A session is consistent when each end's local values are the other end's
    peer values (address, ASN) and shared values (password reference, timers,
    BFD) are equal.  Sessions present on one end only are reported too.
    """
    problems = []
    switch_ends = {n["session"]: (switch, n) for switch, ns in switch_view.items() for n in ns}
    node_ends = {n["session"]: (node, n) for node, ns in node_view.items() for n in ns}
    for session in sorted(set(switch_ends) | set(node_ends)):
        if session not in node_ends:
            problems.append(Problem("bgp.sessions.%s" % session, "configured on switch '%s' only"
                                    % switch_ends[session][0], _BUG_HINT))
            continue
        if session not in switch_ends:
            problems.append(Problem("bgp.sessions.%s" % session, "configured on node '%s' only"
                                    % node_ends[session][0], _BUG_HINT))
            continue
        switch_end = switch_ends[session][1]
        node_end = node_ends[session][1]
        for switch_key, node_key in _MIRRORED:
            if switch_end[switch_key] != node_end[node_key]:
                problems.append(Problem("bgp.sessions.%s.%s" % (session, switch_key),
                                        "the switch end says %r but the node end says %s=%r"
                                        % (switch_end[switch_key], node_key, node_end[node_key]), _BUG_HINT))
    return problems
