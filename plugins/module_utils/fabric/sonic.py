# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enterprise SONiC: structured config -> dellemc.enterprise_sonic module arguments.

SONiC's modules talk RESTCONF and have no ``rendered`` state, so the bundle
keeps these arguments as the switch's payload.  The node VLAN is the access
(untagged) VLAN of a port, the other VLANs are trunk (tagged) members.  The
shared gateway is VRRP (``sonic_vrrp``, group from the VLAN id, as on Junos):
SONiC's static anycast gateway cannot sit on a VLAN interface next to the
switch's own address (``sonic_l3_interfaces`` rejects ``addresses`` with
``anycast_addresses``), and that own address is what the nodes peer with.
Listen ranges are not exposed by the modules, so SONiC always gets one
neighbor per node.

With a rack ``mlag`` block: the peer link is a port channel trunk carrying
every VLAN and the peer VLAN, whose VLAN interface holds the session
address; ``sonic_mclag`` (after the L3 interfaces it uses) sets the domain:
session source and peer on the peer VLAN, the peer link, the node port
channels as members, the system MAC and the backup keepalive between the
keepalive addresses (in ``keepalive_vrf``, default ``mgmt``).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric.common import (
    bgp_neighbors, empty_output, password, switched_interfaces, vrrp_group)

PLATFORM = "sonic"
LISTEN_RANGES = False
NETWORK_OS = "dellemc.enterprise_sonic.sonic"
KEEPALIVE_VRF = "mgmt"   # SONiC's management VRF


def lag_name(lag_id):
    return "PortChannel%d" % lag_id


def svi_name(vlan_id):
    return "Vlan%d" % vlan_id


def _port(port):
    """A node-facing port. A port channel member keeps the switch's MTU: SONiC's CLI refuses a member whose MTU
    differs from its port channel's, and both default to 9100, above every node MTU."""
    entry = {"name": port["name"], "description": port["description"], "enabled": not port.get("shutdown", False)}
    if port["lag"] is None:
        entry["mtu"] = port["mtu"]
    return entry


def _l2(name, l2):
    entry = {"name": name}
    if l2["native_vlan"] is not None:
        entry["access"] = {"vlan": l2["native_vlan"]}
    tagged = [v for v in l2["vlans"] if v != l2["native_vlan"]]
    if tagged:
        entry["trunk"] = {"allowed_vlans": [{"vlan": str(v)} for v in tagged]}
    return entry


def _mclag(mlag):
    keepalive = mlag["keepalive"]
    config = {
        "domain_id": mlag["domain_id"],
        "source_address": mlag["local_address"], "peer_address": mlag["peer_address"],
        "peer_link": lag_name(mlag["peer_link"]["id"]),
        "keepalive": mlag["keepalive_interval"], "session_timeout": mlag["session_timeout"],
        "system_mac": mlag["system_mac"],
        "backup_keepalive_source_address": keepalive["local"],
        "backup_keepalive_peer_address": keepalive["peer"],
        "backup_keepalive_session_vrf": keepalive["vrf"] or KEEPALIVE_VRF,
    }
    if mlag["lags"]:
        config["members"] = {"portchannels": [{"lag": lag_name(i)} for i in mlag["lags"]]}
    return config


