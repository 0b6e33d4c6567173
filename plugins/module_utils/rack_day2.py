# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day 2 for racks (issue #14, add_rack.yml): what a new rack, its switches and its nodes change.

``without_rack`` gives the inventory as it was before the rack (its entry, switches and nodes left out);
``plan.build_rack_plan`` plans both and hands the two fabrics to ``changed_switches``, which names every switch
outside the rack whose structured configuration the rack changes. No guess about what depends on what: a switch
of another rack (or a spine, should the model ever hold one) whose configuration reads anything the rack brings
(sessions, ports, ``maximum-paths``, listen ranges, VLANs...) shows up there and is rolled with the rack's own.
``rack_change`` then says what the rack owns: its switches, its nodes (each as ``node_day2.node_change``), their
load-balancer objects (selected by host name, or by the rack label in rack scope) and labels.

No Ansible imports.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netstack.baremetal.plugins.module_utils import node_day2


def _in_rack(entry, key, rack):
    return isinstance(entry, dict) and isinstance(entry.get(key), dict) and entry[key].get("rack") == rack


def without_rack(inventory_vars, nodes, switches, rack):
    """``build_plan``'s three arguments without rack ``rack``: its ``netstack_fabric.racks`` entry, the switches and
    the nodes (active or retired) placed in it. The inputs are not modified."""
    fabric = dict(inventory_vars.get("netstack_fabric") or {})
    fabric["racks"] = [r for r in fabric.get("racks") or [] if not (isinstance(r, dict) and r.get("name") == rack)]
    inventory_vars = dict(inventory_vars, netstack_fabric=fabric)
    nodes = dict((host, entry) for host, entry in nodes.items() if not _in_rack(entry, "netstack_node", rack))
    switches = dict((host, entry) for host, entry in switches.items()
                    if not _in_rack(entry, "netstack_switch", rack))
    return inventory_vars, nodes, switches


def changed_switches(before, after):
    """The switches of ``before`` (``plan.fabric.switches`` without the rack) whose structured configuration differs
    in ``after`` (with it), by name."""
    return sorted(host for host, config in before.items() if host in after and after[host] != config)


def rack_switches(plan, rack):
    """The rack's switches, by name."""
    return sorted(host for host, switch in plan["switches"].items() if switch["rack"] == rack)


def rack_nodes(plan, rack):
    """The rack's active nodes, in plan order (control planes first, then by index)."""
    return [host for host, node in plan["nodes"].items() if node["rack"] == rack]


def rollout_order(plan, switches):
    """``switches`` in rollout order (phase, then name), as fabric.yml changes them."""
    rollout = (plan.get("fabric") or {}).get("rollout") or {}
    return sorted(switches, key=lambda s: ((rollout.get(s) or {}).get("phase", 0), s))


def rack_objects(plan, rack, nodes):
    """The load-balancer objects that are the rack's: those selecting one of ``nodes`` by host name alone (node
    scope) and those selecting the rack by its label (rack scope)."""
    section = plan.get("cluster_network") or {}
    speakers = (section.get("load_balancer") or {}).get("speakers") or {}
    wanted = [{"matchLabels": {node_day2.HOSTNAME_LABEL: node.lower()}} for node in nodes]
    if speakers.get("rack_label"):
        wanted.append({"matchLabels": {speakers["rack_label"]: rack}})
    return [obj for obj in node_day2.lb_release_objects(plan)
            if any(selector in wanted for selector in node_day2.selectors(obj))]


def rack_change(plan, rack, others):
    """What the rack owns and what add_rack.yml changes.

    ``others``: the switches outside the rack whose configuration the rack changes (``changed_switches``).
    ``switches``: the rack's and those, in rollout order; ``nodes``: each node's ``node_day2.node_change``;
    ``objects``: the load-balancer objects of the rack (one batch); ``sessions``: every session of its nodes.
    """
    nodes = rack_nodes(plan, rack)
    members = [node_day2.node_change(plan, name, "add") for name in nodes]
    return {
        "name": rack,
        "operation": "add",
        "rack_switches": rack_switches(plan, rack),
        "other_switches": sorted(others),
        "switches": rollout_order(plan, rack_switches(plan, rack) + sorted(others)),
        "nodes": members,
        "objects": rack_objects(plan, rack, nodes),
        "sessions": [dict(s, node=m["name"]) for m in members for s in m["sessions"]],
    }
