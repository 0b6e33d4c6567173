# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_frr_changes
short_description: The changes C(frr-reload.py --test) would make
version_added: 0.1.0
description:
  - Parses the output of C(frr-reload.py --test) into the lines it would delete and add, leaving out the
    C(hostname) line (vtysh shows the system's host name, which C(frr.conf) does not set).
  - An empty result means the running configuration already is the file.
options:
  _input:
    description: Standard output of C(frr-reload.py --test).
    type: str
    required: true
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Decide whether FRR needs a reload
  ansible.builtin.set_fact:
    frr_changes: "{{ frr_test.stdout | netstack.baremetal.fabric_frr_changes }}"
"""

RETURN = r"""
_value:
  description: Lines, each prefixed with C(- ) (delete) or C(+ ) (add), context lines included.
  type: list
  elements: str
"""

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import readback


def fabric_frr_changes(stdout):
    return readback.frr_reload_changes(stdout)


class FilterModule(object):
    def filters(self):
        return {"fabric_frr_changes": fabric_frr_changes}
