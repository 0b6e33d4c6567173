# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MLAG pairs: the domain, peer link and keepalive of the two switches of a rack.

A node bonded (802.3ad) to both switches of its rack needs the two switches to
act as one LACP partner: EOS MLAG, NX-OS vPC, Junos MC-LAG, SONiC MCLAG,
Cumulus-style CLAG on FRR switches.  ``netstack_fabric.racks[].mlag`` describes
the pair once, platform-neutrally; this module

* holds its schema (``MLAG_SCHEMA``, part of ``RACK_SCHEMA``);
* checks it against the rest of the inventory (``check_mlag``, from
  ``inventory._check_hosts``): every problem at the inventory key to change;
* computes the domains of the plan (``plan_domains`` -> ``plan["mlag"]``,
  one entry per rack, its two switches ordered by their index);
* warns about racks whose bonds span both switches without an ``mlag`` block
  (``unmanaged_warnings``): those keep planning as before, the domain being
  the operator's.

The first switch of a pair (lower ``netstack_switch.index``) takes the first
address of ``peer_subnet``, the lower priority value (primary on NX-OS and
Cumulus) and, on Junos, chassis id 0 and status control ``active``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.netstack.baremetal.plugins.module_utils import physical
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, did_you_mean

DOMAIN_MAX = 1000          # NX-OS vPC domain ids are 1-1000, the narrowest of the five platforms
PEER_LINK_ID_MAX = 2000    # EOS port-channel numbers stop at 2000 on most platforms
DEFAULT_PEER_LINK_ID = 2000
DEFAULT_PEER_VLAN = 4094   # the vendors' documented choice (EOS, Cumulus)
DEFAULT_PEER_SUBNET = "169.254.255.0/30"
# Cumulus reserves 44:38:39:ff:00:00-44:38:39:ff:ff:ff for clagd-sys-mac; the default derives from the domain id
SYSTEM_MAC_PREFIX = "44:38:39:ff"
PRIORITIES = (1000, 2000)  # first switch, second switch: the lower value wins the primary role
MAC_PATTERN = r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"

# The section of docs/inventory.md on these rules (schema_docs appends it).
RULES_DOC = """## MLAG pairs

`netstack_fabric.racks[].mlag` (`plugins/module_utils/mlag.py`) is checked against the switches, the cabling,
the VLANs and the other racks; each mistake is one problem at the key to change (what each platform gets:
[fabric.md](fabric.md#mlag-vpc-and-mc-lag-domains)).

- **The pair.** A rack with an `mlag` block has exactly two switches (at `racks[i].mlag`), and `switches` names
  both, once each: a switch that does not exist or stands in another rack is reported at
  `racks[i].mlag.switches[j].switch`. Both are of one platform (at `racks[i].mlag.switches`). The first switch
  is the one with the lower `netstack_switch.index`, whatever the order here.
- **Peer link.** A peer-link port is never a node's uplink port (any spelling of it, as for uplinks), and both
  switches list as many ports (cabled one for one, in order). `peer_link_id` is not the index of a node bonded
  to the pair (a node bond's port channel is the node index).
- **Keepalive.** The two addresses differ, share a subnet (their prefix length says which), and no address is
  the keepalive address of another pair.
- **Domain.** `domain_id` and the system MAC (given, or derived from the domain id) are unique across racks:
  each pair is one LACP partner to its nodes. The system MAC is unicast.
- **Peer VLAN.** `peer_vlan` is no fabric VLAN's id; `peer_subnet` holds two switch addresses (a /30 or larger,
  or a /31) and overlaps no fabric VLAN.
- **Timers.** `session_timeout` is at least 3 x `keepalive_interval`.
- **No block:** a rack whose node bonds span both its switches but that has no `mlag` block still plans (the
  bonds get their MLAG ids); the plan warns, once per rack, that the domain is left to the operator.
"""

