# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_apply_batches
short_description: Order the apply of tenant objects so that no allowed traffic is dropped
version_added: 0.1.0
description:
  - Takes the planned tenant objects and the live ones (as C(kubernetes.core.k8s_info) returns them) and returns one
    batch per phase - C(prepare) (namespaces, subnets, new labels), C(widen) (allow rules first, i.e. bridges, staged new
    policies, disarmed policies to delete), C(narrow) (final versions), C(delete) - each applied in one server-side
    apply. See C(tenant_removal.order_policy_changes) and docs/tenants.md.
  - Only live objects of the planned tenants' namespaces count, so tenants that are not planned are never touched.
  - Live objects are reduced to the fields the tenants area manages first (namespace labels of other owners and
    controller-filled fields are ignored).
positional: existing, label_domain
options:
  _input:
    description: The planned objects (C(netstack_plan.tenants.tenants[*].objects), flattened).
    type: list
    elements: dict
    required: true
  existing:
    description: The live objects (namespaces, policies, subnets).
    type: list
    elements: dict
    required: true
  label_domain:
    description: The tenant label domain of the plan (C(netstack_plan.tenants.label_domain)).
    type: str
    default: tenant.cozystack.io
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: Order the apply
  ansible.builtin.set_fact:
    batches: "{{ wanted | netstack.baremetal.tenant_apply_batches(live, netstack_plan.tenants.label_domain) }}"
"""

RETURN = r"""
_value:
  description: The batches, in order, empty phases left out.
  type: list
  elements: dict
  contains:
    phase:
      description: 1 to 4.
      type: int
    stage:
      description: C(prepare), C(widen), C(narrow) or C(delete).
      type: str
    apply:
      description: Whole objects to apply (server-side).
      type: list
      elements: dict
    delete:
      description: References (C(apiVersion), C(kind), C(name), C(namespace)) to delete.
      type: list
      elements: dict
    awaiting_namespace:
      description:
        - The objects of C(apply) in a namespace that is not live yet (the C(prepare) phase of this run creates it).
          A server-side dry run (check mode) cannot take them; the role reports them instead.
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils import tenant_day2
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy
from ansible_collections.netstack.baremetal.plugins.module_utils.tenant_removal import ImmutableChangeError


def tenant_apply_batches(wanted, existing, label_domain="tenant.cozystack.io"):
    try:
        return tenant_day2.apply_batches(plain_copy(existing or []), plain_copy(wanted or []), label_domain)
    except ImmutableChangeError as exc:
        raise AnsibleFilterError("cannot apply the tenant change in place: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"tenant_apply_batches": tenant_apply_batches}