def render(config, secrets=None, omit_passwords=False):
    out = empty_output()
    modules = out["modules"]
    mlag = config.get("mlag")
    vlans = [{"vlan_id": v["id"], "description": v["name"]} for v in config["vlans"]]
    ports = [_port(p) for p in config["ports"]]
    lags = [{"name": lag_name(lag["id"]), "mode": "lacp" if lag["mode"] == "active" else "static",
             "fallback": lag["fallback"], "members": {"interfaces": [{"member": m} for m in lag["members"]]}}
            for lag in config["lags"]]
    l2 = [_l2(name, l2) for name, l2 in switched_interfaces(config, lag_name)]
    l3 = [{"name": svi_name(s["vlan"]), "ipv4": {"addresses": [{"address": "%s/%d" % (s["address"], s["prefix_length"])}]}}
          for s in config["svis"]]
    if mlag:
        link = mlag["peer_link"]
        vlans.append({"vlan_id": mlag["peer_vlan"], "description": "NETSTACK-MLAG-PEER"})
        # members keep the switch's MTU, as the node port channels' (see _port)
        ports += [{"name": m, "description": link["description"], "enabled": True} for m in link["members"]]
        lags.append({"name": lag_name(link["id"]), "mode": "lacp",
                     "members": {"interfaces": [{"member": m} for m in link["members"]]}})
        l2.append(_l2(lag_name(link["id"]), {"native_vlan": None, "vlans": link["vlans"]}))
        l3.append({"name": svi_name(mlag["peer_vlan"]), "ipv4": {"addresses": [
            {"address": "%s/%d" % (mlag["local_address"], mlag["prefix_length"])}]}})
    modules["sonic_vlans"] = {"state": "merged", "config": vlans}
    modules["sonic_interfaces"] = {"state": "merged", "config": ports}
    modules["sonic_lag_interfaces"] = {"state": "merged", "config": lags}
    modules["sonic_l2_interfaces"] = {"state": "merged", "config": l2}
    modules["sonic_l3_interfaces"] = {"state": "merged", "config": l3}
    if mlag:
        modules["sonic_mclag"] = {"state": "merged", "config": _mclag(mlag)}
    modules["sonic_vrrp"] = {"state": "merged", "config": [
        {"name": svi_name(s["vlan"]), "group": [{"virtual_router_id": vrrp_group(s["vlan"]), "afi": "ipv4",
                                                 "virtual_address": [{"address": s["gateway"]}], "preempt": True}]}
        for s in config["svis"] if s["gateway"]]}
    bgp = config["bgp"]
    if not bgp:
        return out
    modules["sonic_prefix_lists"] = {"state": "replaced", "config": [
        {"name": pl["name"], "afi": "ipv4", "prefixes": [
            dict({"sequence": e["sequence"], "action": e["action"], "prefix": e["prefix"]},
                 **{k: e[k] for k in ("ge", "le") if e[k] is not None})
            for e in pl["entries"]]}
        for pl in config["prefix_lists"]]}
    route_maps = []
    for rm in config["route_maps"]:
        for e in rm["entries"]:
            entry = {"map_name": rm["name"], "action": e["action"], "sequence_num": e["sequence"]}
            if e["match_prefix_list"]:
                entry["match"] = {"ip": {"address": e["match_prefix_list"]}}
            route_maps.append(entry)
    modules["sonic_route_maps"] = {"state": "replaced", "config": route_maps}
    asn = str(bgp["asn"])
    modules["sonic_bgp"] = {"state": "merged", "config": [{
        "bgp_as": asn, "router_id": bgp["router_id"], "log_neighbor_changes": bgp["log_neighbor_changes"],
        "bestpath": {"as_path": {"multipath_relax": bgp["multipath_relax"]}}}]}
    modules["sonic_bgp_af"] = {"state": "merged", "config": [{
        "bgp_as": asn, "address_family": {"afis": [
            {"afi": "ipv4", "safi": "unicast", "max_path": {"ebgp": bgp["max_paths"]}}]}}]}
    neighbors = []
    neighbor_afs = []
    for n in bgp_neighbors(config, explicit_only=True):
        entry = {"neighbor": n["address"], "remote_as": {"peer_as": str(n["remote_asn"])},
                 "nbr_description": n["description"]}
        if n["keepalive"]:
            entry["timers"] = {"keepalive": n["keepalive"], "holdtime": n["hold_time"]}
        if n["bfd"]:
            entry["bfd"] = {"enabled": True}
        if n["password_ref"] and not omit_passwords:
            entry["auth_pwd"] = {"pwd": password(n["password_ref"], secrets), "encrypted": False}
        neighbors.append(entry)
        af = {"afi": "ipv4", "safi": "unicast", "activate": True,
              "route_map": [{"name": n["route_map_in"], "direction": "in"},
                            {"name": n["route_map_out"], "direction": "out"}]}
        if n["default_originate"]:
            af["ip_afi"] = {"send_default_route": True}
        neighbor_afs.append({"neighbor": n["address"], "address_family": [af]})
    modules["sonic_bgp_neighbors"] = {"state": "merged", "config": [{"bgp_as": asn, "neighbors": neighbors}]}
    modules["sonic_bgp_neighbors_af"] = {"state": "merged", "config": [{"bgp_as": asn, "neighbors": neighbor_afs}]}
    return out
