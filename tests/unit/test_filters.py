"""The plan lookup filters answer from the plan and fail clearly."""
import shutil

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.filter.plan_lookup import FilterModule
from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_core, plan_cache

import sitegen

FILTERS = FilterModule().filters()


@pytest.fixture(scope="module")
def plan():
    return plan_core.build_plan(*sitegen.make_site())


def test_node_address_defaults_to_node_vlan(plan):
    assert FILTERS["node_address"](plan, "r1-n1") == plan["nodes"]["r1-n1"]["addresses"]["nodes"]
    assert FILTERS["node_address"](plan, "r1-n1", "storage") == plan["nodes"]["r1-n1"]["addresses"]["storage"]
    assert FILTERS["node_address"](plan, "r1-sw1") == plan["switches"]["r1-sw1"]["addresses"]["nodes"]


@pytest.mark.parametrize("host,vlan", [("nope", None), ("r1-n1", "external"), ("r1-n1", "missing")])
def test_node_address_fails_clearly(plan, host, vlan):
    with pytest.raises(AnsibleFilterError, match="node_address: "):
        FILTERS["node_address"](plan, host, vlan)


def test_bgp_neighbors_both_ends(plan):
    switch_side = FILTERS["bgp_neighbors"](plan, "r1-sw1")
    assert {n["peer"] for n in switch_side} == {"r1-n1", "r1-n2", "r1-n3"}
    node_side = FILTERS["bgp_neighbors"](plan, "r1-n1")
    assert {n["peer"] for n in node_side} == {"r1-sw1", "r1-sw2"}
    assert FILTERS["bgp_neighbors"](plan, "unknown") == []


def test_the_filters_read_the_fact_as_the_plan(plan, tmp_path):
    """The roles hand the filters the netstack_plan fact, whose nodes, switch configurations and BGP tables are in
    the run's files (plan_cache): each filter reads them back and answers as with the whole plan."""
    fact = plan_cache.to_fact(plan, str(tmp_path))
    assert "nodes" not in fact and "sessions" not in fact["bgp"]
    assert FILTERS["node_address"](fact, "r1-n1") == FILTERS["node_address"](plan, "r1-n1")
    assert FILTERS["bgp_neighbors"](fact, "r1-sw1") == FILTERS["bgp_neighbors"](plan, "r1-sw1")
    assert FILTERS["plan_part"](fact, "nodes", "r1-n1") == plan["nodes"]["r1-n1"]
    assert FILTERS["plan_part"](fact, "bgp") == plan["bgp"]
    with pytest.raises(AnsibleFilterError, match="plan_part: the plan has no nodes 'r9-n9'"):
        FILTERS["plan_part"](fact, "nodes", "r9-n9")
    shutil.rmtree(fact["cache"])
    with pytest.raises(AnsibleFilterError, match="plan_part: .*run the plan task"):
        FILTERS["plan_part"](fact, "nodes", "r1-n1")
    with pytest.raises(AnsibleFilterError, match="bgp_neighbors: .*run the plan task"):
        FILTERS["bgp_neighbors"](fact, "r1-sw1")