_MEMBER_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["switch", "peer_link_ports", "keepalive_address"],
    "description": "One switch of the pair.",
    "properties": {
        "switch": {"type": "string", "minLength": 1,
                   "description": "Inventory name of the switch, one of the rack's two."},
        "peer_link_ports": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"type": "string", "minLength": 1},
                            "description": "Ports of the peer link on this switch (e.g. [Ethernet47, Ethernet48]), "
                                           "cabled one for one, in this order, to the other switch's; never a "
                                           "node's uplink port."},
        "keepalive_address": {"type": "string", "format": "ipv4-interface",
                              "description": "This switch's keepalive (heartbeat, backup liveness) address with its "
                                             "prefix length, e.g. 192.168.0.11/24: usually the management "
                                             "address, which netstack does not configure; the peer sends its "
                                             "keepalives there."},
    },
}

MLAG_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["domain_id", "switches"],
    "description": "The rack's MLAG pair (EOS MLAG, NX-OS vPC, Junos MC-LAG, SONiC MCLAG, Cumulus-style CLAG on "
                   "FRR): the domain, peer link and keepalive are configured from it. Needs exactly two switches "
                   "in the rack, of one platform. Without it, bonds spanning both switches get their MLAG ids "
                   "but the domain is left to the operator (the plan warns). See docs/fabric.md.",
    "properties": {
        "domain_id": {"type": "integer", "minimum": 1, "maximum": DOMAIN_MAX,
                      "description": "Domain id (vPC domain, MLAG domain-id, MCLAG domain, Junos redundancy group "
                                     "and service id), unique across racks."},
        "switches": {"type": "array", "minItems": 2, "maxItems": 2, "items": _MEMBER_SCHEMA,
                     "description": "The two switches of the rack with their peer-link ports and keepalive "
                                    "addresses."},
        "peer_link_id": {"type": "integer", "minimum": 1, "maximum": PEER_LINK_ID_MAX,
                         "default": DEFAULT_PEER_LINK_ID,
                         "description": "Port-channel number of the peer link (EOS Port-Channel, NX-OS "
                                        "port-channel, SONiC PortChannel, Junos ae; FRR names it `peerlink`). "
                                        "Node bonds use the node index: it must differ from every bonded node's "
                                        "index on the pair."},
        "peer_vlan": {"type": "integer", "minimum": 2, "maximum": 4094, "default": DEFAULT_PEER_VLAN,
                      "description": "VLAN of the peer link's own addresses (EOS local-interface, SONiC MCLAG "
                                     "session, Junos ICCP, FRR `peerlink.<vlan>`); not a fabric VLAN."},
        "peer_subnet": {"type": "string", "format": "ipv4-cidr", "default": DEFAULT_PEER_SUBNET,
                        "description": "Subnet on the peer VLAN: the first switch takes its first address, the "
                                       "second the next one (NX-OS does not use it)."},
        "keepalive_vrf": {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9_.-]{1,32}$", "default": None,
                          "description": "VRF the keepalive addresses live in. Default: `management` on NX-OS, "
                                         "`mgmt` on SONiC and FRR, the default VRF on EOS; Junos does not name "
                                         "one (backup liveness runs over the management interface)."},
        "system_mac": {"type": "string", "pattern": MAC_PATTERN,
                       "description": "The pair's shared system MAC (FRR `clagd-sys-mac`, Junos mc-ae LACP "
                                      "system-id, SONiC MCLAG system MAC), lower case, unicast. Default: "
                                      "44:38:39:ff:<domain id as two bytes>, from the range Cumulus reserves. "
                                      "Unique across racks."},
        "keepalive_interval": {"type": "integer", "minimum": 1, "maximum": 60, "default": 1,
                               "description": "Seconds between keepalives (SONiC MCLAG, Junos ICCP liveness)."},
        "session_timeout": {"type": "integer", "minimum": 3, "maximum": 3600, "default": 15,
                            "description": "Seconds without keepalive before the peer is declared down (SONiC "
                                           "MCLAG); at least 3 x keepalive_interval."},
    },
}


def default_system_mac(domain_id):
    return "%s:%02x:%02x" % ((SYSTEM_MAC_PREFIX,) + divmod(domain_id, 256))


def _rack_switches(site, rack):
    return sorted((host for host, s in site["switches"].items() if s["rack"] == rack),
                  key=lambda host: (site["switches"][host]["index"], host))


