# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_health
short_description: A switch's BGP sessions and ports, and what went down since a reading before a change
version_added: 0.1.0
description:
  - Reads what a switch reports about its BGP sessions and its ports, the way the C(fabric) role collects it
    around a change during a rolling rollout (see C(docs/fabric.md), "Rolling changes").
  - FRR, the stdout of C(vtysh -c 'show bgp ipv4 unicast summary json' -c 'show interface json'); EOS,
    C([show ip bgp summary | json, show interfaces status | json]); NX-OS,
    C([show ip bgp summary | json, show interface brief | json]); Junos, the JSON of
    C([get-bgp-summary-information, get-interface-information terse]); Enterprise SONiC, C([OpenConfig BGP neighbors])
    (sessions only, the ports are not read).
  - With O(before), lists what was up in that earlier reading and is not now.
positional: platform
options:
  _input:
    description: The platform's outputs, as described above, or the registered result of the task that read them
      (C(stdout) of C(ansible.builtin.command) or a C(*_command) module, C(response) of C(sonic_api)).
    type: raw
    required: true
  platform:
    description: The switch's platform.
    type: str
    required: true
    choices: [eos, nxos, junos, sonic, frr]
  before:
    description: An earlier result of this filter on the same switch.
    type: dict
  planned:
    description:
      - What the switch keeps after its change (C(peers), the planned session addresses; C(shut_ports), the ports
        planned shut), as the C(netstack.baremetal.switch_config) action gives it in C(fabric_switch_rollout.planned).
      - The reading then leaves out the sessions with other peers and the ports planned shut, so that what a change
        removes on purpose (C(remove_node.yml)) is not taken for a regression after it.
    type: dict
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Read an FRR switch's health
  ansible.builtin.set_fact:
    switch_health: "{{ vtysh_output.stdout | netstack.baremetal.fabric_health('frr') }}"

- name: What went down since
  ansible.builtin.debug:
    msg: "{{ (vtysh_again.stdout | netstack.baremetal.fabric_health('frr', before=switch_health)).regressions }}"
"""

RETURN = r"""
_value:
  description: The switch's health.
  type: dict
  contains:
    sessions:
      description: Session state by peer address.
      type: dict
    ports:
      description: Whether each port is up, by name; null where the platform's ports are not read.
      type: dict
    summary:
      description: One line with the counts, for the log.
      type: str
    regressions:
      description: What was up in O(before) and is not now (empty without O(before)).
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import health as health_core


def _outputs(value):
    """The outputs from a registered result of the role's read task, or the outputs themselves."""
    if isinstance(value, dict) and "response" in value:          # sonic_api: [[status, body]]
        status, body = value["response"][0][:2]
        return [body if int(status) == 200 else {}]              # 404: no BGP instance yet, so no session
    if isinstance(value, dict) and "Resource not found" in str(value.get("msg", "")):
        return [{}]                                              # sonic_api: no BGP instance yet (read_sonic.yml)
    if isinstance(value, dict) and "stdout" in value:            # command (a string) or *_command (a list)
        return value["stdout"]
    return value


def fabric_health(outputs, platform, before=None, planned=None):
    outputs = _outputs(outputs)
    try:
        state = health_core.health(platform, outputs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("fabric_health: cannot read the %s switch's output: %s" % (platform, exc))
    if planned:
        state = health_core.restrict(state, planned)
    state["summary"] = health_core.summary(state)
    state["regressions"] = health_core.regressions(before, state) if before else []
    return state


class FilterModule(object):
    def filters(self):
        return {"fabric_health": fabric_health}
