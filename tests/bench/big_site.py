"""A large site as an inventory on disk, for the benches: the example inventory grown to ``racks`` racks of two
switches each (platforms in turn: EOS, NX-OS, SONiC, Junos, FRR), ``nodes_per_rack`` nodes per rack (bonded to both
switches of their rack; the first three are the control plane) and ``tenants`` tenants.

    write_site(target, racks=40, nodes_per_rack=25, tenants=5000)  # 80 switches, 1,000 nodes, 5,000 tenants
"""
import shutil

import yaml

PLATFORMS = (
    # platform, ansible_network_os, inventory group, port name of node n (1-based)
    ("eos", "arista.eos.eos", "netstack_switches_eos", "Ethernet%d"),
    ("nxos", "cisco.nxos.nxos", "netstack_switches_nxos", "Ethernet1/%d"),
    ("sonic", "dellemc.enterprise_sonic.sonic", "netstack_switches_sonic", "Ethernet%d"),
    ("junos", "junipernetworks.junos.junos", "netstack_switches_junos", "xe-0/0/%d"),
    ("frr", None, "netstack_switches_frr", "swp%d"),
)


def _prefix(hosts):
    """The smallest IPv4 prefix whose addresses hold ``hosts`` nodes, both switches of every rack and room
    for the gateway and the VIPs (the plan's own check decides; this only sizes the example's VLANs)."""
    prefix = 24
    while 2 ** (32 - prefix) < hosts * 2 + 256:
        prefix -= 1
    return prefix


def write_site(target, racks=40, nodes_per_rack=25, tenants=5000, source=None):
    """Write the inventory into ``target`` (a new directory); return ``target``."""
    from inventory_loader import REPO

    shutil.copytree(str(source or REPO / "inventories" / "example"), str(target))
    node_count = racks * nodes_per_rack
    prefix = _prefix(node_count)
    groups = {}
    for rack in range(1, racks + 1):
        platform, network_os, group, _port = PLATFORMS[(rack - 1) % len(PLATFORMS)]
        for index in (1, 2):
            switch = {"netstack_switch": {"rack": "r%d" % rack, "index": index,
                                          "router_id": "10.255.%d.%d" % (rack, index)}}
            if network_os:
                switch["ansible_network_os"] = network_os
            else:
                switch["netstack_switch"]["platform"] = "frr"
            groups.setdefault(group, {})["r%d-leaf%d" % (rack, index)] = switch
    control, workers = {}, {}
    for rack in range(1, racks + 1):
        port = PLATFORMS[(rack - 1) % len(PLATFORMS)][3]
        for n in range(1, nodes_per_rack + 1):
            index = (rack - 1) * nodes_per_rack + n
            node = {"netstack_node": {"rack": "r%d" % rack, "index": index, "install_disk": "/dev/nvme0n1",
                                      "uplinks": [{"switch": "r%d-leaf%d" % (rack, s), "port": port % n,
                                                   "nic": "enp1s0f%d" % (s - 1)} for s in (1, 2)]}}
            (control if index <= 3 else workers)["r%d-n%d" % (rack, n)] = node
    hosts = yaml.safe_load((target / "hosts.yml").read_text())
    children = hosts["all"]["children"]
    children["netstack_nodes"]["children"]["netstack_control_plane"]["hosts"] = control
    children["netstack_nodes"]["children"]["netstack_workers"]["hosts"] = workers
    children["netstack_switches"]["children"] = dict((group, {"hosts": members}) for group, members in groups.items())
    (target / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))

    fabric_path = target / "group_vars" / "all" / "fabric.yml"
    fabric = yaml.safe_load(fabric_path.read_text())
    for vlan in fabric["netstack_fabric"]["vlans"]:
        if vlan["role"] in ("node", "storage"):
            vlan["cidr"] = "10.%d.0.0/%d" % (vlan["id"], prefix)
        elif racks > 8:     # the switches' SVI addresses count down from the top, clear of the pool at .64/26
            vlan["cidr"] = "10.%d.0.0/22" % vlan["id"]
    fabric["netstack_fabric"]["racks"] = [{"name": "r%d" % r, "index": r} for r in range(1, racks + 1)]
    fabric_path.write_text(yaml.safe_dump(fabric, sort_keys=False))

    cluster_path = target / "group_vars" / "all" / "cluster.yml"
    cluster = yaml.safe_load(cluster_path.read_text())
    if node_count > 256:
        cluster["netstack_cluster"]["networks"]["cluster_cidr"] = "100.72.0.0/14"   # a /24 per node
    cluster_path.write_text(yaml.safe_dump(cluster, sort_keys=False))

    tenants_path = target / "group_vars" / "all" / "tenants.yml"
    document = yaml.safe_load(tenants_path.read_text())
    tree = document["netstack_tenants"]
    tree["farm"] = {"parent": "root", "gateway": False}
    names = []
    for number in range(max(0, tenants - len(tree))):
        name = "t%d" % number
        tree[name] = {"parent": "farm" if number < 4 else names[(number - 4) // 4]}
        names.append(name)
    tenants_path.write_text(yaml.safe_dump(document, sort_keys=False))
    return target
