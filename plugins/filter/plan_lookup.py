# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that read the plan: a part of it, node addresses and BGP neighbours, for templates and ad-hoc use.

They take the ``netstack_plan`` fact, which keeps the parts that grow with the site in files of the run
(plugins/module_utils/plan_cache.py), or a whole plan."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.plugin_utils import plan_fact


def node_address(plan, host, vlan=None):
    """Address of ``host`` (node or switch) on ``vlan`` (default: the node VLAN)."""
    plan = plan_fact.fabric_plan(plan, "node_address")
    try:
        vlan = vlan or next(v["name"] for v in plan["vlans"] if v["role"] == "node")
        for table in ("nodes", "switches"):
            if host in plan[table]:
                return plan[table][host]["addresses"][vlan]
    except (KeyError, TypeError, StopIteration) as exc:
        raise AnsibleFilterError("node_address: %s has no address on VLAN %s (%s)" % (host, vlan, exc))
    raise AnsibleFilterError("node_address: %s is neither a node nor a switch of the plan" % host)


def bgp_neighbors(plan, host):
    """The BGP sessions of ``host`` as that end configures them (peer, addresses, ASNs, password reference)."""
    plan = plan_fact.fabric_plan(plan, "bgp_neighbors")
    bgp = plan.get("bgp", {})
    if host in bgp.get("switches", {}):
        return bgp["switches"][host]["neighbors"]
    return bgp.get("nodes", {}).get(host, [])


def plan_part(plan, section, key=None):
    """``plan[section]`` or ``plan[section][key]``, read from the run's files when the fact keeps it there."""
    return plan_fact.plan_part(plan, section, key)


class FilterModule(object):
    def filters(self):
        return {"node_address": node_address, "bgp_neighbors": bgp_neighbors, "plan_part": plan_part}
