"""Every kind of bad inventory is caught, with its inventory path and a precise message.

Each case breaks one thing in a valid synthetic site and names the path and a
fragment of the message the user must see.  A last test breaks many things at
once and checks they are all reported in one run.
"""
import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError

import sitegen


def cluster(site):
    return site[0]["netstack_cluster"]


def fabric(site):
    return site[0]["netstack_fabric"]


def lb(site):
    return site[0]["netstack_load_balancer"]


def node(site, name="r1-n1"):
    return site[1][name]["netstack_node"]


def switch(site, name="r1-sw1"):
    return site[2][name]["netstack_switch"]


def networks(site):
    return cluster(site).setdefault("networks", {})


def _set(getter, key, value):
    def mutate(site):
        getter(site)[key] = value
    return mutate


def _vlan(position, key, value):
    def mutate(site):
        fabric(site)["vlans"][position][key] = value
    return mutate


def _pool(position, key, value):
    def mutate(site):
        lb(site)["pools"][position][key] = value
    return mutate


def _tenant(name, spec):
    def mutate(site):
        site[0]["netstack_tenants"][name] = spec
    return mutate


def _all(*mutations):
    def mutate(site):
        for m in mutations:
            m(site)
    return mutate


def _del(getter, key):
    def mutate(site):
        del getter(site)[key]
    return mutate


def _uplink(name, position, key, value):
    def mutate(site):
        node(site, name)["uplinks"][position][key] = value
    return mutate


def _move_to_both_groups(site):
    site[1]["r1-n1"]["role"] = "both"


def _no_control_plane(site):
    for entry in site[1].values():
        entry["role"] = "worker"


def _second_node_vlan(site):
    fabric(site)["vlans"][1]["role"] = "node"


