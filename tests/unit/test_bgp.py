"""BGP sessions: ASN schemes, the routing policy, and the consistency check catching disagreeing ends."""
import copy

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import bgp, plan as plan_core

import sitegen


@pytest.fixture
def plan():
    return plan_core.build_plan(*sitegen.make_site())


def test_sessions_use_rack_switches_and_peering_addresses(plan):
    s = plan["bgp"]["sessions"][0]
    assert s["id"] == "%s~%s" % (s["switch"], s["node"])
    assert s["node_address"] == plan["nodes"][s["node"]]["addresses"]["nodes"]
    assert s["switch_address"] == plan["switches"][s["switch"]]["addresses"]["nodes"]
    assert s["password_ref"] == "vault_bgp"
    assert (s["keepalive"], s["hold_time"]) == (3, 9)


@pytest.mark.parametrize("scheme,expected", [
    ("per_rack", {"r1-sw1": 65101, "r1-sw2": 65101, "r2-sw1": 65102}),
    ("per_switch", {"r1-sw1": 65101, "r1-sw2": 65102, "r2-sw1": 65105}),
    ("shared", {"r1-sw1": 65100, "r1-sw2": 65100, "r2-sw1": 65100}),
])
def test_switch_asn_schemes(scheme, expected):
    site = sitegen.make_site()
    site[0]["netstack_fabric"]["asn"] = {"switches": {"scheme": scheme}}
    plan = plan_core.build_plan(*site)
    assert {k: plan["bgp"]["switches"][k]["asn"] for k in expected} == expected


@pytest.mark.parametrize("scheme,expected", [
    ("per_rack", {"r1-n1": 65001, "r2-n1": 65002}),
    ("per_node", {"r1-n1": 65001, "r2-n1": 65004}),
    ("shared", {"r1-n1": 65000, "r2-n1": 65000}),
])
def test_node_asn_schemes(scheme, expected):
    site = sitegen.make_site()
    site[0]["netstack_fabric"]["asn"] = {"nodes": {"scheme": scheme}}
    plan = plan_core.build_plan(*site)
    assert {k: plan["bgp"]["nodes"][k][0]["local_asn"] for k in expected} == expected


def test_switch_asn_override_wins():
    site = sitegen.make_site()
    site[2]["r1-sw1"]["netstack_switch"]["asn"] = 4200000001
    plan = plan_core.build_plan(*site)
    assert plan["bgp"]["switches"]["r1-sw1"]["asn"] == 4200000001
    assert all(p["remote_asn"] == 4200000001 for n in plan["bgp"]["nodes"].values() for p in n
               if p["peer"] == "r1-sw1")


def test_nodes_may_announce_only_pool_host_routes(plan):
    policy = plan["bgp"]["policy"]
    assert policy["accept_from_nodes"] == [{"prefix": "10.3.0.64/26", "ge": 32, "le": 32},
                                           {"prefix": "10.9.0.0/24", "ge": 32, "le": 32}]
    assert policy["send_to_nodes"] == "nothing"


def test_pool_ranges_become_covering_prefixes():
    site = sitegen.make_site()
    site[0]["netstack_load_balancer"]["pools"][1]["addresses"] = ["10.9.0.10-10.9.0.20"]
    plan = plan_core.build_plan(*site)
    prefixes = [e["prefix"] for e in plan["bgp"]["policy"]["accept_from_nodes"]][1:]
    assert prefixes == ["10.9.0.10/31", "10.9.0.12/30", "10.9.0.16/30", "10.9.0.20/32"]


def test_max_paths_defaults_to_rack_size_and_can_be_set(plan):
    assert plan["bgp"]["switches"]["r1-sw1"]["max_paths"] == 3
    site = sitegen.make_site()
    site[0]["netstack_fabric"]["bgp"]["max_paths"] = 16
    assert plan_core.build_plan(*site)["bgp"]["switches"]["r1-sw1"]["max_paths"] == 16


def test_dynamic_neighbors_give_listen_ranges():
    site = sitegen.make_site()
    site[0]["netstack_fabric"]["bgp"]["dynamic_neighbors"] = True
    plan = plan_core.build_plan(*site)
    view = plan["bgp"]["switches"]["r2-sw1"]
    assert view["listen_ranges"] == [{"range": plan["vlans"][0]["cidr"], "remote_asn": 65002}]


def test_l2_mode_has_no_sessions():
    plan = plan_core.build_plan(*sitegen.make_site(mode="l2"))
    assert plan["bgp"]["enabled"] is False and plan["bgp"]["sessions"] == []


def test_consistent_views_give_no_problem(plan):
    sessions = plan["bgp"]["sessions"]
    assert bgp.check_consistency(bgp.switch_side(sessions), bgp.node_side(sessions)) == []


@pytest.mark.parametrize("end,key,value,field", [
    ("switch", "remote_asn", 65999, "remote_asn"),
    ("switch", "peer_address", "10.1.0.99", "peer_address"),
    ("node", "remote_asn", 64999, "local_asn"),
    ("node", "local_address", "10.1.0.98", "peer_address"),
    ("node", "password_ref", "other_secret", "password_ref"),
    ("switch", "password_ref", None, "password_ref"),
    ("node", "hold_time", 30, "hold_time"),
    ("switch", "bfd", True, "bfd"),
])
def test_disagreeing_ends_are_caught(plan, end, key, value, field):
    sessions = plan["bgp"]["sessions"]
    switch_view, node_view = bgp.switch_side(sessions), bgp.node_side(sessions)
    view = switch_view if end == "switch" else node_view
    first = sorted(view)[0]
    view[first][0][key] = value
    problems = bgp.check_consistency(switch_view, node_view)
    assert len(problems) == 1
    assert problems[0].path == "bgp.sessions.%s.%s" % (view[first][0]["session"], field)


def test_one_sided_sessions_are_caught(plan):
    sessions = plan["bgp"]["sessions"]
    node_view = bgp.node_side(sessions)
    dropped = node_view["r1-n1"].pop(0)
    extra = copy.deepcopy(node_view["r1-n2"][0])
    extra["session"] = "ghost~r1-n2"
    node_view["r1-n2"].append(extra)
    problems = bgp.check_consistency(bgp.switch_side(sessions), node_view)
    messages = {p.path: p.message for p in problems}
    assert "switch '%s' only" % dropped["peer"] in messages["bgp.sessions.%s" % dropped["session"]]
    assert "node 'r1-n2' only" in messages["bgp.sessions.ghost~r1-n2"]