def _spanning_bonds(site):
    """Per rack, the nodes whose LACP bond spans two or more of its switches: ``{rack: {node: sorted switch
    names}}``, in one pass over the nodes (a rack-by-rack scan of every node grows with racks times nodes)."""
    result = {}
    for host, node in sorted(site["nodes"].items()):
        if node["bond_mode"] != "802.3ad" or len(node["uplinks"]) < 2:
            continue
        reached = {}
        for uplink in node["uplinks"]:
            switch = site["switches"].get(uplink["switch"])
            if switch is not None:
                reached.setdefault(switch["rack"], set()).add(uplink["switch"])
        for rack, switches in reached.items():
            if len(switches) > 1:
                result.setdefault(rack, {})[host] = sorted(switches)
    return result


def check_mlag(site, problems):
    """Every ``racks[].mlag`` block against the switches, the cabling, the VLANs and the other racks."""
    vlan_ids = {v["id"]: v["name"] for v in site["fabric"]["vlans"]}
    vlan_nets = [(ipaddress.ip_network(v["cidr"]), v["name"]) for v in site["fabric"]["vlans"]]
    domains, macs, keepalives = {}, {}, {}
    uplink_ports = {}
    for host, node in site["nodes"].items():
        for uplink in node["uplinks"]:
            platform = (site["switches"].get(uplink["switch"]) or {}).get("platform")
            uplink_ports[(uplink["switch"], physical.port_key(platform, uplink["port"]))] = host
    for position, rack in enumerate(site["fabric"]["racks"]):
        block = rack.get("mlag")
        if not block:
            continue
        path = "netstack_fabric.racks[%d].mlag" % position
        in_rack = _rack_switches(site, rack["name"])
        if len(in_rack) != 2:
            problems.append(Problem(path, "an MLAG pair needs exactly two switches in rack '%s', it has %d%s"
                                    % (rack["name"], len(in_rack), " (%s)" % ", ".join(in_rack) if in_rack else ""),
                                    "give the rack two switches (netstack_switch.rack: %s), or remove the mlag "
                                    "block" % rack["name"]))
        members = block["switches"]
        named = []
        for i, member in enumerate(members):
            mpath = "%s.switches[%d]" % (path, i)
            switch = site["switches"].get(member["switch"])
            if switch is None or switch["rack"] != rack["name"]:
                where = "does not exist" if switch is None else "is in rack '%s'" % switch["rack"]
                hint = did_you_mean(member["switch"], in_rack) if switch is None else ""
                problems.append(Problem(mpath + ".switch", "switch '%s' %s, not in rack '%s'"
                                        % (member["switch"], where, rack["name"]),
                                        hint or "name one of the rack's switches: %s"
                                        % (", ".join(in_rack) or "(none)")))
                continue
            named.append((i, member, switch))
            for j, port in enumerate(member["peer_link_ports"]):
                owner = uplink_ports.get((member["switch"], physical.port_key(switch["platform"], port)))
                if owner is not None:
                    problems.append(Problem("%s.peer_link_ports[%d]" % (mpath, j), "port %s on '%s' is the uplink "
                                            "of node '%s', it cannot be a peer-link port too"
                                            % (port, member["switch"], owner),
                                            "use a port no node is cabled to"))
        if len(members) == 2 and members[0]["switch"] == members[1]["switch"]:
            problems.append(Problem(path + ".switches[1].switch", "names switch '%s' twice" % members[0]["switch"],
                                    "name both switches of the rack: %s" % ", ".join(in_rack)))
        elif len(named) == 2:
            (_i, first, one), (_j, second, other) = named
            if one["platform"] != other["platform"]:
                problems.append(Problem(path + ".switches", "the peer link joins '%s' (%s) and '%s' (%s): an "
                                        "MLAG pair is two switches of one platform"
                                        % (first["switch"], one["platform"], second["switch"], other["platform"]),
                                        "pair two switches of the same platform"))
            if len(first["peer_link_ports"]) != len(second["peer_link_ports"]):
                problems.append(Problem(path + ".switches[1].peer_link_ports", "has %d port(s), '%s' has %d: the "
                                        "peer link is cabled one for one" % (
                                            len(second["peer_link_ports"]), first["switch"],
                                            len(first["peer_link_ports"])),
                                        "list the ports at both ends of every peer-link cable, in the same order"))
        # keepalive addresses: one subnet, two addresses, none used by another rack's pair
        interfaces = [ipaddress.ip_interface(m["keepalive_address"]) for m in members]
        if len(interfaces) == 2:
            a, b = interfaces
            if a.ip == b.ip:
                problems.append(Problem(path + ".switches[1].keepalive_address", "is %s, the same address as "
                                        "that of '%s': the keepalive goes from one switch to the other"
                                        % (b.ip, members[0]["switch"]),
                                        "use the second switch's own (management) address"))
            elif a.network != b.network:
                problems.append(Problem(path + ".switches[1].keepalive_address", "%s is not in the subnet of "
                                        "the keepalive address of '%s', %s (%s)"
                                        % (b, members[0]["switch"], a, a.network),
                                        "keepalive addresses of a pair share a subnet: e.g. %s"
                                        % _next_host(a)))
        for i, iface in enumerate(interfaces):
            kpath = "%s.switches[%d].keepalive_address" % (path, i)
            if iface.ip in keepalives and keepalives[iface.ip].startswith(path + "."):
                continue    # both switches of this pair: reported above
            if iface.ip in keepalives:
                problems.append(Problem(kpath, "address %s is already the keepalive address of %s"
                                        % (iface.ip, keepalives[iface.ip]), "use this switch's own address"))
            else:
                keepalives[iface.ip] = "%s.switches[%d]" % (path, i)
        # domain id and system MAC: the LACP system id of the pair, unique across racks
        if block["domain_id"] in domains:
            problems.append(Problem(path + ".domain_id", "domain id %d is already used by %s"
                                    % (block["domain_id"], domains[block["domain_id"]]),
                                    "use a free id, e.g. %d" % _free(domains, DOMAIN_MAX)))
        domains.setdefault(block["domain_id"], path)
        mac = block.get("system_mac") or default_system_mac(block["domain_id"])
        if int(mac.split(":")[0], 16) & 1:
            problems.append(Problem(path + ".system_mac", "%s is a multicast MAC address" % mac,
                                    "use a unicast address (even first byte), e.g. %s"
                                    % default_system_mac(block["domain_id"])))
        elif mac in macs and (block.get("system_mac") or domains[block["domain_id"]] == path):
            # a derived MAC repeats with its domain id: that one is reported, not twice
            problems.append(Problem(path + ".system_mac", "system MAC %s is already the one of %s" % (mac, macs[mac]),
                                    "set a unique system_mac (each pair is one LACP partner)"))
        macs.setdefault(mac, path)
        # the peer VLAN and its subnet
        if block["peer_vlan"] in vlan_ids:
            problems.append(Problem(path + ".peer_vlan", "VLAN %d is the fabric VLAN '%s': the peer VLAN carries "
                                    "only the pair's own addresses" % (block["peer_vlan"],
                                                                       vlan_ids[block["peer_vlan"]]),
                                    "use a VLAN id no fabric VLAN has, e.g. %d"
                                    % max(set(range(2, 4095)) - set(vlan_ids))))
        subnet = ipaddress.ip_network(block["peer_subnet"])
        if subnet.num_addresses < 4 and subnet.prefixlen != 31:
            problems.append(Problem(path + ".peer_subnet", "%s has room for no two switch addresses" % subnet,
                                    "use a /30 or /31, e.g. %s" % DEFAULT_PEER_SUBNET))
        for net, name in vlan_nets:
            if subnet.overlaps(net):
                problems.append(Problem(path + ".peer_subnet", "%s overlaps VLAN '%s' (%s)" % (subnet, name, net),
                                        "use a subnet of its own, e.g. %s" % DEFAULT_PEER_SUBNET))
        if block["session_timeout"] < 3 * block["keepalive_interval"]:
            problems.append(Problem(path + ".session_timeout", "%d s is less than 3 x keepalive_interval (%d s)"
                                    % (block["session_timeout"], block["keepalive_interval"]),
                                    "set session_timeout: %d or more" % (3 * block["keepalive_interval"])))
        # the peer link's port channel next to the node bonds (their id is the node index)
        for host in sorted(site["nodes"]):
            node = site["nodes"][host]
            if node["index"] == block["peer_link_id"] and node["bond_mode"] == "802.3ad" \
                    and len(node["uplinks"]) >= 2 and any(u["switch"] in in_rack for u in node["uplinks"]):
                problems.append(Problem(path + ".peer_link_id", "port channel %d is the bond of node '%s' (a "
                                        "bond's id is the node index)" % (block["peer_link_id"], host),
                                        "use a number no bonded node of the rack has as index, e.g. %d"
                                        % _free({site["nodes"][h]["index"] for h in site["nodes"]},
                                                PEER_LINK_ID_MAX, top_down=True)))


