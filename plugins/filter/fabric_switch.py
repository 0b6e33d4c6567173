# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_switch
short_description: What the fabric role applies on one switch
version_added: 0.1.0
description:
  - Takes the plan (the C(netstack_plan) fact) and returns, for one switch, the vendor resource-module
    arguments (one entry per module, with the state to apply), the CLI blocks no resource module expresses,
    and the files of FRR switches (C(frr.conf), C(interfaces)).
  - Passwords are placeholders naming their variable unless O(secrets) is given; O(omit_passwords) leaves them
    out (offline C(state=rendered), whose output Ansible would mask).
positional: host
options:
  _input:
    description: The plan.
    type: dict
    required: true
  host:
    description: Inventory name of the switch.
    type: str
    required: true
  secrets:
    description: Variable name to value, for every name in RV(_value.secrets). Apply mode only; use C(no_log).
    type: dict
  omit_passwords:
    description: Leave passwords out.
    type: bool
    default: false
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: This switch's configuration, passwords left out
  ansible.builtin.set_fact:
    switch_config: "{{ netstack_plan | netstack.baremetal.fabric_switch(inventory_hostname, omit_passwords=true) }}"
"""

RETURN = r"""
_value:
  description: The switch's configuration.
  type: dict
  contains:
    platform:
      description: C(eos), C(nxos), C(junos), C(sonic) or C(frr).
      type: str
    secrets:
      description: Names of the variables holding the secrets this switch needs.
      type: list
      elements: str
    modules:
      description: Short resource-module name to C({state, config}), in the order to apply them.
      type: dict
    cli:
      description: C(before) and C(after) lists of C({parents, lines}) blocks.
      type: dict
    files:
      description: File name to text (FRR switches).
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.plugin_utils import plan_fact

from ansible_collections.netstack.baremetal.plugins.module_utils import fabric


def fabric_switch(plan, host, secrets=None, omit_passwords=False):
    plan = plan_fact.fabric_plan(plan, "fabric_switch")
    try:
        plan["fabric"]["switches"][host]
    except (KeyError, TypeError):
        raise AnsibleFilterError("fabric_switch: '%s' is not a switch of the plan" % host)
    try:
        return fabric.switch_output(plan, host, secrets=secrets, omit_passwords=omit_passwords)
    except ValueError as exc:
        raise AnsibleFilterError("fabric_switch: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"fabric_switch": fabric_switch}
