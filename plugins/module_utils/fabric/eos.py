# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Arista EOS: structured config -> arista.eos resource-module arguments.

What the resource modules cannot say goes into CLI blocks (applied with
``arista.eos.eos_config``): the shared gateway (VARP ``ip virtual-router
address``), MLAG ids, LACP fallback and portfast on node ports,
``multipath-relax`` and listen ranges (``eos_bgp_global`` 12.0.0 renders
both wrongly: ``multipath_relax`` with an underscore, ``dynamic peer max``
without the range).

With a rack ``mlag`` block: the peer link is a port channel like the node
bonds (resource modules: members, trunk carrying every VLAN, the peer VLAN
and its SVI); ``mlag configuration``, the peer VLAN's trunk group (only the
peer link carries it) and its spanning tree off are CLI, no module knowing
them.  The keepalive is ``peer-address heartbeat`` to the peer's keepalive
address (in ``keepalive_vrf`` when one is named).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import (
    block, empty_output, password, switched_interfaces)

PLATFORM = "eos"
LISTEN_RANGES = True
NETWORK_OS = "arista.eos.eos"
VARP_MAC = "00:1c:73:00:00:99"
MLAG_TRUNK_GROUP = "NETSTACK-MLAG-PEER"


def lag_name(lag_id):
    return "Port-Channel%d" % lag_id


def svi_name(vlan_id):
    return "Vlan%d" % vlan_id


def _l2(name, l2):
    entry = {"name": name, "mode": l2["mode"]}
    if l2["mode"] == "access":
        entry["access"] = {"vlan": l2["native_vlan"]}
    else:
        trunk = {"trunk_allowed_vlans": [str(v) for v in l2["vlans"]]}
        if l2["native_vlan"] is not None:
            trunk["native_vlan"] = l2["native_vlan"]
        entry["trunk"] = trunk
    return entry


def _match(entry):
    if entry["ge"] is None:
        return None
    if entry["ge"] == entry["le"]:
        return {"operator": "eq", "masklen": entry["ge"]}
    if entry["le"] is None:
        return {"operator": "ge", "masklen": entry["ge"]}
    raise ValueError("EOS prefix-list entries take one of eq/ge/le, not ge %s le %s" % (entry["ge"], entry["le"]))


def _neighbor(n, secrets, omit_passwords, name_key="neighbor_address"):
    entry = {name_key: n["address"] if "address" in n else n["name"]}
    if "address" not in n:
        entry["peer_group"] = n["name"]
    else:
        entry["remote_as"] = str(n["remote_asn"])
        entry["description"] = n["description"]
    if n["keepalive"]:
        entry["timers"] = {"keepalive": n["keepalive"], "holdtime": n["hold_time"]}
    if n["bfd"]:
        entry["bfd"] = "enable"
    if n["password_ref"] and not omit_passwords:
        entry["encryption_password"] = {"type": 0, "password": password(n["password_ref"], secrets)}
    entry["route_map"] = {"name": n["route_map_in"], "direction": "in"}
    if n["default_originate"]:
        entry["default_originate"] = {"always": True}
    return entry


def _mlag_blocks(mlag):
    """The MLAG domain: the peer VLAN only on the peer link (trunk group), no spanning tree on it (the MLAG
    control traffic must never be blocked), then ``mlag configuration``."""
    link = lag_name(mlag["peer_link"]["id"])
    heartbeat = "peer-address heartbeat %s" % mlag["keepalive"]["peer"]
    if mlag["keepalive"]["vrf"]:
        heartbeat += " vrf %s" % mlag["keepalive"]["vrf"]
    return [block(["vlan %d" % mlag["peer_vlan"]], ["trunk group %s" % MLAG_TRUNK_GROUP]),
            block(["interface %s" % link], ["switchport trunk group %s" % MLAG_TRUNK_GROUP]),
            block([], ["no spanning-tree vlan-id %d" % mlag["peer_vlan"]]),
            block(["mlag configuration"], ["domain-id %d" % mlag["domain_id"],
                                           "local-interface %s" % svi_name(mlag["peer_vlan"]),
                                           "peer-address %s" % mlag["peer_address"], heartbeat,
                                           "peer-link %s" % link])]


