# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan as an Ansible fact, without the parts that grow with the site.

Ansible processes every fact of a host on every task (ansible-core 2.19: it copies the host's facts each time it
gathers a task's variables: about 0.7 s per task with 14,000 tenant objects in a fact, 3.3 s with 70,000, and
1-3 s with the 8 MB plan of 1,000 nodes). So the fact ``netstack_plan`` holds the plan without ``CACHED`` (the
nodes, the switches' configurations, the BGP sessions, the cluster network's releases, the tenants' objects and
the gateway batches: 99 % of a large plan), each of which goes to a JSON file of its own in a directory of the
run's local temporary directory (``ansible-local-*``, removed when ``ansible-playbook`` exits); the fact names the
directory (``cache``) and keeps each part's length (``<key>_count``, ``<section>_count`` for a whole section).

Readers: ``part`` reads one part (the filter ``netstack.baremetal.plan_part`` for templates: a node's entry, one
switch's configuration), ``from_fact`` the whole plan (the actions that apply it, the plan action reusing an
earlier play's plan). A plan that is not a fact (no ``cache``) reads as it is.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

# (section, key): plan[section][key] is cached; (section, None): the whole plan[section].
CACHED = (("nodes", None), ("fabric", "switches"), ("fabric", "nodes"), ("bgp", "sessions"), ("bgp", "switches"),
          ("bgp", "nodes"), ("cluster_network", "releases"), ("tenants", "tenants"), ("gateway", "apply"),
          ("gateway", "tenants"), ("gateway", "prune"))
CACHE_KEY = "cache"
# The cached sections the fabric's renderers and readers use (switch configurations, node FRR, BGP reports).
FABRIC_SECTIONS = ("nodes", "fabric", "bgp")


class CacheGone(Exception):
    """The fact names a cache file this run does not have (a fact kept from another run)."""


def _file_name(section, key):
    return "%s.json" % (section if key is None else "%s.%s" % (section, key))


def to_fact(plan, directory):
    """``plan`` -> the fact: a shallow copy without ``CACHED``, which are written to a new directory in ``directory``
    (one file per part)."""
    held = {}
    fact = dict(plan)
    for section, key in CACHED:
        if key is None:
            if section in fact:
                held[(section, key)] = fact.pop(section)
                fact[section + "_count"] = len(held[(section, key)])
        elif isinstance(fact.get(section), dict) and key in fact[section]:
            fact[section] = dict(fact[section])
            held[(section, key)] = fact[section].pop(key)
            fact[section][key + "_count"] = len(held[(section, key)])
    fact.pop(CACHE_KEY, None)
    if held:
        cache_dir = tempfile.mkdtemp(prefix="netstack-plan-", dir=directory)
        for (section, key), value in held.items():
            with open(os.path.join(cache_dir, _file_name(section, key)), "w") as stream:
                json.dump(value, stream, separators=(",", ":"))
        fact[CACHE_KEY] = cache_dir
    return fact


def _load(fact, section, key):
    path = os.path.join(fact[CACHE_KEY], _file_name(section, key))
    try:
        with open(path) as stream:
            return json.load(stream)
    except (IOError, OSError):
        raise CacheGone("the plan fact names %s, which this run does not have (a fact kept from another run?): "
                        "run the plan task (netstack.baremetal.plan) in this run first" % path)


def _cached(fact, section, key):
    return isinstance(fact, dict) and bool(fact.get(CACHE_KEY)) and (
        section + "_count" in fact if key is None else key + "_count" in (fact.get(section) or {}))


def part(fact, section, key=None):
    """``plan[section]`` (or ``plan[section][key]``) of the plan ``fact`` holds, reading only that part's file
    (``part(fact, "nodes", "w1")``: w1's entry; ``part(fact, "fabric", "switches")``: every switch). A section
    with cached keys comes back whole, its cached keys read too. KeyError when it is not in the plan."""
    if _cached(fact, section, None):
        value = _load(fact, section, None)
        return value if key is None else value[key]
    if key is not None:
        return _load(fact, section, key) if _cached(fact, section, key) else fact[section][key]
    value = fact[section]
    cached_keys = [k for s, k in CACHED if s == section and k is not None and _cached(fact, s, k)]
    if cached_keys:
        value = dict(value)
        for cached_key in cached_keys:
            value.pop(cached_key + "_count", None)
            value[cached_key] = _load(fact, section, cached_key)
    return value


def from_fact(fact, sections=None):
    """The fact -> the whole plan (shallow copies of the fact's sections); a fact without a cache as it is.
    ``sections``: read back only the cached parts of these sections (the fabric's renderers need neither the
    tenants nor the releases)."""
    if not isinstance(fact, dict) or not fact.get(CACHE_KEY):
        return fact
    plan = dict(fact)
    del plan[CACHE_KEY]
    for section, key in CACHED:
        if not _cached(fact, section, key) or (sections is not None and section not in sections):
            continue
        if key is None:
            plan.pop(section + "_count", None)
            plan[section] = _load(fact, section, key)
        else:
            plan[section] = dict(plan[section])
            plan[section].pop(key + "_count", None)
            plan[section][key] = _load(fact, section, key)
    return plan
