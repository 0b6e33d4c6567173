# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address plan: every address derived from stable indexes, never list order.

On a VLAN of CIDR ``N``:

* gateway (the switches' shared SVI address): ``vlan.gateway`` or ``N + 1``;
* node with index ``i``: ``N + vlan.node_offset + i`` (grows upwards);
* switch ``s`` in rack ``r``: ``broadcast - 1 - (4 * (r - 1) + (s - 1))``
  (grows downwards from the top), so adding a node, a rack or a switch never
  moves an existing address.

The module also checks that no two ranges of the site overlap (VLANs, pod,
service, join, cluster and Kilo ranges, load-balancer pools) and that every
VLAN and pool is large enough.  Plain ``ipaddress`` integer arithmetic keeps
a 1,000-node plan in milliseconds.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.netstack.baremetal.plugins.module_utils import schema as schema_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import host_path
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import Problem, next_free
from ansible_collections.netstack.baremetal.plugins.module_utils.ranges import free_block, interval

SWITCHES_PER_RACK = 4
KUBEOVN_VARIANTS = ("kubeovn-cilium", "kubeovn-cilium-generic")


def switch_sequence(rack_index, switch_index):
    """Stable position of a switch in the fabric, used for its SVI addresses."""
    return SWITCHES_PER_RACK * (rack_index - 1) + (switch_index - 1)


def pool_networks(addresses):
    """Turn a pool's ``addresses`` (CIDRs and ``first-last`` ranges) into networks."""
    networks = []
    for entry in addresses:
        if "-" in entry:
            first, last = [ipaddress.IPv4Address(p.strip()) for p in entry.split("-", 1)]
            networks.extend(ipaddress.summarize_address_range(first, last))
        else:
            networks.append(ipaddress.IPv4Network(entry))
    return networks


def _pool_size(networks):
    return sum(n.num_addresses for n in networks)


def plan_addresses(site, problems):
    """Return the address part of the plan; append problems found."""
    cluster = site["cluster"]
    networks = cluster["networks"]
    pod_cidr = ipaddress.IPv4Network(networks["pod_cidr"])
    if networks.get("pod_gateway") is None:
        networks["pod_gateway"] = str(pod_cidr.network_address + 1)
    elif ipaddress.IPv4Address(networks["pod_gateway"]) not in pod_cidr:
        problems.append(Problem("netstack_cluster.networks.pod_gateway", "%s is not inside pod_cidr %s"
                                % (networks["pod_gateway"], pod_cidr),
                                "use %s (the first address of pod_cidr, the default) or leave pod_gateway out"
                                % (pod_cidr.network_address + 1)))
    _check_ranges(site, problems)

    vlans = []
    node_addresses = {host: {} for host in site["nodes"]}
    switch_addresses = {host: {} for host in site["switches"]}
    taken = {}   # vlan name -> {address int: owner}
    for vlan in site["fabric"]["vlans"]:
        entry, owners = _plan_vlan(site, vlan, problems)
        vlans.append(entry)
        taken[vlan["name"]] = owners
        for host, address in entry["nodes"].items():
            node_addresses[host][vlan["name"]] = address
        for host, address in entry["switches"].items():
            switch_addresses[host][vlan["name"]] = address

    api = cluster["api"]
    api_vlan = site["vlans"].get(api.get("vlan"))
    if api_vlan is not None:
        _check_single_address(api["vip"], "netstack_cluster.api.vip", "the API VIP", api_vlan,
                              taken[api_vlan["name"]], problems)
        taken[api_vlan["name"]][int(ipaddress.IPv4Address(api["vip"]))] = "the API VIP"

    pools = [_plan_pool(site, position, pool, taken, problems)
             for position, pool in enumerate(site["load_balancer"]["pools"])]
    _check_pools_disjoint(site, pools, taken, problems)
    _check_cluster_cidr_capacity(site, problems)
    return {
        "vlans": vlans,
        "nodes": {host: {"rack": node["rack"], "index": node["index"], "role": node["role"],
                         "addresses": node_addresses[host]}
                  for host, node in sorted(site["nodes"].items(), key=lambda kv: kv[1]["index"])},
        "switches": {host: {"rack": sw["rack"], "index": sw["index"], "platform": sw["platform"],
                            "router_id": sw["router_id"], "addresses": switch_addresses[host]}
                     for host, sw in sorted(site["switches"].items())},
        "api": {"vip": api["vip"], "port": api["port"], "vlan": api.get("vlan"),
                "endpoint": "https://%s:%d" % (api["vip"], api["port"])},
        "pools": pools,
        "networks": dict(networks),
    }


def _site_ranges(site):
    """Every range that must be disjoint from the others: (network, label, path)."""
    cluster = site["cluster"]
    networks = cluster["networks"]
    variant = cluster["variant"]
    ranges = [(ipaddress.IPv4Network(networks["service_cidr"]), "service_cidr",
               "netstack_cluster.networks.service_cidr"),
              (ipaddress.IPv4Network(networks["cluster_cidr"]), "cluster_cidr",
               "netstack_cluster.networks.cluster_cidr")]
    if variant in KUBEOVN_VARIANTS:
        ranges.append((ipaddress.IPv4Network(networks["pod_cidr"]), "pod_cidr (Kube-OVN pool)",
                       "netstack_cluster.networks.pod_cidr"))
        ranges.append((ipaddress.IPv4Network(networks["join_cidr"]), "join_cidr",
                       "netstack_cluster.networks.join_cidr"))
    if variant == "cilium-kilo":
        ranges.append((ipaddress.IPv4Network(networks["kilo_transit_cidr"]), "kilo_transit_cidr",
                       "netstack_cluster.networks.kilo_transit_cidr"))
    for vlan in site["fabric"]["vlans"]:
        ranges.append((ipaddress.IPv4Network(vlan["cidr"]), "VLAN '%s'" % vlan["name"], vlan["path"] + ".cidr"))
    for position, pool in enumerate(site["load_balancer"]["pools"]):
        if pool.get("vlan"):
            continue  # checked against its own VLAN's addresses instead
        for part in pool_networks(pool["addresses"]):
            ranges.append((part, "pool '%s'" % pool["name"], "netstack_load_balancer.pools[%d].addresses" % position))
    return ranges


def _check_ranges(site, problems):
    ranges = _site_ranges(site)
    networks = site["cluster"]["networks"]
    if site["cluster"]["variant"] in KUBEOVN_VARIANTS and networks["cluster_cidr"] == networks["pod_cidr"]:
        problems.append(Problem("netstack_cluster.networks.cluster_cidr",
                                "equals the Kube-OVN pod pool %s: Cilium would hand out node router addresses "
                                "that Kube-OVN also gives to pods" % networks["pod_cidr"],
                                _disjoint_hint(ipaddress.IPv4Network(networks["cluster_cidr"]),
                                               "netstack_cluster.networks.cluster_cidr",
                                               "pod_cidr %s" % networks["pod_cidr"], ranges)))
        skip = {("cluster_cidr", "pod_cidr (Kube-OVN pool)")}
    else:
        skip = set()
    ordered = sorted(ranges, key=lambda r: (int(r[0].network_address), r[0].prefixlen))
    reported = set()
    for i, (net, label, path) in enumerate(ordered):
        for other, other_label, other_path in ordered[i + 1:]:
            if int(other.network_address) > int(net.broadcast_address):
                break
            pair = tuple(sorted((label, other_label)))
            if pair in skip or pair in reported or path == other_path:
                continue
            reported.add(pair)
            first, second = sorted([(path, label, net), (other_path, other_label, other)])
            if _is_default(site, second[0]) and not _is_default(site, first[0]):
                first, second = second, first   # report the range the user set, not the default it hits
            problems.append(Problem(second[0], "%s %s overlaps %s %s (%s)"
                                    % (second[1], second[2], first[1], first[2], first[0]),
                                    _disjoint_hint(second[2], second[0], "%s %s" % (first[1], first[2]), ranges)))


def _plan_vlan(site, vlan, problems):
    net = ipaddress.IPv4Network(vlan["cidr"])
    base = int(net.network_address)
    top = int(net.broadcast_address)
    gateway = vlan.get("gateway")
    gateway_int = int(ipaddress.IPv4Address(gateway)) if gateway else base + 1
    owners = {}
    if not base < gateway_int < top:
        problems.append(Problem(vlan["path"] + ".gateway", "%s is not a usable address of %s" % (gateway, net),
                                "use %s (the default) or another address inside %s"
                                % (ipaddress.IPv4Address(base + 1), net)))
    if vlan["routed"]:
        owners[gateway_int] = "the gateway"
    switches = {}
    no_svi = []       # switches whose SVI does not fit: reported once, with the nodes that do not fit
    if vlan["routed"]:
        for host, switch in sorted(site["switches"].items()):
            rack = site["racks"].get(switch["rack"])
            if rack is None:
                continue
            address = top - 1 - switch_sequence(rack["index"], switch["index"])
            if address <= base or address == gateway_int:
                no_svi.append(host)
                continue
            switches[host] = address
    nodes = {}
    no_room = []      # (host, index, address) of the nodes past the last free address
    lowest_switch = min(switches.values()) if switches else top
    if vlan["node_addresses"]:
        for host, node in sorted(site["nodes"].items(), key=lambda kv: kv[1]["index"]):
            address = base + vlan["node_offset"] + node["index"]
            if address >= lowest_switch:
                no_room.append((host, node["index"], address))
                continue
            if address in owners:
                blocked = set(n["index"] for n in site["nodes"].values())
                blocked.update(a - base - vlan["node_offset"] for a in owners)
                problems.append(Problem(host_path(host, "netstack_node", "index"), "index %d gives %s on VLAN '%s',"
                                        " which is %s" % (node["index"], ipaddress.IPv4Address(address),
                                                          vlan["name"], owners[address]),
                                        "use a free index, e.g. %d, or raise the VLAN's node_offset"
                                        % next_free(blocked)))
                continue
            nodes[host] = address
            owners[address] = "node '%s'" % host
    if no_svi or no_room:
        problems.append(_too_small(site, vlan, net, no_svi, no_room, lowest_switch))
    for host, address in switches.items():
        owners.setdefault(address, "switch '%s'" % host)
    return {
        "id": vlan["id"], "name": vlan["name"], "cidr": vlan["cidr"], "role": vlan["role"], "mtu": vlan["mtu"],
        "prefix_length": net.prefixlen, "routed": vlan["routed"],
        "gateway": str(ipaddress.IPv4Address(gateway_int)) if vlan["routed"] else None,
        "nodes": {h: str(ipaddress.IPv4Address(a)) for h, a in nodes.items()},
        "switches": {h: str(ipaddress.IPv4Address(a)) for h, a in switches.items()},
    }, owners


def _check_single_address(address, path, label, vlan, owners, problems):
    net = ipaddress.IPv4Network(vlan["cidr"])
    value = ipaddress.IPv4Address(address)
    if value not in net or value in (net.network_address, net.broadcast_address):
        problems.append(Problem(path, "%s %s is not a usable address of VLAN '%s' %s"
                                % (label, address, vlan["name"], net), _free_address_hint(net, owners)))
    elif int(value) in owners:
        problems.append(Problem(path, "%s %s is already %s on VLAN '%s'"
                                % (label, address, owners[int(value)], vlan["name"]),
                                _free_address_hint(net, owners)))


def _plan_pool(site, position, pool, taken, problems):
    path = "netstack_load_balancer.pools[%d]" % position
    networks = pool_networks(pool["addresses"])
    vlan = site["vlans"].get(pool.get("vlan"))
    if vlan is not None:
        vlan_net = ipaddress.IPv4Network(vlan["cidr"])
        owners = taken.get(vlan["name"], {})
        for net in networks:
            if not net.subnet_of(vlan_net):
                problems.append(Problem(path + ".addresses", "%s is outside VLAN '%s' %s"
                                        % (net, vlan["name"], vlan_net),
                                        _free_pool_hint(site, pool, net, vlan_net, owners)))
                continue
            low, high = int(net.network_address), int(net.broadcast_address)
            clashes = sorted(a for a in owners if low <= a <= high)
            if clashes:
                sample = ", ".join("%s (%s)" % (ipaddress.IPv4Address(a), owners[a]) for a in clashes[:3])
                problems.append(Problem(path + ".addresses", "%s overlaps addresses already used on VLAN '%s': %s%s"
                                        % (net, vlan["name"], sample,
                                           " and %d more" % (len(clashes) - 3) if len(clashes) > 3 else ""),
                                        _free_pool_hint(site, pool, net, vlan_net, owners)))
    return {"name": pool["name"], "addresses": list(pool["addresses"]), "vlan": pool.get("vlan"),
            "auto_assign": pool["auto_assign"], "cidrs": [str(n) for n in networks],
            "size": _pool_size(networks)}


def _check_pools_disjoint(site, pools, taken, problems):
    """Pools on a VLAN are not in the site-wide range check, so compare all pools here."""
    seen = []
    for position, pool in enumerate(pools):
        for cidr in pool["cidrs"]:
            net = ipaddress.IPv4Network(cidr)
            for other_name, other, other_vlan in seen:
                # two pools outside any VLAN were already compared by _check_ranges
                routed_only = not pool["vlan"] and not other_vlan
                if other_name != pool["name"] and not routed_only and net.overlaps(other):
                    problems.append(Problem("netstack_load_balancer.pools[%d].addresses" % position,
                                            "%s overlaps pool '%s' (%s)" % (net, other_name, other),
                                            _pool_overlap_hint(site, pools, pool, net, taken)))
            seen.append((pool["name"], net, pool["vlan"]))


def _check_cluster_cidr_capacity(site, problems):
    networks = site["cluster"]["networks"]
    cluster_cidr = ipaddress.IPv4Network(networks["cluster_cidr"])
    mask = networks["node_cidr_mask_size"]
    if mask < cluster_cidr.prefixlen:
        wanted = cluster_cidr.prefixlen + _bits_for(len(site["nodes"]))
        problems.append(Problem("netstack_cluster.networks.node_cidr_mask_size", "/%d is larger than cluster_cidr "
                                "%s" % (mask, cluster_cidr),
                                "set node_cidr_mask_size: %d (one /%d per node)" % (max(wanted, 24), max(wanted, 24))
                                if max(wanted, 24) <= 28 else "use a larger cluster_cidr"))
        return
    slices = 2 ** (mask - cluster_cidr.prefixlen)
    if len(site["nodes"]) > slices:
        bits = _bits_for(len(site["nodes"]))
        wider = ipaddress.IPv4Network((cluster_cidr.network_address, max(mask - bits, 0)), strict=False)
        smaller = cluster_cidr.prefixlen + bits
        problems.append(Problem("netstack_cluster.networks.cluster_cidr", "%s gives %d node podCIDRs of /%d but "
                                "there are %d nodes" % (cluster_cidr, slices, mask, len(site["nodes"])),
                                "use a /%d, e.g. %s%s" % (wider.prefixlen, wider,
                                                          ", or set node_cidr_mask_size: %d" % smaller
                                                          if smaller <= 28 else "")))


# --- hints: a value that works ----------------------------------------------

_PRIVATE_BLOCKS = [ipaddress.IPv4Network(n)
                   for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


def _bits_for(count):
    """Prefix bits needed for ``count`` slices."""
    bits = 0
    while 2 ** bits < count:
        bits += 1
    return bits


def _around(net):
    """The private block ``net`` lies in (where a replacement should come from), else its /8."""
    for block in _PRIVATE_BLOCKS:
        if net.subnet_of(block):
            return block
    return net.supernet(new_prefix=min(8, net.prefixlen))


def _is_default(site, path):
    prefix = "netstack_cluster.networks."
    if not path.startswith(prefix):
        return False
    default = schema_mod.NETWORKS_SCHEMA["properties"].get(path[len(prefix):], {}).get("default")
    return default is not None and site["cluster"]["networks"].get(path[len(prefix):]) == default


def _disjoint_hint(net, path, other, ranges):
    taken = [interval(n) for n, _label, p in ranges if p != path]
    free = free_block(_around(net), net.prefixlen, taken, int(net.network_address))
    if free is None:
        return "use a range disjoint from %s" % other
    return "use %s or another range disjoint from %s" % (free, other)


def _too_small(site, vlan, net, no_svi, no_room, lowest_switch):
    """One problem at the VLAN's cidr for every switch SVI and node address that does not fit."""
    parts = []
    if no_svi:
        parts.append("no room for the switch SVI%s of %s" % ("s" if len(no_svi) > 1 else "", _sample(no_svi)))
    if no_room:
        host, index, address = no_room[0]
        parts.append("index %d gives %s, past the last free address (%s %s)%s"
                     % (index, ipaddress.IPv4Address(address),
                        "switch SVIs start at" if vlan["routed"] else "the broadcast address is",
                        ipaddress.IPv4Address(lowest_switch),
                        "; %d nodes do not fit (%s)" % (len(no_room), _sample([h for h, _i, _a in no_room]))
                        if len(no_room) > 1 else " (node '%s')" % host))
    sequences = [switch_sequence(site["racks"][s["rack"]]["index"], s["index"])
                 for s in site["switches"].values() if s["rack"] in site["racks"]]
    # network, gateway, the switch SVIs from the top down, broadcast; the nodes between gateway and SVIs
    svis = max(sequences) + 1 if vlan["routed"] and sequences else 0
    needed = svis + 3
    if vlan["node_addresses"] and site["nodes"]:
        needed = svis + 2 + vlan["node_offset"] + max(n["index"] for n in site["nodes"].values())
    prefix = 32 - _bits_for(needed)
    wider = ipaddress.IPv4Network((net.network_address, prefix), strict=False)
    return Problem(vlan["path"] + ".cidr", "VLAN '%s' %s is too small: %s" % (vlan["name"], net, "; ".join(parts)),
                   "use a /%d or larger, e.g. %s" % (prefix, wider))


def _sample(names, limit=3):
    shown = ", ".join("'%s'" % n for n in names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def _free_address_hint(net, owners):
    base, top = int(net.network_address), int(net.broadcast_address)
    for address in range(base + 2, min(top, base + 65536)):
        if address not in owners:
            return "use a free address of %s, e.g. %s" % (net, ipaddress.IPv4Address(address))
    return "use a free address of %s" % net


def _free_pool_hint(site, pool, net, vlan_net, owners):
    taken = [(a, a) for a in owners]
    for other in site["load_balancer"]["pools"]:
        if other is not pool and other.get("vlan") == pool.get("vlan"):
            taken.extend(interval(n) for n in pool_networks(other["addresses"]))
    free = free_block(vlan_net, max(net.prefixlen, vlan_net.prefixlen), taken)
    if free is None:
        return "use free addresses inside %s, or put the pool on a larger VLAN" % vlan_net
    return "use %s or other free addresses inside %s" % (free, vlan_net)


def _pool_overlap_hint(site, pools, pool, net, taken):
    vlan = site["vlans"].get(pool["vlan"]) if pool["vlan"] else None
    within = ipaddress.IPv4Network(vlan["cidr"]) if vlan else _around(net)
    used = [interval(ipaddress.IPv4Network(c)) for p in pools if p is not pool for c in p["cidrs"]]
    if vlan:
        used.extend((a, a) for a in taken.get(vlan["name"], {}))
    else:
        used.extend(interval(n) for n, label, _path in _site_ranges(site) if not label.startswith("pool "))
    free = free_block(within, max(net.prefixlen, within.prefixlen), used, int(net.network_address))
    if free is None:
        return "use addresses no other pool has"
    return "use %s or other addresses no other pool has" % free
