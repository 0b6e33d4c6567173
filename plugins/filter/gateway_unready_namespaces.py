# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: gateway_unready_namespaces
short_description: The tenant namespaces the gateway area must not write to yet
version_added: 0.1.0
description:
  - Takes the plan's C(gateway.tenants) and the live Namespaces and returns the planned tenant namespaces that do not
    exist, are being deleted, or lack the label only the tenants area sets (C(applied_label); the tenant was not
    applied by C(playbooks/tenants.yml) or C(playbooks/add_tenant.yml) yet).
  - The gateway role refuses to run while any is returned, so that it never creates a tenant namespace with only its
    own labels and without the tenant's isolation policies.
  - See C(gateway.unready_tenant_namespaces) and docs/gateway.md.
positional: live, pending
options:
  _input:
    description: The planned tenants, C(netstack_plan.gateway.tenants).
    type: list
    elements: dict
    required: true
  live:
    description: The live Namespaces - the C(resources) of a C(kubernetes.core.k8s_info) result, or the result.
    type: raw
    required: true
  pending:
    description:
      - Namespaces the tenants role of this same run would create or complete (check mode, where its dry run stored
        nothing); taken as ready.
    type: list
    elements: str
    default: []
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: List the namespaces
  kubernetes.core.k8s_info:
    api_version: v1
    kind: Namespace
  register: live

- name: Refuse while a tenant namespace is not the tenants area's yet
  ansible.builtin.assert:
    that: netstack_plan.gateway.tenants | netstack.baremetal.gateway_unready_namespaces(live.resources) | length == 0
"""

RETURN = r"""
_value:
  description: The namespaces that are not ready, parents first (the order to add them in).
  type: list
  elements: dict
  contains:
    tenant:
      description: The tenant's name in C(netstack_tenants).
      type: str
    namespace:
      description: Its namespace.
      type: str
    reason:
      description: C(missing), C(being deleted) or C(not applied).
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils import gateway
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy


def gateway_unready_namespaces(tenants, live, pending=None):
    if not isinstance(tenants, list):
        raise AnsibleFilterError("gateway_unready_namespaces expects the plan's gateway.tenants (a list)")
    return gateway.unready_tenant_namespaces(plain_copy(tenants), plain_copy(live), plain_copy(pending or []))


class FilterModule(object):
    def filters(self):
        return {"gateway_unready_namespaces": gateway_unready_namespaces}
