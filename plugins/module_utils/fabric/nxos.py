# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cisco NX-OS: structured config -> cisco.nxos resource-module arguments.

CLI blocks (``cisco.nxos.nxos_config``): the features, first; then the
shared gateway as HSRP version 2 (group = VLAN id), vPC ids on the node
port-channels, edge ports and LACP suspend-individual off.  Listen ranges
are prefix neighbors (``neighbor 10.10.0.0/24 remote-as 65001``).

With a rack ``mlag`` block: ``vpc domain`` (role priority, ``peer-keepalive
destination <peer> source <own> vrf <keepalive_vrf or management>``) goes
into the CLI block applied before the resource modules, since ``vpc
peer-link`` and ``vpc N`` are refused without a domain; the peer-link port
channel (members, trunk carrying every VLAN) comes from the resource
modules, ``vpc peer-link`` and its spanning-tree port type network from CLI.
NX-OS needs no peer VLAN nor peer addresses.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import (
    block, empty_output, password, switched_interfaces, vlan_ranges)

PLATFORM = "nxos"
LISTEN_RANGES = True
NETWORK_OS = "cisco.nxos.nxos"
KEEPALIVE_VRF = "management"   # mgmt0's VRF: where the keepalive runs unless the inventory names another


def lag_name(lag_id):
    return "port-channel%d" % lag_id


def svi_name(vlan_id):
    return "Vlan%d" % vlan_id


def _l2(name, l2):
    entry = {"name": name, "mode": l2["mode"]}
    if l2["mode"] == "access":
        entry["access"] = {"vlan": l2["native_vlan"]}
    else:
        entry["trunk"] = {"allowed_vlans": vlan_ranges(l2["vlans"])}
        if l2["native_vlan"] is not None:
            entry["trunk"]["native_vlan"] = l2["native_vlan"]
    return entry


def _neighbor(n, address, remote_asn, description, secrets, omit_passwords):
    entry = {"neighbor_address": address, "remote_as": str(remote_asn)}
    if description:
        entry["description"] = description
    if n["keepalive"]:
        entry["timers"] = {"keepalive": n["keepalive"], "holdtime": n["hold_time"]}
    if n["bfd"]:
        entry["bfd"] = {"set": True}
    if n["password_ref"] and not omit_passwords:
        entry["password"] = {"encryption": 0, "key": password(n["password_ref"], secrets)}
    return entry


def _neighbor_af(address, n):
    af = {"afi": "ipv4", "safi": "unicast",
          "route_map": {"inbound": n["route_map_in"], "outbound": n["route_map_out"]}}
    if n["default_originate"]:
        af["default_originate"] = {"set": True}
    return {"neighbor_address": address, "address_family": [af]}


