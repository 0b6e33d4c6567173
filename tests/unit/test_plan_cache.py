# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan fact keeps the lists that grow with the tenants in a file of the run (plugins/module_utils/plan_cache.py),
and the whole plan comes back from it."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.netstack.baremetal.plugins.module_utils import plan_cache

from test_cluster_network_fixtures import build


@pytest.fixture(scope="module")
def example_plan():
    return build("talos", "kubeovn-cilium")


def test_the_fact_leaves_the_tenant_lists_in_a_file_and_they_come_back(example_plan, tmp_path):
    fact = plan_cache.to_fact(example_plan, str(tmp_path))
    assert "tenants" not in fact["tenants"] and "apply" not in fact["gateway"] and "prune" not in fact["gateway"]
    assert fact["tenants"]["tenants_count"] == len(example_plan["tenants"]["tenants"]) > 0
    assert fact["gateway"]["apply_count"] == len(example_plan["gateway"]["apply"])
    assert os.path.dirname(fact["cache"]) == str(tmp_path)
    # the file holds exactly the lists that grow with the tenants; the rest of the plan is the fact, untouched
    with open(fact["cache"]) as stream:
        assert json.load(stream) == {"%s.%s" % key: example_plan[key[0]][key[1]] for key in plan_cache.CACHED}
    assert fact["nodes"] is example_plan["nodes"] and "tenants" in example_plan["tenants"]
    assert plan_cache.from_fact(fact) == example_plan
    # again from the whole plan: a new file, the same content
    assert plan_cache.from_fact(plan_cache.to_fact(plan_cache.from_fact(fact), str(tmp_path))) == example_plan


def test_a_fact_from_another_run_says_so(example_plan, tmp_path):
    fact = plan_cache.to_fact(example_plan, str(tmp_path))
    os.remove(fact["cache"])
    with pytest.raises(plan_cache.CacheGone, match="run the plan task"):
        plan_cache.from_fact(fact)
    assert plan_cache.from_fact({"mode": "render"}) == {"mode": "render"}