CASES = [
    # --- the cases named in the issue ---
    ("pod and service CIDR overlap", _set(networks, "service_cidr", "10.244.128.0/17"),
     "netstack_cluster.networks.service_cidr", "overlaps pod_cidr (Kube-OVN pool) 10.244.0.0/16"),
    ("cluster CIDR equals Kube-OVN pool", _set(networks, "cluster_cidr", "10.244.0.0/16"),
     "netstack_cluster.networks.cluster_cidr", "equals the Kube-OVN pod pool"),
    ("LB pool outside its VLAN", _pool(0, "addresses", ["10.4.0.0/28"]),
     "netstack_load_balancer.pools[0].addresses", "is outside VLAN 'external' 10.3.0.0/24"),
    ("LB pool overlaps node addresses", _all(_pool(0, "vlan", "nodes"), _pool(0, "addresses", ["10.1.0.0/28"])),
     "netstack_load_balancer.pools[0].addresses", "overlaps addresses already used on VLAN 'nodes'"),
    ("duplicate VLAN id", _vlan(1, "id", 10), "netstack_fabric.vlans[1].id", "duplicate VLAN id 10"),
    ("VLAN id 4095", _vlan(0, "id", 4095), "netstack_fabric.vlans[0].id", "4095 is above the maximum 4094"),
    ("ASN 0", lambda s: fabric(s).setdefault("asn", {}).setdefault("switches", {}).update(base=0),
     "netstack_fabric.asn.switches.base", "0 is below the minimum 1"),
    ("ASN out of range", _set(switch, "asn", 4294967296), "hosts.r1-sw1.netstack_switch.asn",
     "is above the maximum 4294967295"),
    ("uplink to a missing switch", _uplink("r1-n1", 0, "switch", "r1-sw9"),
     "hosts.r1-n1.netstack_node.uplinks[0].switch", "switch 'r1-sw9' does not exist"),
    ("two nodes with one index", _set(lambda s: node(s, "r1-n2"), "index", 1),
     "hosts.r1-n2.netstack_node.index", "index 1 is already used by node 'r1-n1'"),
    ("tenant parent missing", _tenant("orphan", {"parent": "nobody"}),
     "netstack_tenants.orphan.parent", "does not exist"),
    ("tenant cycle", _all(_tenant("ca", {"parent": "cb"}), _tenant("cb", {"parent": "ca"})),
     "netstack_tenants.c", "cycle"),
    ("tenant name with a dash", _tenant("bad-name", {"parent": "root"}), "netstack_tenants.bad-name", "not allowed"),
    ("variant misspelled", _set(cluster, "variant", "kubeovn-cillium"), "netstack_cluster.variant",
     "did you mean 'kubeovn-cilium'?"),
    ("cilium-kilo with kubeadm", _all(_set(cluster, "variant", "cilium-kilo"), _set(cluster, "node_os", "kubeadm")),
     "netstack_cluster.variant", "'cilium-kilo' needs node_os 'talos'"),
    # --- more ---
    ("unknown top-level cluster key", _set(cluster, "dns_domian", "x.local"), "netstack_cluster.dns_domian",
     "did you mean 'dns_domain'?"),
    ("unknown VLAN key", _vlan(0, "mut", 9000), "netstack_fabric.vlans[0].mut", "did you mean 'mtu'?"),
    ("CIDR with host bits", _vlan(0, "cidr", "10.1.0.7/16"), "netstack_fabric.vlans[0].cidr", "has host bits set"),
    ("CIDR without prefix", _vlan(2, "cidr", "10.3.0.0"), "netstack_fabric.vlans[2].cidr", "is not a CIDR"),
    ("VLAN role misspelled", _vlan(1, "role", "storge"), "netstack_fabric.vlans[1].role", "did you mean 'storage'?"),
    ("duplicate VLAN name", _vlan(1, "name", "nodes"), "netstack_fabric.vlans[1].name", "duplicate VLAN name"),
    ("two VLANs overlap", _vlan(1, "cidr", "10.1.0.0/24"), "netstack_fabric.vlans", "overlaps"),
    ("no node VLAN", _vlan(0, "role", "other"), "netstack_fabric.vlans", "exactly one VLAN with role 'node'"),
    ("two node VLANs", _second_node_vlan, "netstack_fabric.vlans[1].role", "exactly one VLAN with role 'node', has 2"),
    ("VLAN too small", _vlan(1, "cidr", "10.2.0.0/29"), "netstack_fabric.vlans[1].cidr", "is too small"),
    ("MTU too large", _vlan(0, "mtu", 16000), "netstack_fabric.vlans[0].mtu", "above the maximum 9216"),
    ("VIP outside node VLAN", lambda s: cluster(s)["api"].update(vip="10.50.0.5"), "netstack_cluster.api.vip",
     "is not a usable address of VLAN 'nodes'"),
    ("VIP on a node address", lambda s: cluster(s)["api"].update(vip="10.1.0.11"), "netstack_cluster.api.vip",
     "is already node 'r1-n1'"),
    ("VIP on a VLAN that does not exist", lambda s: cluster(s)["api"].update(vlan="nodez"),
     "netstack_cluster.api.vlan", "did you mean 'nodes'?"),
    ("VIP not an address", lambda s: cluster(s)["api"].update(vip="10.1.0.300"), "netstack_cluster.api.vip",
     "is not a valid ipv4"),
    ("API port out of range", lambda s: cluster(s)["api"].update(port=70000), "netstack_cluster.api.port",
     "above the maximum 65535"),
    ("missing API", _del(cluster, "api"), "netstack_cluster.api", "is required"),
    ("join overlaps service", _set(networks, "join_cidr", "10.96.0.0/20"), "netstack_cluster.networks.",
     "overlaps"),
    ("pool overlaps service CIDR", _pool(1, "addresses", ["10.96.1.0/24"]), "netstack_",
     "overlaps"),
    ("two pools overlap", _all(_pool(1, "vlan", "external"), _pool(1, "addresses", ["10.3.0.96/28"])),
     "netstack_load_balancer.pools[", "overlaps pool"),
    ("pool range reversed", _pool(0, "addresses", ["10.3.0.80-10.3.0.70"]),
     "netstack_load_balancer.pools[0].addresses[0]", "ends before it starts"),
    ("pool without VLAN in L2 mode", _all(_set(lb, "mode", "l2"), _pool(1, "vlan", None)),
     "netstack_load_balancer.pools[1].vlan", "must be string"),
    ("L2 pool on a VLAN the nodes are not on", _all(_set(lb, "mode", "l2"), _pool(1, "vlan", "external"),
                                                    _pool(1, "addresses", ["10.3.0.128/28"])),
     "netstack_fabric.vlans[2].node_addresses", "has no node addresses (used by pools 'public', 'routed')"),
    ("pool on unknown VLAN", _pool(0, "vlan", "externa"), "netstack_load_balancer.pools[0].vlan",
     "did you mean 'external'?"),
    ("duplicate pool name", _pool(1, "name", "public"), "netstack_load_balancer.pools[1].name", "duplicate pool"),
    ("LB mode misspelled", _set(lb, "mode", "bpg"), "netstack_load_balancer.mode", "did you mean 'bgp'?"),
    ("pod gateway outside pod CIDR", _set(networks, "pod_gateway", "10.245.0.1"),
     "netstack_cluster.networks.pod_gateway", "is not inside pod_cidr"),
    ("node in an unknown rack", _set(node, "rack", "r9"), "hosts.r1-n1.netstack_node.rack",
     "rack 'r9' does not exist"),
    ("node index zero", _set(node, "index", 0), "hosts.r1-n1.netstack_node.index", "below the minimum 1"),
    # onto a port no other node is cabled to: the rack is the one mistake
    ("uplink to another rack's switch", _all(_uplink("r1-n1", 0, "switch", "r2-sw1"),
                                             _uplink("r1-n1", 0, "port", "Ethernet48")),
     "hosts.r1-n1.netstack_node.uplinks[0].switch", "is in rack 'r2'"),
    ("switch port cabled twice", _uplink("r1-n2", 0, "port", "Ethernet1"),
     "hosts.r1-n", "is already cabled to"),
    ("node in both groups", _move_to_both_groups, "hosts.r1-n1", "is in both node groups"),
    ("no control plane", _no_control_plane, "hosts", "no control-plane node"),
    ("duplicate router id", _set(lambda s: switch(s, "r1-sw2"), "router_id", "10.255.1.1"),
     "hosts.r1-sw2.netstack_switch.router_id", "already used"),
    ("two switches with one index", _set(lambda s: switch(s, "r1-sw2"), "index", 1),
     "hosts.r1-sw2.netstack_switch.index", "already has switch index 1"),
    ("unknown network OS", lambda s: s[2]["r1-sw1"].update(network_os="vendor.x.y"),
     "hosts.r1-sw1.netstack_switch.platform", "cannot be derived"),
    ("rack index reused", lambda s: fabric(s)["racks"][1].update(index=1), "netstack_fabric.racks[1].index",
     "already used by rack 'r1'"),
    ("hold time below 3x keepalive", lambda s: fabric(s)["bgp"].update(keepalive=10, hold_time=20),
     "netstack_fabric.bgp.hold_time", "less than 3 x keepalive"),
    ("node and switch share an ASN",
     lambda s: fabric(s).update(asn={"switches": {"base": 65000}, "nodes": {"base": 65000}}),
     "netstack_fabric.asn.switches.base", "must be eBGP"),
    ("dynamic neighbors with per-node ASNs", lambda s: fabric(s)["bgp"].update(
        dynamic_neighbors=True) or fabric(s).update(asn={"nodes": {"scheme": "per_node"}}),
     "netstack_fabric.bgp.dynamic_neighbors", "per_node"),
    ("reserved ASN", _set(switch, "asn", 23456), "hosts.r1-sw1.netstack_switch.asn", "is reserved"),
    ("cluster CIDR too small for nodes", _all(_set(networks, "cluster_cidr", "100.65.0.0/22")),
     "netstack_cluster.networks.cluster_cidr", "gives 4 node podCIDRs"),
    ("Kubernetes version malformed", _set(cluster, "kubernetes_version", "v1.33"),
     "netstack_cluster.kubernetes_version", "does not match"),
    ("DNS domain with upper case", _set(cluster, "dns_domain", "Cozy.Local"), "netstack_cluster.dns_domain",
     "not a valid lower-case DNS name"),
    ("cluster name with underscore", _set(cluster, "name", "my_cluster"), "netstack_cluster.name",
     "does not match"),
    ("wrong type", _set(lambda s: s[0], "netstack_fabric", ["not", "a", "mapping"]), "netstack_fabric",
     "must be object"),
    ("kubeovn-cilium on kubeadm", _all(_set(cluster, "variant", "kubeovn-cilium"), _set(cluster, "node_os", "kubeadm")), "netstack_cluster.variant",
     "on kubeadm use 'kubeovn-cilium-generic'"),
    ("generic variant on Talos", _set(cluster, "variant", "cilium-generic"), "netstack_cluster.variant",
     "on Talos use 'cilium'"),
    ("missing netstack_node", lambda s: s[1]["r1-n1"].pop("netstack_node"), "hosts.r1-n1.netstack_node",
     "is required for a node"),
    # --- one mistake, one problem, at the key to change (issue #13) ---
    ("node ASN base equals the switches'", lambda s: fabric(s).update(asn={"nodes": {"base": 65100}}),
     "netstack_fabric.asn.nodes.base", "equals the ASN of switch 'r1-sw1'"),
    ("switch's own ASN equals a node's", _set(switch, "asn", 65001), "hosts.r1-sw1.netstack_switch.asn",
     "switch ASN 65001 (its own netstack_switch.asn) equals the ASN of node 'r1-n1'"),
    ("node ASN base reserved", lambda s: fabric(s).update(asn={"nodes": {"base": 65535, "scheme": "shared"}}),
     "netstack_fabric.asn.nodes.base", "node ASN 65535 is reserved"),
    ("switch ASN base reserved", lambda s: fabric(s).update(asn={"switches": {"base": 23456, "scheme": "shared"}}),
     "netstack_fabric.asn.switches.base", "switch ASN 23456 is reserved"),
    ("VLAN too small for the switch SVIs",
     lambda s: fabric(s)["vlans"].append({"id": 40, "name": "mgmt", "cidr": "10.4.0.0/29", "role": "external"}),
     "netstack_fabric.vlans[3].cidr", "no room for the switch SVIs of 'r2-sw2', 'r3-sw1', 'r3-sw2'"),
    ("child tenant reuses its parent's apex", _tenant("shop", {"parent": "t0", "host": "t0.example.org"}),
     "netstack_tenants.shop.host", "apex 't0.example.org' is also the apex of its parent 't0'"),
    ("child tenant takes the root apex", _tenant("shop", {"parent": "t0", "host": "example.org"}),
     "netstack_tenants.shop.host", "contains the apex 't0.example.org' of its parent 't0'"),
    ("tenant apex equal to an unrelated tenant's", _tenant("shop", {"host": "t1.example.org"}),
     "netstack_tenants.shop.host", "apex 't1.example.org' is also the apex of tenant 't1'"),
]


