# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: gateway_stale
short_description: The gateway area's objects the plan no longer holds
version_added: 0.1.0
description:
  - Takes the plan's C(gateway.prune) description and what the cluster listed for its kinds (the registered result of
    a looped C(kubernetes.core.k8s_info) task, or a flat list of objects) and returns the objects to delete.
  - An object is stale when it is of a kind in C(prune.kinds), carries that kind's labels
    (C(app.kubernetes.io/managed-by=netstack.baremetal) and the area's own label), lies in a planned tenant
    namespace (namespaced kinds), is not being deleted already, and is not among the C([namespace, name]) pairs
    the plan keeps. Anything else - an object without the labels, another area's, a user's - is never returned.
  - See C(gateway.stale_objects) and docs/gateway.md.
options:
  _input:
    description: The prune description, C(netstack_plan.gateway.prune).
    type: dict
    required: true
  listed:
    description: What the cluster listed - a looped C(k8s_info) register (C(results[*].resources)), a list of
      C(k8s_info) results or a list of objects.
    type: raw
    required: true
author:
  - netstack.baremetal contributors
"""

EXAMPLES = r"""
- name: List what the gateway area labelled
  kubernetes.core.k8s_info:
    api_version: "{{ item.api_version }}"
    kind: "{{ item.kind }}"
    label_selectors: "{{ item.label_selectors }}"
  loop: "{{ netstack_plan.gateway.prune.kinds }}"
  register: listed

- name: Compute the stale objects
  ansible.builtin.set_fact:
    stale: "{{ netstack_plan.gateway.prune | netstack.baremetal.gateway_stale(listed) }}"
"""

RETURN = r"""
_value:
  description: The objects to delete, in deletion order (kind as in C(prune.kinds), then namespace, then name).
  type: list
  elements: dict
  contains:
    apiVersion:
      description: As the cluster listed it.
      type: str
    kind:
      description: C(HTTPRoute), C(Gateway), C(Certificate), C(Issuer), C(ValidatingAdmissionPolicyBinding) or
        C(ValidatingAdmissionPolicy).
      type: str
    metadata:
      description: C(name), and C(namespace) for namespaced kinds.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.netstack.baremetal.plugins.module_utils import gateway
from ansible_collections.netstack.baremetal.plugins.module_utils.schema_check import plain_copy


def gateway_stale(prune, listed):
    if not isinstance(prune, dict) or not isinstance(prune.get("kinds"), list):
        raise AnsibleFilterError("gateway_stale expects the plan's gateway.prune (a mapping with 'kinds')")
    return gateway.stale_objects(plain_copy(prune), plain_copy(listed))


class FilterModule(object):
    def filters(self):
        return {"gateway_stale": gateway_stale}