def _next_host(interface):
    network = interface.network
    for host in network.hosts():
        if host != interface.ip:
            return "%s/%d" % (host, network.prefixlen)
    return str(interface)


def _free(used, top, top_down=False):
    candidates = range(top, 0, -1) if top_down else range(1, top + 1)
    return next((i for i in candidates if i not in used), top)


def plan_domains(site):
    """``{rack: domain}`` of every rack with an ``mlag`` block (its checks passed), switches by index."""
    domains = {}
    for rack in site["fabric"]["racks"]:
        block = rack.get("mlag")
        if not block:
            continue
        subnet = ipaddress.ip_network(block["peer_subnet"])
        hosts = list(subnet) if subnet.prefixlen == 31 else list(subnet.hosts())
        members = sorted(block["switches"], key=lambda m: (site["switches"][m["switch"]]["index"], m["switch"]))
        switches = []
        for position, member in enumerate(members):
            keepalive = ipaddress.ip_interface(member["keepalive_address"])
            switches.append({
                "name": member["switch"],
                "platform": site["switches"][member["switch"]]["platform"],
                "peer_link_ports": list(member["peer_link_ports"]),
                "peer_address": str(hosts[position]),
                "keepalive_address": str(keepalive.ip),
                "priority": PRIORITIES[position],
            })
        domains[rack["name"]] = {
            "domain_id": block["domain_id"],
            "peer_link_id": block["peer_link_id"],
            "peer_vlan": block["peer_vlan"],
            "peer_subnet": str(subnet),
            "keepalive_prefix_length": ipaddress.ip_interface(members[0]["keepalive_address"]).network.prefixlen,
            "keepalive_vrf": block.get("keepalive_vrf"),
            "system_mac": block.get("system_mac") or default_system_mac(block["domain_id"]),
            "keepalive_interval": block["keepalive_interval"],
            "session_timeout": block["session_timeout"],
            "switches": switches,
            # the peer link's cables, as the twin lays them: [first switch's port, second switch's port]
            "cables": [list(pair) for pair in zip(switches[0]["peer_link_ports"], switches[1]["peer_link_ports"])],
        }
    return domains


