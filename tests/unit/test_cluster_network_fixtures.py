# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the cluster network tests (no tests here).

Sites are the example inventory (loaded once through Ansible's inventory code)
with the node OS, the variant and any other group variable changed per test.
"""
from __future__ import absolute_import, division, print_function

import copy
import functools
import json
import pathlib

import pytest

from inventory_loader import load_inventory

from ansible_collections.netstack.baremetal.plugins.module_utils import plan as plan_mod
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = REPO.parent / "shared" / "schemas"

# Every variant each node OS allows (inventory.py refuses the other combinations).
ALLOWED = [("talos", "kubeovn-cilium"), ("talos", "cilium"), ("talos", "cilium-kilo"), ("talos", "noop"),
           ("kubeadm", "kubeovn-cilium-generic"), ("kubeadm", "cilium-generic"), ("kubeadm", "noop")]
REFUSED = [("kubeadm", "kubeovn-cilium"), ("kubeadm", "cilium"), ("kubeadm", "cilium-kilo"),
           ("talos", "kubeovn-cilium-generic"), ("talos", "cilium-generic")]
CHAINED = [combo for combo in ALLOWED if combo[1].startswith("kubeovn")]
WITH_CILIUM = [combo for combo in ALLOWED if combo[1] != "noop"]
BOTH_LB = [("metallb", "bgp"), ("metallb", "l2"), ("cilium", "bgp"), ("cilium", "l2")]


@functools.lru_cache(maxsize=1)
def _example():
    # plain builtins: Ansible's tagged values are slow to deep-copy
    return plain_copy(list(load_inventory(REPO / "inventories" / "example")))


def site(node_os="talos", variant="kubeovn-cilium", implementation="metallb", mode="bgp", edit=None):
    """The example inventory as (inventory_vars, nodes, switches), changed as asked.

    ``edit(inventory_vars, nodes, switches)`` may change anything else in place.
    For L2 mode the external VLAN carries node addresses (ARP is answered there)
    and every pool lives on it; for Cilium's BGP the switches' BFD is off (the
    control plane has none).
    """
    inventory_vars, nodes, switches = copy.deepcopy(_example())
    cluster = inventory_vars["netstack_cluster"]
    cluster["node_os"] = node_os
    cluster["variant"] = variant
    lb = inventory_vars["netstack_load_balancer"]
    lb["implementation"] = implementation
    lb["mode"] = mode
    if mode == "l2":
        for vlan in inventory_vars["netstack_fabric"]["vlans"]:
            if vlan["name"] == "external":
                vlan["node_addresses"] = True
        lb["pools"] = [{"name": "public", "addresses": ["10.30.0.64/26"], "vlan": "external"},
                       {"name": "internal", "addresses": ["10.30.0.200-10.30.0.219"], "vlan": "external",
                        "auto_assign": False}]
    if implementation == "cilium" and mode == "bgp":
        inventory_vars["netstack_fabric"]["bgp"]["bfd"] = False
    if edit is not None:
        edit(inventory_vars, nodes, switches)
    return inventory_vars, nodes, switches


def build(*args, **kwargs):
    """The plan of ``site(...)``; plans without an ``edit`` are shared: do not change them."""
    if kwargs.get("edit") is None:
        kwargs.pop("edit", None)
        return _cached_build(*args, **kwargs)
    return plan_mod.build_plan(*site(*args, **kwargs))


@functools.lru_cache(maxsize=None)
def _cached_build(*args, **kwargs):
    return plan_mod.build_plan(*site(*args, **kwargs))


def problems(*args, **kwargs):
    """The problems a site raises (an empty list when it plans)."""
    try:
        plan_mod.build_plan(*site(*args, **kwargs))
    except PlanError as exc:
        return exc.problems
    return []


def render(plan):
    return plan_mod.render_bundle(plan, ["cluster_network"])


def release(plan, name):
    return next((r for r in plan["cluster_network"]["releases"] if r["name"] == name), None)


def objects(plan, kind=None):
    found = [o for r in plan["cluster_network"]["releases"] for o in r.get("objects", ())]
    return [o for o in found if kind is None or o["kind"] == kind]


def release_names(plan):
    return [r["name"] for r in plan["cluster_network"]["releases"]]


@functools.lru_cache(maxsize=None)
def helm_schema(name):
    path = SCHEMAS / "helm" / ("%s.values.schema.json" % name)
    if not path.exists():
        pytest.skip("no schema at %s" % path)
    return json.loads(path.read_text())


def set_paths(values, prefix=()):
    """Every leaf key path of a values dict (lists are leaves)."""
    for key, value in values.items():
        path = prefix + (key,)
        if isinstance(value, dict) and value:
            yield from set_paths(value, path)
        else:
            yield path


def _properties(schema, node):
    """The properties a schema node declares, through local ``$ref`` and ``allOf``/``anyOf``/``oneOf``; None
    when it declares none (a free-form object)."""
    if "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    found = None
    if "properties" in node:
        found = dict(node["properties"])
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key) or []:
            sub = _properties(schema, branch)
            if sub is not None:
                found = dict(found or {}, **sub)
    return found


def declared_in_schema(schema, path):
    """True when a values schema declares ``path``: properties all the way, or a free-form object on the way."""
    node = schema
    for key in path:
        props = _properties(schema, node)
        if props is None:
            return True
        if key not in props:
            return False
        node = props[key]
    return True