def render(config, secrets=None, omit_passwords=False):
    out = empty_output()
    modules = out["modules"]
    after = out["cli"]["after"]
    mlag = config.get("mlag")
    vlans = [{"vlan_id": v["id"], "name": v["name"], "state": "active"} for v in config["vlans"]]
    if mlag:
        vlans.append({"vlan_id": mlag["peer_vlan"], "name": "NETSTACK-MLAG-PEER", "state": "active"})
    modules["eos_vlans"] = {"state": "merged", "config": vlans}
    interfaces = [{"name": p["name"], "description": p["description"], "mtu": p["mtu"], "mode": "layer2",
                   "enabled": not p.get("shutdown", False)} for p in config["ports"]]
    interfaces += [{"name": lag_name(lag["id"]), "description": lag["description"], "mtu": lag["mtu"],
                    "mode": "layer2", "enabled": True} for lag in config["lags"]]
    interfaces += [{"name": svi_name(s["vlan"]), "description": "netstack %s" % s["name"], "mtu": s["mtu"],
                    "enabled": True} for s in config["svis"]]
    lag_members = [{"name": lag_name(lag["id"]), "members": [{"member": m, "mode": lag["mode"]}
                                                             for m in lag["members"]]} for lag in config["lags"]]
    l2 = [_l2(name, l2) for name, l2 in switched_interfaces(config, lag_name)]
    l3 = [{"name": svi_name(s["vlan"]), "ipv4": [{"address": "%s/%d" % (s["address"], s["prefix_length"])}]}
          for s in config["svis"]]
    if mlag:
        link = mlag["peer_link"]
        peer_link = lag_name(link["id"])
        interfaces += [{"name": m, "description": link["description"], "mtu": link["mtu"], "mode": "layer2",
                        "enabled": True} for m in link["members"]]
        interfaces += [{"name": peer_link, "description": link["description"], "mtu": link["mtu"],
                        "mode": "layer2", "enabled": True},
                       {"name": svi_name(mlag["peer_vlan"]), "description": "netstack MLAG peer",
                        "mtu": link["mtu"], "enabled": True}]
        lag_members.append({"name": peer_link, "members": [{"member": m, "mode": "active"}
                                                           for m in link["members"]]})
        # a trunk without an allowed list carries every VLAN, the peer VLAN through its trunk group
        l2.append({"name": peer_link, "mode": "trunk"})
        l3.append({"name": svi_name(mlag["peer_vlan"]),
                   "ipv4": [{"address": "%s/%d" % (mlag["local_address"], mlag["prefix_length"])}]})
    modules["eos_interfaces"] = {"state": "merged", "config": interfaces}
    modules["eos_lag_interfaces"] = {"state": "merged", "config": lag_members}
    modules["eos_l2_interfaces"] = {"state": "merged", "config": l2}
    modules["eos_l3_interfaces"] = {"state": "merged", "config": l3}
    if mlag:
        after.extend(_mlag_blocks(mlag))

    for p in config["ports"]:
        if p["edge"] and p["lag"] is None:
            after.append(block(["interface %s" % p["name"]], ["spanning-tree portfast"]))
    for lag in config["lags"]:
        lines = ["spanning-tree portfast"]
        if lag["fallback"]:
            lines += ["port-channel lacp fallback individual", "port-channel lacp fallback timeout 5"]
        if lag["mlag"]:
            lines.append("mlag %d" % lag["mlag"])
        after.append(block(["interface %s" % lag_name(lag["id"])], lines))
    gateways = [s for s in config["svis"] if s["gateway"]]
    if gateways:
        after.append(block([], ["ip virtual-router mac-address %s" % VARP_MAC]))
        for s in gateways:
            after.append(block(["interface %s" % svi_name(s["vlan"])], ["ip virtual-router address %s" % s["gateway"]]))

    bgp = config["bgp"]
    if not bgp:
        return out
    modules["eos_prefix_lists"] = {"state": "replaced", "config": [{"afi": "ipv4", "prefix_lists": [
        {"name": pl["name"], "entries": [dict({"sequence": e["sequence"], "action": e["action"],
                                               "address": e["prefix"]},
                                              **({"match": _match(e)} if _match(e) else {}))
                                         for e in pl["entries"]]}
        for pl in config["prefix_lists"]]}]}
    modules["eos_route_maps"] = {"state": "replaced", "config": [
        {"route_map": rm["name"], "entries": [
            dict({"sequence": e["sequence"], "action": e["action"]},
                 **({"match": {"ip": {"address": {"prefix_list": e["match_prefix_list"]}}}}
                    if e["match_prefix_list"] else {}))
            for e in rm["entries"]]}
        for rm in config["route_maps"]]}
    neighbors = [_neighbor(n, secrets, omit_passwords) for n in bgp["neighbors"]]
    # No "activate": IPv4 neighbors are active by default, and eos_bgp_address_family 12.0.0 renders
    # activate twice instead of the route map when both are given.
    af_neighbors = [{"peer": n["address"], "route_map": {"name": n["route_map_out"], "direction": "out"}}
                    for n in bgp["neighbors"]]
    router_lines = ["bgp bestpath as-path multipath-relax"] if bgp["multipath_relax"] else []
    if bgp["peer_group"]:
        group = bgp["peer_group"]
        neighbors.insert(0, _neighbor(group, secrets, omit_passwords))
        af_neighbors.insert(0, {"peer": group["name"],
                                "route_map": {"name": group["route_map_out"], "direction": "out"}})
        router_lines.append("dynamic peer max %d" % group["limit"])
        router_lines += ["bgp listen range %s peer-group %s remote-as %d"
                         % (r["range"], r["peer_group"], r["remote_asn"]) for r in bgp["listen_ranges"]]
    modules["eos_bgp_global"] = {"state": "merged", "config": {
        "as_number": str(bgp["asn"]), "router_id": bgp["router_id"],
        "bgp_params": {"log_neighbor_changes": bgp["log_neighbor_changes"]},
        "maximum_paths": {"max_equal_cost_paths": bgp["max_paths"]},
        "neighbor": neighbors}}
    modules["eos_bgp_address_family"] = {"state": "merged", "config": {
        "as_number": str(bgp["asn"]),
        "address_family": [{"afi": "ipv4", "neighbor": af_neighbors}]}}
    if router_lines:
        after.append(block(["router bgp %d" % bgp["asn"]], router_lines))
    return out