def render(config, secrets=None, omit_passwords=False):
    out = empty_output()
    modules = out["modules"]
    before = out["cli"]["before"]
    after = out["cli"]["after"]
    mlag = config.get("mlag")
    features = ["feature lacp", "feature interface-vlan"]
    if mlag or any(lag["mlag"] for lag in config["lags"]):
        features.append("feature vpc")
    if any(s["gateway"] for s in config["svis"]):
        features.append("feature hsrp")
    bgp = config["bgp"]
    if bgp:
        features.append("feature bgp")
        if any(n["bfd"] for n in bgp["sessions"]):
            features.append("feature bfd")
    before.append(block([], features))
    if mlag:
        keepalive = mlag["keepalive"]
        before.append(block(["vpc domain %d" % mlag["domain_id"]], [
            "role priority %d" % mlag["priority"],
            "peer-keepalive destination %s source %s vrf %s" % (keepalive["peer"], keepalive["local"],
                                                                keepalive["vrf"] or KEEPALIVE_VRF)]))

    modules["nxos_vlans"] = {"state": "merged", "config": [{"vlan_id": v["id"], "name": v["name"]}
                                                           for v in config["vlans"]]}
    interfaces = [{"name": p["name"], "description": p["description"], "mtu": str(p["mtu"]), "mode": "layer2",
                   "enabled": not p.get("shutdown", False)} for p in config["ports"]]
    interfaces += [{"name": lag_name(lag["id"]), "description": lag["description"], "mtu": str(lag["mtu"]),
                    "mode": "layer2", "enabled": True} for lag in config["lags"]]
    interfaces += [{"name": svi_name(s["vlan"]), "description": "netstack %s" % s["name"], "mtu": str(s["mtu"]),
                    "enabled": True} for s in config["svis"]]
    lag_members = [{"name": lag_name(lag["id"]), "members": [{"member": m, "mode": lag["mode"]}
                                                             for m in lag["members"]]} for lag in config["lags"]]
    l2 = [_l2(name, l2) for name, l2 in switched_interfaces(config, lag_name)]
    if mlag:
        link = mlag["peer_link"]
        interfaces += [{"name": m, "description": link["description"], "mtu": str(link["mtu"]), "mode": "layer2",
                        "enabled": True} for m in link["members"]]
        interfaces.append({"name": lag_name(link["id"]), "description": link["description"],
                           "mtu": str(link["mtu"]), "mode": "layer2", "enabled": True})
        lag_members.append({"name": lag_name(link["id"]), "members": [{"member": m, "mode": "active"}
                                                                      for m in link["members"]]})
        # no allowed list: the trunk carries every VLAN, as a peer link must
        l2.append({"name": lag_name(link["id"]), "mode": "trunk"})
    modules["nxos_interfaces"] = {"state": "merged", "config": interfaces}
    modules["nxos_lag_interfaces"] = {"state": "merged", "config": lag_members}
    modules["nxos_l2_interfaces"] = {"state": "merged", "config": l2}
    modules["nxos_l3_interfaces"] = {"state": "merged", "config": [
        {"name": svi_name(s["vlan"]), "ipv4": [{"address": "%s/%d" % (s["address"], s["prefix_length"])}]}
        for s in config["svis"]]}

    if mlag:
        after.append(block(["interface %s" % lag_name(mlag["peer_link"]["id"])],
                           ["spanning-tree port type network", "vpc peer-link"]))
    for p in config["ports"]:
        if p["edge"] and p["lag"] is None:
            trunk = " trunk" if p["l2"] and p["l2"]["mode"] == "trunk" else ""
            after.append(block(["interface %s" % p["name"]], ["spanning-tree port type edge%s" % trunk]))
    for lag in config["lags"]:
        lines = ["spanning-tree port type edge%s" % (" trunk" if lag["l2"] and lag["l2"]["mode"] == "trunk" else "")]
        if lag["fallback"]:
            lines.append("no lacp suspend-individual")
        if lag["mlag"]:
            lines.append("vpc %d" % lag["mlag"])
        after.append(block(["interface %s" % lag_name(lag["id"])], lines))
    for s in config["svis"]:
        if s["gateway"]:
            after.append(block(["interface %s" % svi_name(s["vlan"])], ["hsrp version 2"]))
            after.append(block(["interface %s" % svi_name(s["vlan"]), "hsrp %d" % s["vlan"]],
                               ["ip %s" % s["gateway"]]))
    if not bgp:
        return out

    modules["nxos_prefix_lists"] = {"state": "replaced", "config": [{"afi": "ipv4", "prefix_lists": [
        {"name": pl["name"], "entries": [
            dict({"sequence": e["sequence"], "action": e["action"], "prefix": e["prefix"]},
                 **{k: e[k] for k in ("ge", "le") if e[k] is not None})
            for e in pl["entries"]]}
        for pl in config["prefix_lists"]]}]}
    modules["nxos_route_maps"] = {"state": "replaced", "config": [
        {"route_map": rm["name"], "entries": [
            dict({"sequence": e["sequence"], "action": e["action"]},
                 **({"match": {"ip": {"address": {"prefix_lists": [e["match_prefix_list"]]}}}}
                    if e["match_prefix_list"] else {}))
            for e in rm["entries"]]}
        for rm in config["route_maps"]]}
    neighbors = [_neighbor(n, n["address"], n["remote_asn"], n["description"], secrets, omit_passwords)
                 for n in bgp["neighbors"]]
    neighbor_afs = [_neighbor_af(n["address"], n) for n in bgp["neighbors"]]
    group = bgp["peer_group"]
    for r in bgp["listen_ranges"]:
        neighbors.append(_neighbor(group, r["range"], r["remote_asn"], "netstack nodes (dynamic)", secrets,
                                   omit_passwords))
        neighbor_afs.append(_neighbor_af(r["range"], group))
    modules["nxos_bgp_global"] = {"state": "merged", "config": {
        "as_number": str(bgp["asn"]), "router_id": bgp["router_id"],
        "log_neighbor_changes": bgp["log_neighbor_changes"],
        "bestpath": {"as_path": {"multipath_relax": bgp["multipath_relax"]}},
        "neighbors": neighbors}}
    modules["nxos_bgp_address_family"] = {"state": "merged", "config": {
        "as_number": str(bgp["asn"]),
        "address_family": [{"afi": "ipv4", "safi": "unicast",
                            "maximum_paths": {"parallel_paths": bgp["max_paths"]}}]}}
    modules["nxos_bgp_neighbor_address_family"] = {"state": "merged", "config": {
        "as_number": str(bgp["asn"]), "neighbors": neighbor_afs}}
    return out
