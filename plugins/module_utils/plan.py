# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan engine's public surface.

Three functions, in the order a play uses them:

* ``build_plan(inventory_vars, nodes, switches)`` validates the whole inventory
  and computes the plan, or raises ``PlanError`` carrying every problem;
* ``render_bundle(plan, sections)`` returns the bundle artefacts
  ``{relative path: text}`` of the sections asked for;
* ``SECTIONS`` names the sections a playbook may ask for.

The plan is plain data (dicts, lists, strings, ints), deterministic for a given
inventory, and is what every role applies.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import addressing, bgp, inventory, report
from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import plan_fabric, render_fabric
from ansible_collections.netstack.baremetal.plugins.module_utils.nodes import plan_nodes, render_nodes
from ansible_collections.netstack.baremetal.plugins.module_utils.cluster_network import (
    plan_cluster_network, render_cluster_network)
from ansible_collections.netstack.baremetal.plugins.module_utils.problems import PlanError
from ansible_collections.netstack.baremetal.plugins.module_utils.yamlout import dump_yaml

PLAN_FORMAT = 1


def build_plan(inventory_vars, nodes, switches):
    """Validate the inventory and compute the plan; raise PlanError with every problem."""
    site, problems = inventory.build_site(inventory_vars, nodes, switches)
    if problems:
        raise PlanError(problems)
    addresses = addressing.plan_addresses(site, problems)
    sessions = bgp.plan_bgp(site, addresses, problems)
    if problems:
        raise PlanError(problems)
    plan = _core_plan(site, addresses, sessions)
    for name, planner, _renderer in AREAS:
        plan[name] = planner(site, plan, problems)
    if problems:
        raise PlanError(problems)
    return plan


def _core_plan(site, addresses, sessions):
    cluster = site["cluster"]
    plan = {
        "format": PLAN_FORMAT,
        "mode": site["mode"],
        "bundle_dir": site["bundle_dir"],
        "kubeconfig": site["kubeconfig"],
        "cluster": {key: cluster[key] for key in ("name", "node_os", "variant", "kubernetes_version", "dns_domain",
                                                  "features")},
        "load_balancer": {"mode": site["load_balancer"]["mode"],
                          "implementation": site["load_balancer"]["implementation"]},
        "networks": addresses["networks"],
        "api": addresses["api"],
        "vlans": addresses["vlans"],
        "nodes": _node_entries(site, addresses),
        "switches": addresses["switches"],
        "pools": addresses["pools"],
        "bgp": sessions,
    }
    return plan


def _node_entries(site, addresses):
    nodes = {}
    for host, entry in addresses["nodes"].items():
        node = site["nodes"][host]
        entry = dict(entry)
        entry.update(uplinks=node["uplinks"], bond_mode=node["bond_mode"], install_disk=node["install_disk"],
                     labels=node["labels"])
        nodes[host] = entry
    return nodes


# Keys that depend on where the playbook runs, not on the inventory: kept out of plan.yaml so the
# bundle is the same on every machine.
_LOCAL_KEYS = ("bundle_dir", "kubeconfig")


def _render_plan_section(plan):
    blocks = report.core_sections(plan)
    portable = dict((k, v) for k, v in plan.items() if k not in _LOCAL_KEYS)
    title = "Network plan: %s" % plan["cluster"]["name"]
    return {
        "plan.yaml": dump_yaml(portable),
        "report.md": report.to_markdown(blocks),
        "report.html": report.to_html(blocks, title),
    }


# Each area of the stack: (plan key and bundle section name, planner, renderer).
#   planner(site, plan, problems) -> dict   stored as plan[name]; append Problems for bad input
#   renderer(plan) -> {relative path: text}  the area's bundle files (under a folder named after it)
# Areas run in this order and may read what earlier areas put in the plan.
AREAS = [
    ("fabric", plan_fabric, render_fabric),
    ("nodes", plan_nodes, render_nodes),
    ("cluster_network", plan_cluster_network, render_cluster_network),
]

SECTIONS = {"plan": _render_plan_section}
SECTIONS.update((name, renderer) for name, _planner, renderer in AREAS)


def render_bundle(plan, sections):
    """Return ``{relative path: text}`` for the sections asked for."""
    artefacts = {}
    for name in sections:
        if name not in SECTIONS:
            raise ValueError("unknown bundle section '%s' (known: %s)" % (name, ", ".join(sorted(SECTIONS))))
        artefacts.update(SECTIONS[name](plan))
    return artefacts