def problems_for(mutate):
    site = sitegen.make_site()
    mutate(site)
    with pytest.raises(PlanError) as caught:
        plan_core.build_plan(*site)
    return caught.value.problems


def test_the_synthetic_site_is_valid():
    plan = plan_core.build_plan(*sitegen.make_site())
    assert len(plan["nodes"]) == 9


def test_enough_cases():
    assert len(CASES) >= 13 + 25


@pytest.mark.parametrize("mutate,path,message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_caught(mutate, path, message):
    problems = problems_for(mutate)
    matching = [p for p in problems if p.path.startswith(path) and message in str(p)]
    assert matching, "expected a problem at %s containing %r, got:\n%s" % (
        path, message, "\n".join(str(p) for p in problems))


def test_all_problems_reported_at_once():
    problems = problems_for(_all(
        _set(cluster, "dns_domian", "x"), _vlan(0, "id", 4095), _set(lb, "mode", "bpg"), _set(node, "rack", "r9")))
    paths = {p.path for p in problems}
    assert {"netstack_cluster.dns_domian", "netstack_fabric.vlans[0].id", "netstack_load_balancer.mode"} <= paths


def test_cross_field_problems_reported_together():
    problems = problems_for(_all(_set(node, "rack", "r9"), _set(lambda s: node(s, "r1-n2"), "index", 1),
                                 _vlan(1, "id", 10)))
    paths = {p.path for p in problems}
    assert {"hosts.r1-n1.netstack_node.rack", "hosts.r1-n2.netstack_node.index",
            "netstack_fabric.vlans[1].id"} <= paths


def test_problem_messages_are_readable():
    problems = problems_for(_set(cluster, "variant", "kubeovn-cillium"))
    text = str(PlanError(problems))
    assert "1 problem(s) in the inventory" in text
    assert "netstack_cluster.variant: 'kubeovn-cillium' is not one of" in text


def test_role_and_runtime_variables_are_not_inventory_keys():
    from ansible_collections.netstack.baremetal.plugins.module_utils.inventory import collect_inventory
    site_vars = {"netstack_cluster": {}, "netstack_plan": {"format": 1}, "netstack_tenants_batch": 50,
                 "netstack_node_batch": "25%", "netstack_fabirc": {}, "unrelated": 1,
                 "netstack_nodes_plan": {"changed": False, "bundle_dir": "/tmp/x"}}
    inventory_vars = collect_inventory({}, lambda host: {}, site_vars=site_vars)[0]
    assert sorted(inventory_vars) == ["netstack_cluster", "netstack_fabirc", "netstack_node_batch"]


def test_misspelled_inventory_variable_is_caught():
    problems = problems_for(lambda s: s[0].update(netstack_fabirc={}))
    assert any(p.path == "netstack_fabirc" and "did you mean 'netstack_fabric'?" in str(p) for p in problems)


def test_shared_asn_is_one_problem_at_the_setting_to_change():
    """18 node-switch sessions would be iBGP: one problem, at the ASN base the user set (the node base is the
    default), naming the other side's setting, with a base that works."""
    problems = problems_for(lambda s: fabric(s).update(asn={"switches": {"base": 65000}, "nodes": {"base": 65000}}))
    assert [(p.path, p.hint) for p in problems] == [
        ("netstack_fabric.asn.switches.base", "set netstack_fabric.asn.switches.base: 65100")]
    assert problems[0].message == (
        "switch ASN 65001 (netstack_fabric.asn.switches: base 65000, scheme per_rack) equals the ASN of node "
        "'r1-n1' (netstack_fabric.asn.nodes: base 65000, scheme per_rack): the node sessions must be eBGP "
        "(18 sessions)")


@pytest.mark.parametrize("asn,path", [
    ({"nodes": {"base": 65100}}, "netstack_fabric.asn.nodes.base"),               # the node base was set
    ({"nodes": {"base": 65100}, "switches": {"base": 65100}}, "netstack_fabric.asn.nodes.base"),   # both: nodes
    ({"switches": {"base": 64999, "scheme": "per_switch"}}, "netstack_fabric.asn.switches.base"),
])
def test_shared_asn_names_the_base_the_user_set(asn, path):
    problems = problems_for(lambda s: fabric(s).update(asn=asn))
    assert [p.path for p in problems] == [path]
    assert "must be eBGP" in problems[0].message and problems[0].hint.startswith("set %s: " % path)


def test_switch_with_its_own_colliding_asn_is_reported_on_that_switch():
    problems = problems_for(_set(switch, "asn", 65001))
    assert [p.path for p in problems] == ["hosts.r1-sw1.netstack_switch.asn"]
    assert "(3 sessions)" in problems[0].message


def test_vlan_too_small_is_one_problem_at_its_cidr_with_a_size_that_fits():
    problems = problems_for(_vlan(1, "cidr", "10.2.0.0/29"))
    assert [(p.path, p.hint) for p in problems] == [
        ("netstack_fabric.vlans[1].cidr", "use a /27 or larger, e.g. 10.2.0.0/27")]
    site = sitegen.make_site()
    fabric(site)["vlans"][1]["cidr"] = "10.2.0.0/27"
    plan_core.build_plan(*site)


def test_l2_pools_on_a_vlan_without_node_addresses_are_one_problem_at_the_vlan():
    problems = problems_for(_all(_set(lb, "mode", "l2"), _pool(1, "vlan", "external"),
                                 _pool(1, "addresses", ["10.3.0.128/28"])))
    assert [p.path for p in problems] == ["netstack_fabric.vlans[2].node_addresses"]


def test_a_derived_asn_out_of_range_is_one_problem_at_its_base():
    problems = problems_for(lambda s: fabric(s).update(asn={"nodes": {"base": 4294967290, "scheme": "per_node"}}))
    assert [(p.path, p.message) for p in problems] == [
        ("netstack_fabric.asn.nodes.base", "node ASN 4294967295 is reserved")]
