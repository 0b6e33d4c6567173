# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_cfg
short_description: Assemble a switch's rendered configuration for the bundle
version_added: 0.1.0
description:
  - Joins the C(rendered) output of the resource modules run with C(state=rendered) (in module order) and the
    CLI blocks of the switch into the text of C(fabric/<switch>.cfg).
  - For platforms without a rendered state (SONiC) the module arguments themselves are the payload.
positional: rendered
options:
  _input:
    description: The switch's configuration, from P(netstack.baremetal.fabric_switch#filter).
    type: dict
    required: true
  rendered:
    description: Short module name to the registered result of its C(state=rendered) task.
    type: dict
    default: {}
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Write the rendered configuration
  ansible.builtin.copy:
    content: "{{ switch_config | netstack.baremetal.fabric_cfg({'eos_vlans': vlans_result}) }}"
    dest: "build/lab1/fabric/{{ inventory_hostname }}.cfg"
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: Configuration text.
  type: str
"""

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback


def fabric_cfg(output, rendered=None):
    return readback.cfg_text(output, rendered or {})


class FilterModule(object):
    def filters(self):
        return {"fabric_cfg": fabric_cfg}
