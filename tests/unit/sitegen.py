"""Synthetic sites for tests and benchmarks: the three arguments of build_plan.

``make_site`` builds a valid BGP site of any size; tests then break one thing
at a time.  Addresses come from 10.0.0.0/8 (nothing here touches a network).
"""
import copy
import ipaddress

PLATFORM_OS = {"eos": "arista.eos.eos", "nxos": "cisco.nxos.nxos", "sonic": "dellemc.enterprise_sonic.sonic",
               "junos": "junipernetworks.junos.junos"}


def vlan_prefix(hosts):
    """Smallest prefix whose usable range fits ``hosts`` addresses plus the fixed offsets."""
    needed = hosts + 10 + 4 * 64 + 4
    prefix = 30
    while 2 ** (32 - prefix) < needed:
        prefix -= 1
    return prefix


def make_site(racks=3, nodes_per_rack=3, switches_per_rack=2, tenants=4, control_planes=3, mode="bgp",
              platforms=("eos", "nxos", "sonic")):
    node_count = racks * nodes_per_rack
    prefix = vlan_prefix(node_count)
    inventory_vars = {
        "netstack_cluster": {
            "name": "synthetic",
            "api": {"vip": "10.1.0.5"},
            "networks": {"cluster_cidr": "100.65.0.0/16" if node_count <= 256 else "100.72.0.0/14"},
            "features": {"gateway_api": {"enabled": True}},
        },
        "netstack_fabric": {
            "vlans": [
                {"id": 10, "name": "nodes", "cidr": "10.1.0.0/%d" % prefix, "role": "node", "mtu": 9000},
                {"id": 20, "name": "storage", "cidr": "10.2.0.0/%d" % prefix, "role": "storage"},
                {"id": 30, "name": "external", "cidr": "10.3.0.0/%d" % (24 if racks <= 16 else 23),
                 "role": "external"},
            ],
            "racks": [{"name": "r%d" % r, "index": r} for r in range(1, racks + 1)],
            "bgp": {"password_var": "vault_bgp"},
        },
        "netstack_load_balancer": {
            "mode": mode,
            "pools": [{"name": "public", "addresses": ["10.3.0.64/26"], "vlan": "external"},
                      {"name": "routed", "addresses": ["10.9.0.0/24"]}],
        },
        "netstack_tenants": make_tenants(tenants),
    }
    if mode == "l2":
        # MetalLB L2 answers ARP from the nodes: the pools' VLAN must reach them.
        inventory_vars["netstack_fabric"]["vlans"][2]["node_addresses"] = True
        inventory_vars["netstack_fabric"]["vlans"][2]["cidr"] = "10.3.0.0/%d" % min(24, prefix)
        inventory_vars["netstack_load_balancer"]["pools"][1] = {
            "name": "routed", "addresses": ["10.3.0.128-10.3.0.159"], "vlan": "external"}
    switches = {}
    for r in range(1, racks + 1):
        for s in range(1, switches_per_rack + 1):
            platform = platforms[(r - 1) % len(platforms)]
            switches["r%d-sw%d" % (r, s)] = {
                "network_os": PLATFORM_OS[platform],
                "netstack_switch": {"rack": "r%d" % r, "index": s, "router_id": "10.255.%d.%d" % (r, s)}}
    nodes = {}
    index = 0
    for r in range(1, racks + 1):
        for n in range(1, nodes_per_rack + 1):
            index += 1
            name = "r%d-n%d" % (r, n)
            nodes[name] = {
                "role": "control-plane" if index <= control_planes else "worker",
                "netstack_node": {"rack": "r%d" % r, "index": index, "uplinks": [
                    {"switch": "r%d-sw%d" % (r, s), "port": "Ethernet%d" % n, "nic": "eth%d" % (s - 1)}
                    for s in range(1, min(2, switches_per_rack) + 1)]}}   # an LACP bond spans one MLAG pair
    return inventory_vars, nodes, switches


def make_tenants(count):
    """A tenant tree of ``count`` tenants below root, fanning out 4 per level."""
    tenants = {"root": {"host": "example.org"}}
    names = []
    for i in range(count):
        name = "t%d" % i
        parent = "root" if i < 4 else names[(i - 4) // 4]
        tenants[name] = {"parent": parent}
        names.append(name)
    return tenants


def clone(site):
    return copy.deepcopy(site)


def add_node(site, rack, index, role="worker"):
    inventory_vars, nodes, switches = site
    sw = sorted(h for h, s in switches.items() if s["netstack_switch"]["rack"] == rack)[:2]
    nodes["extra-%d" % index] = {"role": role, "netstack_node": {
        "rack": rack, "index": index,
        "uplinks": [{"switch": s, "port": "Ethernet9%d" % index, "nic": "eth%d" % i} for i, s in enumerate(sw)]}}


def net(cidr):
    return ipaddress.ip_network(cidr)
