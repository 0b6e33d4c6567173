# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fabric_mask_secrets
short_description: A switch configuration with its secrets masked, for a backup kept in the bundle
version_added: 0.2.0
description:
  - Text (a CLI configuration, C(frr.conf), Junos C(set) lines) is masked line by line - the value after
    C(password), C(secret), C(authentication-key), C(key), C(community) and the like, with an optional numeric
    encryption type (C(password 7 ...)) - and decoded JSON (RESTCONF documents) member by member (every scalar
    under a member whose name says password, secret, key, community).
  - Masking is by keyword, so it also hides credentials the plan never knew about; the real BGP passwords are in
    the vault (docs/fabric.md, Persistence and backups).
options:
  _input:
    description: The configuration, as text or as decoded JSON.
    type: raw
    required: true
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Keep a masked copy of the running configuration
  ansible.builtin.copy:
    content: "{{ running.stdout[0] | netstack.baremetal.fabric_mask_secrets }}"
    dest: /tmp/backup.cfg
    mode: "0640"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The same text or data with the secret values replaced by a marker.
  type: raw
"""

from ansible_collections.netstack.baremetal.plugins.module_utils.fabric import backup


def fabric_mask_secrets(data):
    return backup.mask(data)


class FilterModule(object):
    def filters(self):
        return {"fabric_mask_secrets": fabric_mask_secrets}
