# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_node_frr
short_description: A node speaker's FRR configuration from the node side of the BGP sessions
version_added: 0.1.0
description:
  - Returns the C(frr.conf) of a node's BGP speaker, built from the node side of the session list that also
    configures the switches. The network twin uses it where MetalLB (FRR mode) would run.
positional: node
options:
  _input:
    description: The plan.
    type: dict
    required: true
  node:
    description: Inventory name of the node.
    type: str
    required: true
  announce:
    description: Prefixes the node announces (MetalLB would announce its Services' addresses).
    type: list
    elements: str
    default: []
  secrets:
    description: Variable name to value for the session password; placeholders without it. Use C(no_log).
    type: dict
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Write a node speaker's frr.conf
  ansible.builtin.copy:
    content: "{{ netstack_plan | netstack.baremetal.fabric_node_frr('n1', announce=['10.79.0.1/32']) }}"
    dest: /tmp/n1.frr.conf
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The C(frr.conf) text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.plugin_utils import plan_fact

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric


def fabric_node_frr(plan, node, announce=None, secrets=None):
    plan = plan_fact.fabric_plan(plan, "fabric_node_frr")
    try:
        return fabric.node_frr_conf(plan, node, announce=announce or (), secrets=secrets)
    except ValueError as exc:
        raise AnsibleFilterError("fabric_node_frr: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"fabric_node_frr": fabric_node_frr}
