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
aggregated interfaces.

With a rack ``mlag`` block, node bonds spread over the two switches become
MC-LAG: the ICL (the peer link, an ae trunk carrying every VLAN) and the ICCP
VLAN with its IRB address come from the resource modules; ICCP (local
address, peer, liveness detection, backup liveness to the peer's keepalive
address), ``multi-chassis-protection``, ``switch-options service-id`` and
the ``mc-ae`` options of each node ae (mc-ae-id = bond id, redundancy group
= domain id, chassis id 0/1, active-active, status control active on the
first switch, LACP system-id and admin-key equal on both) are ``set`` lines.
Without it, bonds spread over two switches are left to the operator.
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
ICCP_VLAN = "NETSTACK-ICCP"
ICCP_MULTIPLIER = 3


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


def _mc_lag_lines(mlag):
    """ICCP between the pair over the ICCP VLAN's IRB, the ICL's protection and every node ae as an mc-ae."""
    link = mlag["peer_link"]
    icl = lag_name(link["id"])
    peer = "set protocols iccp peer %s" % mlag["peer_address"]
    lines = ["set interfaces %s description %s" % (m, _quote(link["description"])) for m in link["members"]]
    lines += [
        "set switch-options service-id %d" % mlag["domain_id"],
        "set protocols iccp local-ip-addr %s" % mlag["local_address"],
        "%s redundancy-group-id-list %d" % (peer, mlag["domain_id"]),
        "%s liveness-detection minimum-interval %d" % (peer, 1000 * mlag["keepalive_interval"]),
        "%s liveness-detection multiplier %d" % (peer, ICCP_MULTIPLIER),
        "%s backup-liveness-detection backup-peer-ip %s" % (peer, mlag["keepalive"]["peer"]),
        "set multi-chassis multi-chassis-protection %s interface %s" % (mlag["peer_address"], icl),
    ]
    for lag_id in mlag["lags"]:
        # both members of an MC-LAG answer LACP as one partner: same system id and admin key on both switches
        options = "set interfaces %s aggregated-ether-options" % lag_name(lag_id)
        lines += ["%s lacp system-id %s" % (options, mlag["system_mac"]),
                  "%s lacp admin-key %d" % (options, lag_id),
                  "%s mc-ae mc-ae-id %d" % (options, lag_id),
                  "%s mc-ae redundancy-group %d" % (options, mlag["domain_id"]),
                  "%s mc-ae chassis-id %d" % (options, mlag["position"]),
                  "%s mc-ae mode active-active" % options,
                  "%s mc-ae status-control %s" % (options, "active" if mlag["position"] == 0 else "standby")]
    return lines


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
    mlag = config.get("mlag")
    if mlag:
        vlans.append({"name": ICCP_VLAN, "vlan_id": mlag["peer_vlan"], "l3_interface": "irb.%d" % mlag["peer_vlan"]})
        vlan_names[mlag["peer_vlan"]] = ICCP_VLAN
    modules["junos_vlans"] = {"state": "merged", "config": vlans}
    interfaces = [{"name": p["name"], "description": p["description"], "mtu": p["mtu"] + L2_OVERHEAD,
                   "enabled": not p.get("shutdown", False)} for p in config["ports"] if p["lag"] is None]
    interfaces += [{"name": lag_name(lag["id"]), "description": lag["description"],
                    "mtu": lag["mtu"] + L2_OVERHEAD, "enabled": True} for lag in config["lags"]]
    lag_members = [{"name": lag_name(lag["id"]), "mode": lag["mode"],
                    "members": [{"member": m} for m in lag["members"]]} for lag in config["lags"]]
    l2 = [_l2(name, l2, vlan_names) for name, l2 in switched_interfaces(config, lag_name)]
    l3 = [{"name": "irb", "unit": s["vlan"], "ipv4": [{"address": "%s/%d" % (s["address"], s["prefix_length"])}]}
          for s in config["svis"]]
    if mlag:
        link = mlag["peer_link"]
        icl = lag_name(link["id"])
        interfaces.append({"name": icl, "description": link["description"], "mtu": link["mtu"] + L2_OVERHEAD,
                           "enabled": True})
        lag_members.append({"name": icl, "mode": "active", "members": [{"member": m} for m in link["members"]]})
        l2.append(_l2(icl, {"mode": "trunk", "native_vlan": None, "vlans": link["vlans"]}, vlan_names))
        l3.append({"name": "irb", "unit": mlag["peer_vlan"],
                   "ipv4": [{"address": "%s/%d" % (mlag["local_address"], mlag["prefix_length"])}]})
    modules["junos_interfaces"] = {"state": "merged", "config": interfaces}
    modules["junos_lag_interfaces"] = {"state": "merged", "config": lag_members}
    modules["junos_l2_interfaces"] = {"state": "merged", "config": l2}
    modules["junos_l3_interfaces"] = {"state": "merged", "config": l3}
    for p in config["ports"]:
        if p["lag"] is not None:
            line = "set interfaces %s description %s" % (p["name"], _quote(p["description"]))
            after.append({"parents": [], "lines": [line]})
    if mlag:
        after.append({"parents": [], "lines": _mc_lag_lines(mlag)})
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
