#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netstack.baremetal contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gateway_apply
short_description: Apply the gateway section of the plan to the cluster, batch by batch
version_added: 0.2.0
description:
  - Runs on the controller (it is an action plugin). It takes the gateway section of the plan from the fact named by
    O(plan_var) directly, so the plan never passes through templating or an argument spec.
  - For the whole inventory it first checks, sending nothing, that the cluster serves the Gateway API (experimental
    channel), cert-manager and, when the plan has them, C(admissionregistration.k8s.io/v1) policies, and that every
    planned tenant namespace exists, is not being deleted and carries the tenants area's label (not applied by
    C(tenants.yml) or C(add_tenant.yml) yet fails with the command to run). In check mode the namespaces in
    O(pending_namespaces) count as applied.
  - It then creates the DNS-01 credential Secrets the plan names from their inventory variables (never shown, in a
    diff or an error), applies the batches in order as server-side applies (field manager O(field_manager), conflicts
    forced, a few in parallel, each object read first), and deletes what the plan no longer holds (O(prune)), kind by
    kind in the plan's order. A failure ends the run; later batches and the prune are not started.
  - Day 2 (the plan's gateway section is C(partial), C(add_tenant.yml)) there is no API check, no namespace check and
    no prune, and only the namespaces the batches name are read, so the run stays flat however many tenants exist.
  - An object is reported changed only when what the server holds afterwards differs from what it held before,
    leaving out what the server moves by itself (C(managedFields), resource version, generation, status).
  - Check mode is a server-side dry run; objects in a namespace that does not exist yet are shown as changes against
    nothing. C(--diff) shows one diff per object, headed C(Kind namespace/name).
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
    description: Server-side apply field manager (distinct from the tenants area's).
    type: str
    default: netstack-gateway
  batches:
    description: Apply only these batches (and prune only their kinds); empty applies all, in order.
    type: list
    elements: str
    default: []
  pending_namespaces:
    description:
      - Check mode only - tenant namespaces taken as applied although the cluster does not have them yet. Default,
        the fact C(tenants_pending_namespaces) the tenants area sets in check mode.
    type: list
    elements: str
  check_apis:
    description: Check the APIs the objects need first (whole inventory only).
    type: bool
    default: true
  prune:
    description: Delete what this area labelled and the plan no longer holds, after the batches (whole inventory only).
    type: bool
    default: true
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
- name: Apply the tenant Gateways of the plan
  netstack.baremetal.gateway_apply:
  register: applied

- name: Only the admission policies, nothing pruned
  netstack.baremetal.gateway_apply:
    batches: [admission-policies]
    prune: false
"""

RETURN = r"""
summary:
  description: What the bundle holds (render mode).
  returned: when O(apply=false)
  type: str
batches:
  description: One entry per batch that was sent.
  returned: when applied
  type: list
  elements: dict
  contains:
    name:
      description: The batch (C(admission-policies), C(tenant-namespaces), C(attached-namespaces), C(gateways); day 2
        C(tenant)).
      type: str
    changed:
      description: The objects it changed (C(Kind namespace/name)).
      type: list
      elements: str
    unchanged:
      description: How many objects were sent and found already as planned.
      type: int
    awaiting_namespace:
      description: Check mode - objects not dry-run because their namespace does not exist yet.
      type: list
      elements: str
secrets:
  description: The DNS-01 credential Secrets written or changed (C(Kind namespace/name) only).
  returned: when applied
  type: list
  elements: str
pruned:
  description: The objects deleted because the plan no longer holds them (check mode - would be deleted).
  returned: when applied
  type: list
  elements: str
report:
  description: What changed, for the role to print - C(batches) (those that changed something or have objects
    waiting), C(secrets), C(pruned).
  returned: when something changed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        plan_var=dict(type="str", default="netstack_plan"),
        apply=dict(type="bool"),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
        field_manager=dict(type="str", default="netstack-gateway"),
        batches=dict(type="list", elements="str", default=[]),
        pending_namespaces=dict(type="list", elements="str"),
        check_apis=dict(type="bool", default=True),
        prune=dict(type="bool", default=True),
    ), supports_check_mode=True)
    module.fail_json(msg="netstack.baremetal.gateway_apply runs on the controller as an action plugin; "
                         "it cannot run as a module on a remote host.")


if __name__ == "__main__":
    main()
