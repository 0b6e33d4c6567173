# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_bgp_report
short_description: Compare a switch's BGP state with the sessions the plan expects
version_added: 0.1.0
description:
  - Takes the BGP summary a switch reports (FRR C(show bgp ipv4 unicast summary json), EOS
    C(show ip bgp summary | json), NX-OS C(show ip bgp summary | json), Junos C(show bgp summary | display json),
    Enterprise SONiC's RESTCONF C(openconfig-network-instance:neighbors)) and the plan, and returns one row per
    planned session with its state and the number of prefixes received.
positional: host, summary
options:
  _input:
    description: The plan.
    type: dict
    required: true
  host:
    description: Inventory name of the switch.
    type: str
    required: true
  summary:
    description: The parsed JSON summary.
    type: dict
    required: true
  routes:
    description:
      - The parsed BGP table (FRR C(show bgp ipv4 unicast json), EOS C(show ip bgp | json), Junos
        C(show route protocol bgp table inet.0 | display json)). When given, every prefix learned from a node
        must be a /32 inside a load-balancer pool; when not, the notes say the table was not checked.
    type: dict
  expect:
    description: Prefixes that must be installed, with their number of paths (ECMP).
    type: dict
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Check the sessions of an FRR switch
  ansible.builtin.set_fact:
    bgp_report: >-
      {{ netstack_plan | netstack.baremetal.fabric_bgp_report(inventory_hostname, summary.stdout | from_json) }}
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    rows:
      description: One C({switch, peer, node, remote_asn, state, established, prefixes_received}) per planned session.
      type: list
      elements: dict
    table:
      description: The rows as fixed-width text lines.
      type: list
      elements: str
    notes:
      description: What was not checked (no BGP table given, so no policy or ECMP check).
      type: list
      elements: str
    problems:
      description: Sessions not Established, learned prefixes outside the policy, expected prefixes missing.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.plugin_utils import plan_fact

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback


def fabric_bgp_report(plan, host, summary, routes=None, expect=None):
    plan = plan_fact.fabric_plan(plan, "fabric_bgp_report")
    try:
        return readback.bgp_report(plan, host, summary, routes=routes, expect=expect)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("fabric_bgp_report: cannot read the summary of '%s': %s" % (host, exc))


class FilterModule(object):
    def filters(self):
        return {"fabric_bgp_report": fabric_bgp_report}
