"""Property tests of the address plan: no collisions, determinism, stability under additions."""
import ipaddress

from hypothesis import given, settings, strategies as st

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp, plan as plan_core

import sitegen

SITES = st.builds(lambda racks, per_rack, switches, mode: sitegen.make_site(
    racks=racks, nodes_per_rack=per_rack, switches_per_rack=switches, control_planes=min(3, racks * per_rack),
    mode=mode), st.integers(1, 6), st.integers(1, 8), st.integers(1, 4), st.sampled_from(["bgp", "l2"]))


def all_addresses(plan):
    """(vlan, address, owner) for every address the plan hands out."""
    for vlan in plan["vlans"]:
        if vlan["gateway"]:
            yield vlan["name"], vlan["gateway"], "gateway"
        for host, address in vlan["nodes"].items():
            yield vlan["name"], address, host
        for host, address in vlan["switches"].items():
            yield vlan["name"], address, host
    yield plan["api"]["vlan"], plan["api"]["vip"], "vip"


@settings(max_examples=150, deadline=None)
@given(SITES)
def test_no_two_owners_share_an_address_and_all_are_usable(site):
    plan = plan_core.build_plan(*site)
    seen = {}
    cidrs = {v["name"]: ipaddress.ip_network(v["cidr"]) for v in plan["vlans"]}
    for vlan, address, owner in all_addresses(plan):
        key = (vlan, address)
        assert key not in seen, "%s and %s share %s on %s" % (seen[key], owner, address, vlan)
        seen[key] = owner
        ip = ipaddress.ip_address(address)
        assert ip in cidrs[vlan] and ip not in (cidrs[vlan].network_address, cidrs[vlan].broadcast_address)
    # pools never contain a used address
    for pool in plan["pools"]:
        for cidr in pool["cidrs"]:
            net = ipaddress.ip_network(cidr)
            assert not any(ipaddress.ip_address(a) in net for (v, a) in seen if v == pool["vlan"])


@settings(max_examples=60, deadline=None)
@given(SITES)
def test_same_inventory_same_bundle(site):
    first = plan_core.render_bundle(plan_core.build_plan(*sitegen.clone(site)), ["plan"])
    second = plan_core.render_bundle(plan_core.build_plan(*sitegen.clone(site)), ["plan"])
    assert first == second


def _assignments(plan):
    addresses = {(host, vlan): a for host, n in plan["nodes"].items() for vlan, a in n["addresses"].items()}
    addresses.update({(host, vlan): a for host, s in plan["switches"].items() for vlan, a in s["addresses"].items()})
    sessions = {s["id"]: s for s in plan["bgp"]["sessions"]}
    return addresses, sessions


@settings(max_examples=80, deadline=None)
@given(SITES, st.integers(0, 5), st.data())
def test_adding_a_node_moves_nothing(site, rack_pick, data):
    before = plan_core.build_plan(*sitegen.clone(site))
    racks = sorted(before["switches"][s]["rack"] for s in before["switches"])
    rack = racks[rack_pick % len(racks)]
    used = {n["index"] for n in before["nodes"].values()}
    index = data.draw(st.integers(1, 50).filter(lambda i: i not in used))
    grown = sitegen.clone(site)
    sitegen.add_node(grown, rack, index)
    after = plan_core.build_plan(*grown)
    old_addresses, old_sessions = _assignments(before)
    new_addresses, new_sessions = _assignments(after)
    assert all(new_addresses[k] == v for k, v in old_addresses.items())
    assert all(new_sessions[k] == v for k, v in old_sessions.items())
    assert len(after["nodes"]) == len(before["nodes"]) + 1


@settings(max_examples=40, deadline=None)
@given(SITES)
def test_adding_a_rack_moves_nothing(site):
    before = plan_core.build_plan(*sitegen.clone(site))
    grown = sitegen.clone(site)
    racks = grown[0]["netstack_fabric"]["racks"]
    new_index = max(r["index"] for r in racks) + 1
    racks.insert(0, {"name": "new", "index": new_index})   # list position must not matter
    grown[2]["new-sw1"] = {"network_os": "arista.eos.eos",
                           "netstack_switch": {"rack": "new", "index": 1, "router_id": "10.254.0.1"}}
    top = max(n["netstack_node"]["index"] for n in grown[1].values())
    sitegen.add_node(grown, "new", top + 1)
    after = plan_core.build_plan(*grown)
    old_addresses, old_sessions = _assignments(before)
    new_addresses, new_sessions = _assignments(after)
    assert all(new_addresses[k] == v for k, v in old_addresses.items())
    assert all(new_sessions[k] == v for k, v in old_sessions.items())


@settings(max_examples=60, deadline=None)
@given(SITES)
def test_both_ends_of_every_session_agree(site):
    plan = plan_core.build_plan(*site)
    sessions = plan["bgp"]["sessions"]
    assert bgp.check_consistency(bgp.switch_side(sessions), bgp.node_side(sessions)) == []
    if plan["bgp"]["enabled"]:
        # one session per switch a node is cabled to (its uplinks), not per switch of its rack
        cabled = set((u["switch"], host) for host, n in plan["nodes"].items() for u in n["uplinks"])
        assert set((s["switch"], s["node"]) for s in sessions) == cabled
        assert len(sessions) == len(cabled)
    else:
        assert sessions == []
