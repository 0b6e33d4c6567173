#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tenants_apply
short_description: Apply the tenants section of the plan to the cluster, phase by phase
version_added: 0.2.0
description:
  - Runs on the controller (it is an action plugin). It takes the tenants section of the plan from the fact named
    by O(plan_var) directly, so the plan never passes through templating or an argument spec.
  - It reads the live objects once per kind (Namespaces, CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and,
    with Kube-OVN, Subnets; label selector C(app.kubernetes.io/managed-by=netstack.baremetal)). For one tenant
    (C(add_tenant.yml)) the reads are scoped to it - its Namespace by name, its CiliumNetworkPolicies in its
    namespace, the cluster-scoped kinds by its C(netstack.baremetal/tenant) label - so they stay flat however many
    tenants the cluster has.
  - It orders the change so that no allowed traffic is dropped (phases C(prepare), C(widen), C(narrow), C(delete),
    see docs/tenants.md) and sends each phase as server-side applies (field manager O(field_manager), conflicts
    forced) and deletes, a few in parallel, Namespaces first. A step that would not change the live object is never
    sent. A phase with a failure ends the run; the next phases are not started.
  - Tenants that are not in the plan are never touched; removing one is C(remove_tenant.yml)'s job.
  - An object is reported changed only when what the server holds afterwards differs from what it held before,
    leaving out what the server moves by itself (C(managedFields), resource version, generation, status).
  - Check mode is a server-side dry run. Objects in a namespace this same run creates cannot be dry-run; they are
    shown as changes against nothing. C(--diff) shows every change, one diff per object headed C(Kind namespace/name).
  - Render mode (O(apply=false)) only reports where the bundle is.
options:
  plan_var:
    description: Name of the fact (on the host the task runs for, C(localhost)) that holds the plan.
    type: str
    default: netstack_plan
  apply:
    description: Apply to the cluster. Default, true when the plan's mode is C(apply).
    type: bool
  kubeconfig:
    description:
      - Kubeconfig path. Default, the plan's (inventory C(netstack_kubeconfig)); when that is empty,
        C(K8S_AUTH_KUBECONFIG), then C(KUBECONFIG) or C(~/.kube/config).
    type: path
  context:
    description: Kubeconfig context. Default, C(K8S_AUTH_CONTEXT), else the kubeconfig's current context.
    type: str
  field_manager:
    description: Server-side apply field manager (distinct from the gateway area's).
    type: str
    default: netstack-tenants
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - Needs the C(kubernetes) Python package on the controller (as C(kubernetes.core) does).
author:
  - netstack.baremetal contributors (@netstack)
"""

EXAMPLES = r"""
- name: Apply the tenants of the plan
  netstack.baremetal.tenants_apply:
  register: applied

- name: Apply with another kubeconfig and field manager
  netstack.baremetal.tenants_apply:
    kubeconfig: /etc/netstack/admin.conf
    field_manager: my-tenants
"""

RETURN = r"""
summary:
  description: What the bundle holds (render mode).
  returned: when O(apply=false)
  type: str
phases:
  description: One entry per phase that had something to do.
  returned: when applied
  type: list
  elements: dict
  contains:
    stage:
      description: C(prepare), C(widen), C(narrow) or C(delete).
      type: str
    changed:
      description: The objects this phase changed (C(Kind namespace/name)).
      type: list
      elements: str
    deleted:
      description: The objects this phase deleted.
      type: list
      elements: str
    unchanged:
      description: How many objects were sent and found already as planned.
      type: int
    awaiting_namespace:
      description: Check mode - objects not dry-run because this run creates their namespace.
      type: list
      elements: str
ansible_facts:
  description: Facts set by the module.
  returned: in check mode
  type: complex
  contains:
    tenants_pending_namespaces:
      description: >-
        The namespaces this dry run would create or change (added to the fact's earlier value), which the gateway
        role of the same run takes as applied.
      type: list
      elements: str
      returned: in check mode
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        plan_var=dict(type="str", default="netstack_plan"),
        apply=dict(type="bool"),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
        field_manager=dict(type="str", default="netstack-tenants"),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.tenants_apply runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
