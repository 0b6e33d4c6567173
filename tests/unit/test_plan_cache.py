# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan fact keeps the parts that grow with the site in files of the run (plugins/module_utils/plan_cache.py),
and the whole plan, or one part of it, comes back from them."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan_cache

from test_cluster_network_fixtures import build


@pytest.fixture(scope="module")
def example_plan():
    return build("talos", "kubeovn-cilium")


def test_the_fact_leaves_the_parts_that_grow_in_files_and_they_come_back(example_plan, tmp_path):
    fact = plan_cache.to_fact(example_plan, str(tmp_path))
    assert "nodes" not in fact and fact["nodes_count"] == len(example_plan["nodes"]) > 0
    assert "tenants" not in fact["tenants"] and "apply" not in fact["gateway"] and "prune" not in fact["gateway"]
    assert "switches" not in fact["fabric"] and "sessions" not in fact["bgp"] and "releases" not in fact["cluster_network"]
    assert fact["tenants"]["tenants_count"] == len(example_plan["tenants"]["tenants"]) > 0
    assert fact["gateway"]["apply_count"] == len(example_plan["gateway"]["apply"])
    assert fact["bgp"]["enabled"] == example_plan["bgp"]["enabled"] and fact["mode"] == example_plan["mode"]
    assert os.path.dirname(fact["cache"]) == str(tmp_path)
    # one file per part, holding exactly that part; the rest of the plan is the fact, untouched
    files = {}
    for name in os.listdir(fact["cache"]):
        with open(os.path.join(fact["cache"], name)) as stream:
            files[name] = json.load(stream)
    assert files == dict(("%s.json" % section if key is None else "%s.%s.json" % (section, key),
                          example_plan[section] if key is None else example_plan[section][key])
                         for section, key in plan_cache.CACHED)
    assert fact["vlans"] is example_plan["vlans"] and "tenants" in example_plan["tenants"]
    assert plan_cache.from_fact(fact) == example_plan
    # again from the whole plan: a new directory, the same content
    again = plan_cache.to_fact(plan_cache.from_fact(fact), str(tmp_path))
    assert again["cache"] != fact["cache"] and plan_cache.from_fact(again) == example_plan


def test_a_part_is_read_alone(example_plan, tmp_path):
    fact = plan_cache.to_fact(example_plan, str(tmp_path))
    node = sorted(example_plan["nodes"])[0]
    assert plan_cache.part(fact, "nodes", node) == example_plan["nodes"][node]
    assert plan_cache.part(fact, "fabric", "switches") == example_plan["fabric"]["switches"]
    # a section with a cached key comes back whole; one the fact holds is the fact's
    assert plan_cache.part(fact, "cluster_network") == example_plan["cluster_network"]
    assert plan_cache.part(fact, "vlans") is example_plan["vlans"]
    # the fabric's sections only: the tenants stay counted, not read
    fabric_only = plan_cache.from_fact(fact, sections=plan_cache.FABRIC_SECTIONS)
    assert fabric_only["bgp"] == example_plan["bgp"] and fabric_only["nodes"] == example_plan["nodes"]
    assert "tenants" not in fabric_only["tenants"] and fabric_only["tenants"]["tenants_count"] > 0
    # a plain plan reads as it is
    assert plan_cache.part(example_plan, "nodes", node) is example_plan["nodes"][node]
    with pytest.raises(KeyError):
        plan_cache.part(fact, "nodes", "no-such-node")


def test_a_fact_from_another_run_says_so(example_plan, tmp_path):
    fact = plan_cache.to_fact(example_plan, str(tmp_path))
    shutil.rmtree(fact["cache"])
    with pytest.raises(plan_cache.CacheGone, match="run the plan task"):
        plan_cache.from_fact(fact)
    assert plan_cache.from_fact({"mode": "render"}) == {"mode": "render"}
