#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: plan
short_description: Validate the inventory, compute the network plan and write the bundle
version_added: 0.1.0
description:
  - Runs on the controller (it is an action plugin). It reads the whole inventory from C(hostvars)
    (the C(netstack_*) group variables, every host of the C(netstack_control_plane), C(netstack_workers)
    and C(netstack_switches) groups), validates it against the collection's schema and cross-field rules,
    and computes the plan (addresses, BGP sessions, tenants, values and manifests).
  - When anything is wrong it fails with B(every) problem, each naming its inventory path, and nothing else
    runs.
  - It writes the requested bundle sections into O(bundle_dir), touching only files whose content changed,
    so a second run reports no change. Check mode reports what would change without writing; C(--diff)
    shows the changes.
  - The plan is returned as the fact C(netstack_plan) for the roles that apply it.
options:
  sections:
    description:
      - Bundle sections to write. C(plan) writes C(plan.yaml), C(report.md) and C(report.html).
      - Other sections are added by the fabric, cluster networking, nodes, tenants and gateway parts.
    type: list
    elements: str
    default: [plan]
  bundle_dir:
    description:
      - Directory of the bundle. Default is C(netstack_bundle_dir), else C(build/<cluster name>) next to
        the C(playbooks/) directory.
    type: path
  write_bundle:
    description: Whether to write the bundle at all (C(false) only computes the plan).
    type: bool
    default: true
  profile:
    description: Return the time spent collecting, planning and writing, in seconds, as RV(timings).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  action:
    support: full
notes:
  - Secrets never enter the plan or the bundle: BGP passwords are carried as the name of the variable
    that holds them.
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Validate the inventory, compute the plan and write the bundle
  netstack.baremetal.plan:
    sections: [plan]
  run_once: true
  delegate_to: localhost

- name: Only validate (CI for inventories)
  netstack.baremetal.plan:
    write_bundle: false
"""

RETURN = r"""
bundle_dir:
  description: Absolute path of the bundle.
  returned: success
  type: str
  sample: /home/me/netstack/build/lab1
files:
  description: Bundle files of the requested sections, relative to RV(bundle_dir).
  returned: when the bundle is written
  type: list
  elements: str
  sample: [plan.yaml, report.html, report.md]
changed_files:
  description: The files whose content changed (or would change in check mode).
  returned: when the bundle is written
  type: list
  elements: str
problems:
  description: Every problem found in the inventory, each with its inventory path and a hint.
  returned: failure
  type: list
  elements: dict
  sample: [{path: netstack_fabric.vlans[1].id, message: duplicate VLAN id 10, hint: ""}]
timings:
  description: Seconds spent collecting the inventory, planning and writing the bundle.
  returned: when O(profile=true)
  type: dict
ansible_facts:
  description: Facts set by the module.
  returned: success
  type: complex
  contains:
    netstack_plan:
      description: The whole plan, see docs/architecture.md.
      type: dict
      returned: success
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        sections=dict(type="list", elements="str", default=["plan"]),
        bundle_dir=dict(type="path"),
        write_bundle=dict(type="bool", default=True),
        profile=dict(type="bool", default=False),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.plan runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
