# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Juniper Junos (ELS): structured config -> junipernetworks.junos resource-module arguments.

Junos has no resource module for policy statements, so the routing policy is
``set`` lines (``junipernetworks.junos.junos_config``): the pools become
``route-filter <pool> prefix-length-range /32-/32`` terms, which also says
"only /32s" without a separate prefix list.  The shared gateway is VRRP on
the IRB unit, ECMP a ``load-balance per-packet`` forwarding-table export.
Keepalive follows the hold time (hold / 3) on Junos.  With ``send_to_nodes:
default_route`` the export policy passes the switch's own default route (Junos
has no per-neighbor default-originate).  Media MTU includes the
Ethernet and 802.1Q headers, hence ``mtu + 22`` on physical ports and
aggregated interfaces.  ESI/MC-LAG for node bonds spread over two switches
needs the EVPN fabric and is left to the operator.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import (
    empty_output, password, switched_interfaces, vrrp_group)

PLATFORM = "junos"
LISTEN_RANGES = True
NETWORK_OS = "junipernetworks.junos.junos"
L2_OVERHEAD = 22
ECMP_POLICY = "NETSTACK-ECMP"
GROUP = "NETSTACK-NODES"


def lag_name(lag_id):
    return "ae%d" % lag_id


def _l2(name, l2, vlan_names):
    entry = {"name": name, "unit": 0, "enhanced_layer": True}
    if l2["mode"] == "access":
        entry["access"] = {"vlan": vlan_names[l2["native_vlan"]]}
    else:
        entry["trunk"] = {"allowed_vlans": [vlan_names[v] for v in l2["vlans"]]}
        if l2["native_vlan"] is not None:
            entry["trunk"]["native_vlan"] = str(l2["native_vlan"])
    return entry


def _quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _policy_lines(config):
    lines = []
    lists = {pl["name"]: pl for pl in config["prefix_lists"]}
    for rm in config["route_maps"]:
        base = "set policy-options policy-statement %s" % rm["name"]
        for e in rm["entries"]:
            term = "%s term seq-%d" % (base, e["sequence"])
            if e["match_prefix_list"]:
                for entry in lists[e["match_prefix_list"]]["entries"]:
                    if entry["ge"] is None:
                        lines.append("%s from route-filter %s exact" % (term, entry["prefix"]))
                    else:
                        lines.append("%s from route-filter %s prefix-length-range /%d-/%d"
                                     % (term, entry["prefix"], entry["ge"], entry["le"]))
            lines.append("%s then %s" % (term, "accept" if e["action"] == "permit" else "reject"))
    lines.append("set policy-options policy-statement %s then load-balance per-packet" % ECMP_POLICY)
    lines.append("set routing-options forwarding-table export %s" % ECMP_POLICY)
    return lines


def _group(config, secrets, omit_passwords):
    bgp = config["bgp"]
    sample = bgp["peer_group"] or (bgp["sessions"][0] if bgp["sessions"] else None)
    # import policy and multipath are set lines: junos_bgp_global 11.0.0 renders the import list's Python
    # repr and leaves a group's multipath out
    group = {"name": GROUP, "type": "external", "log_updown": bgp["log_neighbor_changes"]}
    if sample:
        group["export"] = sample["route_map_out"]
        if sample["hold_time"]:
            group["hold_time"] = sample["hold_time"]
        if sample["bfd"]:
            group["bfd_liveness_detection"] = {"minimum_interval": 300, "multiplier": 3}
        if sample["password_ref"] and not omit_passwords:
            group["authentication_key"] = password(sample["password_ref"], secrets)
    if bgp["peer_group"]:
        group["peer_as"] = str(bgp["peer_group"]["remote_asn"])
        group["allow"] = [r["range"] for r in bgp["listen_ranges"]]
    else:
        group["neighbors"] = [{"neighbor_address": n["address"], "peer_as": str(n["remote_asn"]),
                               "description": n["description"]} for n in bgp["neighbors"]]
    return group


def render(config, secrets=None, omit_passwords=False):
    out = empty_output()
    modules = out["modules"]
    after = out["cli"]["after"]
    vlan_names = {v["id"]: v["name"] for v in config["vlans"]}
    svi_vlans = {s["vlan"] for s in config["svis"]}
    vlans = []
    for v in config["vlans"]:
        entry = {"name": v["name"], "vlan_id": v["id"]}
        if v["id"] in svi_vlans:
            entry["l3_interface"] = "irb.%d" % v["id"]
        vlans.append(entry)
    modules["junos_vlans"] = {"state": "merged", "config": vlans}
    interfaces = [{"name": p["name"], "description": p["description"], "mtu": p["mtu"] + L2_OVERHEAD,
                   "enabled": not p.get("shutdown", False)} for p in config["ports"] if p["lag"] is None]
    interfaces += [{"name": lag_name(lag["id"]), "description": lag["description"],
                    "mtu": lag["mtu"] + L2_OVERHEAD, "enabled": True} for lag in config["lags"]]
    modules["junos_interfaces"] = {"state": "merged", "config": interfaces}
    modules["junos_lag_interfaces"] = {"state": "merged", "config": [
        {"name": lag_name(lag["id"]), "mode": lag["mode"], "members": [{"member": m} for m in lag["members"]]}
        for lag in config["lags"]]}
    modules["junos_l2_interfaces"] = {"state": "merged", "config": [
        _l2(name, l2, vlan_names) for name, l2 in switched_interfaces(config, lag_name)]}
    modules["junos_l3_interfaces"] = {"state": "merged", "config": [
        {"name": "irb", "unit": s["vlan"], "ipv4": [{"address": "%s/%d" % (s["address"], s["prefix_length"])}]}
        for s in config["svis"]]}
    for p in config["ports"]:
        if p["lag"] is not None:
            line = "set interfaces %s description %s" % (p["name"], _quote(p["description"]))
            after.append({"parents": [], "lines": [line]})
    for s in config["svis"]:
        if s["gateway"]:
            unit = "set interfaces irb unit %d family inet address %s/%d vrrp-group %d" % (
                s["vlan"], s["address"], s["prefix_length"], vrrp_group(s["vlan"]))
            after.append({"parents": [], "lines": ["%s virtual-address %s" % (unit, s["gateway"]),
                                                   "%s accept-data" % unit]})
    bgp = config["bgp"]
    if not bgp:
        return out
    modules["junos_routing_options"] = {"state": "merged", "config": {
        "router_id": bgp["router_id"], "autonomous_system": {"as_number": str(bgp["asn"])}}}
    modules["junos_bgp_global"] = {"state": "merged", "config": {
        "groups": [_group(config, secrets, omit_passwords)]}}
    policy = _policy_lines(config)
    in_maps = {n["route_map_in"] for n in bgp["sessions"]}
    if bgp["peer_group"]:
        in_maps.add(bgp["peer_group"]["route_map_in"])
    policy += ["set protocols bgp group %s import %s" % (GROUP, name) for name in sorted(in_maps)]
    if bgp["multipath_relax"]:
        policy.append("set protocols bgp group %s multipath multiple-as" % GROUP)
    after.append({"parents": [], "lines": policy})
    return out
