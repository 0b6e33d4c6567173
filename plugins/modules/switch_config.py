#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: switch_config
short_description: This switch's configuration from the plan, for the fabric role to apply
version_added: 0.2.0
description:
  - Runs on the controller (it is an action plugin), once per switch. It takes the plan from the fact named by
    O(plan_var) on O(plan_host) directly, so the plan never passes through templating or an argument spec.
  - In apply mode it sets the fact C(fabric_switch) - the vendor resource-module arguments (one entry per module,
    with the state to apply), the CLI blocks no resource module expresses and the files of FRR switches - with the
    BGP passwords read from the variables the plan names. Use C(no_log).
  - In render mode it sets no configuration (the plan action rendered every switch into the bundle), only
    C(fabric_switch_render); when the inventory's C(netstack_mode) says render, it does not read the plan at all.
options:
  plan_var:
    description: Name of the fact that holds the plan (the plan task sets C(netstack_plan)).
    type: str
    default: netstack_plan
  plan_host:
    description: The host that holds the plan fact (where the plan task ran).
    type: str
    default: localhost
  render:
    description: Render mode. Default, true when C(netstack_mode) or the plan's mode is C(render).
    type: bool
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Take this switch's configuration from the plan
  netstack.baremetal.switch_config:
  no_log: true
"""

RETURN = r"""
platform:
  description: C(eos), C(nxos), C(junos), C(sonic) or C(frr).
  returned: in apply mode
  type: str
render:
  description: Whether the run renders (nothing to apply on the switch).
  returned: always
  type: bool
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: complex
  contains:
    fabric_switch_render:
      description: Whether the run renders.
      type: bool
      returned: always
    fabric_switch:
      description: >-
        The switch's configuration - C(platform), C(network_os), C(secrets) (variable names), C(modules) (short
        module name to C({state, config}), in apply order), C(cli) (C(before) and C(after) lists of
        C({parents, lines})) and C(files) (file name to text, FRR switches).
      type: dict
      returned: in apply mode
    fabric_switch_rollout:
      description: >-
        The switch's place in a rolling rollout - C(phase) (C(playbooks/fabric.yml) changes the switches of phase 1,
        then 2, ...) and C(peers) (the switches that share a node with it, never changed at the same time).
      type: dict
      returned: in apply mode
    fabric_switch_run:
      description: >-
        This run, for the role's pre-change backups - C(bundle_dir) (the bundle directory the plan task wrote) and
        C(started) (UTC, e.g. C(20261206T013000Z), when the run's first plan task ran: the same for every switch
        of the run).
      type: dict
      returned: in apply mode
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        plan_var=dict(type="str", default="netstack_plan"),
        plan_host=dict(type="str", default="localhost"),
        render=dict(type="bool"),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.switch_config runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