# More racks than this without a block get one warning naming them, not one warning each (a 40-rack site
# described before the mlag block existed would print 40 paragraphs on every plan task).
WARN_EACH_UP_TO = 3


def unmanaged_warnings(site):
    """Racks whose bonds span both switches but that have no ``mlag`` block: the domain is the operator's."""
    warnings, positions = [], []
    spanning = _spanning_bonds(site)
    for position, rack in enumerate(site["fabric"]["racks"]):
        if rack.get("mlag"):
            continue
        bonds = spanning.get(rack["name"])
        if not bonds:
            continue
        positions.append(position)
        pairs = sorted({", ".join(switches) for switches in bonds.values()})
        nodes = sorted(bonds)
        warnings.append("netstack_fabric.racks[%d]: the LACP bonds of %s span switches %s, but rack '%s' has no "
                        "mlag block: the bonds get their MLAG ids, the MLAG domain, peer link and keepalive are "
                        "left to the operator (describe them in netstack_fabric.racks[%d].mlag to have them "
                        "configured)" % (position, ", ".join(nodes[:5]) + (", ..." if len(nodes) > 5 else ""),
                                         " and ".join(pairs), rack["name"], position))
    if len(warnings) <= WARN_EACH_UP_TO:
        return warnings
    names = [site["fabric"]["racks"][p]["name"] for p in positions]
    return ["netstack_fabric.racks: %d racks (%s) have LACP bonds spanning two switches but no mlag block: the bonds "
            "get their MLAG ids, the MLAG domain, peer link and keepalive are left to the operator (describe them in "
            "netstack_fabric.racks[N].mlag to have them configured; first one: netstack_fabric.racks[%d])"
            % (len(names), ", ".join(names[:10]) + (", ..." if len(names) > 10 else ""), positions[0])]
