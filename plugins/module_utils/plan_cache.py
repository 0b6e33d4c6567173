# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan as an Ansible fact, without the lists that grow with the tenants.

Ansible processes every fact of a host on every task (ansible-core 2.19: about 0.7 s per task with 14,000 tenant
objects in a fact, 3.3 s with 70,000, and 3 s / 15 s to set it). So the fact ``netstack_plan`` holds the plan
without ``CACHED`` (the tenants' objects, the gateway batches, tenants and prune lists: 95 % of a 1,000-tenant plan),
which go to a JSON file in the run's local temporary directory (``ansible-local-*``, removed when
``ansible-playbook`` exits); the fact names it (``cache``) and keeps each list's length (``<key>_count``). The
actions that apply them (``tenants_apply``, ``gateway_apply``) and the plan action reusing an earlier play's plan
read the whole plan back with ``from_fact``.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

CACHED = (("tenants", "tenants"), ("gateway", "apply"), ("gateway", "tenants"), ("gateway", "prune"))
CACHE_KEY = "cache"


class CacheGone(Exception):
    """The fact names a cache file this run does not have (a fact kept from another run)."""


def to_fact(plan, directory):
    """``plan`` -> the fact: a shallow copy without ``CACHED``, which are written to a new file in ``directory``."""
    held = {}
    fact = dict(plan)
    for section, key in CACHED:
        if isinstance(fact.get(section), dict) and key in fact[section]:
            fact[section] = dict(fact[section])
            value = fact[section].pop(key)
            held["%s.%s" % (section, key)] = value
            fact[section][key + "_count"] = len(value)
    fact.pop(CACHE_KEY, None)
    if held:
        handle, path = tempfile.mkstemp(prefix="netstack-plan-", suffix=".json", dir=directory)
        with os.fdopen(handle, "w") as stream:
            json.dump(held, stream, separators=(",", ":"))
        fact[CACHE_KEY] = path
    return fact


def from_fact(fact):
    """The fact -> the whole plan (shallow copies of the fact's sections); a fact without a cache as it is."""
    if not isinstance(fact, dict) or not fact.get(CACHE_KEY):
        return fact
    path = fact[CACHE_KEY]
    try:
        with open(path) as stream:
            held = json.load(stream)
    except (IOError, OSError):
        raise CacheGone("the plan fact names %s, which this run does not have (a fact kept from another run?): "
                        "run the plan task (netstack.baremetal.plan) in this run first" % path)
    plan = dict(fact)
    del plan[CACHE_KEY]
    for dotted, value in held.items():
        section, key = dotted.split(".", 1)
        plan[section] = dict(plan[section])
        plan[section].pop(key + "_count", None)
        plan[section][key] = value
    return plan
